using System.Net;
using Hookline.Tests.Support;

namespace Hookline.Tests.Api;

public sealed class OperationsTests : IDisposable
{
    private readonly HooklineFactory _app = new();

    public void Dispose() => _app.Dispose();

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    [InlineData("/openapi/v1.json")]
    [InlineData("/docs/")]
    public async Task OperationalEndpointsAnswerWithoutAToken(string path)
    {
        var response = await _app.CreateClient().GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ReadinessFailsWhenTheDatabaseIsGone()
    {
        var client = _app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_app.Database.Folder, recursive: true);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
    }

    [Theory]
    [InlineData("GET", "/api/v1/nothing-here", HttpStatusCode.NotFound, "not-found")]
    [InlineData("GET", "/api/v1/webhooks/not-a-guid", HttpStatusCode.NotFound, "not-found")]
    [InlineData("PATCH", "/api/v1/webhooks", HttpStatusCode.MethodNotAllowed, "method-not-allowed")]
    public async Task UnknownPathsAndMethodsAnswerWithAworkErrors(string method, string path, HttpStatusCode status, string code)
    {
        var client = await _app.AdminAsync(Guid.NewGuid());
        var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        Assert.Equal(status, response.StatusCode);
        Assert.Equal(code, (await response.ErrorAsync()).Code);
    }

    [Fact]
    public async Task TheFirstStartCreatesTheDefaultWorkspaceAndAnAdminToken()
    {
        var tokens = await _app.Service<Hookline.Storage.ITokenStore>().ListAsync();
        var admin = Assert.Single(tokens);
        Assert.Contains(Hookline.Auth.Permissions.Admin, admin.Permissions);
        Assert.NotNull(admin.WorkspaceId);
    }
}
