-- Which node made each attempt (Hookline:Node:Name), for operators running several.
ALTER TABLE webhook_logs ADD COLUMN node text NULL;
