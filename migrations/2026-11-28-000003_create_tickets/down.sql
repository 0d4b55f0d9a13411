ALTER TABLE users DROP COLUMN hidden_ticket_columns;
DROP TABLE ticket_events;
DROP TABLE attachments;
DROP TABLE messages;
DROP TABLE tickets;
DROP SEQUENCE ticket_numbers;
