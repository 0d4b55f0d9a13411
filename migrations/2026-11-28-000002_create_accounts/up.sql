-- People, organizations and memberships (DESIGN.md section 1).
CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    name          TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    mobile        TEXT,
    password_hash TEXT NOT NULL,
    -- NULL for customers; staff have no memberships.
    staff_role    TEXT CHECK (staff_role IN ('agent', 'admin')),
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    -- Bumped on password change and deactivation: sessions carrying an older value end.
    session_epoch INTEGER NOT NULL DEFAULT 0,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX users_staff ON users (staff_role, name) WHERE staff_role IS NOT NULL;

CREATE TABLE organizations (
    id         BIGSERIAL PRIMARY KEY,
    key        TEXT NOT NULL UNIQUE CHECK (key ~ '^[a-z0-9_-]{2,50}$'),
    name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    plan_id    BIGINT NOT NULL REFERENCES plans (id),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX organizations_plan ON organizations (plan_id);

CREATE TABLE memberships (
    organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id         BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role            TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

-- Failed logins per email, kept in the database so the limit holds across processes.
CREATE TABLE login_failures (
    id           BIGSERIAL PRIMARY KEY,
    email        TEXT NOT NULL,
    attempted_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_email_time ON login_failures (email, attempted_at);
