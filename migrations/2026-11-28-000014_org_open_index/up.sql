-- The console ticket page's "other open tickets" card: the organization's ten newest open
-- tickets. Without it PostgreSQL read every ticket of the organization (100 at 100,000
-- tickets, 1,000 at 1,000,000: 1.6 ms and growing with the data).
CREATE INDEX tickets_org_open ON tickets (organization_id, number DESC) WHERE status <> 'closed';
