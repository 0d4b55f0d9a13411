DROP TRIGGER calendar_holidays_changed ON calendar_holidays;
DROP TRIGGER calendar_hours_changed ON calendar_hours;
DROP TRIGGER calendars_changed ON calendars;
DROP TRIGGER plan_priorities_changed ON plan_priorities;
DROP TRIGGER plans_changed ON plans;
DROP FUNCTION plan_book_changed();
DROP TABLE plan_book;
