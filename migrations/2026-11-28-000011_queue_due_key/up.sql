-- The queue's order key as a stored column instead of an expression. The same order and
-- indexes as migration 4, but the queue query no longer needs raw SQL for its ORDER BY,
-- so Diesel can prepare it once per connection instead of PostgreSQL parsing and
-- planning it on every page.
ALTER TABLE tickets ADD COLUMN due_key TIMESTAMPTZ
    GENERATED ALWAYS AS (COALESCE(response_due_at, 'infinity'::timestamptz)) STORED;

DROP INDEX tickets_queue_open;
DROP INDEX tickets_queue_assignee;
CREATE INDEX tickets_queue_open ON tickets (due_key, priority_rank, number)
    WHERE status <> 'closed';
CREATE INDEX tickets_queue_assignee ON tickets (assignee_id, due_key, priority_rank, number)
    WHERE status <> 'closed';
