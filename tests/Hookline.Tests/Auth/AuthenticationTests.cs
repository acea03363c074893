using System.Net;
using System.Net.Http.Json;
using Hookline.Auth;
using Hookline.Storage;
using Hookline.Tests.Support;

namespace Hookline.Tests.Auth;

public sealed class AuthenticationTests : IDisposable
{
    private readonly HooklineFactory _app = new();
    private readonly Guid _workspace = Guid.NewGuid();

    public void Dispose() => _app.Dispose();

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Basic dXNlcjpwdw==")]
    [InlineData("Bearer")]
    [InlineData("Bearer ")]
    [InlineData("Bearer not-a-hookline-token")]
    [InlineData("Bearer hl_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("Bearer hl_' OR '1'='1")]
    public async Task MissingMalformedOrUnknownTokensAnswer401Unauthorized(string? authorization)
    {
        var client = _app.CreateClient();
        if (authorization is not null) client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        var response = await client.GetAsync("/api/v1/webhooks");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("unauthorized", (await response.ErrorAsync()).Code);
    }

    [Fact]
    public async Task AHugeBearerValueIsRefusedWithoutAServerError()
    {
        var client = _app.ClientWithToken("hl_" + new string('A', 20_000));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/webhooks")).StatusCode);
    }

    [Fact]
    public async Task ARevokedTokenStopsWorking()
    {
        var issued = await _app.Service<TokenService>().CreateAsync(_workspace, [Permissions.Admin], "soon revoked");
        var client = _app.ClientWithToken(issued.Secret);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/webhooks")).StatusCode);

        Assert.True(await _app.Service<ITokenStore>().RevokeAsync(issued.Token.Id, DateTimeOffset.UtcNow));

        var response = await client.GetAsync("/api/v1/webhooks");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("unauthorized", (await response.ErrorAsync()).Code);
    }

    [Fact]
    public async Task TokensAreHlPrefixedBase64UrlOfThirtyTwoBytesAndOnlyTheirHashIsStored()
    {
        var issued = await _app.Service<TokenService>().CreateAsync(_workspace, [Permissions.Admin], "format");
        Assert.Matches("^hl_[A-Za-z0-9_-]{43}$", issued.Secret);

        var stored = await _app.Service<ITokenStore>().FindByHashAsync(TokenService.Hash(issued.Secret));
        Assert.NotNull(stored);
        Assert.NotEqual(issued.Secret, stored.TokenHash);
        var stored2 = _app.Postgres is null
            ? System.Text.Encoding.ASCII.GetString(await ReadAllSharedAsync(_app.Database.Path))
            : await _app.ScalarAsync<string>("SELECT string_agg(t::text, ' ') FROM api_tokens t;");
        Assert.Contains(stored.TokenHash, stored2); // what is stored is readable here, so its absence below means something
        Assert.DoesNotContain(issued.Secret[3..], stored2);
    }

    [Fact]
    public async Task UsingATokenRecordsWhenItWasLastUsed()
    {
        var issued = await _app.Service<TokenService>().CreateAsync(_workspace, [Permissions.ConfigRead], "touched");
        Assert.Null(issued.Token.LastUsedOn);
        await _app.ClientWithToken(issued.Secret).GetAsync("/api/v1/webhooks");
        var stored = await _app.Service<ITokenStore>().FindByHashAsync(issued.Token.TokenHash);
        Assert.NotNull(stored!.LastUsedOn);
    }

    public static TheoryData<string, string, string[], HttpStatusCode> Matrix => new()
    {
        // method, path, permissions, expected status
        { "GET", "/api/v1/webhooks", [Permissions.ConfigRead], HttpStatusCode.OK },
        { "GET", "/api/v1/webhooks", [Permissions.ConfigWrite], HttpStatusCode.OK },
        { "GET", "/api/v1/webhooks", [Permissions.Admin], HttpStatusCode.OK },
        { "GET", "/api/v1/webhooks", [Permissions.EventsPublish], HttpStatusCode.Unauthorized },
        { "POST", "/api/v1/webhooks", [Permissions.ConfigRead], HttpStatusCode.Unauthorized },
        { "POST", "/api/v1/webhooks", [Permissions.ConfigWrite], HttpStatusCode.OK },
        { "POST", "/api/v1/webhooks", [Permissions.Admin], HttpStatusCode.OK },
        { "GET", "/api/v1/webhooks/eventtypes", [Permissions.EventsPublish], HttpStatusCode.OK },
        { "GET", "/api/v1/webhooks/eventtypes/slack", [Permissions.ConfigRead], HttpStatusCode.OK },
        { "GET", "/api/v1/webhooks/eventtypes/slack", [], HttpStatusCode.OK },
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task PermissionsAreCheckedAsAworkDoes(string method, string path, string[] permissions, HttpStatusCode expected)
    {
        var client = await _app.ClientAsync(_workspace, permissions);
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST") request.Content = JsonContent.Create(Json.Form());
        var response = await client.SendAsync(request);
        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.Unauthorized)
        {
            var error = await response.ErrorAsync();
            Assert.Equal("unauthorized", error.Code);
            Assert.Contains("workspace-manage-config:", error.Description); // names the permission needed
        }
    }

    [Fact]
    public async Task ReadOnlyTokensCannotChangeOrDeleteAnything()
    {
        var admin = await _app.AdminAsync(_workspace);
        var created = await admin.CreateWebhookAsync();
        var reader = await _app.ClientAsync(_workspace, Permissions.ConfigRead);

        Assert.Equal(HttpStatusCode.Unauthorized, (await reader.PutAsJsonAsync($"/api/v1/webhooks/{created.Id}", Json.Form(name: "x"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await reader.DeleteAsync($"/api/v1/webhooks/{created.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync($"/api/v1/webhooks/{created.Id}")).StatusCode);
        Assert.Equal(created.Name, (await admin.GetFromJsonAsync<Hookline.Webhooks.WebhookConfig>($"/api/v1/webhooks/{created.Id}", Json.Web))!.Name);
    }

    [Fact]
    public async Task SystemTokensHaveNoWorkspaceAndCannotManageWebhooks()
    {
        var system = await _app.ClientAsync(null, Permissions.Admin, Permissions.EventsPublish);
        var response = await system.GetAsync("/api/v1/webhooks");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("unauthorized", (await response.ErrorAsync()).Code);
    }

    private static async Task<byte[]> ReadAllSharedAsync(string path)
    {
        var bytes = new List<byte>();
        foreach (var file in new[] { path, path + "-wal" }.Where(File.Exists))
        {
            await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var memory = new MemoryStream();
            await stream.CopyToAsync(memory);
            bytes.AddRange(memory.ToArray());
        }
        return bytes.ToArray();
    }
}
