-- Hookline schema v12: vacuums of the queue leave its empty pages where they are.
-- A node vacuums the queue every few thousand attempts, and a drained queue ends in empty pages. Giving them back to the
-- file system takes an ACCESS EXCLUSIVE lock on the queue while the vacuum checks them from the end, so every claim, ingest
-- and result of every node waited on it: 70-200 ms each time, every ten seconds at 500 events/s. The pages fill again soon.
ALTER TABLE delivery_queue SET (vacuum_truncate = false);
