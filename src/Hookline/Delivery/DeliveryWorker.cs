using System.Diagnostics;
using System.Threading.Channels;
using Hookline.Api;
using Hookline.Storage;
using Microsoft.Extensions.Options;

namespace Hookline.Delivery;

/// <summary>
/// Claims due deliveries as leases, sends them (up to <see cref="DeliveryOptions.Concurrency"/> at once, no transaction
/// open meanwhile), and hands results to one writer that records them in batches, with the operational events they make due
/// (<see cref="OperationalEvents"/>). Woken by <see cref="DeliverySignal"/>. A troubled receiver (slow or failing) gets no
/// more than its share of the slots, and its backlog waits aside (<see cref="FairShare"/>).
/// </summary>
public sealed class DeliveryWorker(
    IDeliveryStore store, WebhookSender sender, DeliverySignal signal, OperationalEvents announcer, IOptionsMonitor<DeliveryOptions> options,
    IOptionsMonitor<Webhooks.SlackOptions> slack, IOptions<Api.NodeOptions> node, Api.HooklineMetrics metrics, TimeProvider time,
    ILogger<DeliveryWorker> logger) : BackgroundService
{
    private const int MaxResultBatch = 256;

    /// <summary>
    /// The most a claim asks for after one that took little: twice what the last took, at least this many, at most the free
    /// slots. A backlog queued at once for a webhook nothing is known of yet was claimed 248 rows at a time beside a healthy
    /// webhook taking one or two (each such claim 30-65 ms on PostgreSQL, nearly all of it parked again beyond the webhook's
    /// first share), and the worker claimed nothing else meanwhile. A backlog of healthy deliveries takes 16, 32, 64, 128,
    /// then every free slot.
    /// </summary>
    private const int FirstClaim = 16;
    private static readonly TimeSpan ResultGathering = TimeSpan.FromMilliseconds(2);
    private readonly Channel<AttemptResult> _results = Channel.CreateUnbounded<AttemptResult>(new() { SingleReader = true });

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        var o = options.CurrentValue;
        var slots = new SemaphoreSlim(o.Concurrency, o.Concurrency);
        var fair = new FairShare(o.Concurrency, o.SlowAfter, o.SlowShare, time);
        var writer = Task.Run(WriteResultsAsync, CancellationToken.None);
        var sweeper = Task.Run(() => SweepAsync(fair, slots, o.SlowAfter, stopping), CancellationToken.None);
        var inFlight = new HashSet<Task>();
        var parking = Task.CompletedTask;
        var took = FirstClaim;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                await slots.WaitAsync(stopping);
                var free = Math.Min(slots.CurrentCount + 1, Math.Max(FirstClaim, 2 * took));
                DeliveryClaim claim;
                IReadOnlyList<ClaimedDelivery> claimed;
                IReadOnlyDictionary<Guid, int>? rooms = null;
                // Passed a webhook by (no room); took a webhook's whole room.
                bool passedBy = false, full = false;
                try
                {
                    if (fair.ToLetGo() is { Count: > 0 } letGo) fair.LetGo(letGo, await store.LetGoAsync(letGo, time.GetUtcNow(), stopping));
                    rooms = fair.Rooms();
                    claim = await store.ClaimAsync(free, time.GetUtcNow(), options.CurrentValue.Lease, slack.CurrentValue.MinInterval,
                        node.Value.Name, rooms, stopping);
                    (claimed, passedBy, took) = (claim.Deliveries, rooms?.Values.Any(r => r <= 0) == true, claim.Deliveries.Count);
                    full = fair.Claimed(rooms, claimed);
                    if (fair.BeyondFirstShare(rooms, claimed) is { } over) claimed = await ParkBeyondFirstShareAsync(claimed, over, stopping);
                    if (parking.IsCompleted && fair.ToPark() is { Count: > 0 } toPark) parking = ParkBacklogsAsync(fair, toPark, stopping);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogError(e, "Claiming deliveries failed; trying again shortly");
                    slots.Release();
                    await Task.Delay(options.CurrentValue.PollInterval, time, stopping);
                    continue;
                }
                if (claimed.Count == 0)
                {
                    slots.Release();
                    await WaitForWorkAsync(passedBy, claim, stopping);
                    continue;
                }
                for (var i = 1; i < claimed.Count; i++) await slots.WaitAsync(stopping); // free by construction: only this loop takes slots
                lock (inFlight) inFlight.RemoveWhere(t => t.IsCompleted);
                foreach (var delivery in claimed)
                {
                    var task = AttemptAsync(delivery, slots, fair);
                    lock (inFlight) inFlight.Add(task);
                }
                // Not a second claim at once after one that found less due than it asked for, which would find nothing (at a few
                // hundred events a second, one for every delivery): the next commit wakes us, or the next due time. Beside a
                // troubled webhook, which every claim passes by, that second claim was 40 % more claims, each walking its backlog
                // until parked. A claim that took all it asked for, or that rooms or limits trimmed, claims again at once.
                if (claim.Drained) await WaitForWorkAsync(passedBy || full, claim, stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested) { }
        finally
        {
            // Graceful stop: attempts in flight finish (each within its timeout) and their results are written.
            Task[] pending;
            lock (inFlight) pending = inFlight.ToArray();
            await Task.WhenAll(pending);
            await parking;
            _results.Writer.Complete();
            await writer;
            await sweeper;
        }
    }

    /// <summary>What is left to send of a claim once what it took beyond first shares is parked; all of it, should parking fail.</summary>
    private async Task<IReadOnlyList<ClaimedDelivery>> ParkBeyondFirstShareAsync(IReadOnlyList<ClaimedDelivery> claimed,
        List<ClaimedDelivery> over, CancellationToken stopping)
    {
        try
        {
            var parked = over.Select(d => d.Id).ToHashSet();
            await store.ParkClaimedAsync([.. parked], time.GetUtcNow(), stopping);
            return [.. claimed.Where(d => !parked.Contains(d.Id))];
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Parking {Count} deliveries beyond their webhooks' first share failed; sending them now", over.Count);
            return claimed;
        }
    }

    /// <param name="claim">The claim that found no more work: when the next delivery is due, if it looked.</param>
    /// <param name="passedBy">The claim passed a webhook by (no room), or took all its room: what is due of it is no work until
    /// its room comes back, with an attempt's end (which wakes the signal) or its next pace window; the next look is that
    /// window's time away (or a sweep's, the longer), not at once again, nor a poll's time away.</param>
    /// <remarks>
    /// A store that cannot answer (a disk turned read-only, a database restarting) means a poll's wait: the claim after it
    /// says whether the store is back. Thrown out of the claim loop, it stopped the worker for good while ingest went on.
    /// </remarks>
    private async Task WaitForWorkAsync(bool passedBy, DeliveryClaim claim, CancellationToken stopping)
    {
        var o = options.CurrentValue;
        var wait = o.PollInterval;
        var next = claim.NextDue;
        try { if (!claim.NextDueKnown) next = await store.NextDueAsync(stopping); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Looking for the next due delivery failed; claiming again after the poll interval");
        }
        if (next is { } due && due - time.GetUtcNow() < wait) wait = due - time.GetUtcNow();
        if (passedBy && wait > FairShare.PaceWindow) wait = FairShare.PaceWindow;
        if (passedBy && wait < o.SlowAfter / 4) wait = o.SlowAfter / 4;
        if (wait > TimeSpan.Zero) await signal.WaitAsync(wait, time, stopping);
    }

    /// <summary>
    /// Parks the due backlogs of troubled webhooks, a short transaction at a time, beside the claims: they pass those webhooks
    /// by meanwhile, and nobody waits for it.
    /// </summary>
    private async Task ParkBacklogsAsync(FairShare fair, IReadOnlyList<Guid> webhooks, CancellationToken stopping)
    {
        foreach (var id in webhooks)
        {
            var parked = 0;
            try
            {
                for (var n = DeliveryLimits.ParkAtOnce; n == DeliveryLimits.ParkAtOnce && !stopping.IsCancellationRequested; parked += n)
                {
                    var started = Stopwatch.GetTimestamp();
                    n = await store.ParkAsync(id, time.GetUtcNow(), stopping);
                    if (n == DeliveryLimits.ParkAtOnce) await Upkeep.RestAsync(started, stopping);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Parking the backlog of troubled webhook {WebhookId} failed; claims pass it by meanwhile", id);
            }
            catch (OperationCanceledException) { }
            fair.BacklogParked(id, parked);
        }
    }

    /// <summary>Four times per <paramref name="slowAfter"/> while attempts are in flight, those that have waited that long give their slots back.</summary>
    private async Task SweepAsync(FairShare fair, SemaphoreSlim slots, TimeSpan slowAfter, CancellationToken stopping)
    {
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                await fair.WhenBusyAsync(stopping);
                await Task.Delay(slowAfter / 4, time, stopping);
                if (fair.Sweep() is > 0 and var freed) slots.Release(freed);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested) { }
    }

    private async Task AttemptAsync(ClaimedDelivery delivery, SemaphoreSlim slots, FairShare fair)
    {
        var attempt = fair.Start(delivery.Target.Id);
        var succeeded = false;
        try
        {
            using var span = Tracing.StartAttempt(delivery);
            var (outcome, message) = await sender.SendAsync(delivery, attempt.Apart, CancellationToken.None);
            succeeded = outcome.Success;
            metrics.Attempted(delivery.Target.ReceiverType, outcome.Success, outcome.DurationMs);
            var o = options.CurrentValue;
            var now = time.GetUtcNow();
            var retryAt = RetryPolicy.Next(delivery.Attempt, delivery.MaxAttempts, outcome, now, o.RetryScheduleFor(delivery.Target.Policy),
                o.MaxRetryAfter, Random.Shared);
            span?.SetTag("http.response.status_code", outcome.ResponseCode).SetTag("hookline.retry", retryAt is not null)
                .SetStatus(outcome.Success ? ActivityStatusCode.Ok : ActivityStatusCode.Error,
                    outcome.Success ? null : outcome.ResponseCode == 0 ? "no response" : $"HTTP {outcome.ResponseCode}"); // not the reason: it may quote the receiver
            await _results.Writer.WriteAsync(new AttemptResult(delivery, outcome.Success, outcome.ResponseCode, outcome.Reason, message,
                outcome.ResponseBody, outcome.DurationMs, now, retryAt, outcome.PauseReason));
        }
        catch (Exception e)
        {
            // The lease expires and the delivery is tried again: at-least-once, never lost.
            logger.LogError(e, "Delivery {DeliveryId} failed unexpectedly; it will be retried after its lease", delivery.Id);
        }
        finally
        {
            if (fair.Finish(attempt, succeeded, out var wake)) slots.Release();
            if (wake) signal.Notify();
        }
    }

    private async Task WriteResultsAsync()
    {
        var batch = new List<AttemptResult>(MaxResultBatch);
        while (await _results.Reader.WaitToReadAsync())
        {
            while (batch.Count < MaxResultBatch && _results.Reader.TryRead(out var result)) batch.Add(result);
            if (batch.Count < MaxResultBatch)
            {
                // A moment to gather the results of attempts finishing together: one commit (one fsync) for them all, which
                // keeps the disk free for ingest. Nobody waits on it: the slot was freed when the result was handed over.
                await Task.Delay(ResultGathering);
                while (batch.Count < MaxResultBatch && _results.Reader.TryRead(out var more)) batch.Add(more);
            }
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await store.CompleteAsync(batch, options.CurrentValue.PauseAfterConsecutiveFailures, node.Value.Name, announcer);
                    break;
                }
                catch (Exception e) when (attempt < 5)
                {
                    logger.LogWarning(e, "Recording {Count} delivery results failed (try {Attempt}); retrying", batch.Count, attempt);
                    await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt));
                }
                catch (Exception e)
                {
                    logger.LogError(e, "Recording {Count} delivery results failed; their leases will expire and they will be sent again", batch.Count);
                    break;
                }
            }
            batch.Clear();
        }
    }
}
