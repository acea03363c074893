using Dapper;
using Hookline.Auth;
using Hookline.Storage;
using Hookline.Storage.Postgres;
using Hookline.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Hookline.Tests.Auth;

/// <summary>
/// The counter of several nodes on the test PostgreSQL (from ./test.sh): nodes are counters over one database, synced by
/// hand on a fake clock, so each test sets exactly what every node has read.
/// </summary>
public sealed class SharedRateLimitCounterTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, 100, TimeSpan.Zero));
    private readonly PostgresTestDatabase _database = new();
    private readonly PostgresDb _db;
    private readonly CapturedLogs _logs = new();
    private readonly Guid _workspace = Guid.NewGuid();

    public SharedRateLimitCounterTests() => _db = Db(_database.ConnectionString);

    public async Task InitializeAsync() => await new PostgresDatabase(_db, _time).MigrateAsync();

    public Task DisposeAsync()
    {
        _db.Dispose();
        _database.Dispose();
        return Task.CompletedTask;
    }

    private static PostgresDb Db(string connectionString) =>
        new(Options.Create(new DatabaseOptions { Provider = DatabaseOptions.Postgres, ConnectionString = connectionString }));

    private sealed record Node(WorkspaceRateLimiter Limiter, SharedRateLimitCounter Counter);

    private Node NewNode(int perSecond, IRateWindowStore? store = null, TimeProvider? time = null)
    {
        time ??= _time;
        var logger = LoggerFactory.Create(b => b.AddProvider(_logs)).CreateLogger<SharedRateLimitCounter>();
        var counter = new SharedRateLimitCounter(store ?? new PostgresRateWindowStore(_db), time, logger);
        var options = new FixedOptions(new RateLimitOptions { PerSecond = perSecond, PerMinute = 1000 });
        return new(new WorkspaceRateLimiter(options, counter, time), counter);
    }

    private Task<WorkspaceRateLimiter.Decision> RequestAsync(Node node) => node.Limiter.AcquireAsync(_workspace, CancellationToken.None);

    private async Task<int> StoredAsync(RateWindowKind kind)
    {
        await using var c = await _db.OpenAsync();
        return await c.ExecuteScalarAsync<int>("SELECT COALESCE(SUM(count), 0)::int FROM rate_windows WHERE workspace_id = @_workspace AND kind = @k;",
            new { _workspace, k = (short)kind });
    }

    [Fact]
    public async Task A_single_node_is_exact_whenever_it_syncs()
    {
        var node = NewNode(perSecond: 10);
        for (var i = 0; i < 25; i++)
        {
            var d = await RequestAsync(node);
            Assert.Equal(i < 10, d.Allowed);
            Assert.Equal(Math.Max(0, 9 - i), d.SecondRemaining);
            Assert.Equal(999 - i, d.MinuteRemaining);
            if (i % 3 == 2) await node.Counter.SyncAsync(CancellationToken.None);
        }
        _time.Advance(TimeSpan.FromSeconds(1));
        var next = await RequestAsync(node);
        Assert.True(next.Allowed);
        Assert.Equal((9, 1000 - 26), (next.SecondRemaining, next.MinuteRemaining)); // refused requests counted, as Kong counts them
    }

    [Fact]
    public async Task Two_nodes_admit_at_most_what_the_other_counted_since_their_last_read_over_the_limit_then_agree()
    {
        var (a, b) = (NewNode(perSecond: 20), NewNode(perSecond: 20));
        for (var i = 0; i < 15; i++) Assert.True((await RequestAsync(a)).Allowed);
        // b has read nothing of a's 15: it admits 15 of its own, 10 over the limit of 20, which is at most those 15.
        for (var i = 0; i < 15; i++) Assert.True((await RequestAsync(b)).Allowed);

        await a.Counter.SyncAsync(CancellationToken.None);
        await b.Counter.SyncAsync(CancellationToken.None);
        await a.Counter.SyncAsync(CancellationToken.None);
        var (onA, onB) = (await RequestAsync(a), await RequestAsync(b));
        Assert.False(onA.Allowed);
        Assert.False(onB.Allowed);
        Assert.Equal((0, 1000 - 31), (onA.SecondRemaining, onA.MinuteRemaining)); // 30 counted by both, and this one
        Assert.Equal((0, 1000 - 31), (onB.SecondRemaining, onB.MinuteRemaining)); // b has not read a's 31st yet

        await a.Counter.SyncAsync(CancellationToken.None);
        await b.Counter.SyncAsync(CancellationToken.None);
        Assert.Equal(32, await StoredAsync(RateWindowKind.Second));
        await a.Counter.SyncAsync(CancellationToken.None);
        Assert.Equal(1000 - 33, (await RequestAsync(a)).MinuteRemaining); // a has read b's 32nd
    }

    [Fact]
    public async Task A_node_reads_the_next_second_of_a_workspace_it_serves_before_its_first_request_there()
    {
        var (a, b) = (NewNode(perSecond: 5), NewNode(perSecond: 5));
        await RequestAsync(a);
        await RequestAsync(b);
        _time.Advance(TimeSpan.FromSeconds(1));
        for (var i = 0; i < 5; i++) Assert.True((await RequestAsync(a)).Allowed);
        await a.Counter.SyncAsync(CancellationToken.None);
        await b.Counter.SyncAsync(CancellationToken.None); // b had no request in this second, yet reads it
        var first = await RequestAsync(b);
        Assert.False(first.Allowed);
        Assert.Equal(1000 - 8, first.MinuteRemaining);
    }

    /// <summary>
    /// Three nodes, requests and syncs in a random order within one second: every decision is exactly "this node's own count
    /// plus what the others had reported when it last read", so what is admitted never passes the limit by more than what the
    /// others counted that the admitting node had not read, and never falls short of the limit.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Any_order_of_requests_and_syncs_admits_the_limit_plus_at_most_what_the_admitting_node_had_not_read(int seed)
    {
        const int limit = 40;
        var random = new Random(seed);
        var nodes = Enumerable.Range(0, 3).Select(_ => NewNode(limit)).ToArray();
        var counted = new int[3];     // requests each node counted
        var reported = new int[3];    // what each had reported at its last sync
        var seen = new int[3, 3];     // seen[i, j]: what i read of j's requests at its last sync
        var (admitted, requests) = (0, 0);
        for (var step = 0; step < 400; step++)
        {
            var i = random.Next(3);
            if (random.Next(5) == 0)
            {
                await nodes[i].Counter.SyncAsync(CancellationToken.None);
                reported[i] = counted[i];
                if (counted[i] > 0) for (var j = 0; j < 3; j++) seen[i, j] = reported[j]; // a node reads only workspaces it serves
                continue;
            }
            var decision = await RequestAsync(nodes[i]);
            (requests, counted[i]) = (requests + 1, counted[i] + 1);
            var view = counted[i] + Enumerable.Range(0, 3).Where(j => j != i).Sum(j => seen[i, j]);
            Assert.Equal(view <= limit, decision.Allowed);
            Assert.Equal(Math.Max(0, limit - view), decision.SecondRemaining);
            if (!decision.Allowed) continue;
            admitted++;
            var unread = Enumerable.Range(0, 3).Where(j => j != i).Sum(j => counted[j] - seen[i, j]);
            Assert.True(admitted <= limit + unread, $"step {step}: {admitted} admitted, {unread} unread by node {i}");
        }
        Assert.True(admitted >= Math.Min(limit, requests), $"{admitted} admitted of {requests}");
        foreach (var node in nodes) await node.Counter.SyncAsync(CancellationToken.None);
        Assert.Equal(requests, await StoredAsync(RateWindowKind.Second)); // every request reached the database, refused ones too
    }

    [Fact]
    public async Task Requests_make_no_database_round_trip_of_their_own_and_the_sync_stops_with_the_host()
    {
        var store = new CountingStore(new PostgresRateWindowStore(_db));
        var node = NewNode(perSecond: 1_000_000, store, TimeProvider.System);
        using var sync = new RateWindowSync(node.Counter, TimeProvider.System);
        await sync.StartAsync(CancellationToken.None);
        for (var i = 0; i < 200; i++) Assert.True((await RequestAsync(node)).Allowed);

        var deadline = DateTime.UtcNow.AddSeconds(10); // the background sync reports them: a bounded poll
        while (await StoredAsync(RateWindowKind.Minute) < 200 && DateTime.UtcNow < deadline) await Task.Delay(20);
        var calls = store.Calls;
        await sync.StopAsync(CancellationToken.None);

        Assert.Equal(200, await StoredAsync(RateWindowKind.Minute));
        Assert.InRange(calls, 1, 20); // one every 100 ms: a handful, where the old counter made 200
        Assert.True(sync.ExecuteTask!.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task While_the_database_is_down_it_counts_alone_warns_once_without_secrets_and_reports_later()
    {
        const string password = "hunter2-not-for-logs";
        using var dead = Db($"Host=127.0.0.1;Port=1;Username=hookline;Password={password};Database=hookline;Timeout=5");
        var store = new SwitchableStore(new PostgresRateWindowStore(_db), new PostgresRateWindowStore(dead)) { Down = true };
        var node = NewNode(perSecond: 5, store);
        for (var i = 0; i < 7; i++)
        {
            Assert.Equal(i < 5, (await RequestAsync(node)).Allowed);
            await node.Counter.SyncAsync(CancellationToken.None);
        }
        var warnings = _logs.Lines.Where(l => l.StartsWith("Warning", StringComparison.Ordinal)).ToList();
        Assert.Single(warnings);
        Assert.Contains("cannot be reached", warnings[0]);
        Assert.DoesNotContain(_logs.Lines, l => l.Contains(password, StringComparison.Ordinal));
        Assert.Equal(0, await StoredAsync(RateWindowKind.Second));

        store.Down = false;
        await node.Counter.SyncAsync(CancellationToken.None);
        Assert.Equal(7, await StoredAsync(RateWindowKind.Second));
        Assert.Equal(7, await StoredAsync(RateWindowKind.Minute));
        Assert.Contains(_logs.Lines, l => l.StartsWith("Information", StringComparison.Ordinal) && l.Contains("reachable again"));
        Assert.Equal(1000 - 8, (await RequestAsync(node)).MinuteRemaining);
    }

    [Fact]
    public async Task Past_windows_are_dropped_even_while_the_database_is_down()
    {
        using var dead = Db("Host=127.0.0.1;Port=1;Username=hookline;Database=hookline;Timeout=5");
        var node = NewNode(perSecond: 5, new PostgresRateWindowStore(dead));
        var workspaces = Enumerable.Range(0, 50).Select(_ => Guid.NewGuid()).ToList();
        for (var second = 0; second < 30; second++)
        {
            foreach (var w in workspaces) await node.Limiter.AcquireAsync(w, CancellationToken.None);
            await node.Counter.SyncAsync(CancellationToken.None);
            Assert.InRange(node.Counter.WindowsHeld, 1, 4 * workspaces.Count); // this and the last second and minute of each
            _time.Advance(TimeSpan.FromSeconds(1));
        }
        _time.Advance(TimeSpan.FromMinutes(2));
        await node.Counter.SyncAsync(CancellationToken.None);
        Assert.Equal(0, node.Counter.WindowsHeld);
    }

    private sealed class FixedOptions(RateLimitOptions value) : IOptionsMonitor<RateLimitOptions>
    {
        public RateLimitOptions CurrentValue => value;
        public RateLimitOptions Get(string? name) => value;
        public IDisposable? OnChange(Action<RateLimitOptions, string?> listener) => null;
    }

    private sealed class CountingStore(IRateWindowStore inner) : IRateWindowStore
    {
        private int _calls;
        public int Calls => Volatile.Read(ref _calls);

        public Task<IReadOnlyList<WindowTotal>> AddAsync(IReadOnlyList<WindowDelta> deltas, CancellationToken ct = default)
        {
            Interlocked.Increment(ref _calls);
            return inner.AddAsync(deltas, ct);
        }
    }

    /// <summary>The real store, or one whose server does not answer (a closed port on loopback).</summary>
    private sealed class SwitchableStore(IRateWindowStore up, IRateWindowStore down) : IRateWindowStore
    {
        public bool Down { get; set; }

        public Task<IReadOnlyList<WindowTotal>> AddAsync(IReadOnlyList<WindowDelta> deltas, CancellationToken ct = default) =>
            (Down ? down : up).AddAsync(deltas, ct);
    }
}
