using System.Data.Common;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using Hookline.Auth;
using Hookline.Storage;
using Hookline.Tests.Support;
using Microsoft.AspNetCore.Http;

namespace Hookline.Tests.Fuzz;

/// <summary>
/// A Hookline with a workspace worth breaking: webhooks with header authentication, an inactive one, logs, an event
/// with queued deliveries, an idempotency key and a second workspace. No delivery worker runs, so nothing changes
/// unless a request changes it; <see cref="SnapshotAsync"/> captures everything a request could change.
/// </summary>
public sealed class FuzzApp : IDisposable
{
    private int _requests;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, int> _statuses = new();

    private FuzzApp(HooklineFactory app) => App = app;

    public HooklineFactory App { get; }
    public Guid Workspace { get; } = Guid.NewGuid();
    public Guid OtherWorkspace { get; } = Guid.NewGuid();
    public IReadOnlyList<Guid> Webhooks { get; private set; } = [];
    public Guid ActiveWebhook => Webhooks[0];
    public Guid InactiveWebhook => Webhooks[1];
    public Guid OtherWorkspacesWebhook { get; private set; }
    public IReadOnlyList<Guid> Logs { get; private set; } = [];
    public int Requests => _requests;
    public string AdminToken => Tokens[Caller.Admin];

    /// <summary>How many answers had each status, e.g. "200×12 400×380": shows how deep the cases reached.</summary>
    public string Statuses => string.Join(" ", _statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"));
    private Dictionary<Caller, string> Tokens { get; } = [];

    public static async Task<FuzzApp> StartAsync()
    {
        var fuzz = new FuzzApp(new HooklineFactory(new() { ["Hookline:Node:Worker"] = "false" }));
        await fuzz.SeedAsync();
        return fuzz;
    }

    private async Task SeedAsync()
    {
        var tokens = App.Service<TokenService>();
        Tokens[Caller.Admin] = (await tokens.CreateAsync(Workspace, [Permissions.Admin, Permissions.EventsPublish], "fuzz admin")).Secret;
        Tokens[Caller.ReadOnly] = (await tokens.CreateAsync(Workspace, [Permissions.ConfigRead], "fuzz reader")).Secret;
        Tokens[Caller.Publisher] = (await tokens.CreateAsync(Workspace, [Permissions.EventsPublish], "fuzz publisher")).Secret;
        Tokens[Caller.System] = (await tokens.CreateAsync(null, [Permissions.EventsPublish], "fuzz system")).Secret;

        var admin = App.ClientWithToken(Tokens[Caller.Admin]);
        var active = await admin.CreateWebhookAsync(Json.Form(name: "active", events: "task_added,task_updated",
            authenticationType: "header", authentication: "X-Api-Key=s3cret-value"));
        var inactive = await admin.CreateWebhookAsync(Json.Form(name: "inactive", isActive: false, language: "de-DE"));
        var slack = await admin.CreateWebhookAsync(Json.Form(name: "slack", uri: "https://hooks.slack.com/services/T0/B0/XYZ"));
        Webhooks = [active.Id, inactive.Id, slack.Id];

        var other = await App.AdminAsync(OtherWorkspace);
        OtherWorkspacesWebhook = (await other.CreateWebhookAsync(Json.Form(name: "someone else's"))).Id;

        var now = DateTimeOffset.UtcNow;
        var logs = Enumerable.Range(0, 5).Select(i => TestData.Log(Workspace, active.Id, now.AddMinutes(-i), attempt: i + 1,
            responseCode: i % 2 == 0 ? 200 : 500, reason: i % 2 == 0 ? null : "Internal Server Error")).ToList();
        await App.Service<IWebhookStore>().AddLogsAsync(logs);
        Logs = logs.Select(l => l.Id).ToList();

        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/events") { Content = JsonContent.Create(new { eventType = "task_added", entity = new { id = 1 } }) };
        request.Headers.Add("Idempotency-Key", "seed-1");
        Assert.Equal(System.Net.HttpStatusCode.Accepted, (await admin.SendAsync(request)).StatusCode);
    }

    /// <summary>Sends one request through the TestServer, setting everything on the server side as given.</summary>
    public async Task<FuzzResponse> SendAsync(FuzzRequest r)
    {
        Interlocked.Increment(ref _requests);
        var context = await App.Server.SendAsync(c =>
        {
            c.Request.Method = r.Method;
            c.Request.Path = new PathString(r.Path);
            c.Request.QueryString = r.Query.Length == 0 ? QueryString.Empty : new QueryString(r.Query.StartsWith('?') ? r.Query : "?" + r.Query);
            var authorization = r.Caller switch
            {
                Caller.None => null,
                Caller.Raw => r.RawAuthorization,
                var caller => "Bearer " + Tokens[caller],
            };
            if (authorization is not null) c.Request.Headers.Authorization = authorization;
            foreach (var (name, value) in r.Headers ?? []) c.Request.Headers.Append(name, value);
            if (r.ContentType is not null) c.Request.ContentType = r.ContentType;
            if (r.Body is not null)
            {
                c.Request.Body = new MemoryStream(r.Body);
                c.Request.ContentLength = r.Body.Length;
            }
        });
        _statuses.AddOrUpdate(context.Response.StatusCode, 1, (_, n) => n + 1);
        using var reader = new StreamReader(context.Response.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        // A 5xx fails the property: say what the server logged, so that a failure in CI can be understood without a replay.
        if (context.Response.StatusCode >= 500)
            body += "\nserver log: " + string.Join("\n", App.Logs.Lines.Where(l => l.StartsWith("Error") || l.StartsWith("Critical")).TakeLast(3));
        return new FuzzResponse(context.Response.StatusCode, context.Response.ContentType, context.Response.Headers["Trace-Id"].ToString(), body);
    }

    /// <summary>Everything bad input must not change: the API's view of every webhook, secret and log, and every table's rows.</summary>
    public async Task<SortedDictionary<string, string>> SnapshotAsync()
    {
        var snapshot = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var ids = Webhooks.Append(OtherWorkspacesWebhook).ToList();
        snapshot["list"] = (await SendAsync(new FuzzRequest("GET", "/api/v1/webhooks", "pageSize=1000"))).Body;
        foreach (var id in Webhooks)
        {
            snapshot[$"get {id}"] = (await SendAsync(new FuzzRequest("GET", $"/api/v1/webhooks/{id}"))).Body;
            snapshot[$"secret {id}"] = (await SendAsync(new FuzzRequest("GET", $"/api/v1/webhooks/{id}/secret"))).Body;
            snapshot[$"logs {id}"] = (await SendAsync(new FuzzRequest("GET", $"/api/v1/webhooks/{id}/logs"))).Body;
        }
        await using var c = Connect();
        var tables = (await c.QueryAsync<string>(App.Postgres is null
            ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            : "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")).ToList();
        Assert.Contains("webhooks", tables);
        foreach (var table in tables)
        {
            // The rate-limit windows (PostgreSQL) count every request by design, refused ones too.
            if (table == "rate_windows") continue;
            // Tokens' last use moves with requests by design: only their count must hold.
            if (table == "api_tokens")
                snapshot[$"table {table}"] = $"{await c.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM {table}")} rows";
            else
            {
                var rows = (await c.QueryAsync($"SELECT * FROM {table}")).Select(Row).Order(StringComparer.Ordinal).ToList();
                snapshot[$"table {table}"] = $"{rows.Count} rows: " + string.Join("\n", rows);
            }
        }
        return snapshot;
    }

    private DbConnection Connect() => App.Postgres is null
        ? new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={App.Database.Path}")
        : new Npgsql.NpgsqlConnection(App.Postgres.ConnectionString);

    private static string Row(dynamic row) => string.Join("|", ((IDictionary<string, object?>)row).Select(kv =>
        $"{kv.Key}={(kv.Value is byte[] b ? Convert.ToHexString(b) : Convert.ToString(kv.Value, System.Globalization.CultureInfo.InvariantCulture))}"));

    public static void AssertUnchanged(SortedDictionary<string, string> before, SortedDictionary<string, string> after)
    {
        Assert.Equal(before.Keys, after.Keys);
        foreach (var key in before.Keys)
            Assert.True(before[key] == after[key], $"Stored state changed: {key}\nbefore: {FuzzRequest.Show(before[key])}\nafter:  {FuzzRequest.Show(after[key])}");
    }

    public void Dispose() => App.Dispose();
}

/// <summary>What came back; <see cref="Problem"/> says what is wrong with it for the fuzz rules, or null.</summary>
public sealed record FuzzResponse(int Status, string? ContentType, string TraceId, string Body)
{
    public string? Problem(bool mustBeRefused)
    {
        if (Status >= 500) return $"a server error {Status}: {FuzzRequest.Show(Body)}";
        if (mustBeRefused && Status < 400) return $"bad input was accepted with {Status}: {FuzzRequest.Show(Body)}";
        if (Status < 400) return null;
        if (ContentType is null || !ContentType.StartsWith("application/json", StringComparison.Ordinal))
            return $"{Status} with content type '{ContentType}', not application/json: {FuzzRequest.Show(Body)}";
        try
        {
            using var json = JsonDocument.Parse(Body);
            var root = json.RootElement;
            foreach (var name in new[] { "code", "description", "link", "traceId" })
                if (!root.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.String || value.GetString()!.Length == 0)
                    return $"{Status} without a '{name}' in its error body: {FuzzRequest.Show(Body)}";
            if (root.GetProperty("traceId").GetString() != TraceId) return $"{Status} whose traceId differs from its Trace-Id header '{TraceId}'";
        }
        catch (JsonException)
        {
            return $"{Status} whose body is not JSON: {FuzzRequest.Show(Body)}";
        }
        return null;
    }
}
