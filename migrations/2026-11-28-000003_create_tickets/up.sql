-- Tickets, their messages, attachments and timeline (DESIGN.md section 2).

-- One global sequence: numbers are never reused, whatever happens to a ticket.
CREATE SEQUENCE ticket_numbers START 1000;

CREATE TABLE tickets (
    number              BIGINT PRIMARY KEY DEFAULT nextval('ticket_numbers'),
    organization_id     BIGINT NOT NULL REFERENCES organizations (id),
    requester_id        BIGINT NOT NULL REFERENCES users (id),
    subject             TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
    category            TEXT NOT NULL CHECK (category IN ('activation', 'technical', 'financial', 'sales')),
    priority            TEXT NOT NULL CHECK (priority IN ('critical', 'urgent', 'high', 'normal', 'low')),
    status              TEXT NOT NULL CHECK (status IN ('awaiting_response', 'in_progress', 'awaiting_customer', 'closed')),
    assignee_id         BIGINT REFERENCES users (id),
    -- The plan the ticket was opened under; later plan changes do not touch it.
    plan_id             BIGINT NOT NULL REFERENCES plans (id),
    close_reason        TEXT CHECK (close_reason IN ('customer', 'resolved', 'auto')),
    -- Incremented on every change: stale-form detection and optimistic checks.
    version             INTEGER NOT NULL DEFAULT 1,
    -- The running response clock (NULL when none runs) and its due time, if the plan has a target.
    response_started_at TIMESTAMPTZ,
    response_due_at     TIMESTAMPTZ,
    -- A breach was recorded for the running clock / ever on this ticket.
    response_breached   BOOLEAN NOT NULL DEFAULT FALSE,
    ever_breached       BOOLEAN NOT NULL DEFAULT FALSE,
    -- When support last replied publicly (the auto-close timer counts from here).
    last_support_reply_at TIMESTAMPTZ,
    last_customer_message_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    closed_at           TIMESTAMPTZ
);
-- The customer list: an organization's tickets by last update (owners, admins) or a requester's (members).
CREATE INDEX tickets_org_updated ON tickets (organization_id, updated_at DESC, number DESC);
CREATE INDEX tickets_requester_updated ON tickets (requester_id, organization_id, updated_at DESC, number DESC);

CREATE TABLE messages (
    id              BIGSERIAL PRIMARY KEY,
    ticket_number   BIGINT NOT NULL REFERENCES tickets (number),
    organization_id BIGINT NOT NULL REFERENCES organizations (id),
    -- NULL for messages written by the system (auto-close).
    author_id       BIGINT REFERENCES users (id),
    kind            TEXT NOT NULL CHECK (kind IN ('reply', 'note', 'system')),
    from_support    BOOLEAN NOT NULL,
    body            TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 20000),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX messages_ticket ON messages (ticket_number, id);

CREATE TABLE attachments (
    id              BIGSERIAL PRIMARY KEY,
    ticket_number   BIGINT NOT NULL REFERENCES tickets (number),
    message_id      BIGINT NOT NULL REFERENCES messages (id),
    organization_id BIGINT NOT NULL REFERENCES organizations (id),
    filename        TEXT NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
    content_type    TEXT NOT NULL,
    size_bytes      INTEGER NOT NULL CHECK (size_bytes > 0 AND size_bytes < 10485760),
    data            BYTEA NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX attachments_ticket ON attachments (ticket_number, id);

CREATE TABLE ticket_events (
    id              BIGSERIAL PRIMARY KEY,
    ticket_number   BIGINT NOT NULL REFERENCES tickets (number),
    organization_id BIGINT NOT NULL REFERENCES organizations (id),
    kind            TEXT NOT NULL CHECK (kind IN ('created', 'accepted', 'replied', 'note_added', 'status_changed',
                        'priority_changed', 'category_changed', 'assigned', 'sla_breached', 'closed', 'reopened', 'auto_closed')),
    -- NULL: the system.
    actor_id        BIGINT REFERENCES users (id),
    detail          JSONB NOT NULL DEFAULT '{}',
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_number, id);

-- Columns a user hid on their ticket list.
ALTER TABLE users ADD COLUMN hidden_ticket_columns TEXT[] NOT NULL DEFAULT '{}';
