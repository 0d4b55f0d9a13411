-- Auto-close reads only tickets awaiting the customer, oldest support reply first:
-- its cost follows the number of due tickets, not the size of the table.
CREATE INDEX tickets_auto_close ON tickets (last_support_reply_at) WHERE status = 'awaiting_customer';
