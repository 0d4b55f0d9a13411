DROP INDEX tickets_sla_due;
ALTER TABLE tickets DROP COLUMN first_response_minutes;
ALTER TABLE tickets DROP COLUMN first_response_at;
DROP TABLE response_times;
