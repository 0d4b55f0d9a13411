-- Quotas count tickets by the priority they were opened with: a later change by
-- support never consumes (or frees) the customer's quota.
ALTER TABLE tickets ADD COLUMN opened_priority TEXT;
UPDATE tickets SET opened_priority = priority;
ALTER TABLE tickets ALTER COLUMN opened_priority SET NOT NULL;
ALTER TABLE tickets ADD CONSTRAINT tickets_opened_priority_check
    CHECK (opened_priority IN ('critical', 'urgent', 'high', 'normal', 'low'));
DROP INDEX tickets_quota;
CREATE INDEX tickets_quota ON tickets (organization_id, opened_priority, created_at) WHERE NOT quota_exempt;
