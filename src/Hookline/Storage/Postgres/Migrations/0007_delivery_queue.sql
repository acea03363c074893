-- Hookline schema v7: the queue apart from the record. delivery_queue holds one small row per pending delivery (when it
-- is due, who leases it); deliveries keep what happened to each. Claiming touches only the queue, and finishing a delivery
-- deletes its queue row and changes only unindexed columns of its record, which PostgreSQL then updates in place (HOT)
-- instead of adding an entry to every index. The finished deliveries no longer leave dead entries in front of the
-- claim's index scan, and the queue stays small enough to vacuum in milliseconds.
CREATE TABLE delivery_queue (
    delivery_id  bigint      NOT NULL PRIMARY KEY,
    webhook_id   uuid        NOT NULL,
    due_at       timestamptz NULL,   -- NULL: cancelled while an attempt was in flight; removed when that attempt is recorded
    lease_until  timestamptz NULL,
    lease_token  bigint      NULL,   -- fencing token of the current claim
    leased_by    text        NULL
) WITH (fillfactor = 50, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000,
        autovacuum_vacuum_cost_delay = 0);
CREATE INDEX ix_delivery_queue_due ON delivery_queue (due_at, delivery_id);

INSERT INTO delivery_queue (delivery_id, webhook_id, due_at, lease_until, lease_token, leased_by)
SELECT id, webhook_id, due_at, lease_until, lease_token, leased_by FROM deliveries WHERE status = 0;

DROP INDEX ix_deliveries_due;
DROP INDEX ix_deliveries_webhook;
DROP INDEX ix_deliveries_completed;
CREATE INDEX ix_deliveries_webhook ON deliveries (webhook_id, created_on);
-- Rows arrive in time order, so pruning finds old ones with a block-range (BRIN) index: a few pages in all, and nothing
-- to write for most inserts, where a B-tree costs an entry and its WAL record per row.
CREATE INDEX ix_deliveries_created ON deliveries USING brin (created_on);
DROP INDEX ix_events_created;
CREATE INDEX ix_events_created ON events USING brin (created_on);
ALTER TABLE deliveries DROP COLUMN lease_until, DROP COLUMN lease_token, DROP COLUMN leased_by;
