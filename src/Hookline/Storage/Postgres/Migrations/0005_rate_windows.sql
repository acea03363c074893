-- Hookline schema v5: rate-limit windows shared by every API node: kind 1 counts a second (unix seconds), kind 2 a minute (unix minutes).
CREATE TABLE rate_windows (
    workspace_id  uuid     NOT NULL,
    kind          smallint NOT NULL,
    window_start  bigint   NOT NULL,
    count         integer  NOT NULL,
    PRIMARY KEY (workspace_id, kind, window_start)
);
