-- The optional resolution clock: business minutes from creation to close, paused
-- while the ticket awaits the customer.
ALTER TABLE tickets ADD COLUMN resolution_minutes_used BIGINT NOT NULL DEFAULT 0;
-- When the running segment started; NULL while paused or closed.
ALTER TABLE tickets ADD COLUMN resolution_running_since TIMESTAMPTZ;
ALTER TABLE tickets ADD COLUMN resolution_due_at TIMESTAMPTZ;
ALTER TABLE tickets ADD COLUMN resolution_breached BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE tickets SET resolution_running_since = created_at WHERE status IN ('awaiting_response', 'in_progress');
