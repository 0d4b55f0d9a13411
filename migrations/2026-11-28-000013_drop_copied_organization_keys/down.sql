ALTER TABLE messages ADD CONSTRAINT messages_organization_id_fkey
    FOREIGN KEY (organization_id) REFERENCES organizations (id);
ALTER TABLE attachments ADD CONSTRAINT attachments_organization_id_fkey
    FOREIGN KEY (organization_id) REFERENCES organizations (id);
ALTER TABLE ticket_events ADD CONSTRAINT ticket_events_organization_id_fkey
    FOREIGN KEY (organization_id) REFERENCES organizations (id);
ALTER TABLE response_times ADD CONSTRAINT response_times_organization_id_fkey
    FOREIGN KEY (organization_id) REFERENCES organizations (id);
