-- Hookline on PostgreSQL, schema v1: the same model as the SQLite store (see Storage/Sqlite/Migrations), in native types.

CREATE TABLE workspaces (
    id          uuid        NOT NULL PRIMARY KEY,
    name        text        NOT NULL,
    created_on  timestamptz NOT NULL
);

CREATE TABLE api_tokens (
    id            uuid        NOT NULL PRIMARY KEY,
    workspace_id  uuid        NULL REFERENCES workspaces (id),
    name          text        NOT NULL,
    permissions   text        NOT NULL,
    token_hash    text        NOT NULL UNIQUE,
    created_on    timestamptz NOT NULL,
    last_used_on  timestamptz NULL,
    revoked_on    timestamptz NULL
);

CREATE TABLE webhooks (
    id                    uuid        NOT NULL PRIMARY KEY,
    workspace_id          uuid        NOT NULL REFERENCES workspaces (id),
    name                  text        NOT NULL,
    uri                   text        NOT NULL,
    language              text        NULL,
    events                text        NOT NULL,
    is_active             boolean     NOT NULL,
    only_main_entity      boolean     NOT NULL,
    authentication_type   text        NOT NULL,
    authentication        text        NULL,
    receiver_type         text        NOT NULL,
    last_failure_reason   text        NULL,
    created_on            timestamptz NOT NULL,
    created_by            uuid        NOT NULL,
    updated_on            timestamptz NOT NULL,
    updated_by            uuid        NOT NULL,
    consecutive_failures  integer     NOT NULL DEFAULT 0,
    paced_until           timestamptz NULL
);
CREATE INDEX ix_webhooks_workspace ON webhooks (workspace_id, created_on);

CREATE TABLE webhook_secrets (
    id          uuid        NOT NULL PRIMARY KEY,
    webhook_id  uuid        NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    secret      text        NOT NULL,
    created_on  timestamptz NOT NULL,
    expires_on  timestamptz NULL
);
CREATE INDEX ix_webhook_secrets_webhook ON webhook_secrets (webhook_id);

CREATE TABLE webhook_logs (
    id             uuid        NOT NULL PRIMARY KEY,
    workspace_id   uuid        NOT NULL,
    webhook_id     uuid        NOT NULL,
    event_id       uuid        NOT NULL,
    event_type     text        NOT NULL,
    attempt        integer     NOT NULL,
    message        text        NULL,
    response_code  integer     NOT NULL,
    reason         text        NULL,
    is_successful  boolean     NOT NULL,
    duration_ms    integer     NOT NULL,
    response_body  text        NULL,
    created_on     timestamptz NOT NULL,
    delivery_id    bigint      NULL
);
CREATE INDEX ix_webhook_logs_webhook ON webhook_logs (webhook_id, created_on);
CREATE INDEX ix_webhook_logs_created ON webhook_logs (created_on);

CREATE TABLE events (
    id                     uuid        NOT NULL PRIMARY KEY,
    workspace_id           uuid        NOT NULL,
    event_type             text        NOT NULL,
    is_main_entity_change  boolean     NOT NULL,
    payload                text        NOT NULL,   -- text, not jsonb: the bytes signed and sent are the bytes received
    created_on             timestamptz NOT NULL
);
CREATE INDEX ix_events_created ON events (created_on);

CREATE TABLE deliveries (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id    text        NOT NULL,
    event_id      uuid        NOT NULL REFERENCES events (id),
    webhook_id    uuid        NOT NULL,
    workspace_id  uuid        NOT NULL,
    status        smallint    NOT NULL,   -- 0 pending, 1 succeeded, 2 exhausted, 3 cancelled
    attempts      integer     NOT NULL DEFAULT 0,
    max_attempts  integer     NOT NULL,
    due_at        timestamptz NOT NULL,
    lease_until   timestamptz NULL,
    lease_token   bigint      NULL,
    created_on    timestamptz NOT NULL,
    completed_on  timestamptz NULL
);
CREATE INDEX ix_deliveries_due ON deliveries (due_at, id) WHERE status = 0;
CREATE INDEX ix_deliveries_webhook ON deliveries (webhook_id, status, created_on);
CREATE INDEX ix_deliveries_event ON deliveries (event_id);
CREATE INDEX ix_deliveries_completed ON deliveries (completed_on) WHERE status <> 0;

CREATE TABLE idempotency_keys (
    scope         text        NOT NULL,
    key           text        NOT NULL,
    request_hash  text        NOT NULL,
    response      text        NOT NULL,
    created_on    timestamptz NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX ix_idempotency_created ON idempotency_keys (created_on);
