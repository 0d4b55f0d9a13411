//! Rows and queries for tickets, messages, attachments and events.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Bool;

use super::schema::{attachments, messages, organizations, ticket_events, tickets, users};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tickets)]
pub struct TicketRow {
    pub number: i64,
    pub organization_id: i64,
    pub requester_id: i64,
    pub subject: String,
    pub category: String,
    pub priority: String,
    pub status: String,
    pub assignee_id: Option<i64>,
    pub plan_id: i64,
    pub close_reason: Option<String>,
    pub version: i32,
    pub response_started_at: Option<DateTime<Utc>>,
    pub response_due_at: Option<DateTime<Utc>>,
    pub response_breached: bool,
    pub ever_breached: bool,
    pub last_support_reply_at: Option<DateTime<Utc>>,
    pub last_customer_message_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub customer_version: i32,
    pub resolution_minutes_used: i64,
    pub resolution_running_since: Option<DateTime<Utc>>,
    pub resolution_due_at: Option<DateTime<Utc>>,
    pub resolution_breached: bool,
}

/// What a list shows of a ticket (the queue, the customer list, an organization's other
/// open tickets): half the columns of [`TicketRow`], so a page of rows costs PostgreSQL and
/// the server half the fields to send, parse and allocate.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tickets)]
pub struct TicketLine {
    pub number: i64,
    pub subject: String,
    pub category: String,
    pub priority: String,
    pub status: String,
    pub plan_id: i64,
    pub response_started_at: Option<DateTime<Utc>>,
    pub response_due_at: Option<DateTime<Utc>>,
    pub response_breached: bool,
    pub ever_breached: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

impl TicketRow {
    /// The list columns of this ticket, for a page that shows one ticket with a list's summary.
    pub fn line(&self) -> TicketLine {
        TicketLine {
            number: self.number,
            subject: self.subject.clone(),
            category: self.category.clone(),
            priority: self.priority.clone(),
            status: self.status.clone(),
            plan_id: self.plan_id,
            response_started_at: self.response_started_at,
            response_due_at: self.response_due_at,
            response_breached: self.response_breached,
            ever_breached: self.ever_breached,
            created_at: self.created_at,
            updated_at: self.updated_at,
            closed_at: self.closed_at,
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = tickets)]
pub struct NewTicket<'a> {
    pub organization_id: i64,
    pub requester_id: i64,
    pub subject: &'a str,
    pub category: &'a str,
    pub priority: &'a str,
    /// The priority at creation: what the quota counts.
    pub opened_priority: &'a str,
    pub status: &'a str,
    pub plan_id: i64,
    pub quota_exempt: bool,
    pub resolution_running_since: Option<DateTime<Utc>>,
    pub resolution_due_at: Option<DateTime<Utc>>,
    pub response_started_at: Option<DateTime<Utc>>,
    pub response_due_at: Option<DateTime<Utc>>,
    pub last_customer_message_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A message with its author's name (none for the system).
#[derive(Debug, Clone, Queryable)]
pub struct MessageRow {
    pub id: i64,
    pub kind: String,
    pub from_support: bool,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub author_name: Option<String>,
}

/// An attachment without its bytes.
#[derive(Debug, Clone, Queryable)]
pub struct AttachmentMeta {
    pub id: i64,
    pub message_id: i64,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i32,
}

#[derive(Debug, Clone, Queryable)]
pub struct EventRow {
    pub id: i64,
    pub kind: String,
    pub detail: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub actor_name: Option<String>,
}

/// Records a finished response clock and, the first time, the ticket's first response.
pub fn record_response(
    conn: &mut PgConnection,
    ticket: &TicketRow,
    r: &crate::domain::sla::Response,
    at: DateTime<Utc>,
) -> QueryResult<()> {
    use super::schema::response_times;
    diesel::insert_into(response_times::table)
        .values((
            response_times::ticket_number.eq(ticket.number),
            response_times::organization_id.eq(ticket.organization_id),
            response_times::started_at.eq(r.started_at),
            response_times::responded_at.eq(at),
            response_times::business_minutes.eq(r.business_minutes),
            response_times::breached.eq(r.breached),
        ))
        .execute(conn)?;
    diesel::update(
        tickets::table
            .find(ticket.number)
            .filter(tickets::first_response_at.is_null()),
    )
    .set((
        tickets::first_response_at.eq(at),
        tickets::first_response_minutes.eq(r.business_minutes),
    ))
    .execute(conn)
    .map(|_| ())
}

pub fn insert_ticket(conn: &mut PgConnection, t: &NewTicket) -> QueryResult<i64> {
    diesel::insert_into(tickets::table)
        .values(t)
        .returning(tickets::number)
        .get_result(conn)
}

/// The ticket, locked for the rest of the transaction (changes to one ticket happen one at a
/// time), with the plan book's version read in the same statement (a write checks its cached
/// plan against it: one round trip less).
pub fn ticket_for_update(
    conn: &mut PgConnection,
    number: i64,
) -> QueryResult<Option<(TicketRow, i64)>> {
    let book_version = super::schema::plan_book::table
        .select(super::schema::plan_book::version)
        .single_value()
        .assume_not_null();
    tickets::table
        .find(number)
        .select((TicketRow::as_select(), book_version))
        .for_update()
        .first(conn)
        .optional()
}

pub fn ticket(conn: &mut PgConnection, number: i64) -> QueryResult<Option<TicketRow>> {
    tickets::table
        .find(number)
        .select(TicketRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert_message(
    conn: &mut PgConnection,
    ticket: &TicketRow,
    author_id: Option<i64>,
    kind: &str,
    from_support: bool,
    body: &str,
    at: DateTime<Utc>,
) -> QueryResult<i64> {
    diesel::insert_into(messages::table)
        .values((
            messages::ticket_number.eq(ticket.number),
            messages::organization_id.eq(ticket.organization_id),
            messages::author_id.eq(author_id),
            messages::kind.eq(kind),
            messages::from_support.eq(from_support),
            messages::body.eq(body),
            messages::created_at.eq(at),
        ))
        .returning(messages::id)
        .get_result(conn)
}

pub fn insert_attachment(
    conn: &mut PgConnection,
    ticket: &TicketRow,
    message_id: i64,
    filename: &str,
    content_type: &str,
    data: &[u8],
    at: DateTime<Utc>,
) -> QueryResult<i64> {
    diesel::insert_into(attachments::table)
        .values((
            attachments::ticket_number.eq(ticket.number),
            attachments::message_id.eq(message_id),
            attachments::organization_id.eq(ticket.organization_id),
            attachments::filename.eq(filename),
            attachments::content_type.eq(content_type),
            attachments::size_bytes.eq(data.len() as i32),
            attachments::data.eq(data),
            attachments::created_at.eq(at),
        ))
        .returning(attachments::id)
        .get_result(conn)
}

pub fn insert_event(
    conn: &mut PgConnection,
    ticket: &TicketRow,
    kind: &str,
    actor_id: Option<i64>,
    detail: serde_json::Value,
    at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(ticket_events::table)
        .values((
            ticket_events::ticket_number.eq(ticket.number),
            ticket_events::organization_id.eq(ticket.organization_id),
            ticket_events::kind.eq(kind),
            ticket_events::actor_id.eq(actor_id),
            ticket_events::detail.eq(detail),
            ticket_events::created_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The thread in order; `with_notes` only for staff.
pub fn messages_of(
    conn: &mut PgConnection,
    number: i64,
    with_notes: bool,
) -> QueryResult<Vec<MessageRow>> {
    // `with_notes` is a parameter, not a second statement: one static statement, which Diesel
    // finds in its cache by type instead of writing its SQL out on every page.
    messages::table
        .left_join(users::table.on(users::id.nullable().eq(messages::author_id)))
        .filter(messages::ticket_number.eq(number))
        .filter(messages::kind.ne("note").or(with_notes.into_sql::<Bool>()))
        .order(messages::id.asc())
        .select((
            messages::id,
            messages::kind,
            messages::from_support,
            messages::body,
            messages::created_at,
            users::name.nullable(),
        ))
        .load(conn)
}

/// Files of the ticket; `with_notes` includes files attached to internal notes (staff only).
pub fn attachments_of(
    conn: &mut PgConnection,
    number: i64,
    with_notes: bool,
) -> QueryResult<Vec<AttachmentMeta>> {
    attachments::table
        .inner_join(messages::table)
        .filter(attachments::ticket_number.eq(number))
        .filter(messages::kind.ne("note").or(with_notes.into_sql::<Bool>()))
        .order(attachments::id.asc())
        .select((
            attachments::id,
            attachments::message_id,
            attachments::filename,
            attachments::content_type,
            attachments::size_bytes,
        ))
        .load(conn)
}

pub fn events_of(
    conn: &mut PgConnection,
    number: i64,
    with_notes: bool,
) -> QueryResult<Vec<EventRow>> {
    // The actor's name as a subquery, not a join: a one-table statement, so PostgreSQL's
    // choice between its generic and a custom plan no longer flips with the statistics of
    // busy tickets (it planned the join anew on every page then, 95 µs each time).
    let actor_name = users::table
        .filter(users::id.nullable().eq(ticket_events::actor_id))
        .select(users::name)
        .single_value();
    ticket_events::table
        .filter(ticket_events::ticket_number.eq(number))
        .filter(
            ticket_events::kind
                .ne("note_added")
                .or(with_notes.into_sql::<Bool>()),
        )
        .order(ticket_events::id.asc())
        .select((
            ticket_events::id,
            ticket_events::kind,
            ticket_events::detail,
            ticket_events::created_at,
            actor_name,
        ))
        .load(conn)
}

/// An attachment's metadata with the ticket it belongs to (for the access check) and whether it sits on a note.
pub fn attachment_meta(
    conn: &mut PgConnection,
    id: i64,
) -> QueryResult<Option<(AttachmentMeta, i64, String)>> {
    attachments::table
        .inner_join(messages::table)
        .filter(attachments::id.eq(id))
        .select((
            (
                attachments::id,
                attachments::message_id,
                attachments::filename,
                attachments::content_type,
                attachments::size_bytes,
            ),
            attachments::ticket_number,
            messages::kind,
        ))
        .first(conn)
        .optional()
}

pub fn attachment_data(conn: &mut PgConnection, id: i64) -> QueryResult<Vec<u8>> {
    attachments::table
        .find(id)
        .select(attachments::data)
        .first(conn)
}

/// Who a ticket page names besides the ticket itself.
#[derive(Debug, Clone)]
pub struct TicketPeople {
    pub organization: String,
    pub requester: String,
    pub requester_email: String,
    pub assignee: Option<String>,
}

/// A ticket with its organization's name, its requester and its assignee, in one statement.
pub fn ticket_with_people(
    conn: &mut PgConnection,
    number: i64,
) -> QueryResult<Option<(TicketRow, TicketPeople)>> {
    let assignees = diesel::alias!(users as assignees);
    tickets::table
        .find(number)
        .inner_join(organizations::table)
        .inner_join(users::table.on(users::id.eq(tickets::requester_id)))
        .left_join(
            assignees.on(assignees
                .field(users::id)
                .nullable()
                .eq(tickets::assignee_id)),
        )
        .select((
            TicketRow::as_select(),
            organizations::name,
            users::name,
            users::email,
            assignees.field(users::name).nullable(),
        ))
        .first::<(TicketRow, String, String, String, Option<String>)>(conn)
        .optional()
        .map(|found| {
            found.map(
                |(ticket, organization, requester, requester_email, assignee)| {
                    (
                        ticket,
                        TicketPeople {
                            organization,
                            requester,
                            requester_email,
                            assignee,
                        },
                    )
                },
            )
        })
}

/// Filters of a ticket list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub organization_id: i64,
    /// `Some(user)`: only tickets this user submitted (members).
    pub requester_id: Option<i64>,
    pub status: Option<String>,
    pub priority: Option<String>,
    pub category: Option<String>,
    /// A ticket number (from a search like "T-1042" or "1042").
    pub number: Option<i64>,
    /// Text to find in subjects.
    pub text: Option<String>,
    pub sort_created: bool,
    pub offset: i64,
    pub limit: i64,
}

/// One page of the customer list, newest activity first; fetch `limit` (the caller asks one more than it shows to know if there is a next page).
pub fn list(conn: &mut PgConnection, f: &ListFilter) -> QueryResult<Vec<TicketLine>> {
    let mut q = tickets::table
        .filter(tickets::organization_id.eq(f.organization_id))
        .into_boxed();
    if let Some(requester) = f.requester_id {
        q = q.filter(tickets::requester_id.eq(requester));
    }
    if let Some(s) = &f.status {
        q = q.filter(tickets::status.eq(s.clone()));
    }
    if let Some(p) = &f.priority {
        q = q.filter(tickets::priority.eq(p.clone()));
    }
    if let Some(c) = &f.category {
        q = q.filter(tickets::category.eq(c.clone()));
    }
    match (&f.number, &f.text) {
        (Some(n), Some(text)) => {
            q = q.filter(
                tickets::number
                    .eq(*n)
                    .or(tickets::subject.ilike(like_pattern(text))),
            )
        }
        (Some(n), None) => q = q.filter(tickets::number.eq(*n)),
        (None, Some(text)) => q = q.filter(tickets::subject.ilike(like_pattern(text))),
        (None, None) => {}
    }
    q = if f.sort_created {
        q.order(tickets::number.desc())
    } else {
        q.order((tickets::updated_at.desc(), tickets::number.desc()))
    };
    q.offset(f.offset)
        .limit(f.limit)
        .select(TicketLine::as_select())
        .load(conn)
}

/// `%text%` with the LIKE wildcards in `text` taken literally.
pub(crate) fn like_pattern(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

pub fn set_hidden_columns(
    conn: &mut PgConnection,
    user_id: i64,
    columns: &[String],
) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set(users::hidden_ticket_columns.eq(columns))
        .execute(conn)
}
