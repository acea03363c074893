-- Hookline schema v5: rate-limit windows shared by every API node (kind 1 counts a second in unix seconds, kind 2 a minute
-- in unix minutes). A single SQLite node counts in memory; the table is here so that both stores have one schema history.
CREATE TABLE rate_windows (
    workspace_id  TEXT    NOT NULL,
    kind          INTEGER NOT NULL,
    window_start  INTEGER NOT NULL,
    count         INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, kind, window_start)
);
