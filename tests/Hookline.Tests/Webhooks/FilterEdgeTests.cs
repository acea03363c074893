using Hookline.Tests.Support;
using Hookline.Webhooks;
using Microsoft.Extensions.Time.Testing;

namespace Hookline.Tests.Webhooks;

/// <summary>
/// <c>filterby</c> literals at the edges — decimals between two whole numbers and beyond any, times between two stored
/// milliseconds and at the ends of the calendar, unicode and empty strings — answer exactly these rows on SQLite and, in
/// ./test.sh's PostgreSQL pass, on PostgreSQL: one expectation, both stores.
/// </summary>
public sealed class FilterEdgeTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 1, 10, 9, 0, 0, TimeSpan.Zero);
    private static readonly string[] Names = ["Ärger im Büro", "ärger", "日本語のフック", "Straße", "emoji 🚀 hook", "plain"];
    private static readonly int[] Codes = [200, 201, 404, 500];

    private readonly FakeTimeProvider _time = new(Start);
    private readonly HooklineFactory _app;
    private readonly Guid _workspace = Guid.NewGuid();
    private Receiver _receiver = null!;
    private HttpClient _client = null!;
    private Guid _logged;

    public FilterEdgeTests() => _app = new HooklineFactory(TestEvents.FastDelivery(), time: _time);

    /// <summary>The webhooks one millisecond apart (the first at 09:00:00.000); the last one's test sends answered with <see cref="Codes"/>.</summary>
    public async Task InitializeAsync()
    {
        _receiver = await Receiver.StartAsync();
        _client = await _app.AdminAsync(_workspace);
        foreach (var name in Names)
        {
            var hook = await _client.CreateWebhookAsync(Json.Form(name: name, uri: $"{_receiver.Url}/hook"));
            _logged = hook.Id;
            _time.Advance(TimeSpan.FromMilliseconds(1));
        }
        var answers = new Queue<int>(Codes);
        _receiver.Respond = (_, http) =>
        {
            http.Response.StatusCode = answers.Dequeue();
            return Task.CompletedTask;
        };
        foreach (var _ in Codes) (await _client.PostAsync($"/api/v1/webhooks/{_logged}/test", null)).EnsureSuccessStatusCode();
    }

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        await _app.DisposeAsync();
    }

    private async Task<string[]> NamesAsync(string filter) =>
        [.. (await _client.ListAsync<WebhookConfig>($"/api/v1/webhooks?filterby={Uri.EscapeDataString(filter)}")).Select(h => h.Name)];

    private static string[] Of(params int[] indexes) => [.. indexes.Select(i => Names[i])];

    [Theory]
    [InlineData("name eq 'Ärger im Büro'", new[] { 0 })]
    [InlineData("name eq 'ärger im büro'", new int[0])]           // eq is exact
    [InlineData("startswith(name,'är')", new[] { 0, 1 })]        // the text functions ignore case, unicode letters too
    [InlineData("substringof('BÜRO',name)", new[] { 0 })]
    [InlineData("substringof('STRASSE',name)", new int[0])]      // case, not spelling: ß is not ss
    [InlineData("substringof('ß',name)", new[] { 3 })]
    [InlineData("endswith(name,'フック')", new[] { 2 })]
    [InlineData("substringof('🚀',name)", new[] { 4 })]
    [InlineData("substringof('',name)", new[] { 0, 1, 2, 3, 4, 5 })]
    [InlineData("startswith(name,'')", new[] { 0, 1, 2, 3, 4, 5 })]
    [InlineData("name eq ''", new int[0])]
    [InlineData("name ne ''", new[] { 0, 1, 2, 3, 4, 5 })]
    [InlineData("name lt 'a'", new[] { 3 })]                     // strings compare by code point on both stores
    [InlineData("name gt 'z'", new[] { 0, 1, 2 })]
    [InlineData("name ge 'ärger'", new[] { 1, 2 })]
    [InlineData("not (name eq 'plain') and name lt 'f'", new[] { 3, 4 })]
    public async Task TextLiterals(string filter, int[] expected) => Assert.Equal(Of(expected), await NamesAsync(filter));

    /// <summary>
    /// PostgreSQL orders text as the column's collation says, and a linguistic one puts 'a' before 'B': with the names'
    /// collation made en-US, the comparisons still go by code point, as on SQLite (which has no other way).
    /// </summary>
    [Fact]
    public async Task OnPostgresTextComparesByCodePointWhateverTheCollation()
    {
        if (_app.Postgres is null) return;
        await _app.ScalarAsync<int>("ALTER TABLE webhooks ALTER COLUMN name TYPE text COLLATE \"en-US-x-icu\"; SELECT 1");
        Assert.Equal(Of(3), await NamesAsync("name lt 'a'"));
        Assert.Equal(Of(0, 1, 2), await NamesAsync("name gt 'z'"));
        Assert.Equal(Of(0, 1, 2, 3, 4, 5), await NamesAsync("substringof('',name)"));
    }

    [Theory]
    [InlineData("createdOn eq datetime'2026-01-10T09:00:00.0005Z'", new int[0])]         // between two stored milliseconds
    [InlineData("createdOn ne datetime'2026-01-10T09:00:00.0005Z'", new[] { 0, 1, 2, 3, 4, 5 })]
    [InlineData("createdOn ge datetime'2026-01-10T09:00:00.0005Z'", new[] { 1, 2, 3, 4, 5 })]
    [InlineData("createdOn gt datetime'2026-01-10T09:00:00.0005Z'", new[] { 1, 2, 3, 4, 5 })]
    [InlineData("createdOn lt datetime'2026-01-10T09:00:00.0015Z'", new[] { 0, 1 })]
    [InlineData("createdOn le datetime'2026-01-10T09:00:00.0015Z'", new[] { 0, 1 })]
    [InlineData("createdOn le datetime'2026-01-10T09:00:00.001Z'", new[] { 0, 1 })]
    [InlineData("createdOn eq datetime'2026-01-10T10:00:00.002+01:00'", new[] { 2 })]     // an offset, the same instant
    [InlineData("createdOn eq '2026-01-10T09:00:00.0029999Z'", new int[0])]
    [InlineData("createdOn gt datetime'0001-01-01T00:00:00Z'", new[] { 0, 1, 2, 3, 4, 5 })]  // the first instant there is
    [InlineData("createdOn le datetime'0001-01-01T00:00:00Z'", new int[0])]
    [InlineData("createdOn ne datetime'0001-01-01T00:00:00Z'", new[] { 0, 1, 2, 3, 4, 5 })]
    [InlineData("createdOn lt datetime'9999-12-31T23:59:59.9999999Z'", new[] { 0, 1, 2, 3, 4, 5 })] // the last
    [InlineData("createdOn ge datetime'9999-12-31T23:59:59.9999999Z'", new int[0])]
    [InlineData("createdOn gt datetime'9999-12-31T23:59:59.999Z'", new int[0])]
    [InlineData("createdOn lt datetime'1969-12-31T23:59:59.9995Z'", new int[0])]           // before 1970, between milliseconds
    [InlineData("createdOn gt datetime'1969-12-31T23:59:59.9995Z'", new[] { 0, 1, 2, 3, 4, 5 })]
    public async Task TimeLiterals(string filter, int[] expected) => Assert.Equal(Of(expected), await NamesAsync(filter));

    [Theory]
    [InlineData("responseCode gt 200.5", new[] { 201, 404, 500 })]
    [InlineData("responseCode ge 200.5", new[] { 201, 404, 500 })]
    [InlineData("responseCode lt 404.5", new[] { 200, 201, 404 })]
    [InlineData("responseCode eq 200.5", new int[0])]
    [InlineData("responseCode ne 200.5", new[] { 200, 201, 404, 500 })]
    [InlineData("not (responseCode eq 200.5)", new[] { 200, 201, 404, 500 })]
    [InlineData("responseCode eq 200.0000000000000000000000001", new int[0])]            // what a double would round to 200
    [InlineData("responseCode le 200.0000000000000000000000001", new[] { 200 })]
    [InlineData("responseCode ge 200.9999999999999999999999999", new[] { 201, 404, 500 })]
    [InlineData("responseCode lt 200.9999999999999999999999999", new[] { 200 })]
    [InlineData("responseCode eq 404.000", new[] { 404 })]
    [InlineData("responseCode eq -0", new int[0])]
    [InlineData("responseCode gt -0.5", new[] { 200, 201, 404, 500 })]
    [InlineData("responseCode lt 79228162514264337593543950335", new[] { 200, 201, 404, 500 })]  // the largest literal there is
    [InlineData("responseCode ge 79228162514264337593543950335", new int[0])]
    [InlineData("responseCode gt -79228162514264337593543950335", new[] { 200, 201, 404, 500 })]
    [InlineData("responseCode le 9223372036854775808", new[] { 200, 201, 404, 500 })]      // one past a 64-bit integer
    [InlineData("responseCode eq 9223372036854775807", new int[0])]
    [InlineData("responseCode lt 2e2", new int[0])]
    [InlineData("attempt eq 1.0 and durationMs ge 0", new[] { 200, 201, 404, 500 })]
    public async Task NumberLiterals(string filter, int[] expected)
    {
        var logs = await _client.ListAsync<WebhookLog>($"/api/v1/webhooks/{_logged}/logs?orderby=responseCode&filterby={Uri.EscapeDataString(filter)}");
        Assert.Equal(expected, logs.Select(l => l.ResponseCode));
    }
}
