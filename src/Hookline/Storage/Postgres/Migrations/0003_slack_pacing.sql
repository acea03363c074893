-- Hookline schema v3 (Slack pacing): on PostgreSQL part of 0001_initial, which was written after it.
SELECT 1;
