-- Hookline schema v6: on PostgreSQL the queue's pages keep room for in-place updates (fillfactor) and deliveries lose
-- their foreign key to events, whose check cost a row lock per delivery there. SQLite has no fillfactor, checks the key
-- without locking, and cannot drop a key without rebuilding the table: nothing to change here.
SELECT 1;
