namespace Hookline.Storage.Postgres;

public sealed partial class PostgresDialect
{
    /// <summary>
    /// One statement, so one snapshot, and only the queue rows it locked. They are locked first, in id order, as recording
    /// results takes them (the queue, then the records): the other way round, a webhook deleted while its results were being
    /// recorded deadlocked and the delete answered 503. As statements one after another, an ingest that committed between
    /// them lost its queue rows to the later ones while its deliveries, unseen by the first, stayed pending for ever (426 in
    /// one run of ContentionTests); they are now left whole, for the claim that meets them to cancel (their webhook is gone
    /// or inactive). Records and queue rows are reached by id: an IN over a subquery was planned as a hash of every
    /// delivery row (14 ms a part of 500 beside a paused backlog of 19,000).
    /// </summary>
    public override string CancelQueued(string condition) =>
        $"""
         WITH q AS MATERIALIZED (
           SELECT delivery_id, lease_until FROM delivery_queue WHERE due_at IS NOT NULL AND {condition} ORDER BY delivery_id FOR UPDATE),
         cancelled AS (
           UPDATE deliveries SET status = 3, completed_on = @At WHERE status = 0 AND id = ANY(ARRAY(SELECT delivery_id FROM q)) RETURNING id),
         gone AS (
           DELETE FROM delivery_queue WHERE delivery_id = ANY(ARRAY(SELECT delivery_id FROM q WHERE lease_until IS NULL)) RETURNING delivery_id)
         UPDATE delivery_queue SET due_at = NULL WHERE delivery_id = ANY(ARRAY(SELECT delivery_id FROM q WHERE lease_until IS NOT NULL));
         DELETE FROM webhook_leases WHERE {condition};
         """;
}
