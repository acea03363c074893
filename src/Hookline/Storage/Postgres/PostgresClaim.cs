using System.Data.Common;
using Dapper;

namespace Hookline.Storage.Postgres;

public sealed partial class PostgresDialect
{
    public override bool ClaimsInOneStatement => true;

    /// <summary>
    /// Lease, deliveries, events, webhooks and their live secrets (newest first) in one statement: one round trip and one
    /// commit a claim, where a transaction with a second statement for the rest took three. Each webhook is read once however
    /// many of its deliveries the claim took; one whose webhook is gone comes back without it, for the caller to cancel. The
    /// look for the next due delivery goes with it, in the same round trip and the same implicit transaction (it sees the
    /// leases just taken): at a few hundred events a second nearly every claim drains the queue, and the look on its own was
    /// a round trip more for each.
    /// </summary>
    public override async Task<(List<ClaimedDelivery> Leased, List<long> Gone, DateTimeOffset? NextDue)> ClaimInOneAsync(DbConnection c,
        string picked, string lease, string nextDue, object args, long token)
    {
        await using var reads = await c.QueryMultipleAsync(
            $"""
             WITH {picked},
             leased AS ({lease} RETURNING delivery_id, webhook_id),
             targets AS (
               SELECT w.id, w.workspace_id, w.uri, w.receiver_type, w.language, w.authentication_type, w.authentication,
                 w.max_per_second, w.max_concurrency, w.timeout_seconds, w.retry_schedule, w.fifo, w.is_active,
                 ARRAY(SELECT s.secret FROM webhook_secrets s WHERE s.webhook_id = w.id AND (s.expires_on IS NULL OR s.expires_on > @Now)
                       ORDER BY s.expires_on IS NULL DESC, s.expires_on DESC, s.created_on DESC) AS secrets
               FROM webhooks w WHERE w.id = ANY(ARRAY(SELECT DISTINCT webhook_id FROM leased)))
             SELECT l.delivery_id AS id, d.message_id, d.event_id, d.attempts, d.max_attempts, e.event_type, e.payload, e.trace_parent,
               l.webhook_id, t.id IS NOT NULL AS webhook_exists, t.workspace_id, t.uri, t.receiver_type, t.language, t.authentication_type,
               t.authentication, t.secrets, t.max_per_second, t.max_concurrency, t.timeout_seconds, t.retry_schedule, t.fifo, t.is_active
             FROM leased l JOIN deliveries d ON d.id = l.delivery_id JOIN events e ON e.id = d.event_id LEFT JOIN targets t ON t.id = l.webhook_id;
             {nextDue}
             """, args);
        var rows = (await reads.ReadAsync<ClaimedRow>()).AsList();
        var next = (await reads.ReadAsync<DateTimeOffset?>()).FirstOrDefault();
        var targets = new Dictionary<Guid, WebhookTarget>();
        var gone = rows.Where(r => !r.WebhookExists).Select(r => r.Id).ToList();
        return (rows.Where(r => r.WebhookExists).Select(r => r.ToClaimed(token, targets.TryGetValue(r.WebhookId, out var t) ? t : targets[r.WebhookId] =
            new WebhookTarget(r.WebhookId, r.WorkspaceId, r.Uri, r.ReceiverType, r.Language, r.AuthenticationType, r.Authentication,
                r.Secrets, PolicyColumns.Read(r.MaxPerSecond, r.MaxConcurrency, r.TimeoutSeconds, r.RetrySchedule, r.Fifo))
            { IsActive = r.IsActive })).ToList(), gone, next);
    }

    public override Task GiveBackAsync(DbConnection c, DbTransaction tx, IReadOnlyList<(long Id, DateTimeOffset DueAt, int Hold)> rows) =>
        c.ExecuteAsync(
            """
            UPDATE delivery_queue q SET lease_until = NULL, lease_token = NULL, leased_by = NULL, due_at = b.due_at, hold = b.hold
            FROM unnest(@Ids, @Dues, @Holds) AS b(id, due_at, hold) WHERE q.delivery_id = ANY(@Ids) AND q.delivery_id = b.id AND q.due_at IS NOT NULL;
            DELETE FROM delivery_queue WHERE delivery_id = ANY(@Ids) AND due_at IS NULL;
            """,
            new
            {
                Ids = rows.Select(r => r.Id).ToArray(), Dues = rows.Select(r => r.DueAt.ToUniversalTime()).ToArray(),
                Holds = rows.Select(r => (short)r.Hold).ToArray(),
            }, tx);

    /// <summary>The delivery and event columns of <see cref="DeliveryStore.DetailRow"/>, and its webhook's target.</summary>
    private sealed class ClaimedRow : DeliveryStore.DetailRow
    {
        public Guid WebhookId { get; init; }
        public bool WebhookExists { get; init; }
        public Guid WorkspaceId { get; init; }
        public string Uri { get; init; } = "";
        public string ReceiverType { get; init; } = "";
        public string? Language { get; init; }
        public string AuthenticationType { get; init; } = "";
        public string? Authentication { get; init; }
        public string[] Secrets { get; init; } = [];
        public int? MaxPerSecond { get; init; }
        public int? MaxConcurrency { get; init; }
        public int? TimeoutSeconds { get; init; }
        public string? RetrySchedule { get; init; }
        public bool Fifo { get; init; }
        public bool IsActive { get; init; }
    }
}
