ALTER TABLE tickets
    DROP CONSTRAINT tickets_values_check,
    ADD CONSTRAINT tickets_subject_check CHECK (length(subject) BETWEEN 1 AND 200),
    ADD CONSTRAINT tickets_category_check
        CHECK (category IN ('activation', 'technical', 'financial', 'sales')),
    ADD CONSTRAINT tickets_priority_check
        CHECK (priority IN ('critical', 'urgent', 'high', 'normal', 'low')),
    ADD CONSTRAINT tickets_status_check
        CHECK (status IN ('awaiting_response', 'in_progress', 'awaiting_customer', 'closed')),
    ADD CONSTRAINT tickets_close_reason_check CHECK (close_reason IN ('customer', 'resolved', 'auto')),
    ADD CONSTRAINT tickets_opened_priority_check
        CHECK (opened_priority IN ('critical', 'urgent', 'high', 'normal', 'low'));
ALTER TABLE messages
    DROP CONSTRAINT messages_values_check,
    ADD CONSTRAINT messages_kind_check CHECK (kind IN ('reply', 'note', 'system')),
    ADD CONSTRAINT messages_body_check CHECK (length(body) BETWEEN 1 AND 20000);
ALTER TABLE ticket_events
    DROP CONSTRAINT ticket_events_kind_check,
    ADD CONSTRAINT ticket_events_kind_check CHECK (kind IN ('created', 'accepted', 'replied',
        'note_added', 'status_changed', 'priority_changed', 'category_changed', 'assigned',
        'sla_breached', 'closed', 'reopened', 'auto_closed'));

DROP FUNCTION ticket_values_ok(TEXT, TEXT, TEXT, TEXT, TEXT, TEXT);
DROP FUNCTION message_values_ok(TEXT, TEXT);
DROP FUNCTION ticket_event_kind_ok(TEXT);
