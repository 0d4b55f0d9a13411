DROP INDEX tickets_quota;
ALTER TABLE tickets DROP COLUMN quota_exempt;
DROP TABLE organization_plan_changes;
DROP TABLE plan_priorities;
ALTER TABLE plans DROP COLUMN custom_for_organization_id;
ALTER TABLE plans DROP COLUMN calendar_id;
DROP TABLE calendar_holidays;
DROP TABLE calendar_hours;
DROP TABLE calendars;
