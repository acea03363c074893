-- Hookline schema v4: which node (Hookline:Node:Name) made each attempt and holds each lease, for operators running several.
ALTER TABLE webhook_logs ADD COLUMN node text NULL;
ALTER TABLE deliveries ADD COLUMN leased_by text NULL;
