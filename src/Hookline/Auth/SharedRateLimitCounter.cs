using System.Collections.Concurrent;
using Hookline.Storage;

namespace Hookline.Auth;

/// <summary>
/// Counts in memory and reconciles with the other nodes through the shared <see cref="IRateWindowStore"/> every
/// <see cref="SyncInterval"/>: one round trip per node for all its workspaces, none per request. A request is admitted
/// against the window's total as last read from the store plus what this node counted since.
/// <para>
/// How exact: a node counts its own requests exactly, so a single node is exact and no node alone ever admits more than the
/// limit. What a node misses are the requests the other nodes counted after its last read. A node reads the current windows
/// of every workspace it served in the last minute or two each interval (from when a window begins, not from its first
/// request in it), and every node reports each interval, so what it misses is at most what the others counted in the last two
/// sync intervals plus a round trip. A window across N nodes thus admits at most the limit plus what the other N − 1 nodes
/// counted in that time. The one wider gap: in its first interval with a workspace it had no request for in a minute or more,
/// a node has read none of the others' counts yet, and may admit up to what it receives in that interval on top. Never more
/// than N × the limit, and never fewer than the limit (refusing takes a count over it; the one exception, a sync whose reply is
/// lost after it committed, counts its requests twice). While the store cannot be reached each node counts on its own (at
/// most N × the limit) and reports its counts once it can.
/// </para>
/// </summary>
public sealed class SharedRateLimitCounter(IRateWindowStore store, TimeProvider time, ILogger<SharedRateLimitCounter> logger)
    : IRateLimitCounter
{
    public static readonly TimeSpan SyncInterval = TimeSpan.FromMilliseconds(100);

    private readonly ConcurrentDictionary<WindowKey, Window> _windows = new();
    private bool _unreachable;

    /// <summary>Windows held in memory: at most the current and the previous second and minute of each active workspace.</summary>
    internal int WindowsHeld => _windows.Count;

    public Task<(int Second, int Minute)> IncrementAsync(Guid workspaceId, long second, long minute, CancellationToken ct) =>
        Task.FromResult((Increment(new(workspaceId, RateWindowKind.Second, second)), Increment(new(workspaceId, RateWindowKind.Minute, minute))));

    private int Increment(WindowKey key)
    {
        while (true)
        {
            var w = _windows.GetOrAdd(key, static _ => new Window());
            lock (w)
            {
                if (w.Dropped) continue; // dropped as past between the lookup and the lock: count in a fresh one
                w.Requested = true;
                w.Unreported++;
                return w.Known + w.Reporting + w.Unreported;
            }
        }
    }

    /// <summary>
    /// Reports what this node counted since the last sync and reads back the totals of the current windows, in one round trip;
    /// drops past windows. If the store fails the counts stay here for the next sync. One caller at a time (the sync loop).
    /// </summary>
    public async Task SyncAsync(CancellationToken ct)
    {
        var nowSecond = time.GetUtcNow().ToUnixTimeMilliseconds() / 1000;
        var sent = new List<(Window Window, WindowDelta Delta)>();
        var served = new HashSet<Guid>();
        foreach (var (key, w) in _windows)
        {
            var current = key.Kind == RateWindowKind.Second ? nowSecond : nowSecond / 60;
            lock (w)
            {
                // The previous window stays a while for a request that read the clock just before it turned.
                if (key.Start < current - 1)
                {
                    w.Dropped = true;
                    _windows.TryRemove(key, out _);
                    continue;
                }
                if (w.Requested) served.Add(key.WorkspaceId);
                if (w.Unreported == 0 && key.Start < current) continue; // a past window with nothing to report: nothing to learn
                (w.Reporting, w.Unreported) = (w.Unreported, 0);
                sent.Add((w, new(key.WorkspaceId, key.Kind, key.Start, w.Reporting)));
            }
        }
        // A workspace served lately has its windows read from when they begin, not only from its first request in them here.
        foreach (var workspace in served)
        {
            foreach (var key in (WindowKey[])[new(workspace, RateWindowKind.Second, nowSecond), new(workspace, RateWindowKind.Minute, nowSecond / 60)])
            {
                var w = new Window();
                if (_windows.TryAdd(key, w)) sent.Add((w, new(key.WorkspaceId, key.Kind, key.Start, 0)));
            }
        }
        if (sent.Count == 0) return;

        IReadOnlyList<WindowTotal> totals;
        try
        {
            totals = await store.AddAsync([.. sent.Select(s => s.Delta)], ct);
        }
        catch (Exception e)
        {
            // Counted again next time. Should the failure have come after the commit, those requests count twice: stricter, never looser.
            foreach (var (w, _) in sent) lock (w) (w.Unreported, w.Reporting) = (w.Unreported + w.Reporting, 0);
            if (e is OperationCanceledException && ct.IsCancellationRequested) throw;
            if (!_unreachable)
                logger.LogWarning("The shared rate-limit windows cannot be reached ({Reason}); this node limits on its own counts until they can",
                    e.Message);
            _unreachable = true;
            return;
        }
        if (_unreachable) logger.LogInformation("The shared rate-limit windows are reachable again");
        _unreachable = false;

        var byKey = totals.ToDictionary(t => new WindowKey(t.WorkspaceId, t.Kind, t.Start), t => t.Count);
        foreach (var (w, d) in sent)
        {
            var total = byKey.GetValueOrDefault(new(d.WorkspaceId, d.Kind, d.Start));
            lock (w) (w.Known, w.Reporting) = (Math.Max(w.Known + w.Reporting, total), 0); // a window's count never falls
        }
    }

    private readonly record struct WindowKey(Guid WorkspaceId, RateWindowKind Kind, long Start);

    private sealed class Window
    {
        public int Known;      // the window's total over every node when last read, this node's reported counts included
        public int Reporting;  // sent in the sync under way
        public int Unreported; // counted since
        public bool Requested; // false while only read ahead for a workspace this node serves
        public bool Dropped;
    }
}

/// <summary>Syncs the <see cref="SharedRateLimitCounter"/> every interval while the host runs; idle when counts stay in this process.</summary>
public sealed class RateWindowSync(IRateLimitCounter counter, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        if (counter is not SharedRateLimitCounter shared) return;
        using var timer = new PeriodicTimer(SharedRateLimitCounter.SyncInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping)) await shared.SyncAsync(stopping);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested) { }
    }
}
