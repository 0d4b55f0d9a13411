-- Support plans with per-priority availability, quotas and targets, counted in
-- coverage calendars (DESIGN.md section 3).

CREATE TABLE calendars (
    id          BIGSERIAL PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE CHECK (key ~ '^[a-z0-9_-]{1,50}$'),
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    time_zone   TEXT NOT NULL,
    -- 24/7: every minute counts, hours and holidays are ignored.
    always_open BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Weekly opening hours in the calendar's zone; several intervals a day are allowed.
-- weekday: 0 = Monday … 6 = Sunday.
CREATE TABLE calendar_hours (
    id          BIGSERIAL PRIMARY KEY,
    calendar_id BIGINT NOT NULL REFERENCES calendars (id) ON DELETE CASCADE,
    weekday     SMALLINT NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    opens       TIME NOT NULL,
    closes      TIME NOT NULL CHECK (closes > opens)
);
CREATE INDEX calendar_hours_calendar ON calendar_hours (calendar_id, weekday, opens);

CREATE TABLE calendar_holidays (
    calendar_id BIGINT NOT NULL REFERENCES calendars (id) ON DELETE CASCADE,
    day         DATE NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (calendar_id, day)
);

INSERT INTO calendars (key, name, time_zone, always_open) VALUES
    ('business', 'Business hours (Sat–Wed 08:00–17:00, Tehran)', 'Asia/Tehran', FALSE),
    ('24x7', 'Around the clock (24/7)', 'UTC', TRUE);
-- Saturday (5), Sunday (6), Monday (0), Tuesday (1), Wednesday (2).
INSERT INTO calendar_hours (calendar_id, weekday, opens, closes)
SELECT c.id, d, '08:00', '17:00' FROM calendars c, unnest(ARRAY[5, 6, 0, 1, 2]) AS d WHERE c.key = 'business';

ALTER TABLE plans ADD COLUMN calendar_id BIGINT REFERENCES calendars (id);
-- A custom plan is made for one organization and offered to no one else.
ALTER TABLE plans ADD COLUMN custom_for_organization_id BIGINT REFERENCES organizations (id);
UPDATE plans SET calendar_id = (SELECT id FROM calendars WHERE key = 'business') WHERE key IN ('basic', 'medium');
UPDATE plans SET calendar_id = (SELECT id FROM calendars WHERE key = '24x7') WHERE key IN ('large', 'professional');
ALTER TABLE plans ALTER COLUMN calendar_id SET NOT NULL;

-- Per priority: NULL quota = unlimited; NULL target = none.
CREATE TABLE plan_priorities (
    plan_id            BIGINT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    priority           TEXT NOT NULL CHECK (priority IN ('critical', 'urgent', 'high', 'normal', 'low')),
    available          BOOLEAN NOT NULL,
    monthly_quota      INTEGER CHECK (monthly_quota >= 0),
    response_minutes   INTEGER CHECK (response_minutes > 0),
    resolution_minutes INTEGER CHECK (resolution_minutes > 0),
    PRIMARY KEY (plan_id, priority)
);

INSERT INTO plan_priorities (plan_id, priority, available, monthly_quota, response_minutes)
SELECT p.id, t.priority, t.available, t.quota, t.minutes
FROM plans p JOIN (VALUES
    ('basic', 'low', TRUE, 30, 2880), ('basic', 'normal', TRUE, 10, 1440),
    ('basic', 'high', FALSE, NULL, NULL), ('basic', 'urgent', FALSE, NULL, NULL), ('basic', 'critical', FALSE, NULL, NULL),
    ('medium', 'low', TRUE, NULL, 2880), ('medium', 'normal', TRUE, NULL, 720), ('medium', 'high', TRUE, 10, 480),
    ('medium', 'urgent', TRUE, 3, 120), ('medium', 'critical', FALSE, NULL, NULL),
    ('large', 'low', TRUE, NULL, 1440), ('large', 'normal', TRUE, NULL, 720), ('large', 'high', TRUE, 15, 480),
    ('large', 'urgent', TRUE, 5, 120), ('large', 'critical', TRUE, 2, 30),
    ('professional', 'low', TRUE, NULL, 1440), ('professional', 'normal', TRUE, NULL, 240), ('professional', 'high', TRUE, NULL, 240),
    ('professional', 'urgent', TRUE, 30, 60), ('professional', 'critical', TRUE, 10, 15)
) AS t (plan, priority, available, quota, minutes) ON t.plan = p.key;

-- Who moved an organization from which plan to which, and when.
CREATE TABLE organization_plan_changes (
    id              BIGSERIAL PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    from_plan_id    BIGINT REFERENCES plans (id),
    to_plan_id      BIGINT NOT NULL REFERENCES plans (id),
    changed_by      BIGINT REFERENCES users (id),
    changed_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX organization_plan_changes_org ON organization_plan_changes (organization_id, changed_at DESC);

-- Requests to sales for a custom plan never count against a quota.
ALTER TABLE tickets ADD COLUMN quota_exempt BOOLEAN NOT NULL DEFAULT FALSE;
-- Quota usage: an organization's tickets of one priority opened in a month.
CREATE INDEX tickets_quota ON tickets (organization_id, priority, created_at) WHERE NOT quota_exempt;
