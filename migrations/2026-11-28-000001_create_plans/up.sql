-- Support plans. The per-priority quotas and targets, calendars and custom plans
-- arrive with the plans issue; organizations reference a plan from the start.
CREATE TABLE plans (
    id          BIGSERIAL PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE CHECK (key ~ '^[a-z0-9_-]{1,50}$'),
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description TEXT NOT NULL DEFAULT '',
    price       BIGINT NOT NULL DEFAULT 0 CHECK (price >= 0),
    currency    TEXT NOT NULL DEFAULT 'IRR',
    public      BOOLEAN NOT NULL DEFAULT TRUE,
    position    INTEGER NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

INSERT INTO plans (key, name, description, price, position) VALUES
    ('basic', 'Basic', 'Business-hours support for getting started.', 0, 1),
    ('medium', 'Medium', 'Business-hours support with higher priorities.', 550000, 2),
    ('large', 'Large', 'Round-the-clock support including critical tickets.', 1906666, 3),
    ('professional', 'Professional', 'The fastest answers, around the clock.', 5500000, 4);
