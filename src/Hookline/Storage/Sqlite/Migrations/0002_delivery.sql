-- Hookline schema v2: events in, deliveries out.
-- A delivery is one event for one webhook; it ends as succeeded (1), exhausted (2) or cancelled (3).

ALTER TABLE webhooks ADD COLUMN consecutive_failures INTEGER NOT NULL DEFAULT 0;

CREATE TABLE webhook_secrets (
    id            TEXT    NOT NULL PRIMARY KEY,
    webhook_id    TEXT    NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    secret        TEXT    NOT NULL,
    created_on    INTEGER NOT NULL,
    expires_on    INTEGER NULL            -- NULL: the current secret; otherwise a rotated one, still signing until then
);
CREATE INDEX ix_webhook_secrets_webhook ON webhook_secrets (webhook_id);

CREATE TABLE events (
    id                     TEXT    NOT NULL PRIMARY KEY,
    workspace_id           TEXT    NOT NULL,
    event_type             TEXT    NOT NULL,
    is_main_entity_change  INTEGER NOT NULL,
    payload                TEXT    NOT NULL,   -- the awork-shaped JSON body, rendered once at ingest
    created_on             INTEGER NOT NULL
);
CREATE INDEX ix_events_created ON events (created_on);

CREATE TABLE deliveries (
    id            INTEGER NOT NULL PRIMARY KEY,
    message_id    TEXT    NOT NULL,         -- the webhook-id header: stable across retries and redeliveries
    event_id      TEXT    NOT NULL REFERENCES events (id),
    webhook_id    TEXT    NOT NULL,
    workspace_id  TEXT    NOT NULL,
    status        INTEGER NOT NULL,         -- 0 pending, 1 succeeded, 2 exhausted, 3 cancelled
    attempts      INTEGER NOT NULL DEFAULT 0,
    max_attempts  INTEGER NOT NULL,
    due_at        INTEGER NOT NULL,
    lease_until   INTEGER NULL,
    lease_token   INTEGER NULL,             -- fencing token of the current claim
    created_on    INTEGER NOT NULL,
    completed_on  INTEGER NULL
);
CREATE INDEX ix_deliveries_due ON deliveries (due_at) WHERE status = 0;
CREATE INDEX ix_deliveries_webhook ON deliveries (webhook_id, status, created_on);
CREATE INDEX ix_deliveries_event ON deliveries (event_id);

ALTER TABLE webhook_logs ADD COLUMN delivery_id INTEGER NULL;

CREATE TABLE idempotency_keys (
    scope         TEXT    NOT NULL,         -- the caller: a workspace id, or 'system:' and a token id
    key           TEXT    NOT NULL,
    request_hash  TEXT    NOT NULL,
    response      TEXT    NOT NULL,
    created_on    INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX ix_idempotency_created ON idempotency_keys (created_on);
