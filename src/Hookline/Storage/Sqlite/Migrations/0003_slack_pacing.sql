-- Hookline schema v3: per-webhook pacing. A Slack webhook takes about one message a second; until this time it
-- gets none, so a burst queues instead of being refused by Slack.
ALTER TABLE webhooks ADD COLUMN paced_until INTEGER NULL;
