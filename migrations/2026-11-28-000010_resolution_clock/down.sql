ALTER TABLE tickets DROP COLUMN resolution_breached;
ALTER TABLE tickets DROP COLUMN resolution_due_at;
ALTER TABLE tickets DROP COLUMN resolution_running_since;
ALTER TABLE tickets DROP COLUMN resolution_minutes_used;
