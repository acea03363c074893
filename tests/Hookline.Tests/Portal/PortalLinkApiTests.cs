using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hookline.Tests.Support;

namespace Hookline.Tests.Portal;

/// <summary>POST /api/v1/portal/links: for system tokens with portal:issue; every bad body is an awork error naming the field.</summary>
public sealed class PortalLinkApiTests : IAsyncLifetime
{
    private readonly HooklineFactory _app = new();
    private Guid _workspace;
    private HttpClient _issuer = null!;

    public async Task InitializeAsync()
    {
        _workspace = Guid.NewGuid();
        await _app.AdminAsync(_workspace); // the workspace exists
        _issuer = await _app.ClientAsync(null, "portal:issue");
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task AnIssuedLinkOpensTheWorkspaceReadOnlyWhenAskedAndExpiresWhenItSays()
    {
        var before = DateTimeOffset.UtcNow;
        var response = await _issuer.PostAsJsonAsync("/api/v1/portal/links", new { workspaceId = _workspace, expiresInMinutes = 15, readOnly = true });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var expires = body.GetProperty("expiresOn").GetDateTimeOffset();
        Assert.InRange(expires, before.AddMinutes(15), DateTimeOffset.UtcNow.AddMinutes(15));
        var url = new Uri(body.GetProperty("url").GetString()!);
        Assert.Equal("/portal/enter", url.AbsolutePath);

        var browser = _app.CreateClient(new() { AllowAutoRedirect = false });
        var opened = await browser.GetAsync(url.PathAndQuery);
        Assert.Equal(HttpStatusCode.Redirect, opened.StatusCode);
        var cookie = opened.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("hookline_portal=", StringComparison.Ordinal));
        Assert.Contains("samesite=strict", cookie);
        Assert.Contains("path=/portal", cookie);
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { "{}", "'workspaceId' is required." },
        { """{"workspaceId":"nope"}""", "'workspaceId' must be a workspace id (a GUID)." },
        { """{"workspaceId":42}""", "'workspaceId' must be a workspace id (a GUID)." },
        { """{"workspaceId":"WS","expiresInMinutes":0}""", "'expiresInMinutes' must be a whole number from 1 to 10,080 (7 days)." },
        { """{"workspaceId":"WS","expiresInMinutes":10081}""", "'expiresInMinutes' must be a whole number from 1 to 10,080 (7 days)." },
        { """{"workspaceId":"WS","expiresInMinutes":1.5}""", "'expiresInMinutes' must be a whole number from 1 to 10,080 (7 days)." },
        { """{"workspaceId":"WS","expiresInMinutes":"60"}""", "'expiresInMinutes' must be a whole number from 1 to 10,080 (7 days)." },
        { """{"workspaceId":"WS","readOnly":"yes"}""", "'readOnly' must be true or false." },
        { """{"workspaceId":"WS","url":"https://evil.example"}""", "'url' is not a property of PortalLinkForm." },
        { "[]", "The body must be a JSON object." },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task ABadBodyIsA400NamingWhatIsWrong(string body, string said)
    {
        var response = await _issuer.PostAsync("/api/v1/portal/links", Json.Body(body.Replace("WS", _workspace.ToString())));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("validation-failed", text);
        Assert.Contains(said, text);
    }

    [Fact]
    public async Task NotJsonAnUnknownWorkspaceAndTheWrongTokensAreRefused()
    {
        var notJson = await _issuer.PostAsync("/api/v1/portal/links", new StringContent("workspaceId=1"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, notJson.StatusCode);

        var unknown = await _issuer.PostAsJsonAsync("/api/v1/portal/links", new { workspaceId = Guid.NewGuid() });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("There is no workspace with the id", await unknown.Content.ReadAsStringAsync());

        var form = new { workspaceId = _workspace };
        foreach (var client in new[] { await _app.AdminAsync(_workspace), await _app.ClientAsync(null, "events:publish"), _app.CreateClient() })
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/v1/portal/links", form)).StatusCode);
    }
}
