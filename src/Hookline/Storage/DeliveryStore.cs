using System.Data.Common;
using Dapper;

namespace Hookline.Storage;

public sealed class DeliveryStore(SqlDb db, ILogger<DeliveryStore>? logger = null) : IDeliveryStore
{
    private readonly DeliveryLimits _limits = new(db.Dialect);

    private const int PruneBatch = 5000;

    /// <summary>The receiver types whose webhooks are paced: chat services (Slack takes about one message a second per webhook).</summary>
    public static bool IsPaced(string receiverType) => receiverType is "slack" or "teams" or "discord";

    private SqlDialect D => db.Dialect;

    public async Task<DeliveryClaim> ClaimAsync(int max, DateTimeOffset now, TimeSpan lease, TimeSpan slackPacing,
        string node, IReadOnlyDictionary<Guid, int>? rooms = null, CancellationToken ct = default)
    {
        var token = Random.Shared.NextInt64(1, long.MaxValue);
        // A troubled webhook without room is passed by: its backlog, until parked, does not stand in front of the others.
        var full = rooms?.Where(r => r.Value <= 0).Select(r => r.Key).ToList();
        object args = full is not { Count: > 0 }
            ? new { Until = now + lease, Token = token, Now = now, Max = max, node }
            : new { Until = now + lease, Token = token, Now = now, Max = max, node, Full = D.Values(full) };
        // The pick is materialised first: inlined into the UPDATE, a planner that thinks the queue empty may rescan it per row
        // and lease more than @Max.
        var picked =
            $"""
             picked AS MATERIALIZED (
               SELECT q.delivery_id FROM delivery_queue q
               WHERE q.due_at <= @Now AND (q.lease_until IS NULL OR q.lease_until <= @Now){(full is not { Count: > 0 } ? "" : $" AND NOT ({D.In("q.webhook_id", "@Full")})")}
               ORDER BY q.due_at, q.delivery_id LIMIT @Max {D.SkipLocked})
             """;
        var leaseThem = $"UPDATE delivery_queue SET lease_until = @Until, lease_token = @Token, leased_by = @node " +
            $"WHERE {D.InQuery("delivery_id", "SELECT delivery_id FROM picked")}";

        if (D.ClaimsInOneStatement)
        {
            // A lease lost in a power cut is claimed again; a lease taken and never read (a crash in between) runs out.
            await using var c = await db.OpenQueueAsync(ct);
            var (taken, gone, nextDue) = await D.ClaimInOneAsync(c, picked, leaseThem, NextDue, args, token);
            var tookAll = taken.Count + gone.Count == max;
            await CancelAsync(c, null, gone, token, now);
            var leased = await CancelInactiveAsync(c, null, taken, token, now);
            if (!leased.Any(d => DeliveryLimits.Applies(d.Target, slackPacing) || rooms?.ContainsKey(d.Target.Id) == true))
                return new(leased, !tookAll, NextDueKnown: true, nextDue);
            await using var limiting = await c.BeginTransactionAsync(ct);
            leased = await _limits.ParkAsync(c, limiting, leased, rooms, now);
            var allowed = await _limits.ApplyAsync(c, limiting, leased, now, lease, slackPacing);
            await limiting.CommitAsync(ct);
            return new(allowed, !tookAll); // what the limits gave back may be due before what the claim saw
        }

        await using var write = await db.BeginWriteAsync(ct, durable: false);
        var (wc, tx) = (write.Connection, write.Transaction);
        var rows = (await wc.QueryAsync<ClaimRow>($"WITH {picked} {leaseThem} RETURNING delivery_id AS id, webhook_id;", args, tx)).AsList();
        var claimed = new List<ClaimedDelivery>();
        if (rows.Count > 0)
        {
            var (targets, details) = await TargetsAsync(wc, tx, rows.Select(d => d.WebhookId).Distinct(), now, rows.Select(d => d.Id));
            await CancelAsync(wc, tx, rows.Where(q => !targets.ContainsKey(q.WebhookId)).Select(q => q.Id).ToList(), token, now);
            claimed = rows.Where(q => targets.ContainsKey(q.WebhookId)).Select(q => details[q.Id].ToClaimed(token, targets[q.WebhookId])).ToList();
            claimed = await CancelInactiveAsync(wc, tx, claimed, token, now);
            claimed = await _limits.ParkAsync(wc, tx, claimed, rooms, now);
            claimed = await _limits.ApplyAsync(wc, tx, claimed, now, lease, slackPacing);
        }
        // Nothing more due now: when the next is, in the same transaction (after what the limits gave back), where a look of its
        // own took a connection and a read of the file's state more.
        var drained = rows.Count < max;
        var next = drained ? await wc.ExecuteScalarAsync<DateTimeOffset?>(NextDue, transaction: tx) : null;
        await write.CommitAsync(ct);
        return new(claimed, drained, NextDueKnown: drained, next);
    }

    /// <summary>
    /// What a claim took of paused or deactivated webhooks is cancelled, not sent: a paused webhook's queue is cancelled a short
    /// transaction at a time after the pause (<see cref="CancelQueueAsync"/>), and a claim may meet what is not yet, or what a
    /// crash left.
    /// </summary>
    private async Task<List<ClaimedDelivery>> CancelInactiveAsync(DbConnection c, DbTransaction? tx, List<ClaimedDelivery> claimed,
        long token, DateTimeOffset now)
    {
        if (claimed.TrueForAll(d => d.Target.IsActive)) return claimed;
        await CancelAsync(c, tx, claimed.Where(d => !d.Target.IsActive).Select(d => d.Id).ToList(), token, now);
        return claimed.FindAll(d => d.Target.IsActive);
    }

    /// <summary>
    /// Cancels deliveries a claim leased and will not send: those of an inactive webhook, and those of a webhook that no
    /// longer exists. On PostgreSQL an ingest that read the webhook before its delete committed queues deliveries the delete's
    /// cancel never saw: churning webhooks beside ingest left 3,403 pending (ContentionTests), which every claim leased again
    /// once their lease ran out, and never sent.
    /// </summary>
    private async Task CancelAsync(DbConnection c, DbTransaction? tx, IReadOnlyList<long> ids, long token, DateTimeOffset now)
    {
        if (ids.Count == 0) return;
        await c.ExecuteAsync(
            $"""
             UPDATE deliveries SET status = 3, completed_on = @Now WHERE status = 0 AND {D.In("id", "@Ids")};
             DELETE FROM delivery_queue WHERE lease_token = @Token AND {D.In("delivery_id", "@Ids")};
             """, new { Ids = D.Values(ids), Token = token, Now = now }, tx);
    }

    public async Task<int> ParkAsync(Guid webhookId, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var write = await db.BeginWriteAsync(ct, durable: false);
        var parked = await write.Connection.ExecuteAsync(_limits.ParkBacklog,
            new { WebhookId = webhookId, Until = now + DeliveryLimits.CongestedFallback, Now = now }, write.Transaction);
        await write.CommitAsync(ct);
        return parked;
    }

    public async Task ParkClaimedAsync(IReadOnlyList<long> deliveryIds, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var write = await db.BeginWriteAsync(ct, durable: false);
        await _limits.ParkLeasedAsync(write.Connection, write.Transaction, deliveryIds, now);
        await write.CommitAsync(ct);
    }

    public async Task<int[]> LetGoAsync(IReadOnlyList<(Guid WebhookId, int Count)> parked, DateTimeOffset now, CancellationToken ct = default)
    {
        var released = new int[parked.Count];
        await using var write = await db.BeginWriteAsync(ct, durable: false);
        for (var i = 0; i < parked.Count; i++)
            released[i] = await write.Connection.ExecuteAsync(_limits.LetGo, new { parked[i].WebhookId, parked[i].Count, Now = now }, write.Transaction);
        await write.CommitAsync(ct);
        if (released.Any(n => n > 0)) db.Wake();
        return released;
    }

    /// <summary>
    /// When the next delivery not in flight is due, read along the due index: the first row in due order that no lease holds.
    /// One in flight is not due before its lease runs out (a minute or more away); a worker polls far more often than that.
    /// (The minimum over every row, leases included, read the whole queue each time: 2.6 ms a call beside a parked backlog of
    /// 20,000 on PostgreSQL, once for every five deliveries.)
    /// </summary>
    public async Task<DateTimeOffset?> NextDueAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<DateTimeOffset?>(NextDue);
    }

    /// <summary>The look of <see cref="NextDueAsync"/>, which a claim that drains the queue also makes in its own round trip.</summary>
    private const string NextDue =
        "SELECT due_at FROM delivery_queue WHERE due_at IS NOT NULL AND (lease_until IS NULL OR lease_until <= due_at) ORDER BY due_at LIMIT 1;";

    public async Task<int> CompleteAsync(IReadOnlyList<AttemptResult> results, int pauseAfter, string node, IAnnouncer? announcer = null,
        CancellationToken ct = default)
    {
        // Not waiting for the disk: results lost in a power cut only mean those deliveries are sent again (the log rows, the
        // delivery states and the operational events they made due go together). Ingest, which must not lose an accepted event,
        // still waits for its flush.
        Recorded recorded;
        int queued;
        await using (var write = await db.BeginWriteAsync(ct, durable: false))
        {
            recorded = await D.RecordResultsAsync(write, results, pauseAfter, node, ct);
            queued = await AnnounceAsync(write, recorded, pauseAfter, announcer);
            await write.CommitAsync(ct);
        }
        db.Recorded(recorded.Applied);
        if (queued > 0)
        {
            db.Wake();
            announcer!.Queued(queued);
        }
        // After the wake: the webhook_paused event just queued need not wait for its webhook's queue to be cancelled.
        foreach (var paused in recorded.Alerts.Where(a => a.Due.HasFlag(WebhookAlerts.Paused)).Select(a => a.Webhook.Id))
            await CancelQueueAsync(paused, results.Where(r => r.Delivery.Target.Id == paused).Max(r => r.At), ct);
        return recorded.Applied;
    }

    /// <summary>
    /// Cancels the queue of a webhook that a batch of results paused, <see cref="ResultSteps.CancelAtOnce"/> deliveries a
    /// transaction: in the results' own, a backlog of 19,000 held SQLite's one writer for a tenth of a second while other
    /// webhooks' deliveries waited. It stops should the webhook be resumed meanwhile. A failure here (the results are recorded)
    /// is logged and leaves the rest to the claims and to a resume, which cancel what they meet of it.
    /// </summary>
    private async Task CancelQueueAsync(Guid webhookId, DateTimeOffset at, CancellationToken ct)
    {
        try
        {
            for (long after = 0; ;)
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                List<long> ids;
                await using (var write = await db.BeginWriteAsync(ct, durable: false))
                {
                    var (c, tx) = (write.Connection, write.Transaction);
                    ids = (await c.QueryAsync<long>(ResultSteps.QueuedOfInactive, new { WebhookId = webhookId, After = after }, tx)).AsList();
                    if (ids.Count > 0) await c.ExecuteAsync(ResultSteps.CancelSome(D), new { WebhookId = webhookId, Ids = D.Values(ids), At = at }, tx);
                    await write.CommitAsync(ct);
                }
                if (ids.Count < ResultSteps.CancelAtOnce) return;
                after = ids[^1];
                await Upkeep.RestAsync(started, ct);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger?.LogWarning(e, "Cancelling the queue of paused webhook {WebhookId} failed; claims cancel what is left as they meet it", webhookId);
        }
    }

    /// <summary>
    /// Publishes the operational events the results made due, in their transaction, and marks them published; without an
    /// announcer they are dropped. Returns the deliveries queued.
    /// </summary>
    private async Task<int> AnnounceAsync(SqlWrite write, Recorded recorded, int pauseAfter, IAnnouncer? announcer)
    {
        if (recorded.Alerts.Count == 0 && recorded.Exhausted.Count == 0) return 0;
        var queued = 0;
        if (announcer?.Compose(recorded.Alerts, recorded.Exhausted, pauseAfter) is { Count: > 0 } events)
        {
            var result = (await D.IngestAsync(write, [new IngestRequest(events, null, announcer.MaxAttempts, _ => "")]))[0];
            if (result.Error is { } error) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error); // the batch is written again
            queued = result.Deliveries;
        }
        if (recorded.Alerts.Count > 0)
            await write.Connection.ExecuteAsync($"UPDATE webhooks SET alerts_due = 0 WHERE {D.In("id", "@ids")};",
                new { ids = D.Values(recorded.Alerts.Select(a => a.Webhook.Id)) }, write.Transaction);
        return queued;
    }

    public async Task<bool> RedeliverAsync(Guid workspaceId, Guid webhookId, long deliveryId, int extraAttempts, DateTimeOffset now,
        CancellationToken ct = default) =>
        await RequeueAsync("id = @DeliveryId", workspaceId, webhookId, new { DeliveryId = deliveryId }, extraAttempts, now, ct) == 1;

    public Task<int> RecoverAsync(Guid workspaceId, Guid webhookId, DateTimeOffset since, int extraAttempts, DateTimeOffset now,
        CancellationToken ct = default) =>
        RequeueAsync("status IN (2, 3) AND created_on >= @Since", workspaceId, webhookId, new { Since = since }, extraAttempts, now, ct);

    private async Task<int> RequeueAsync(string condition, Guid workspaceId, Guid webhookId, object extra, int extraAttempts,
        DateTimeOffset now, CancellationToken ct)
    {
        var args = new DynamicParameters(extra);
        args.AddDynamicParams(new { WorkspaceId = workspaceId, WebhookId = webhookId, Extra = extraAttempts, Now = now });
        int count;
        await using (var write = await db.BeginWriteAsync(ct))
        {
            // Queued first, while the condition still reads the old status; a delivery still queued starts over, its lease
            // dropped (an attempt still in flight for it is then fenced off).
            await write.Connection.ExecuteAsync(
                $"""
                 INSERT INTO delivery_queue (delivery_id, webhook_id, due_at)
                 SELECT id, webhook_id, @Now FROM deliveries
                 WHERE workspace_id = @WorkspaceId AND webhook_id = @WebhookId AND {condition}
                 ON CONFLICT (delivery_id) DO UPDATE SET due_at = excluded.due_at, lease_until = NULL, lease_token = NULL, leased_by = NULL, hold = 0;
                 """, args, write.Transaction);
            count = await write.Connection.ExecuteAsync(
                $"""
                 UPDATE deliveries SET status = 0, due_at = @Now, completed_on = NULL, max_attempts = attempts + @Extra
                 WHERE workspace_id = @WorkspaceId AND webhook_id = @WebhookId AND {condition};
                 """, args, write.Transaction);
            await write.CommitAsync(ct);
        }
        if (count > 0)
        {
            db.Wake();
            db.Queued(count);
        }
        return count;
    }

    public async Task<(bool Found, long? DeliveryId)> FindDeliveryOfLogAsync(Guid workspaceId, Guid webhookId, Guid logId,
        CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = (await c.QueryAsync<long?>(
            "SELECT delivery_id FROM webhook_logs WHERE id = @logId AND workspace_id = @workspaceId AND webhook_id = @webhookId;",
            new { logId, workspaceId, webhookId })).AsList();
        return rows.Count == 0 ? (false, null) : (true, rows[0]);
    }

    public async Task<WebhookTarget?> GetTargetAsync(Guid workspaceId, Guid webhookId, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var (targets, _) = await TargetsAsync(c, null, [webhookId], now, []);
        return targets.TryGetValue(webhookId, out var t) && t.WorkspaceId == workspaceId ? t : null;
    }

    public async Task<DeliveryState?> GetAsync(long id, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<StateRow>(
            """
            SELECT d.id, d.message_id, d.webhook_id, d.status, d.attempts, d.max_attempts, COALESCE(q.due_at, d.due_at) AS due_at, q.lease_until
            FROM deliveries d LEFT JOIN delivery_queue q ON q.delivery_id = d.id WHERE d.id = @id;
            """, new { id });
        return row is null ? null : new DeliveryState(row.Id, row.MessageId, row.WebhookId, (DeliveryStatus)row.Status, row.Attempts,
            row.MaxAttempts, row.DueAt, row.LeaseUntil);
    }

    public async Task<PruneResult> PruneAsync(DateTimeOffset logsBefore, DateTimeOffset keysBefore, CancellationToken ct = default)
    {
        var before = logsBefore;
        var logs = await DeleteInBatchesAsync("webhook_logs", "created_on < @before", new { before }, ct);
        var deliveries = await DeleteInBatchesAsync("deliveries", "created_on < @before AND status <> 0 AND completed_on < @before", new { before }, ct);
        await DeleteInBatchesAsync("delivery_queue", "due_at IS NULL AND (lease_until IS NULL OR lease_until < @before)", new { before }, ct);
        var events = await DeleteInBatchesAsync("events",
            "created_on < @before AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id)", new { before }, ct);
        var keys = await DeleteInBatchesAsync("idempotency_keys", "created_on < @keysBefore", new { keysBefore }, ct);
        await DeleteInBatchesAsync("portal_link_uses", "expires_on < @keysBefore", new { keysBefore }, ct); // expired: refused anyway
        await DeleteInBatchesAsync("rate_windows", "(kind = 1 AND window_start < @seconds) OR (kind = 2 AND window_start < @minutes)",
            new { seconds = keysBefore.ToUnixTimeSeconds(), minutes = keysBefore.ToUnixTimeSeconds() / 60 }, ct);
        return new PruneResult(logs, deliveries, events, keys);
    }

    /// <summary>Deletes in short transactions so that pruning never holds the writer (or many row locks) for long.</summary>
    private async Task<int> DeleteInBatchesAsync(string table, string condition, object args, CancellationToken ct)
    {
        var total = 0;
        while (!ct.IsCancellationRequested)
        {
            await using var write = await db.BeginWriteAsync(ct);
            var deleted = await write.Connection.ExecuteAsync(
                $"DELETE FROM {table} WHERE {D.RowId} IN (SELECT {D.RowId} FROM {table} WHERE {condition} LIMIT {PruneBatch});", args, write.Transaction);
            await write.CommitAsync(ct);
            total += deleted;
            if (deleted < PruneBatch) break;
        }
        return total;
    }

    /// <summary>The webhooks' targets (secrets newest first) and the deliveries with their events' payloads, read in one round trip.</summary>
    private async Task<(Dictionary<Guid, WebhookTarget> Targets, Dictionary<long, DetailRow> Deliveries)> TargetsAsync(DbConnection c,
        DbTransaction? tx, IEnumerable<Guid> webhookIds, DateTimeOffset now, IEnumerable<long> deliveryIds)
    {
        await using var reads = await c.QueryMultipleAsync(
            $"""
             SELECT webhook_id, secret FROM webhook_secrets
             WHERE {D.In("webhook_id", "@ids")} AND (expires_on IS NULL OR expires_on > @now)
             ORDER BY expires_on IS NULL DESC, expires_on DESC, created_on DESC;
             SELECT id, workspace_id, uri, receiver_type, language, authentication_type, authentication, is_active, {PolicyColumns.Names}
             FROM webhooks WHERE {D.In("id", "@ids")};
             SELECT d.id, d.message_id, d.event_id, d.attempts, d.max_attempts, e.event_type, e.payload, e.trace_parent
             FROM deliveries d JOIN events e ON e.id = d.event_id WHERE {D.In("d.id", "@deliveries")};
             """, new { ids = D.Values(webhookIds), now, deliveries = D.Values(deliveryIds) }, tx);
        var secrets = (await reads.ReadAsync<SecretRow>()).ToLookup(s => s.WebhookId, s => s.Secret);
        var targets = (await reads.ReadAsync<TargetRow>()).ToDictionary(r => r.Id, r => new WebhookTarget(r.Id, r.WorkspaceId, r.Uri,
            r.ReceiverType, r.Language, r.AuthenticationType, r.Authentication, secrets[r.Id].ToList(),
            r.ToPolicy()) { IsActive = r.IsActive });
        var deliveries = (await reads.ReadAsync<DetailRow>()).ToDictionary(d => d.Id);
        return (targets, deliveries);
    }

    /// <summary>A leased queue row: the claim returns no more, the rest is read with the targets.</summary>
    private sealed class ClaimRow
    {
        public long Id { get; init; }
        public Guid WebhookId { get; init; }
    }

    /// <summary>A claimed delivery with its event, as read for sending (a dialect that claims in one statement adds the target).</summary>
    internal class DetailRow
    {
        public long Id { get; init; }
        public string MessageId { get; init; } = "";
        public Guid EventId { get; init; }
        public int Attempts { get; init; }
        public int MaxAttempts { get; init; }
        public string EventType { get; init; } = "";
        public string Payload { get; init; } = "";
        public string? TraceParent { get; init; }

        public ClaimedDelivery ToClaimed(long token, WebhookTarget target) =>
            new(Id, MessageId, EventId, EventType, Payload, Attempts + 1, MaxAttempts, token, target, TraceParent);
    }

    private sealed class SecretRow
    {
        public Guid WebhookId { get; init; }
        public string Secret { get; init; } = "";
    }

    private sealed class StateRow
    {
        public long Id { get; init; }
        public string MessageId { get; init; } = "";
        public Guid WebhookId { get; init; }
        public int Status { get; init; }
        public int Attempts { get; init; }
        public int MaxAttempts { get; init; }
        public DateTimeOffset DueAt { get; init; }
        public DateTimeOffset? LeaseUntil { get; init; }
    }

    private sealed class TargetRow : PolicyRow
    {
        public Guid Id { get; init; }
        public Guid WorkspaceId { get; init; }
        public string Uri { get; init; } = "";
        public string ReceiverType { get; init; } = "";
        public string? Language { get; init; }
        public string AuthenticationType { get; init; } = "";
        public string? Authentication { get; init; }
        public bool IsActive { get; init; }
    }
}
