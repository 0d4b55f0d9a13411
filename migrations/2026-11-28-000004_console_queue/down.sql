DROP INDEX tickets_closed;
DROP INDEX tickets_queue_assignee;
DROP INDEX tickets_queue_open;
ALTER TABLE tickets DROP COLUMN customer_version;
ALTER TABLE tickets DROP COLUMN priority_rank;
