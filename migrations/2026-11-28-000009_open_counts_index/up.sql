-- The console's count badges read open tickets only, from this narrow covering index
-- (an index-only scan), not from the table.
CREATE INDEX tickets_open_counts ON tickets (assignee_id)
    INCLUDE (response_started_at, response_breached, response_due_at) WHERE status <> 'closed';
