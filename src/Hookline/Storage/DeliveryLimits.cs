using System.Data.Common;
using Dapper;

namespace Hookline.Storage;

/// <summary>
/// A webhook's limits, applied to what a claim leased: its rate (Slack's pace, a policy's maxPerSecond) and its deliveries in
/// flight (maxConcurrency; fifo sends one at a time, in delivery order, and a delivery keeps its place through its retries).
/// It runs with the webhooks' rows locked (PostgreSQL; SQLite has one writer), so nodes claiming for one webhook at once take
/// turns and each sees what the other kept. What may not go now goes back to the queue: due at its slot of the rate (already
/// counted), or parked until a delivery in flight finishes (<see cref="ResultSteps"/> then lets the next one go).
/// Webhooks without limits cost nothing here.
/// </summary>
public sealed class DeliveryLimits(SqlDialect d)
{
    /// <summary>delivery_queue.hold: given a slot of the rate, or parked behind the deliveries in flight.</summary>
    public const int Slotted = 1, Parked = 2;

    /// <summary>How long a parked delivery waits at most: should a result never come (a node died), it is tried again then.</summary>
    public static readonly TimeSpan ParkedFallback = TimeSpan.FromMinutes(1);

    /// <summary>The time between two deliveries of the webhook, when it has a rate: a chat service's pace or its policy's, the slower.</summary>
    public static TimeSpan? Interval(WebhookTarget t, TimeSpan slackPacing)
    {
        TimeSpan? policy = t.Policy.MaxPerSecond is { } n ? TimeSpan.FromTicks(TimeSpan.TicksPerSecond / n) : null;
        TimeSpan? slack = DeliveryStore.IsPaced(t.ReceiverType) && slackPacing > TimeSpan.Zero ? slackPacing : null;
        return policy is null ? slack : slack is null || policy > slack ? policy : slack;
    }

    /// <summary>
    /// How long a delivery parked for a troubled webhook (its node's fair share, not a policy) waits at most: should the node
    /// that parked it stop, others send it then.
    /// </summary>
    public static readonly TimeSpan CongestedFallback = TimeSpan.FromMinutes(5);

    /// <summary>The ids of the webhook's first <paramref name="count"/> parked deliveries (a number or a parameter), oldest first.</summary>
    public static string FirstParked(string count) =>
        $"SELECT delivery_id FROM delivery_queue WHERE webhook_id = @WebhookId AND hold = {Parked} ORDER BY delivery_id LIMIT {count}";

    /// <summary>Makes up to @Count parked deliveries of a webhook due at @Now, the oldest first.</summary>
    public readonly string LetGo = $"UPDATE delivery_queue SET hold = 0, due_at = @Now WHERE {d.InQuery("delivery_id", FirstParked("@Count"))};";

    /// <summary>
    /// The most deliveries a statement lets go at once: a webhook with a million queued that was troubled for a moment (its
    /// receiver slow while the node was busy) had them all parked and let go again in two transactions, which took the
    /// draining node's memory from 260 to 445 MiB.
    /// </summary>
    public const int AtOnce = 10_000;

    /// <summary>
    /// The most of a troubled webhook's backlog a transaction parks. Parking 10,000 took PostgreSQL 0.8-0.9 s on two busy cores;
    /// in short transactions, apart from the claims (which pass the webhook by meanwhile), nobody waits for it.
    /// </summary>
    public const int ParkAtOnce = 1_000;

    /// <summary>
    /// The first due deliveries of a webhook, not held and not leased, parked together. On PostgreSQL it passes by the rows
    /// another transaction holds, and rereads those leased since it began: the claim beside it, parking what it took beyond
    /// the webhook's room, updated some of the same rows in another order, and each waited for the other until the deadlock
    /// detector stepped in a second later, with the claims of every webhook stopped behind it. The rows are then updated by id
    /// (<see cref="SqlDialect.InQuery"/>): PostgreSQL planned an IN over the subquery as a scan of the whole queue, hashed (33 ms
    /// a pass beside a backlog of 20,000 on two busy cores).
    /// </summary>
    public readonly string ParkBacklog =
        $"""
         UPDATE delivery_queue SET hold = {Parked}, due_at = @Until
         WHERE {d.InQuery("delivery_id", $"""
             SELECT q.delivery_id FROM delivery_queue q
             WHERE q.webhook_id = @WebhookId AND q.hold = 0 AND q.due_at <= @Now AND (q.lease_until IS NULL OR q.lease_until <= @Now)
             ORDER BY q.due_at, q.delivery_id LIMIT {ParkAtOnce} {d.SkipLocked}
             """)};
         """;

    /// <summary>
    /// Parks what a claim leased for a webhook named in <paramref name="rooms"/> beyond its room (a troubled webhook's share on
    /// the claiming node), the newest first. Its backlog is parked apart (<see cref="ParkBacklog"/>), and a webhook without room
    /// is not claimed at all.
    /// </summary>
    public async Task<List<ClaimedDelivery>> ParkAsync(DbConnection c, DbTransaction tx, List<ClaimedDelivery> claimed,
        IReadOnlyDictionary<Guid, int>? rooms, DateTimeOffset now)
    {
        if (rooms is null) return claimed;
        var over = claimed.Where(x => rooms.ContainsKey(x.Target.Id)).GroupBy(x => x.Target.Id)
            .SelectMany(g => g.OrderBy(x => x.Id).Skip(rooms[g.Key])).ToHashSet();
        if (over.Count == 0) return claimed;
        await ParkLeasedAsync(c, tx, over.Select(x => x.Id), now);
        return claimed.Where(x => !over.Contains(x)).ToList();
    }

    /// <summary>Gives leased deliveries back parked for a troubled or not yet proven webhook, until let go or <see cref="CongestedFallback"/>.</summary>
    public Task ParkLeasedAsync(DbConnection c, DbTransaction tx, IEnumerable<long> deliveryIds, DateTimeOffset now) =>
        d.GiveBackAsync(c, tx, deliveryIds.Select(id => (id, now + CongestedFallback, Parked)).ToList());

    /// <summary>How many of the webhook's deliveries may be in flight at once, when limited.</summary>
    public static int? Cap(DeliveryPolicy p) => p.Fifo ? 1 : p.MaxConcurrency;

    /// <summary>
    /// The first pending delivery of a fifo webhook in event order (the time the event came in, then the order of ingest),
    /// wherever it is: in flight, waiting for its retry, parked, or leased by a claim of another node that is still waiting for
    /// the webhook's row. The deliveries' index on the webhook, its state and time finds it at once.
    /// </summary>
    public const string FifoHead = "SELECT id FROM deliveries WHERE webhook_id = @WebhookId AND status = 0 ORDER BY created_on, id LIMIT 1";

    /// <summary>Whether the webhook has limits for <see cref="ApplyAsync"/> to apply.</summary>
    public static bool Applies(WebhookTarget t, TimeSpan slackPacing) => Interval(t, slackPacing) is not null || Cap(t.Policy) is not null;

    /// <summary>
    /// How far ahead of its slot a delivery may go: a policy's rate allows a second's worth at once (its average still holds
    /// over any longer time); Slack's pace none.
    /// </summary>
    private static TimeSpan Burst(WebhookTarget t, TimeSpan interval, TimeSpan slackPacing) =>
        DeliveryStore.IsPaced(t.ReceiverType) && slackPacing > TimeSpan.Zero || interval >= TimeSpan.FromSeconds(1)
            ? TimeSpan.Zero
            : TimeSpan.FromSeconds(1) - interval;

    public async Task<List<ClaimedDelivery>> ApplyAsync(DbConnection c, DbTransaction tx, List<ClaimedDelivery> claimed, DateTimeOffset now,
        TimeSpan lease, TimeSpan slackPacing)
    {
        var limited = claimed.Where(x => Applies(x.Target, slackPacing)).ToList();
        if (limited.Count == 0) return claimed;
        var webhooks = limited.Select(x => x.Target.Id).Distinct().Order().ToList();
        await using var reads = await c.QueryMultipleAsync(
            $"""
             SELECT id, paced_until FROM webhooks WHERE {d.In("id", "@webhooks")} ORDER BY id {d.ForUpdate};
             DELETE FROM webhook_leases WHERE {d.In("webhook_id", "@webhooks")} AND lease_until <= @now;
             SELECT webhook_id, delivery_id FROM webhook_leases WHERE {d.In("webhook_id", "@webhooks")};
             SELECT delivery_id, hold FROM delivery_queue WHERE {d.In("delivery_id", "@candidates")} AND hold <> 0;
             """, new { webhooks = d.Values(webhooks), candidates = d.Values(limited.Select(x => x.Id)), now }, tx);
        var paced = (await reads.ReadAsync<PaceRow>()).ToDictionary(r => r.Id, r => r.PacedUntil);
        var inFlight = (await reads.ReadAsync<LeaseRow>()).ToList();
        var held = (await reads.ReadAsync<HoldRow>()).ToDictionary(r => r.DeliveryId, r => r.Hold);

        // A fifo webhook's head: its first pending delivery in event order, the only one that may go.
        var heads = new Dictionary<Guid, long>();
        foreach (var fifo in limited.Where(x => x.Target.Policy.Fifo).Select(x => x.Target.Id).Distinct())
            heads[fifo] = await c.ExecuteScalarAsync<long>(FifoHead, new { WebhookId = fifo }, tx);

        var keep = claimed.Except(limited).ToList();
        var back = new List<(long Id, DateTimeOffset DueAt, int Hold)>();
        var leases = new List<LeaseRow>();
        var pace = new List<PaceRow>();
        foreach (var group in limited.GroupBy(x => x.Target.Id))
        {
            var target = group.First().Target;
            var (interval, cap) = (Interval(target, slackPacing), Cap(target.Policy));
            var own = group.Select(x => x.Id).ToHashSet();
            var busy = inFlight.Count(l => l.WebhookId == target.Id && !own.Contains(l.DeliveryId));
            var slot = paced.GetValueOrDefault(target.Id) is { } p && p > now ? p : now;
            var burst = interval is { } i ? Burst(target, i, slackPacing) : TimeSpan.Zero;
            foreach (var x in group.OrderBy(x => x.Id))
            {
                // Over the cap, or behind the head of a fifo webhook: parked until a delivery in flight is done.
                if (cap is { } n && (busy >= n || (target.Policy.Fifo && heads[target.Id] != x.Id)))
                {
                    back.Add((x.Id, now + ParkedFallback, Parked));
                    continue;
                }
                if (interval is { } step && held.GetValueOrDefault(x.Id) != Slotted)
                {
                    var mine = slot;
                    slot += step;
                    if (mine - burst > now)
                    {
                        back.Add((x.Id, mine - burst, Slotted));
                        // Keeping its place in a fifo webhook: nothing behind it goes first.
                        if (target.Policy.Fifo) { leases.Add(new(target.Id, x.Id, mine + lease)); busy++; }
                        continue;
                    }
                }
                keep.Add(x);
                busy++;
                if (cap is not null) leases.Add(new(target.Id, x.Id, now + lease));
            }
            if (interval is not null) pace.Add(new(target.Id, slot));
        }

        if (pace.Count > 0)
            await c.ExecuteAsync("UPDATE webhooks SET paced_until = @PacedUntil WHERE id = @Id;", pace, tx);
        if (leases.Count > 0)
            await c.ExecuteAsync(
                """
                INSERT INTO webhook_leases (webhook_id, delivery_id, lease_until) VALUES (@WebhookId, @DeliveryId, @LeaseUntil)
                ON CONFLICT (webhook_id, delivery_id) DO UPDATE SET lease_until = excluded.lease_until;
                """, leases, tx);
        if (back.Count > 0) await d.GiveBackAsync(c, tx, back);
        // A delivery that was held back and now goes is held no more (a retry then needs a new slot).
        var released = keep.Where(x => held.ContainsKey(x.Id)).Select(x => x.Id).ToList();
        if (released.Count > 0)
            await c.ExecuteAsync($"UPDATE delivery_queue SET hold = 0 WHERE {d.In("delivery_id", "@released")};", new { released = d.Values(released) }, tx);
        return keep;
    }

    private sealed class HoldRow
    {
        public long DeliveryId { get; init; }
        public int Hold { get; init; }
    }

    private sealed class PaceRow
    {
        public PaceRow() { }
        public PaceRow(Guid id, DateTimeOffset pacedUntil) => (Id, PacedUntil) = (id, pacedUntil);
        public Guid Id { get; init; }
        public DateTimeOffset? PacedUntil { get; init; }
    }

    private sealed class LeaseRow
    {
        public LeaseRow() { }
        public LeaseRow(Guid webhookId, long deliveryId, DateTimeOffset leaseUntil) => (WebhookId, DeliveryId, LeaseUntil) = (webhookId, deliveryId, leaseUntil);
        public Guid WebhookId { get; init; }
        public long DeliveryId { get; init; }
        public DateTimeOffset LeaseUntil { get; init; }
    }
}
