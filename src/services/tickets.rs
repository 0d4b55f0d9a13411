//! Tickets: create, act on (through the state machine), list, and load for a page.
//! Every change and its events are written in one statement (with files: one transaction),
//! and only onto the ticket as the change was decided on (see [`act_guarded`]).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::plans::PlanCache;
use super::{FieldProblem, ServiceError};
use crate::db::accounts::{CarriedFound, CarriedUser};
use crate::db::tickets::{self as q, AttachmentMeta, ListFilter, NewTicket, TicketRow};
use crate::domain::access::customer_sees_ticket;
use crate::domain::account::MemberRole;
use crate::domain::content::{FileKind, MessageBody, Subject};
use crate::domain::sla;
use crate::domain::ticket::{
    self, Action, Actor, AutoCloseTimer, Category, Priority, ResponseClock, Status, TicketState,
    Transition,
};

/// A file that passed the content check, ready to store.
#[derive(Debug, Clone)]
pub struct NewFile {
    pub filename: String,
    pub kind: FileKind,
    pub bytes: Vec<u8>,
}

/// Who is looking at or acting on a ticket.
#[derive(Debug, Clone, Copy)]
pub enum Viewer {
    /// A customer in their current organization.
    Customer {
        user_id: i64,
        org_id: i64,
        role: MemberRole,
    },
    Staff {
        user_id: i64,
    },
}

impl Viewer {
    fn actor(self) -> Actor {
        match self {
            Viewer::Customer { user_id, .. } => Actor::Customer { user_id },
            Viewer::Staff { user_id } => Actor::Agent { user_id },
        }
    }

    fn user_id(self) -> i64 {
        match self {
            Viewer::Customer { user_id, .. } | Viewer::Staff { user_id } => user_id,
        }
    }

    pub fn is_staff(self) -> bool {
        matches!(self, Viewer::Staff { .. })
    }

    /// Customers reach their current organization's tickets (members: their own only); staff reach all.
    pub fn sees(self, t: &TicketRow) -> bool {
        match self {
            Viewer::Staff { .. } => true,
            Viewer::Customer {
                user_id,
                org_id,
                role,
            } => t.organization_id == org_id && customer_sees_ticket(role, user_id, t.requester_id),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct CreateInput {
    pub subject: String,
    pub category: String,
    pub priority: String,
    pub body: String,
}

pub struct ValidTicket {
    pub subject: Subject,
    pub category: Category,
    pub priority: Priority,
    pub body: MessageBody,
}

fn problem(field: &'static str, key: &'static str) -> FieldProblem {
    FieldProblem { field, key }
}

/// Checks a new ticket's fields; values outside the offered choices are malformed (400).
pub fn validate_create(input: &CreateInput) -> Result<ValidTicket, ServiceError> {
    let category = Category::parse(&input.category);
    let priority = Priority::parse(&input.priority);
    let mut malformed = Vec::new();
    if category.is_none() {
        malformed.push(problem("category", "invalid-category"));
    }
    if priority.is_none() {
        malformed.push(problem("priority", "invalid-priority"));
    }
    let subject = Subject::parse(&input.subject);
    let body = MessageBody::parse(&input.body);
    let mut invalid = Vec::new();
    if let Err(key) = &subject {
        invalid.push(problem("subject", key));
    }
    if let Err(key) = &body {
        invalid.push(problem("body", key));
    }
    if !malformed.is_empty() {
        malformed.extend(invalid);
        return Err(ServiceError::Malformed(malformed));
    }
    match (subject, body, category, priority) {
        (Ok(subject), Ok(body), Some(category), Some(priority)) => Ok(ValidTicket {
            subject,
            category,
            priority,
            body,
        }),
        _ => Err(ServiceError::Invalid(invalid)),
    }
}

/// Whether a new ticket counts against the plan's availability and quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quota {
    Counted,
    /// A request to sales for a custom plan: never refused by the plan.
    Exempt,
}

/// Opens a ticket for `requester` in `org_id` under the organization's current plan.
#[allow(clippy::too_many_arguments)] // the connection and the plan cache travel together
pub fn create(
    conn: &mut PgConnection,
    plans: &PlanCache,
    org_id: i64,
    requester: i64,
    t: &ValidTicket,
    files: &[NewFile],
    quota: Quota,
    now: DateTime<Utc>,
) -> Result<i64, ServiceError> {
    conn.transaction(|conn| {
        let plan_id = match quota {
            Quota::Counted => super::plans::check_create(conn, org_id, t.priority, now)?,
            Quota::Exempt => crate::db::plans::organization_plan(conn, org_id)?,
        };
        let transition = ticket::create(t.priority, t.category);
        let plan = plans.current(conn, plan_id)?;
        let resolution = sla::ResolutionClock::start(
            plan.terms
                .terms(t.priority)
                .resolution_minutes
                .map(|minutes| sla::Target {
                    minutes,
                    calendar: &plan.coverage,
                }),
            now,
        );
        let due = plan
            .terms
            .terms(t.priority)
            .response_minutes
            .and_then(|minutes| {
                sla::response_due(
                    now,
                    Some(sla::Target {
                        minutes,
                        calendar: &plan.coverage,
                    }),
                )
            });
        let number = q::insert_ticket(
            conn,
            &NewTicket {
                organization_id: org_id,
                requester_id: requester,
                subject: t.subject.as_str(),
                category: t.category.as_str(),
                priority: t.priority.as_str(),
                opened_priority: t.priority.as_str(),
                status: transition.status.as_str(),
                plan_id,
                quota_exempt: quota == Quota::Exempt,
                resolution_running_since: resolution.running_since,
                resolution_due_at: resolution.due_at,
                response_started_at: Some(now),
                response_due_at: due,
                last_customer_message_at: now,
                created_at: now,
                updated_at: now,
            },
        )?;
        let row = q::ticket(conn, number)?.ok_or(ServiceError::NotFound)?;
        let message_id = q::insert_message(
            conn,
            &row,
            Some(requester),
            "reply",
            false,
            t.body.as_str(),
            now,
        )?;
        write_files(conn, &row, message_id, files, now)?;
        for (kind, detail) in events_of(&transition)? {
            q::insert_event(conn, &row, kind, Some(requester), detail, now)?;
        }
        Ok(number)
    })
}

/// A message that goes with an action: its text and whether it is an internal note.
pub struct Message<'a> {
    pub body: &'a MessageBody,
    pub files: &'a [NewFile],
}

/// What one action on a ticket in this process leaves the next one queued for the same ticket
/// (`web::turns`).
#[derive(Debug, Default)]
pub struct Handed {
    /// The ticket as the action wrote it, and the plan book version it was decided on: the
    /// next action decides on it without reading the ticket again. `None`: read it.
    row: Option<(TicketRow, i64)>,
    /// Whether the action found the ticket changed since it was read or handed on, and was
    /// decided again on the locked row.
    redecided: bool,
}

impl Handed {
    pub fn is_empty(&self) -> bool {
        self.row.is_none()
    }

    pub fn redecided(&self) -> bool {
        self.redecided
    }
}

/// Applies `action` to ticket `number` as `viewer`: checks access (404), asks the
/// state machine (refusal → 409), then writes the ticket, the message and the events.
#[allow(clippy::too_many_arguments)] // the connection and the plan cache travel together
pub fn act(
    conn: &mut PgConnection,
    plans: &PlanCache,
    viewer: Viewer,
    number: i64,
    action: Action,
    message: Option<Message>,
    now: DateTime<Utc>,
    handed: &mut Handed,
) -> Result<Transition, ServiceError> {
    act_guarded(
        conn,
        plans,
        viewer,
        number,
        action,
        message,
        now,
        |_| Ok(()),
        handed,
    )
}

/// Like [`act`], with `guard` looking at the ticket first (e.g. the stale-reply check).
///
/// Without files, the action is decided on the row `handed` holds (or one read without a
/// lock) and written in one statement that writes nothing if the ticket or the plan book
/// changed since ([`q::TicketWrite::unless_changed`]): one round trip where a transaction
/// with the row locked takes four. If it changed (another process, or a job, wrote the
/// ticket), or a handed row leads to a refusal, the action is decided again in a transaction
/// on the locked row, as it always is with files. `handed` ends up holding the ticket as
/// written, or nothing.
#[allow(clippy::too_many_arguments)] // the connection and the plan cache travel together
pub fn act_guarded(
    conn: &mut PgConnection,
    plans: &PlanCache,
    viewer: Viewer,
    number: i64,
    action: Action,
    message: Option<Message>,
    now: DateTime<Utc>,
    guard: impl Fn(&TicketRow) -> Result<(), ServiceError>,
    handed: &mut Handed,
) -> Result<Transition, ServiceError> {
    let decide = |conn: &mut PgConnection, row: &TicketRow, book_version: i64| {
        decide(
            conn,
            plans,
            viewer,
            action,
            message.as_ref(),
            now,
            &guard,
            row,
            book_version,
        )
    };
    // A handed row decided with a plan book older than one seen since would only be refused
    // at the write (and would send the plan cache back to that version): read it again.
    handed.redecided = false;
    let handed_row = handed
        .row
        .take()
        .filter(|(_, book_version)| !plans.is_outdated(*book_version));
    if message.as_ref().is_none_or(|m| m.files.is_empty()) {
        let was_handed = handed_row.is_some();
        let (row, book_version) = match handed_row {
            Some(known) => known,
            None => q::ticket_with_book(conn, number)?.ok_or(ServiceError::NotFound)?,
        };
        match decide(conn, &row, book_version) {
            Ok((transition, write)) => {
                if let Some((written, _)) =
                    write.unless_changed(row.version, book_version).run(conn)?
                {
                    handed.row = Some((written, book_version));
                    return Ok(transition);
                }
                // Changed since: decide again on the locked row.
                handed.redecided = true;
            }
            // A refusal of the ticket as it was read stands; one of a handed row is checked
            // against the stored ticket.
            Err(e) if !was_handed => return Err(e),
            Err(_) => handed.redecided = true,
        }
    }
    let (transition, written) = conn.transaction(|conn| {
        let (row, book_version) =
            q::ticket_for_update(conn, number)?.ok_or(ServiceError::NotFound)?;
        let (transition, write) = decide(conn, &row, book_version)?;
        let (written, message_id) = write.run(conn)?.ok_or_else(|| {
            ServiceError::Db(diesel::result::Error::DeserializationError(
                "the locked ticket's write returned no row".into(),
            ))
        })?;
        if let Some(m) = &message {
            let id = message_id.ok_or_else(|| {
                ServiceError::Db(diesel::result::Error::DeserializationError(
                    "the reply's write returned no message id".into(),
                ))
            })?;
            write_files(conn, &row, id, m.files, now)?;
        }
        Ok::<_, ServiceError>((transition, (written, book_version)))
    })?;
    // Handed on only once committed: a row whose COMMIT failed never was the ticket.
    handed.row = Some(written);
    Ok(transition)
}

/// What `action` does to the ticket `row` (read with plan book version `book_version`): the
/// access check (404), `guard`, the state machine (refusal → 409), and the write it makes.
#[allow(clippy::too_many_arguments)] // one action's inputs, passed on from act_guarded
fn decide<'a>(
    conn: &mut PgConnection,
    plans: &PlanCache,
    viewer: Viewer,
    action: Action,
    message: Option<&'a Message>,
    now: DateTime<Utc>,
    guard: &impl Fn(&TicketRow) -> Result<(), ServiceError>,
    row: &TicketRow,
    book_version: i64,
) -> Result<(Transition, q::TicketWrite<'a>), ServiceError> {
    if !viewer.sees(row) {
        return Err(ServiceError::NotFound);
    }
    let plan = plans.at_version(conn, row.plan_id, book_version)?;
    guard(row)?;
    let state = state_of(row)?;
    let transition = ticket::apply(&state, viewer.actor(), action)
        .map_err(|r| ServiceError::Conflict(r.key()))?;
    let customer_message = matches!(action, Action::CustomerReply);
    let (change, response) = ticket_change(&plan, row, &transition, customer_message, now);
    let new_message = message.map(|m| q::NewMessage {
        author_id: Some(viewer.user_id()),
        kind: if matches!(action, Action::AgentNote) {
            "note"
        } else {
            "reply"
        },
        from_support: viewer.is_staff(),
        body: m.body.as_str(),
    });
    let events = events_of(&transition)?;
    let write = q::TicketWrite::new(
        row,
        change,
        response.as_ref(),
        new_message,
        Some(viewer.user_id()),
        events,
        now,
    );
    Ok((transition, write))
}

fn state_of(row: &TicketRow) -> Result<TicketState, ServiceError> {
    let bad = || {
        ServiceError::Db(diesel::result::Error::DeserializationError(
            "unknown ticket value".into(),
        ))
    };
    Ok(TicketState {
        status: Status::parse(&row.status).ok_or_else(bad)?,
        priority: Priority::parse(&row.priority).ok_or_else(bad)?,
        category: Category::parse(&row.category).ok_or_else(bad)?,
        assignee: row.assignee_id,
    })
}

/// A ticket's stored resolution clock.
pub fn resolution_of(row: &TicketRow) -> sla::ResolutionClock {
    sla::ResolutionClock {
        minutes_used: row.resolution_minutes_used,
        running_since: row.resolution_running_since,
        due_at: row.resolution_due_at,
        breached: row.resolution_breached,
    }
}

/// A ticket's stored response clock.
pub fn clock_of(row: &TicketRow) -> sla::ResponseClock {
    sla::ResponseClock {
        started_at: row.response_started_at,
        due_at: row.response_due_at,
        breached: row.response_breached,
        ever_breached: row.ever_breached,
    }
}

/// The ticket's columns after transition `t`, and the response it measured (if it stopped a
/// running response clock).
fn ticket_change(
    plan: &super::plans::PlanView,
    row: &TicketRow,
    t: &Transition,
    customer_message: bool,
    now: DateTime<Utc>,
) -> (q::TicketChange, Option<sla::Response>) {
    // The response clock follows the state machine, with the plan's target for the (new) priority.
    let target = plan
        .terms
        .terms(t.priority)
        .response_minutes
        .map(|minutes| sla::Target {
            minutes,
            calendar: &plan.coverage,
        });
    let current = clock_of(row);
    let next = sla::next_clock(
        &current,
        t.response_clock,
        t.priority.as_str() != row.priority,
        target,
        now,
    );
    let response = if t.response_clock == ResponseClock::Stop {
        sla::response(&current, &plan.coverage, now)
    } else {
        None
    };
    let (response_started_at, response_due_at, response_breached) =
        (next.started_at, next.due_at, next.breached);
    let resolution_target = plan
        .terms
        .terms(t.priority)
        .resolution_minutes
        .map(|minutes| sla::Target {
            minutes,
            calendar: &plan.coverage,
        });
    let resolution = sla::next_resolution(
        &resolution_of(row),
        t.status,
        resolution_target,
        &plan.coverage,
        now,
    );
    let last_support_reply_at = match t.auto_close {
        AutoCloseTimer::Restart => Some(now),
        AutoCloseTimer::Clear => None,
        AutoCloseTimer::Keep => row.last_support_reply_at,
    };
    let closed_at = match (t.status, row.closed_at) {
        (Status::Closed, Some(at)) => Some(at),
        (Status::Closed, None) => Some(now),
        _ => None,
    };
    let change = q::TicketChange {
        status: t.status.as_str(),
        priority: t.priority.as_str(),
        category: t.category.as_str(),
        assignee_id: t.assignee,
        close_reason: t.close_reason.map(|r| r.as_str()),
        version: row.version + 1,
        response_started_at,
        response_due_at,
        response_breached,
        last_support_reply_at,
        last_customer_message_at: if customer_message {
            now
        } else {
            row.last_customer_message_at
        },
        customer_version: if customer_message {
            row.version + 1
        } else {
            row.customer_version
        },
        closed_at,
        resolution_minutes_used: resolution.minutes_used,
        resolution_running_since: resolution.running_since,
        resolution_due_at: resolution.due_at,
        resolution_breached: resolution.breached,
    };
    (change, response)
}

/// Stores a message's files.
fn write_files(
    conn: &mut PgConnection,
    row: &TicketRow,
    message_id: i64,
    files: &[NewFile],
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    for f in files {
        q::insert_attachment(
            conn,
            row,
            message_id,
            &f.filename,
            f.kind.content_type(),
            &f.bytes,
            now,
        )?;
    }
    Ok(())
}

/// The events of transition `t`: each one's kind and detail, in order.
fn events_of(t: &Transition) -> Result<Vec<(&'static str, serde_json::Value)>, ServiceError> {
    t.events
        .iter()
        .map(|event| {
            serde_json::to_value(event.detail)
                .map(|detail| (event.kind.as_str(), detail))
                .map_err(|e| {
                    ServiceError::Db(diesel::result::Error::SerializationError(Box::new(e)))
                })
        })
        .collect()
}

/// Everything a ticket page shows.
pub struct TicketPage {
    pub ticket: TicketRow,
    /// The plan the ticket was opened under, with its calendar.
    pub plan_view: super::plans::PlanView,
    pub people: q::TicketPeople,
    pub thread: q::Thread,
    /// The names of the thread's people ([`q::Thread::people`]), by user id.
    pub names: rustc_hash::FxHashMap<i64, String>,
    /// Other open tickets of the organization, for staff (see [`q::ticket_with_people`]).
    pub others: Vec<q::TicketLine>,
}

impl TicketPage {
    /// The name of someone the thread names (a message's author, an event's actor); `None`
    /// for the system, or someone unknown.
    pub fn name_of(&self, user_id: Option<i64>) -> Option<&str> {
        user_id
            .and_then(|id| self.names.get(&id))
            .map(String::as_str)
    }
}

/// What a ticket page reads from memory: plans and people's names.
#[derive(Clone)]
pub struct PageKept {
    pub plans: super::plans::PlanCache,
    pub names: super::names::Names,
}

/// Loads a ticket for `viewer`; notes (and their files and events) only for staff.
pub fn page(
    conn: &mut PgConnection,
    viewer: Viewer,
    number: i64,
    kept: &PageKept,
) -> Result<TicketPage, ServiceError> {
    let thread = Some(viewer.is_staff());
    let (_, found) = q::ticket_with_people(conn, number, CarriedUser::NOBODY, false, thread)?;
    page_of(conn, viewer, found, kept)
}

/// [`page`] for a ticket read already ([`q::ticket_with_people`], `None` when there is no
/// such ticket): the same access check, then the rest of the page.
pub fn page_of(
    conn: &mut PgConnection,
    viewer: Viewer,
    found: Option<q::TicketWithPeople>,
    kept: &PageKept,
) -> Result<TicketPage, ServiceError> {
    let q::TicketWithPeople {
        ticket,
        people,
        others,
        thread,
    } = found
        .filter(|t| viewer.sees(&t.ticket))
        .ok_or(ServiceError::NotFound)?;
    let staff = viewer.is_staff();
    // The thread read with the ticket, if it was read for this viewer's side.
    let thread = match thread {
        Some((with_notes, thread)) if with_notes == staff => thread,
        _ => q::thread_of(conn, ticket.number, staff)?,
    };
    Ok(TicketPage {
        people,
        others,
        plan_view: kept.plans.load(conn, ticket.plan_id)?,
        names: kept.names.users(conn, thread.people())?,
        thread,
        ticket,
    })
}

/// Whose tickets a customer's list shows: their organization's, or a member's own there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListScope {
    pub organization_id: i64,
    /// `Some(user)`: a member, who sees the tickets they submitted.
    pub requester_id: Option<i64>,
}

impl ListScope {
    pub fn of(user_id: i64, org_id: i64, role: MemberRole) -> Self {
        Self::managing(user_id, org_id, role.manages())
    }

    /// As [`ListScope::of`], for someone who does or does not manage the organization.
    pub fn managing(user_id: i64, org_id: i64, manages: bool) -> Self {
        ListScope {
            organization_id: org_id,
            requester_id: (!manages).then_some(user_id),
        }
    }
}

/// One page of a customer's ticket list (one row more than asked, to know whether there is a
/// next page), carrying the session's user ([`CarriedUser::on_one_row`]).
pub fn list_for_customer(
    conn: &mut PgConnection,
    scope: ListScope,
    mut filter: ListFilter,
    carry: CarriedUser,
) -> Result<(CarriedFound, Vec<q::TicketLine>), ServiceError> {
    filter.organization_id = scope.organization_id;
    filter.requester_id = scope.requester_id;
    Ok(q::list(conn, &filter, carry)?)
}

/// A file for download: its metadata and bytes, after the ticket's access check.
pub fn attachment(
    conn: &mut PgConnection,
    viewer: Viewer,
    id: i64,
) -> Result<(AttachmentMeta, Vec<u8>), ServiceError> {
    let (meta, number, message_kind) =
        q::attachment_meta(conn, id)?.ok_or(ServiceError::NotFound)?;
    if message_kind == "note" && !viewer.is_staff() {
        return Err(ServiceError::NotFound);
    }
    q::ticket(conn, number)?
        .filter(|t| viewer.sees(t))
        .ok_or(ServiceError::NotFound)?;
    let data = q::attachment_data(conn, id)?;
    Ok((meta, data))
}

/// A public reply or internal note from support. With `version` (the ticket version the
/// form was drafted on), a public reply older than the customer's latest message is not
/// sent: [`ServiceError::Stale`].
#[allow(clippy::too_many_arguments)] // the connection and the plan cache travel together
pub fn support_message(
    conn: &mut PgConnection,
    plans: &PlanCache,
    staff_id: i64,
    number: i64,
    internal: bool,
    message: Message,
    version: Option<i32>,
    now: DateTime<Utc>,
    handed: &mut Handed,
) -> Result<Transition, ServiceError> {
    let action = if internal {
        Action::AgentNote
    } else {
        Action::AgentReply
    };
    let guard = |row: &TicketRow| match version {
        Some(v) if !internal && v < row.customer_version => Err(ServiceError::Stale),
        _ => Ok(()),
    };
    act_guarded(
        conn,
        plans,
        Viewer::Staff { user_id: staff_id },
        number,
        action,
        Some(message),
        now,
        guard,
        handed,
    )
}

/// Assigns the ticket to an active staff member, or unassigns it (`None`).
#[allow(clippy::too_many_arguments)] // the connection and the plan cache travel together
pub fn assign(
    conn: &mut PgConnection,
    plans: &PlanCache,
    staff_id: i64,
    number: i64,
    agent: Option<i64>,
    now: DateTime<Utc>,
    handed: &mut Handed,
) -> Result<Transition, ServiceError> {
    if let Some(agent) = agent
        && !crate::db::queue::is_active_agent(conn, agent)?
    {
        return Err(ServiceError::Malformed(vec![problem(
            "agent",
            "invalid-agent",
        )]));
    }
    act(
        conn,
        plans,
        Viewer::Staff { user_id: staff_id },
        number,
        Action::Assign(agent),
        None,
        now,
        handed,
    )
}
