-- Hookline schema v12: on PostgreSQL, vacuums of the queue keep its empty pages (the lock that gives them back stopped
-- every node). SQLite keeps freed pages in the file anyway: nothing to change here.
SELECT 1;
