-- Hookline schema v6: a cheaper queue on PostgreSQL.
-- Room on each page: claiming a delivery changes only unindexed columns (the lease), so with free space on its page
-- PostgreSQL updates it in place (a HOT update) instead of adding an entry to every index. New pages get the room.
ALTER TABLE deliveries SET (fillfactor = 60);
-- No foreign key from deliveries to events: ingest writes both in one statement, and pruning removes deliveries before
-- their events. The key's check locked the event row for every delivery inserted (a lookup and a write per row).
ALTER TABLE deliveries DROP CONSTRAINT IF EXISTS deliveries_event_id_fkey;
