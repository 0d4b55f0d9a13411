//! Rows and queries for tickets, messages, attachments and events.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Jsonb, Nullable, SmallInt, Text, Timestamptz};

use super::accounts::{Carried, CarriedFound, CarriedUser};
use super::literal::Paged;
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

/// A message with its author (none for the system).
#[derive(Debug, Clone)]
pub struct MessageRow {
    pub id: i64,
    pub kind: String,
    pub from_support: bool,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub author_id: Option<i64>,
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

#[derive(Debug, Clone)]
pub struct EventRow {
    pub id: i64,
    pub kind: String,
    pub detail: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub actor_id: Option<i64>,
}

/// A ticket's columns after an action: every column an action may change.
pub struct TicketChange {
    pub status: &'static str,
    pub priority: &'static str,
    pub category: &'static str,
    pub assignee_id: Option<i64>,
    pub close_reason: Option<&'static str>,
    pub version: i32,
    pub response_started_at: Option<DateTime<Utc>>,
    pub response_due_at: Option<DateTime<Utc>>,
    pub response_breached: bool,
    pub last_support_reply_at: Option<DateTime<Utc>>,
    pub last_customer_message_at: DateTime<Utc>,
    pub customer_version: i32,
    pub closed_at: Option<DateTime<Utc>>,
    pub resolution_minutes_used: i64,
    pub resolution_running_since: Option<DateTime<Utc>>,
    pub resolution_due_at: Option<DateTime<Utc>>,
    pub resolution_breached: bool,
}

/// A message an action adds to the thread.
pub struct NewMessage<'a> {
    pub author_id: Option<i64>,
    /// `reply` or `note`.
    pub kind: &'a str,
    pub from_support: bool,
    pub body: &'a str,
}

/// Everything an action writes, as one statement: the ticket's new columns, the response it
/// measured (a row of `response_times`, and the ticket's first response the first time), its
/// message and its events. One round trip, where there was one per row written; Diesel
/// prepares it once per connection (one text per kind of write). The inserts take the
/// ticket's number and organization from the `UPDATE`'s own row, and the statement returns
/// that row as written.
///
/// [`TicketWrite::unless_changed`] makes it conditional: it writes nothing (and returns no
/// row) if the ticket's version or the plan book's version is no longer the one the action
/// was decided on, so an action decided on a row read without a lock is written only if
/// that row is still the ticket (every write of a ticket raises its version).
pub struct TicketWrite<'a> {
    number: i64,
    /// `Some((ticket version, plan book version))`: write only if both are still these.
    unless_changed: Option<(i32, i64)>,
    /// The ticket's columns, as the statement returns them.
    returning: diesel::dsl::AsSelect<TicketRow, diesel::pg::Pg>,
    at: DateTime<Utc>,
    change: TicketChange,
    // The measured response, if any: all four are `Some` or all `None` (from one `Option`).
    first_response_at: Option<DateTime<Utc>>,
    response_started_at: Option<DateTime<Utc>>,
    response_minutes: Option<i64>,
    response_breached: Option<bool>,
    message_author_id: Option<i64>,
    message_kind: Option<&'a str>,
    message_from_support: Option<bool>,
    message_body: Option<&'a str>,
    actor_id: Option<i64>,
    event_kinds: Vec<&'a str>,
    event_details: Vec<serde_json::Value>,
}

impl<'a> TicketWrite<'a> {
    /// `events`: each event's kind and detail, in order.
    pub fn new(
        ticket: &TicketRow,
        change: TicketChange,
        response: Option<&crate::domain::sla::Response>,
        message: Option<NewMessage<'a>>,
        actor_id: Option<i64>,
        events: Vec<(&'a str, serde_json::Value)>,
        at: DateTime<Utc>,
    ) -> Self {
        let (event_kinds, event_details) = events.into_iter().unzip();
        TicketWrite {
            number: ticket.number,
            unless_changed: None,
            returning: TicketRow::as_select(),
            at,
            change,
            first_response_at: response.map(|_| at),
            response_started_at: response.map(|r| r.started_at),
            response_minutes: response.map(|r| r.business_minutes),
            response_breached: response.map(|r| r.breached),
            message_author_id: message.as_ref().and_then(|m| m.author_id),
            message_kind: message.as_ref().map(|m| m.kind),
            message_from_support: message.as_ref().map(|m| m.from_support),
            message_body: message.as_ref().map(|m| m.body),
            actor_id,
            event_kinds,
            event_details,
        }
    }

    /// Writes only if the ticket's version is still `version` and the plan book's still
    /// `book_version` (those the action was decided on).
    pub fn unless_changed(mut self, version: i32, book_version: i64) -> Self {
        self.unless_changed = Some((version, book_version));
        self
    }

    /// Writes it all: the ticket as written and the new message's id if there was one; `None`
    /// if nothing was written (no such ticket, or changed: [`TicketWrite::unless_changed`]).
    pub fn run(self, conn: &mut PgConnection) -> QueryResult<Option<(TicketRow, Option<i64>)>> {
        self.get_result(conn).optional()
    }
}

super::literal::prepared_by_text!(TicketWrite<'_>);

impl diesel::query_builder::Query for TicketWrite<'_> {
    type SqlType = (
        diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<TicketRow, diesel::pg::Pg>>,
        Nullable<BigInt>,
    );
}

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for TicketWrite<'_> {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        use diesel::sql_types::Array;
        let c = &self.change;
        // `sql` then a bind of `value`, in turn.
        macro_rules! then {
            ($sql:literal, $ty:ty, $value:expr) => {
                out.push_sql($sql);
                out.push_bind_param::<$ty, _>($value)?;
            };
        }
        then!("WITH t AS (UPDATE tickets SET status = ", Text, c.status);
        then!(", priority = ", Text, c.priority);
        then!(", category = ", Text, c.category);
        then!(", assignee_id = ", Nullable<BigInt>, &c.assignee_id);
        then!(", close_reason = ", Nullable<Text>, &c.close_reason);
        then!(", version = ", Integer, &c.version);
        then!(
            ", response_started_at = ",
            Nullable<Timestamptz>,
            &c.response_started_at
        );
        then!(
            ", response_due_at = ",
            Nullable<Timestamptz>,
            &c.response_due_at
        );
        then!(", response_breached = ", Bool, &c.response_breached);
        then!(
            ", last_support_reply_at = ",
            Nullable<Timestamptz>,
            &c.last_support_reply_at
        );
        then!(
            ", last_customer_message_at = ",
            Timestamptz,
            &c.last_customer_message_at
        );
        then!(", customer_version = ", Integer, &c.customer_version);
        then!(", updated_at = ", Timestamptz, &self.at);
        then!(", closed_at = ", Nullable<Timestamptz>, &c.closed_at);
        then!(
            ", resolution_minutes_used = ",
            BigInt,
            &c.resolution_minutes_used
        );
        then!(
            ", resolution_running_since = ",
            Nullable<Timestamptz>,
            &c.resolution_running_since
        );
        then!(
            ", resolution_due_at = ",
            Nullable<Timestamptz>,
            &c.resolution_due_at
        );
        then!(", resolution_breached = ", Bool, &c.resolution_breached);
        // The first response is kept: SET reads the row as it was.
        then!(
            ", first_response_at = coalesce(first_response_at, ",
            Nullable<Timestamptz>,
            &self.first_response_at
        );
        then!(
            "), first_response_minutes = CASE WHEN first_response_at IS NULL THEN coalesce(",
            Nullable<BigInt>,
            &self.response_minutes
        );
        then!(
            ", first_response_minutes) ELSE first_response_minutes END WHERE number = ",
            BigInt,
            &self.number
        );
        if let Some((version, book_version)) = &self.unless_changed {
            then!(" AND version = ", Integer, version);
            then!(
                " AND (SELECT version FROM plan_book) = ",
                BigInt,
                book_version
            );
        }
        // The row as written, with the names the inserts below and the caller read.
        out.push_sql(" RETURNING ");
        self.returning.walk_ast(out.reborrow())?;
        then!(
            "), r AS (INSERT INTO response_times \
             (ticket_number, organization_id, started_at, responded_at, business_minutes, breached) \
             SELECT t.number, t.organization_id, ",
            Nullable<Timestamptz>,
            &self.response_started_at
        );
        then!(", ", Timestamptz, &self.at);
        then!(", ", Nullable<BigInt>, &self.response_minutes);
        then!(", ", Nullable<Bool>, &self.response_breached);
        then!(
            " FROM t WHERE ",
            Nullable<Timestamptz>,
            &self.response_started_at
        );
        then!(
            " IS NOT NULL), m AS (INSERT INTO messages \
             (ticket_number, organization_id, author_id, kind, from_support, body, created_at) \
             SELECT t.number, t.organization_id, ",
            Nullable<BigInt>,
            &self.message_author_id
        );
        then!(", ", Nullable<Text>, &self.message_kind);
        then!(", ", Nullable<Bool>, &self.message_from_support);
        then!(", ", Nullable<Text>, &self.message_body);
        then!(", ", Timestamptz, &self.at);
        then!(" FROM t WHERE ", Nullable<Text>, &self.message_kind);
        then!(
            " IS NOT NULL RETURNING id), e AS (INSERT INTO ticket_events \
             (ticket_number, organization_id, kind, actor_id, detail, created_at) \
             SELECT t.number, t.organization_id, x.kind, ",
            Nullable<BigInt>,
            &self.actor_id
        );
        then!(", x.detail, ", Timestamptz, &self.at);
        then!(" FROM t CROSS JOIN unnest(", Array<Text>, &self.event_kinds);
        then!(", ", Array<Jsonb>, &self.event_details);
        // Events get their ids in the order given.
        out.push_sql(
            ") WITH ORDINALITY AS x(kind, detail, i) ORDER BY x.i) SELECT t.*, (SELECT id FROM m) FROM t",
        );
        Ok(())
    }
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
    ticket_and_book(number).for_update().first(conn).optional()
}

/// The ticket and the plan book's version, as [`ticket_for_update`] reads them, without a
/// lock: for an action written with [`TicketWrite::unless_changed`].
pub fn ticket_with_book(
    conn: &mut PgConnection,
    number: i64,
) -> QueryResult<Option<(TicketRow, i64)>> {
    ticket_and_book(number).first(conn).optional()
}

type BookVersion = diesel::dsl::AssumeNotNull<
    diesel::dsl::SingleValue<
        diesel::dsl::Select<super::schema::plan_book::table, super::schema::plan_book::version>,
    >,
>;

/// The ticket, with the plan book's version as a column of the same statement.
fn ticket_and_book(
    number: i64,
) -> diesel::dsl::Select<
    diesel::dsl::Find<tickets::table, i64>,
    (
        diesel::dsl::AsSelect<TicketRow, diesel::pg::Pg>,
        BookVersion,
    ),
> {
    let book_version: BookVersion = super::schema::plan_book::table
        .select(super::schema::plan_book::version)
        .single_value()
        .assume_not_null();
    tickets::table
        .find(number)
        .select((TicketRow::as_select(), book_version))
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

/// A ticket's thread: its messages, their files and its events, each in order.
#[derive(Debug, Clone, Default)]
pub struct Thread {
    pub messages: Vec<MessageRow>,
    pub attachments: Vec<AttachmentMeta>,
    pub events: Vec<EventRow>,
}

impl Thread {
    /// The users the thread names: its messages' authors, its events' actors and the agents
    /// its assignments name ([`crate::domain::ticket::EventDetail::Assignee`]'s `to`).
    pub fn people(&self) -> impl Iterator<Item = i64> + '_ {
        let authors = self.messages.iter().filter_map(|m| m.author_id);
        let assigned = self
            .events
            .iter()
            .filter(|e| e.kind == crate::domain::ticket::EventKind::Assigned.as_str())
            .filter_map(|e| e.detail.get("to").and_then(serde_json::Value::as_i64));
        authors
            .chain(self.events.iter().filter_map(|e| e.actor_id))
            .chain(assigned)
    }
}

/// One row of [`THREAD`]: a message, a file or an event, told apart by `part`; the columns
/// another part has are NULL.
#[derive(QueryableByName, Queryable)]
struct ThreadPart {
    #[diesel(sql_type = SmallInt)]
    part: i16,
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    kind: Option<String>,
    #[diesel(sql_type = Nullable<Bool>)]
    from_support: Option<bool>,
    #[diesel(sql_type = Nullable<Text>)]
    body: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    created_at: Option<DateTime<Utc>>,
    /// The message's author or the event's actor.
    #[diesel(sql_type = Nullable<BigInt>)]
    person_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    message_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    filename: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    content_type: Option<String>,
    #[diesel(sql_type = Nullable<Integer>)]
    size_bytes: Option<i32>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    detail: Option<serde_json::Value>,
}

/// Messages (part 0, with the author's id), files (part 1) and events (part 2, with the
/// actor's id) of ticket `$1`, in one statement: a ticket page's three lists in one round
/// trip instead of three. `$2` is whether internal notes, their files and their events are
/// included (staff only). Every branch reads one table by the ticket index, so PostgreSQL's
/// cached generic plan suits every ticket. The people's names come from memory
/// (`services::names`, for [`Thread::people`]): read here, one index probe and a table
/// page for each message and event, they were about a fifth of the statement.
const THREAD: &str = "
SELECT 0::int2 AS part, m.id, m.kind, m.from_support, m.body, m.created_at,
       m.author_id AS person_id, NULL::int8 AS message_id, NULL::text AS filename, NULL::text AS content_type,
       NULL::int4 AS size_bytes, NULL::jsonb AS detail
FROM messages m
WHERE m.ticket_number = $1 AND (m.kind <> 'note' OR $2)
UNION ALL
SELECT 1::int2, a.id, NULL, NULL, NULL, NULL, NULL, a.message_id, a.filename, a.content_type,
       a.size_bytes, NULL
FROM attachments a
WHERE a.ticket_number = $1
  AND ($2 OR (SELECT m.kind FROM messages m WHERE m.id = a.message_id) <> 'note')
UNION ALL
SELECT 2::int2, e.id, e.kind, NULL, NULL, e.created_at, e.actor_id, NULL, NULL, NULL, NULL,
       e.detail
FROM ticket_events e
WHERE e.ticket_number = $1 AND (e.kind <> 'note_added' OR $2)
ORDER BY part, id";

/// [`THREAD`] without its order: the ticket statement's thread column ([`ThreadColumn`])
/// orders the parts as it gathers them.
fn thread_parts() -> &'static str {
    THREAD.trim_end_matches("\nORDER BY part, id")
}

/// Writes `sql` with each `$1` as `number` and each `$2` as `with_notes` (Diesel numbers each
/// bind's placeholder itself, in order).
fn write_thread<'b>(
    sql: &'b str,
    mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    number: impl Fn(&mut diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>) -> QueryResult<()>,
    with_notes: &'b bool,
) -> QueryResult<()> {
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_sql(&rest[..at]);
        if rest[at + 1..].starts_with('1') {
            number(&mut out)?;
        } else {
            out.push_bind_param::<Bool, _>(with_notes)?;
        }
        rest = &rest[at + 2..];
    }
    out.push_sql(rest);
    Ok(())
}

/// [`THREAD`] as a statement Diesel prepares once per connection: `sql_query` never caches
/// its statement, so PostgreSQL parsed and planned it on every page (0.2 ms).
struct ThreadQuery {
    number: i64,
    with_notes: bool,
}

super::literal::prepared_by_text!(ThreadQuery);

impl diesel::query_builder::Query for ThreadQuery {
    type SqlType = diesel::sql_types::Untyped;
}

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for ThreadQuery {
    fn walk_ast<'b>(
        &'b self,
        out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        write_thread(
            THREAD,
            out,
            |out| out.push_bind_param::<BigInt, _>(&self.number),
            &self.with_notes,
        )
    }
}

/// A ticket statement's column holding its thread ([`THREAD`]'s rows as records, in its
/// order), so that a ticket page reads its ticket and thread in one round trip. `None`: the
/// column is `NULL` (another text).
#[derive(Debug, Clone, Copy)]
struct ThreadColumn {
    with_notes: Option<bool>,
}

type ThreadPartSql = (
    SmallInt,
    BigInt,
    Nullable<Text>,
    Nullable<Bool>,
    Nullable<Text>,
    Nullable<Timestamptz>,
    Nullable<BigInt>,
    Nullable<BigInt>,
    Nullable<Text>,
    Nullable<Text>,
    Nullable<Integer>,
    Nullable<Jsonb>,
);

type ThreadPartFields = <ThreadPart as Queryable<ThreadPartSql, diesel::pg::Pg>>::Row;

super::literal::column_expression!(
    ThreadColumn,
    Nullable<diesel::sql_types::Array<diesel::pg::sql_types::Record<ThreadPartSql>>>
);

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for ThreadColumn {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        let Some(with_notes) = &self.with_notes else {
            out.push_sql("NULL");
            return Ok(());
        };
        out.push_sql(
            "(SELECT array_agg(ROW(t.part, t.id, t.kind, t.from_support, t.body, t.created_at, \
             t.person_id, t.message_id, t.filename, t.content_type, t.size_bytes, t.detail) \
             ORDER BY t.part, t.id) FROM (",
        );
        write_thread(
            thread_parts(),
            out.reborrow(),
            |out| {
                out.push_sql("\"tickets\".\"number\"");
                Ok(())
            },
            with_notes,
        )?;
        out.push_sql(") t)");
        Ok(())
    }
}

/// The thread of ticket `number`; `with_notes` only for staff.
pub fn thread_of(conn: &mut PgConnection, number: i64, with_notes: bool) -> QueryResult<Thread> {
    let parts: Vec<ThreadPart> = ThreadQuery { number, with_notes }.load(conn)?;
    thread_from(parts)
}

/// A thread from [`THREAD`]'s rows, in its order.
fn thread_from(parts: impl IntoIterator<Item = ThreadPart>) -> QueryResult<Thread> {
    let mut thread = Thread::default();
    let missing = |column: &str| {
        diesel::result::Error::DeserializationError(
            format!("thread row without its {column}").into(),
        )
    };
    for p in parts {
        match p.part {
            0 => thread.messages.push(MessageRow {
                id: p.id,
                kind: p.kind.ok_or_else(|| missing("kind"))?,
                from_support: p.from_support.ok_or_else(|| missing("from_support"))?,
                body: p.body.ok_or_else(|| missing("body"))?,
                created_at: p.created_at.ok_or_else(|| missing("created_at"))?,
                author_id: p.person_id,
            }),
            1 => thread.attachments.push(AttachmentMeta {
                id: p.id,
                message_id: p.message_id.ok_or_else(|| missing("message_id"))?,
                filename: p.filename.ok_or_else(|| missing("filename"))?,
                content_type: p.content_type.ok_or_else(|| missing("content_type"))?,
                size_bytes: p.size_bytes.ok_or_else(|| missing("size_bytes"))?,
            }),
            _ => thread.events.push(EventRow {
                id: p.id,
                kind: p.kind.ok_or_else(|| missing("kind"))?,
                detail: p.detail.ok_or_else(|| missing("detail"))?,
                created_at: p.created_at.ok_or_else(|| missing("created_at"))?,
                actor_id: p.person_id,
            }),
        }
    }
    Ok(thread)
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

/// A ticket with its organization's name, its requester and its assignee, in one statement,
/// which also carries the session's user ([`CarriedUser`]) and, with `others` (the console's
/// side card), up to ten other open tickets of its organization, newest first.
///
/// With `thread` (`Some(with_notes)`), the ticket's thread comes along ([`ThreadColumn`]): the
/// page then reads everything it shows in one statement. It is read before the viewer's
/// access is checked, and used only after ([`TicketWithPeople::thread`]).
pub fn ticket_with_people(
    conn: &mut PgConnection,
    number: i64,
    carry: CarriedUser,
    others: bool,
    thread: Option<bool>,
) -> QueryResult<(CarriedFound, Option<TicketWithPeople>)> {
    let assignees = diesel::alias!(users as assignees);
    let mut found = tickets::table
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
            carry,
            OtherOpen { others },
            ThreadColumn { with_notes: thread },
        ))
        .load::<(
            TicketRow,
            String,
            String,
            String,
            Option<String>,
            Carried,
            Option<Vec<OtherOpenFields>>,
            Option<Vec<ThreadPartFields>>,
        )>(conn)?;
    let user = carry.found(found.first_mut().map(|row| &mut row.5))?;
    let ticket = match found.into_iter().next() {
        None => None,
        Some((ticket, organization, requester, requester_email, assignee, _, others, parts)) => {
            let others = others
                .unwrap_or_default()
                .into_iter()
                .map(<TicketLine as Queryable<OtherOpenSql, diesel::pg::Pg>>::build)
                .collect::<Result<_, _>>()
                .map_err(diesel::result::Error::DeserializationError)?;
            let thread = match thread {
                // `array_agg` of no rows is NULL: no parts.
                Some(with_notes) => Some((
                    with_notes,
                    thread_from(
                        parts
                            .unwrap_or_default()
                            .into_iter()
                            .map(<ThreadPart as Queryable<ThreadPartSql, diesel::pg::Pg>>::build)
                            .collect::<Result<Vec<_>, _>>()
                            .map_err(diesel::result::Error::DeserializationError)?,
                    )?,
                )),
                None => None,
            };
            Some(TicketWithPeople {
                ticket,
                people: TicketPeople {
                    organization,
                    requester,
                    requester_email,
                    assignee,
                },
                others,
                thread,
            })
        }
    };
    Ok((user, ticket))
}

/// A ticket as its page reads it ([`ticket_with_people`]).
#[derive(Debug, Clone)]
pub struct TicketWithPeople {
    pub ticket: TicketRow,
    pub people: TicketPeople,
    /// Other open tickets of its organization (the console's side card; empty when not asked).
    pub others: Vec<TicketLine>,
    /// The thread when asked, and whether it holds the internal notes: read before anyone's
    /// access to the ticket was checked, so only for a page that has checked it.
    pub thread: Option<(bool, Thread)>,
}

type OtherOpenFields = <TicketLine as Queryable<OtherOpenSql, diesel::pg::Pg>>::Row;

/// [`TicketLine`]'s columns, in its order.
type OtherOpenSql = (
    BigInt,
    Text,
    Text,
    Text,
    Text,
    BigInt,
    Nullable<Timestamptz>,
    Nullable<Timestamptz>,
    Bool,
    Bool,
    Timestamptz,
    Timestamptz,
    Nullable<Timestamptz>,
);

/// The ticket's statement's column of other open tickets of its organization, as
/// [`TicketLine`]s: a correlated subquery on the organization's open tickets
/// (`tickets_org_open`), run once for the one row. As a statement of its own it was a round
/// trip of the agent ticket page. The limit is a literal, for the reasons of
/// [`super::literal`].
#[derive(Debug, Clone, Copy)]
struct OtherOpen {
    others: bool,
}

// With and without are two texts.
super::literal::column_expression!(
    OtherOpen,
    Nullable<diesel::sql_types::Array<diesel::pg::sql_types::Record<OtherOpenSql>>>
);

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for OtherOpen {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        if !self.others {
            out.push_sql("NULL");
            return Ok(());
        }
        out.push_sql(
            "(SELECT array_agg(ROW(o.number, o.subject, o.category, o.priority, o.status, \
             o.plan_id, o.response_started_at, o.response_due_at, o.response_breached, \
             o.ever_breached, o.created_at, o.updated_at, o.closed_at) ORDER BY o.number DESC) \
             FROM (SELECT * FROM tickets o WHERE o.organization_id = \"tickets\".\"organization_id\" \
             AND o.status <> 'closed' AND o.number <> \"tickets\".\"number\" \
             ORDER BY o.number DESC LIMIT 10) o)",
        );
        Ok(())
    }
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

/// One page of the customer list, newest activity first; fetch `limit` (the caller asks one
/// more than it shows to know if there is a next page). It carries the session's user on one
/// row ([`CarriedUser::on_one_row`]).
pub fn list(
    conn: &mut PgConnection,
    f: &ListFilter,
    carry: CarriedUser,
) -> QueryResult<(CarriedFound, Vec<TicketLine>)> {
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
    // No offset on the first page, and the page size as a literal for the sizes the list
    // offers: bound, they had PostgreSQL plan the statement on every page (as
    // src/db/literal.rs explains). Any other size a URL asks for stays bound, so URLs cannot
    // give a connection a prepared statement per size.
    let q = q.select((
        TicketLine::as_select(),
        carry.for_page(f.offset).on_one_row(),
    ));
    let mut rows: Vec<(TicketLine, Carried)> = if PAGE_SIZES.iter().any(|size| size + 1 == f.limit)
    {
        Paged::new(q, f.limit, f.offset).load(conn)?
    } else {
        Paged::bound(q, f.limit, f.offset).load(conn)?
    };
    let user = carry.found_in(rows.iter_mut().map(|(_, carried)| carried))?;
    Ok((user, rows.into_iter().map(|(line, _)| line).collect()))
}

/// The page sizes the customer's ticket list offers (DESIGN.md allows any up to 100).
pub const PAGE_SIZES: [i64; 4] = [10, 25, 50, 100];

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

#[cfg(test)]
mod tests {
    use super::*;

    /// [`write_thread`] knows two placeholders, and [`thread_parts`] one ending: the thread's
    /// text must keep to both.
    #[test]
    fn the_thread_text_keeps_to_what_its_writers_know() {
        let placeholders: Vec<&str> = THREAD
            .match_indices('$')
            .map(|(at, _)| &THREAD[at..at + 3])
            .collect();
        assert!(!placeholders.is_empty());
        for p in &placeholders {
            assert!(
                matches!(p.as_bytes(), [b'$', b'1' | b'2', c] if !c.is_ascii_digit()),
                "{p:?}"
            );
        }
        assert_ne!(thread_parts(), THREAD);
        assert!(!thread_parts().contains("ORDER BY part"));
    }
}
