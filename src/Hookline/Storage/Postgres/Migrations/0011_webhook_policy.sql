-- Hookline schema v11: each webhook's delivery policy (GET/PUT /api/v1/webhooks/{id}/policy), kept out of awork's fields.
-- NULL is the service's default. max_attempts follows from retry_schedule (seconds, comma-separated): one more than its length.
ALTER TABLE webhooks ADD COLUMN max_per_second integer NULL, ADD COLUMN max_concurrency integer NULL,
    ADD COLUMN timeout_seconds integer NULL, ADD COLUMN retry_schedule text NULL, ADD COLUMN max_attempts integer NULL,
    ADD COLUMN fifo boolean NOT NULL DEFAULT FALSE;
-- How a webhook's limits hold a queued delivery back: 0 not at all, 1 given a slot of the webhook's rate (due_at is that slot,
-- already counted), 2 parked until one of the webhook's deliveries in flight finishes (due_at is a fallback, a lease ahead).
ALTER TABLE delivery_queue ADD COLUMN hold smallint NOT NULL DEFAULT 0;
CREATE INDEX ix_delivery_queue_parked ON delivery_queue (webhook_id, delivery_id) WHERE hold = 2;
-- The deliveries in flight of webhooks with a concurrency limit (or fifo ordering, one at a time; there a delivery keeps its
-- place through its retries), each until its lease runs out.
CREATE TABLE webhook_leases (
    webhook_id   uuid        NOT NULL,
    delivery_id  bigint      NOT NULL,
    lease_until  timestamptz NOT NULL,
    PRIMARY KEY (webhook_id, delivery_id)
);
