-- The agent queue: most urgent first (response due time, then priority, then age),
-- served from indexes on open tickets only, so it stays fast as closed tickets pile up.
ALTER TABLE tickets ADD COLUMN priority_rank SMALLINT GENERATED ALWAYS AS (
    CASE priority WHEN 'critical' THEN 0 WHEN 'urgent' THEN 1 WHEN 'high' THEN 2 WHEN 'normal' THEN 3 ELSE 4 END
) STORED;
-- The ticket version at the customer's latest message: a reply drafted on an older version is stale.
ALTER TABLE tickets ADD COLUMN customer_version INTEGER NOT NULL DEFAULT 1;

CREATE INDEX tickets_queue_open ON tickets (COALESCE(response_due_at, 'infinity'), priority_rank, number)
    WHERE status <> 'closed';
CREATE INDEX tickets_queue_assignee ON tickets (assignee_id, COALESCE(response_due_at, 'infinity'), priority_rank, number)
    WHERE status <> 'closed';
CREATE INDEX tickets_closed ON tickets (closed_at DESC, number DESC) WHERE status = 'closed';
