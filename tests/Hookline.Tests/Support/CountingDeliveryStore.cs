using Hookline.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Hookline.Tests.Support;

/// <summary>
/// Hookline's own delivery store, whichever it is, with a count of the claim queries and of the looks for the next due delivery
/// made through it; those looks can be made to fail as a store that cannot be reached fails.
/// </summary>
public sealed class CountingDeliveryStore(IDeliveryStore inner) : IDeliveryStore
{
    private int _claims, _looks, _nextDueFailures, _nextDueFailed;

    public int Claims => Volatile.Read(ref _claims);

    private readonly System.Collections.Concurrent.ConcurrentQueue<(int Asked, int Took)> _sizes = new();

    /// <summary>Each claim's size, in order: how many deliveries it asked for, and how many it brought back.</summary>
    public IReadOnlyList<(int Asked, int Took)> Sizes => [.. _sizes];

    /// <summary>Looks for the next due delivery made apart from a claim (<see cref="NextDueAsync"/>).</summary>
    public int Looks => Volatile.Read(ref _looks);

    /// <summary>How many looks for the next due delivery failed as asked (<see cref="FailNextDue"/>).</summary>
    public int NextDueFailed => Volatile.Read(ref _nextDueFailed);

    /// <summary>The next <paramref name="times"/> looks for the next due delivery throw, as a read-only disk's do.</summary>
    public void FailNextDue(int times) => Volatile.Write(ref _nextDueFailures, times);

    /// <summary>Wraps the registered <see cref="IDeliveryStore"/>; the node and the test then share this one instance.</summary>
    public static void Register(IServiceCollection services)
    {
        var registered = services.Last(d => d.ServiceType == typeof(IDeliveryStore));
        services.Remove(registered);
        services.AddSingleton(sp => new CountingDeliveryStore((IDeliveryStore)(registered.ImplementationInstance
            ?? registered.ImplementationFactory?.Invoke(sp)
            ?? ActivatorUtilities.CreateInstance(sp, registered.ImplementationType!))));
        services.AddSingleton<IDeliveryStore>(sp => sp.GetRequiredService<CountingDeliveryStore>());
    }

    /// <remarks>
    /// While looks are to fail, a claim does not pass on the next due time it read: the worker then looks on its own, as it
    /// does after a claim whose limits gave deliveries back.
    /// </remarks>
    public async Task<DeliveryClaim> ClaimAsync(int max, DateTimeOffset now, TimeSpan lease, TimeSpan slackPacing, string node,
        IReadOnlyDictionary<Guid, int>? rooms = null, CancellationToken ct = default)
    {
        Interlocked.Increment(ref _claims);
        var claim = await inner.ClaimAsync(max, now, lease, slackPacing, node, rooms, ct);
        _sizes.Enqueue((max, claim.Deliveries.Count));
        return Volatile.Read(ref _nextDueFailures) > 0 ? claim with { NextDueKnown = false, NextDue = null } : claim;
    }

    public Task<int> ParkAsync(Guid webhookId, DateTimeOffset now, CancellationToken ct = default) => inner.ParkAsync(webhookId, now, ct);

    public Task ParkClaimedAsync(IReadOnlyList<long> deliveryIds, DateTimeOffset now, CancellationToken ct = default) =>
        inner.ParkClaimedAsync(deliveryIds, now, ct);

    public Task<int[]> LetGoAsync(IReadOnlyList<(Guid WebhookId, int Count)> parked, DateTimeOffset now, CancellationToken ct = default) =>
        inner.LetGoAsync(parked, now, ct);

    public Task<DateTimeOffset?> NextDueAsync(CancellationToken ct = default)
    {
        Interlocked.Increment(ref _looks);
        var left = Volatile.Read(ref _nextDueFailures);
        if (left <= 0 || Interlocked.CompareExchange(ref _nextDueFailures, left - 1, left) != left) return inner.NextDueAsync(ct);
        Interlocked.Increment(ref _nextDueFailed);
        return Task.FromException<DateTimeOffset?>(new InvalidOperationException("the store cannot be reached (injected by the test)"));
    }

    public Task<int> CompleteAsync(IReadOnlyList<AttemptResult> results, int pauseAfter, string node, IAnnouncer? announcer = null,
        CancellationToken ct = default) =>
        inner.CompleteAsync(results, pauseAfter, node, announcer, ct);

    public Task<bool> RedeliverAsync(Guid workspaceId, Guid webhookId, long deliveryId, int extraAttempts, DateTimeOffset now,
        CancellationToken ct = default) => inner.RedeliverAsync(workspaceId, webhookId, deliveryId, extraAttempts, now, ct);

    public Task<int> RecoverAsync(Guid workspaceId, Guid webhookId, DateTimeOffset since, int extraAttempts, DateTimeOffset now,
        CancellationToken ct = default) => inner.RecoverAsync(workspaceId, webhookId, since, extraAttempts, now, ct);

    public Task<(bool Found, long? DeliveryId)> FindDeliveryOfLogAsync(Guid workspaceId, Guid webhookId, Guid logId,
        CancellationToken ct = default) => inner.FindDeliveryOfLogAsync(workspaceId, webhookId, logId, ct);

    public Task<WebhookTarget?> GetTargetAsync(Guid workspaceId, Guid webhookId, DateTimeOffset now, CancellationToken ct = default) =>
        inner.GetTargetAsync(workspaceId, webhookId, now, ct);

    public Task<DeliveryState?> GetAsync(long id, CancellationToken ct = default) => inner.GetAsync(id, ct);

    public Task<PruneResult> PruneAsync(DateTimeOffset logsBefore, DateTimeOffset keysBefore, CancellationToken ct = default) =>
        inner.PruneAsync(logsBefore, keysBefore, ct);
}
