using System.Diagnostics;

namespace Hookline.Storage;

/// <summary>
/// Upkeep done in short transactions beside the deliveries (parking a troubled webhook's backlog, cancelling a paused one's
/// queue) rests after each as long as it took, so that it never holds more than half of a core and of the database. Back to
/// back, the 20 parks of a backlog of 20,000 took a quarter of a second of PostgreSQL's CPU on two cores, and the cancels of
/// a paused one half a second, while every other webhook's deliveries waited behind them.
/// </summary>
public static class Upkeep
{
    /// <summary>Waits as long as has passed since <paramref name="started"/> (a <see cref="Stopwatch.GetTimestamp"/>).</summary>
    public static Task RestAsync(long started, CancellationToken ct) => Task.Delay(Stopwatch.GetElapsedTime(started), ct);
}
