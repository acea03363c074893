-- Hookline schema v1: workspaces, API tokens, webhook configurations and their delivery logs.
-- Ids are lowercase uuid text; times are unix milliseconds (UTC).

CREATE TABLE workspaces (
    id          TEXT    NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL,
    created_on  INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    id            TEXT    NOT NULL PRIMARY KEY,
    workspace_id  TEXT    NULL REFERENCES workspaces (id),
    name          TEXT    NOT NULL,
    permissions   TEXT    NOT NULL,
    token_hash    TEXT    NOT NULL UNIQUE,
    created_on    INTEGER NOT NULL,
    last_used_on  INTEGER NULL,
    revoked_on    INTEGER NULL
);

CREATE TABLE webhooks (
    id                   TEXT    NOT NULL PRIMARY KEY,
    workspace_id         TEXT    NOT NULL REFERENCES workspaces (id),
    name                 TEXT    NOT NULL,
    uri                  TEXT    NOT NULL,
    language             TEXT    NULL,
    events               TEXT    NOT NULL,
    is_active            INTEGER NOT NULL,
    only_main_entity     INTEGER NOT NULL,
    authentication_type  TEXT    NOT NULL,
    authentication       TEXT    NULL,
    receiver_type        TEXT    NOT NULL,
    last_failure_reason  TEXT    NULL,
    created_on           INTEGER NOT NULL,
    created_by           TEXT    NOT NULL,
    updated_on           INTEGER NOT NULL,
    updated_by           TEXT    NOT NULL
);
CREATE INDEX ix_webhooks_workspace ON webhooks (workspace_id, created_on);

CREATE TABLE webhook_logs (
    id             TEXT    NOT NULL PRIMARY KEY,
    workspace_id   TEXT    NOT NULL,
    webhook_id     TEXT    NOT NULL,
    event_id       TEXT    NOT NULL,
    event_type     TEXT    NOT NULL,
    attempt        INTEGER NOT NULL,
    message        TEXT    NULL,
    response_code  INTEGER NOT NULL,
    reason         TEXT    NULL,
    is_successful  INTEGER NOT NULL,
    duration_ms    INTEGER NOT NULL,
    response_body  TEXT    NULL,
    created_on     INTEGER NOT NULL
);
CREATE INDEX ix_webhook_logs_webhook ON webhook_logs (webhook_id, created_on);
