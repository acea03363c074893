-- Hookline schema v7: the queue apart from the record. delivery_queue holds one small row per pending delivery (when it
-- is due, who leases it); deliveries keep what happened to each. Claiming touches only the queue; finishing a delivery
-- deletes its queue row and changes no indexed column of its record.
CREATE TABLE delivery_queue (
    delivery_id  INTEGER NOT NULL PRIMARY KEY,
    webhook_id   TEXT    NOT NULL,
    due_at       INTEGER NULL,      -- NULL: cancelled while an attempt was in flight; removed when that attempt is recorded
    lease_until  INTEGER NULL,
    lease_token  INTEGER NULL,      -- fencing token of the current claim
    leased_by    TEXT    NULL
);
CREATE INDEX ix_delivery_queue_due ON delivery_queue (due_at, delivery_id);

INSERT INTO delivery_queue (delivery_id, webhook_id, due_at, lease_until, lease_token, leased_by)
SELECT id, webhook_id, due_at, lease_until, lease_token, leased_by FROM deliveries WHERE status = 0;

DROP INDEX ix_deliveries_due;
DROP INDEX ix_deliveries_webhook;
CREATE INDEX ix_deliveries_webhook ON deliveries (webhook_id, created_on);
ALTER TABLE deliveries DROP COLUMN lease_until;
ALTER TABLE deliveries DROP COLUMN lease_token;
ALTER TABLE deliveries DROP COLUMN leased_by;
