-- SLA: what reports need, and the index the breach job reads.

-- Each finished response clock: when it started, how many business minutes support took, whether it was late.
CREATE TABLE response_times (
    id               BIGSERIAL PRIMARY KEY,
    ticket_number    BIGINT NOT NULL REFERENCES tickets (number),
    organization_id  BIGINT NOT NULL REFERENCES organizations (id),
    started_at       TIMESTAMPTZ NOT NULL,
    responded_at     TIMESTAMPTZ NOT NULL,
    business_minutes BIGINT NOT NULL CHECK (business_minutes >= 0),
    breached         BOOLEAN NOT NULL
);
CREATE INDEX response_times_ticket ON response_times (ticket_number);
CREATE INDEX response_times_org ON response_times (organization_id, responded_at);

ALTER TABLE tickets ADD COLUMN first_response_at TIMESTAMPTZ;
ALTER TABLE tickets ADD COLUMN first_response_minutes BIGINT;

-- Running clocks not yet marked breached, by due time: the breach job reads only those that are due.
CREATE INDEX tickets_sla_due ON tickets (response_due_at)
    WHERE NOT response_breached AND response_due_at IS NOT NULL AND status <> 'closed';
