-- Hookline schema v2 (events in, deliveries out): on PostgreSQL part of 0001_initial, which was written after it.
SELECT 1;
