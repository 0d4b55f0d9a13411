DROP INDEX tickets_queue_open;
DROP INDEX tickets_queue_assignee;
ALTER TABLE tickets DROP COLUMN due_key;
CREATE INDEX tickets_queue_open ON tickets (COALESCE(response_due_at, 'infinity'), priority_rank, number)
    WHERE status <> 'closed';
CREATE INDEX tickets_queue_assignee ON tickets (assignee_id, COALESCE(response_due_at, 'infinity'), priority_rank, number)
    WHERE status <> 'closed';
