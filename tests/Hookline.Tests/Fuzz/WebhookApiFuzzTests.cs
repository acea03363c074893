using FsCheck;
using FsCheck.Fluent;
using Xunit.Abstractions;

namespace Hookline.Tests.Fuzz;

/// <summary>
/// The webhook management API under generated bad input: never a 5xx, an awork error body for every 4xx, every write
/// refused, and the stored state (API view and every table) exactly as before.
/// </summary>
public sealed class WebhookApiFuzzTests(ITestOutputHelper output) : IAsyncLifetime
{
    private FuzzApp _fuzz = null!;

    public async Task InitializeAsync() => _fuzz = await FuzzApp.StartAsync();

    public Task DisposeAsync()
    {
        _fuzz.Dispose();
        return Task.CompletedTask;
    }

    private static readonly string[] ContentTypes =
    [
        "application/json", "application/json; charset=utf-8", "application/problem+json", "text/plain", "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x", "", "application/json\r\nX-Injected: 1", "application/json; charset=utf-16", "*/*", ";;;=",
        "application/jsonx", "application/json; boundary=\"\u0000\"",
    ];

    private async Task FuzzAsync<T>(string name, Gen<T> gen, int ci, int full, Func<T, FuzzRequest> request)
    {
        var before = await _fuzz.SnapshotAsync();
        // Cases are mapped to requests inside the generator, so that FsCheck prints a failing one readably.
        FuzzRun.Check(output, name, gen.Select(request), ci, full, _fuzz.ProblemAsync);
        FuzzApp.AssertUnchanged(before, await _fuzz.SnapshotAsync());
        output.WriteLine($"{name}: {_fuzz.Requests} requests in all ({_fuzz.Statuses}), stored state unchanged");
    }

    [Fact]
    public Task CreateAndUpdateRefuseEveryMutatedForm() => FuzzAsync("webhook forms",
        from target in Gen.Elements<string?>(null, "active", "inactive", "slack")
        from body in BodyGen.InvalidWebhookForm
        from contentType in Gen.Frequency((8, Gen.Constant<string?>("application/json")), (2, Gen.Elements<string?>([.. ContentTypes, null])))
        select (target, body, contentType),
        ci: 400, full: 4000,
        c => new FuzzRequest(c.target is null ? "POST" : "PUT",
            c.target switch
            {
                null => "/api/v1/webhooks",
                "active" => $"/api/v1/webhooks/{_fuzz.ActiveWebhook}",
                "inactive" => $"/api/v1/webhooks/{_fuzz.InactiveWebhook}",
                _ => $"/api/v1/webhooks/{_fuzz.Webhooks[2]}",
            }, Body: c.body, ContentType: c.contentType));

    [Fact]
    public Task EveryRouteRefusesBadUnknownAndForeignIds() => FuzzAsync("webhook and log ids",
        Endpoints.WithBadIds(_fuzz.OtherWorkspacesWebhook, _fuzz.ActiveWebhook, _fuzz.Logs[0]), ci: 300, full: 3000,
        c => new FuzzRequest(c.Route.Method, c.Route.Path(c.Id, c.Log), c.Route.Query,
            c.Route.Body is null ? null : System.Text.Encoding.UTF8.GetBytes(c.Route.Body)) { MustBeRefused = c.Route.Method != "GET" });

    [Fact]
    public Task ListsAnswerEveryQueryWithDataOrAnAworkError() => FuzzAsync("list and log queries",
        from logs in Gen.Elements(false, true)
        from query in QueryGen.ListQuery
        select (logs, query),
        ci: 500, full: 5000,
        c => new FuzzRequest("GET", c.logs ? $"/api/v1/webhooks/{_fuzz.ActiveWebhook}/logs" : "/api/v1/webhooks", c.query) { MustBeRefused = false });

    [Fact]
    public Task RecoverRefusesEverySinceOnAnInactiveWebhook() => FuzzAsync("recover since",
        from since in TextGen.QueryValue(TextGen.Nasty)
        from repeat in Gen.Elements("", "&since=2000-01-01", "&since=")
        select "since=" + since + repeat,
        ci: 150, full: 1500,
        query => new FuzzRequest("POST", $"/api/v1/webhooks/{_fuzz.InactiveWebhook}/recover", query));

    [Fact]
    public Task UnsupportedMethodsAnswer405WithAnAworkError() => FuzzAsync("methods",
        from route in Gen.Elements(Endpoints.All)
        from method in Gen.Elements("PATCH", "OPTIONS", "TRACE", "PROPFIND", "X-FUZZ", "CONNECT", route.Method == "GET" ? "PUT" : "GET")
        select (route, method),
        ci: 100, full: 1000,
        c => new FuzzRequest(c.method, c.route.Path(_fuzz.ActiveWebhook, _fuzz.Logs[0]), c.route.Query,
            c.route.Body is null ? null : System.Text.Encoding.UTF8.GetBytes(c.route.Body)) { MustBeRefused = c.method != "GET" });
}
