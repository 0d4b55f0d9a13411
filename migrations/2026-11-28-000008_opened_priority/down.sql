DROP INDEX tickets_quota;
CREATE INDEX tickets_quota ON tickets (organization_id, priority, created_at) WHERE NOT quota_exempt;
ALTER TABLE tickets DROP COLUMN opened_priority;
