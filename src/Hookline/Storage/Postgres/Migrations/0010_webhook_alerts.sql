-- Hookline schema v10: operational events. alert_state: which of a failing streak's events were sent (1 the first warning,
-- 2 the second, 4 paused: webhook_recovered is due at its next success). alerts_due: the events a result just made due
-- (1, 2 webhook_failing; 4 webhook_paused; 8 webhook_recovered), published and cleared in the same transaction.
ALTER TABLE webhooks ADD COLUMN alert_state integer NOT NULL DEFAULT 0;
ALTER TABLE webhooks ADD COLUMN alerts_due integer NOT NULL DEFAULT 0;
