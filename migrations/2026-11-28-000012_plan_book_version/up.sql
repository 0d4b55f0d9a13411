-- One number that changes whenever a plan, its terms or a calendar changes (any writer, any
-- process), so a cached plan book can be checked with one cheap read instead of reloaded.
CREATE TABLE plan_book (
    version BIGINT NOT NULL
);
INSERT INTO plan_book (version) VALUES (1);
-- Exactly one row.
CREATE UNIQUE INDEX plan_book_one_row ON plan_book ((true));

CREATE FUNCTION plan_book_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE plan_book SET version = version + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER plans_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON plans
    FOR EACH STATEMENT EXECUTE FUNCTION plan_book_changed();
CREATE TRIGGER plan_priorities_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON plan_priorities
    FOR EACH STATEMENT EXECUTE FUNCTION plan_book_changed();
CREATE TRIGGER calendars_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON calendars
    FOR EACH STATEMENT EXECUTE FUNCTION plan_book_changed();
CREATE TRIGGER calendar_hours_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON calendar_hours
    FOR EACH STATEMENT EXECUTE FUNCTION plan_book_changed();
CREATE TRIGGER calendar_holidays_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON calendar_holidays
    FOR EACH STATEMENT EXECUTE FUNCTION plan_book_changed();
