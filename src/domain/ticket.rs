//! The ticket state machine of DESIGN.md section 2, and the response-clock
//! effects of section 3, as one pure module: no HTTP, no SQL, no clock reads.
//!
//! Callers load a [`TicketState`], ask [`apply`] what an [`Actor`] doing an
//! [`Action`] would lead to, and either get a [`Transition`] (the new field
//! values, the timeline [`Event`]s to write, and what to do with the response
//! clock and the auto-close timer) or a [`Refusal`] whose message can be shown
//! to the person as is. Because nothing here touches storage, a refusal
//! guarantees that nothing changed; the caller writes a transition's fields
//! and events in one database transaction.
//!
//! What this module deliberately leaves to its callers:
//! - *who may see the ticket* (organization membership, requester) and whether
//!   an id in [`Action::Assign`] really is a staff user: both need the database;
//! - *times*: the caller stamps events and turns [`ResponseClock`] and
//!   [`AutoCloseTimer`] into `response_due_at` / auto-close deadlines, using the
//!   plan's targets and coverage calendar;
//! - *concurrency*: two agents accepting at once both get `Ok` here; the caller
//!   applies the transition with a version check so exactly one wins.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The error of every `FromStr` in this module: the text is not one of the
/// snake_case keys of DESIGN.md.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseKeyError {
    /// What was being parsed, e.g. `"priority"`.
    pub what: &'static str,
    /// The text that did not match any key.
    pub value: String,
}

impl fmt::Display for ParseKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} `{}`", self.what, self.value)
    }
}

impl std::error::Error for ParseKeyError {}

/// Declares a fieldless enum whose variants each have a stable snake_case key
/// (used in URLs, forms, markup hooks and the database) and an English label.
///
/// Generating the key and the serde name from the same literal is what keeps
/// `as_str`, `parse`, `FromStr` and serde from ever disagreeing.
macro_rules! keyed_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($what:literal) {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $key:literal, $label:literal;
            )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(
                $(#[$vmeta])*
                #[serde(rename = $key)]
                $variant,
            )+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: [Self; [$($key),+].len()] = [$(Self::$variant),+];

            /// The stable snake_case key of DESIGN.md.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $key,)+
                }
            }

            /// The English display text.
            pub const fn label(self) -> &'static str {
                match self {
                    $(Self::$variant => $label,)+
                }
            }

            /// The variant whose key is exactly `key` (case-sensitive, no trimming:
            /// keys come from our own forms and links, not from free text).
            pub fn parse(key: &str) -> Option<Self> {
                match key {
                    $($key => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = ParseKeyError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s).ok_or_else(|| ParseKeyError {
                    what: $what,
                    value: s.to_owned(),
                })
            }
        }
    };
}

keyed_enum! {
    /// Where a ticket stands. Everything but `Closed` is "open".
    pub enum Status ("status") {
        /// Support owes an answer; a response clock runs.
        AwaitingResponse = "awaiting_response", "Awaiting Response";
        /// An agent accepted the ticket but has not answered yet; the response
        /// clock still runs (accepting is not answering).
        InProgress = "in_progress", "In Progress";
        /// Support answered; nothing is due from support, and the auto-close
        /// timer runs.
        AwaitingCustomer = "awaiting_customer", "Awaiting Customer";
        Closed = "closed", "Closed";
    }
}

impl Status {
    /// Open tickets can be worked on; a closed one only reopens through a
    /// customer reply.
    pub const fn is_open(self) -> bool {
        !matches!(self, Self::Closed)
    }
}

keyed_enum! {
    /// How urgent a ticket is. Declared most urgent first, so the derived `Ord`
    /// sorts a queue "most urgent first" in ascending order
    /// (`Critical < Urgent < … < Low`).
    #[derive(PartialOrd, Ord)]
    pub enum Priority ("priority") {
        Critical = "critical", "Critical";
        Urgent = "urgent", "Urgent";
        High = "high", "High";
        Normal = "normal", "Normal";
        Low = "low", "Low";
    }
}

keyed_enum! {
    /// What a ticket is about.
    pub enum Category ("category") {
        Activation = "activation", "Activation";
        Technical = "technical", "Technical";
        Financial = "financial", "Financial";
        Sales = "sales", "Sales";
    }
}

keyed_enum! {
    /// Why a ticket was closed.
    pub enum CloseReason ("close reason") {
        /// The customer closed it.
        Customer = "customer", "Closed by the customer";
        /// An agent resolved it.
        Resolved = "resolved", "Resolved by support";
        /// The auto-close job closed it after the customer stayed silent.
        Auto = "auto", "Closed automatically";
    }
}

keyed_enum! {
    /// The kinds of timeline entries (`data-event="KIND"` in the markup).
    pub enum EventKind ("event kind") {
        Created = "created", "Created";
        Accepted = "accepted", "Accepted";
        /// A public reply, from the customer or from support; the event's actor
        /// (recorded by the caller) tells which.
        Replied = "replied", "Replied";
        NoteAdded = "note_added", "Internal note added";
        StatusChanged = "status_changed", "Status changed";
        PriorityChanged = "priority_changed", "Priority changed";
        CategoryChanged = "category_changed", "Category changed";
        /// Assignment, reassignment and unassignment alike.
        Assigned = "assigned", "Assigned";
        /// Written by the SLA breach job, never by [`apply`].
        SlaBreached = "sla_breached", "Response target missed";
        /// A person closed the ticket (reason `customer` or `resolved`).
        Closed = "closed", "Closed";
        Reopened = "reopened", "Reopened";
        /// The system closed the ticket (reason `auto`); used *instead of*
        /// `Closed`, see [`apply`].
        AutoClosed = "auto_closed", "Closed automatically";
    }
}

/// What an event records beyond its kind, shaped so a timeline entry can be
/// rendered from the event alone ("Priority: Normal → High").
///
/// Each kind has exactly one shape:
///
/// | kind | detail |
/// |---|---|
/// | `created` | [`EventDetail::Created`] (the initial priority and category) |
/// | `status_changed` | [`EventDetail::Status`] |
/// | `priority_changed` | [`EventDetail::Priority`] |
/// | `category_changed` | [`EventDetail::Category`] |
/// | `assigned` | [`EventDetail::Assignee`] (`None` = unassigned) |
/// | `closed`, `auto_closed` | [`EventDetail::Close`] |
/// | `accepted`, `replied`, `note_added`, `reopened`, `sla_breached` | [`EventDetail::None`] |
///
/// Serialized internally tagged, e.g.
/// `{"type":"priority","from":"normal","to":"high"}`, so the stored JSON is
/// self-describing even without the kind column next to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventDetail {
    None,
    Created {
        priority: Priority,
        category: Category,
    },
    Status {
        from: Status,
        to: Status,
    },
    Priority {
        from: Priority,
        to: Priority,
    },
    Category {
        from: Category,
        to: Category,
    },
    /// User ids of the staff members; `None` means nobody.
    Assignee {
        from: Option<i64>,
        to: Option<i64>,
    },
    Close {
        reason: CloseReason,
    },
}

/// One timeline entry, without its actor and time (the caller knows both).
///
/// The fields are public so rows can be read back from the database; build new
/// events through [`apply`], [`create`] or [`Event::sla_breached`] so the
/// kind and the detail always match the table on [`EventDetail`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Event {
    pub kind: EventKind,
    pub detail: EventDetail,
}

impl Event {
    /// The event the SLA breach job writes, once per response clock.
    pub const fn sla_breached() -> Self {
        Self::bare(EventKind::SlaBreached)
    }

    const fn bare(kind: EventKind) -> Self {
        Self {
            kind,
            detail: EventDetail::None,
        }
    }

    const fn status_changed(from: Status, to: Status) -> Self {
        Self {
            kind: EventKind::StatusChanged,
            detail: EventDetail::Status { from, to },
        }
    }

    const fn assigned(from: Option<i64>, to: Option<i64>) -> Self {
        Self {
            kind: EventKind::Assigned,
            detail: EventDetail::Assignee { from, to },
        }
    }
}

/// The role in which someone acts on a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Actor {
    /// The requester or a colleague allowed to see the ticket; the caller has
    /// already checked visibility.
    Customer { user_id: i64 },
    /// Any staff user: admins act on tickets exactly as agents do.
    Agent { user_id: i64 },
    /// Scheduled jobs.
    System,
}

impl Actor {
    pub const fn kind(self) -> ActorKind {
        match self {
            Self::Customer { .. } => ActorKind::Customer,
            Self::Agent { .. } => ActorKind::Agent,
            Self::System => ActorKind::System,
        }
    }

    /// The user to record as the events' actor; `None` for the system.
    pub const fn user_id(self) -> Option<i64> {
        match self {
            Self::Customer { user_id } | Self::Agent { user_id } => Some(user_id),
            Self::System => None,
        }
    }
}

/// [`Actor`] without the user id, for refusals and tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActorKind {
    Customer,
    Agent,
    System,
}

impl ActorKind {
    pub const ALL: [Self; 3] = [Self::Customer, Self::Agent, Self::System];
}

/// The ticket fields the state machine reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TicketState {
    pub status: Status,
    pub priority: Priority,
    pub category: Category,
    /// Staff user id.
    pub assignee: Option<i64>,
}

/// Something an actor asks to do to an existing ticket (creating one is
/// [`create`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// A public reply from the customer side; reopens a closed ticket.
    CustomerReply,
    /// A public reply from support.
    AgentReply,
    /// An internal note, never shown to customers.
    AgentNote,
    Accept,
    CustomerClose,
    Resolve,
    AutoClose,
    ChangePriority(Priority),
    ChangeCategory(Category),
    /// `None` unassigns.
    Assign(Option<i64>),
}

impl Action {
    pub const fn kind(self) -> ActionKind {
        match self {
            Self::CustomerReply => ActionKind::CustomerReply,
            Self::AgentReply => ActionKind::AgentReply,
            Self::AgentNote => ActionKind::AgentNote,
            Self::Accept => ActionKind::Accept,
            Self::CustomerClose => ActionKind::CustomerClose,
            Self::Resolve => ActionKind::Resolve,
            Self::AutoClose => ActionKind::AutoClose,
            Self::ChangePriority(_) => ActionKind::ChangePriority,
            Self::ChangeCategory(_) => ActionKind::ChangeCategory,
            Self::Assign(_) => ActionKind::Assign,
        }
    }
}

/// [`Action`] without its payload, so a refusal can name the action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionKind {
    CustomerReply,
    AgentReply,
    AgentNote,
    Accept,
    CustomerClose,
    Resolve,
    AutoClose,
    ChangePriority,
    ChangeCategory,
    Assign,
}

impl ActionKind {
    pub const ALL: [Self; 10] = [
        Self::CustomerReply,
        Self::AgentReply,
        Self::AgentNote,
        Self::Accept,
        Self::CustomerClose,
        Self::Resolve,
        Self::AutoClose,
        Self::ChangePriority,
        Self::ChangeCategory,
        Self::Assign,
    ];

    /// The only kind of actor allowed to take the action. Each action has
    /// exactly one, which is what makes the role check a simple comparison.
    pub const fn performer(self) -> ActorKind {
        match self {
            Self::CustomerReply | Self::CustomerClose => ActorKind::Customer,
            Self::AutoClose => ActorKind::System,
            Self::AgentReply
            | Self::AgentNote
            | Self::Accept
            | Self::Resolve
            | Self::ChangePriority
            | Self::ChangeCategory
            | Self::Assign => ActorKind::Agent,
        }
    }
}

/// What happens to the response clock (DESIGN.md section 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResponseClock {
    /// A new response clock starts now (`response_due_at` = now + target in
    /// the plan's coverage calendar). Any earlier clock has already stopped,
    /// since `Start` only comes with entering awaiting_response.
    Start,
    /// A running response clock stops; a no-op when none runs (e.g. a second
    /// support reply while awaiting the customer).
    Stop,
    /// Whatever runs keeps running, from the same start.
    Keep,
}

/// What happens to the auto-close deadline (`SUPPORTDESK_AUTO_CLOSE_HOURS`
/// after the last public support reply, with no customer message since).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AutoCloseTimer {
    /// Counts again from now: every public support reply.
    Restart,
    /// No deadline any more: the customer wrote, or the ticket closed.
    Clear,
    Keep,
}

/// The outcome of an accepted action: the ticket's fields afterwards, the
/// events to write (in timeline order) and the timer effects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub status: Status,
    pub priority: Priority,
    pub category: Category,
    pub assignee: Option<i64>,
    /// Never empty: every accepted action leaves a trace on the timeline, so
    /// every transition bumps the ticket's version.
    pub events: Vec<Event>,
    pub response_clock: ResponseClock,
    pub auto_close: AutoCloseTimer,
    /// The ticket's close reason *after* the transition: `Some` exactly when
    /// `status` is closed, so a reopen clears the stored reason.
    pub close_reason: Option<CloseReason>,
}

impl Transition {
    /// A transition that changes nothing yet; the rules below add to it.
    fn from_state(state: &TicketState) -> Self {
        Self {
            status: state.status,
            priority: state.priority,
            category: state.category,
            assignee: state.assignee,
            events: Vec::new(),
            response_clock: ResponseClock::Keep,
            auto_close: AutoCloseTimer::Keep,
            close_reason: None,
        }
    }

    /// The ticket's fields after the transition.
    pub const fn state(&self) -> TicketState {
        TicketState {
            status: self.status,
            priority: self.priority,
            category: self.category,
            assignee: self.assignee,
        }
    }

    /// Whether any of the ticket's own fields (status, priority, category,
    /// assignee) differ from `before`. A note, a reply that leaves the status
    /// alone, etc. change none, yet still carry events to write.
    pub fn changes_fields(&self, before: &TicketState) -> bool {
        self.state() != *before
    }

    /// Whether the transition records an event of this kind.
    pub fn has_event(&self, kind: EventKind) -> bool {
        self.events.iter().any(|event| event.kind == kind)
    }

    fn push(&mut self, event: Event) {
        self.events.push(event);
    }

    /// Moves to `to`, recording `status_changed` only when it really changes.
    fn move_to(&mut self, to: Status) {
        if self.status != to {
            self.push(Event::status_changed(self.status, to));
            self.status = to;
        }
    }

    /// Gives an unassigned ticket to the agent who picks it up; an existing
    /// assignee is kept, since taking a colleague's ticket is an explicit
    /// reassignment, not a side effect of answering.
    fn claim_for(&mut self, agent: i64) {
        if self.assignee.is_none() {
            self.push(Event::assigned(None, Some(agent)));
            self.assignee = Some(agent);
        }
    }

    fn close(&mut self, reason: CloseReason) {
        let kind = match reason {
            CloseReason::Auto => EventKind::AutoClosed,
            CloseReason::Customer | CloseReason::Resolved => EventKind::Closed,
        };
        self.push(Event {
            kind,
            detail: EventDetail::Close { reason },
        });
        self.move_to(Status::Closed);
        self.close_reason = Some(reason);
        self.response_clock = ResponseClock::Stop;
        self.auto_close = AutoCloseTimer::Clear;
    }
}

/// Why an action was refused. The `Display` text is meant for the person who
/// tried (shown in a `role="alert"` element); the variants let callers pick a
/// status code or, for a lost accept race, name who took the ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// This kind of actor may never take this action.
    WrongActor {
        action: ActionKind,
        actor: ActorKind,
    },
    /// The action needs an open ticket and this one is closed.
    TicketClosed {
        action: ActionKind,
    },
    /// Closing (by anyone) a ticket that is already closed.
    AlreadyClosed,
    /// Accepting a ticket that is not awaiting a response; when it is in
    /// progress, another agent got there first.
    CannotAccept {
        status: Status,
    },
    /// Auto-closing a ticket that is not awaiting the customer (the customer
    /// has written since the deadline was computed).
    CannotAutoClose {
        status: Status,
    },
    SamePriority(Priority),
    SameCategory(Category),
    /// `None`: unassigning a ticket that has no assignee.
    SameAssignee(Option<i64>),
}

impl Refusal {
    /// The catalog key of the message shown to people (the `Display` text is for logs and tests).
    pub fn key(&self) -> &'static str {
        match *self {
            Self::WrongActor { .. } => "refusal-not-allowed",
            Self::TicketClosed {
                action: ActionKind::Accept,
            } => "refusal-closed-accept",
            Self::TicketClosed {
                action: ActionKind::AgentReply,
            } => "refusal-closed-reply",
            Self::TicketClosed {
                action: ActionKind::AgentNote,
            } => "refusal-closed-note",
            Self::TicketClosed { .. } => "refusal-closed",
            Self::AlreadyClosed => "refusal-already-closed",
            Self::CannotAccept {
                status: Status::InProgress,
            } => "refusal-already-accepted",
            Self::CannotAccept { .. } => "refusal-cannot-accept",
            Self::CannotAutoClose { .. } => "refusal-cannot-auto-close",
            Self::SamePriority(_) => "refusal-same-priority",
            Self::SameCategory(_) => "refusal-same-category",
            Self::SameAssignee(_) => "refusal-same-assignee",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::WrongActor { action, actor } => f.write_str(wrong_actor_message(action, actor)),
            Self::TicketClosed { action } => f.write_str(match action {
                ActionKind::Accept => "This ticket is closed; it cannot be accepted.",
                ActionKind::AgentReply => {
                    "This ticket is closed; support cannot reply to it. \
                     The customer can reopen it by replying."
                }
                ActionKind::AgentNote => "This ticket is closed; notes cannot be added to it.",
                ActionKind::ChangePriority => {
                    "This ticket is closed; its priority cannot be changed."
                }
                ActionKind::ChangeCategory => {
                    "This ticket is closed; its category cannot be changed."
                }
                ActionKind::Assign => "This ticket is closed; it cannot be assigned.",
                // Closing a closed ticket is `AlreadyClosed` and a customer
                // reply reopens, so these are never produced; keep them
                // readable anyway rather than panicking in a Display impl.
                ActionKind::CustomerReply
                | ActionKind::CustomerClose
                | ActionKind::Resolve
                | ActionKind::AutoClose => "This ticket is closed.",
            }),
            Self::AlreadyClosed => f.write_str("This ticket is already closed."),
            Self::CannotAccept { status } => match status {
                Status::InProgress => f.write_str("This ticket has already been accepted."),
                Status::AwaitingCustomer => f.write_str(
                    "Support has already replied to this ticket; \
                     only tickets awaiting a response can be accepted.",
                ),
                Status::Closed => f.write_str("This ticket is closed; it cannot be accepted."),
                Status::AwaitingResponse => f.write_str("This ticket cannot be accepted."),
            },
            Self::CannotAutoClose { status } => write!(
                f,
                "Only tickets awaiting the customer are closed automatically; \
                 this one is {}.",
                status.label()
            ),
            Self::SamePriority(priority) => {
                write!(f, "The ticket already has priority {}.", priority.label())
            }
            Self::SameCategory(category) => {
                write!(f, "The ticket is already in category {}.", category.label())
            }
            Self::SameAssignee(Some(_)) => {
                f.write_str("The ticket is already assigned to that agent.")
            }
            Self::SameAssignee(None) => f.write_str("The ticket is already unassigned."),
        }
    }
}

/// The message for an actor taking an action meant for another role. Written
/// per case so each says what the person *can* do instead where that helps.
fn wrong_actor_message(action: ActionKind, actor: ActorKind) -> &'static str {
    match (action, actor) {
        (ActionKind::CustomerReply, ActorKind::Agent) => {
            "Support staff cannot reply as the customer; send a support reply instead."
        }
        (ActionKind::CustomerClose, ActorKind::Agent) => {
            "Support staff cannot close a ticket as the customer; resolve it instead."
        }
        (ActionKind::CustomerReply, _) => "Only a customer can reply as the customer.",
        (ActionKind::CustomerClose, _) => "Only a customer can close a ticket as the customer.",
        (ActionKind::AutoClose, ActorKind::Customer) => {
            "Tickets are closed automatically only by the system; close the ticket instead."
        }
        (ActionKind::AutoClose, _) => {
            "Tickets are closed automatically only by the system; resolve the ticket instead."
        }
        (ActionKind::AgentReply, _) => "Only support staff can send a support reply.",
        (ActionKind::AgentNote, _) => "Only support staff can add internal notes.",
        (ActionKind::Accept, _) => "Only support staff can accept tickets.",
        (ActionKind::Resolve, _) => "Only support staff can resolve tickets.",
        (ActionKind::ChangePriority, _) => "Only support staff can change the priority.",
        (ActionKind::ChangeCategory, _) => "Only support staff can change the category.",
        (ActionKind::Assign, _) => "Only support staff can assign tickets.",
    }
}

impl std::error::Error for Refusal {}

/// A new ticket, as a customer submits it: awaiting a response, with the
/// response clock started and a `created` event recording the initial
/// priority and category (so the timeline shows where later changes began).
///
/// Availability and quota of the priority on the plan are checked by the
/// caller before this; they are not state-machine rules.
#[must_use]
pub fn create(priority: Priority, category: Category) -> Transition {
    Transition {
        status: Status::AwaitingResponse,
        priority,
        category,
        assignee: None,
        events: vec![Event {
            kind: EventKind::Created,
            detail: EventDetail::Created { priority, category },
        }],
        response_clock: ResponseClock::Start,
        auto_close: AutoCloseTimer::Keep,
        close_reason: None,
    }
}

/// Decides what `actor` doing `action` to a ticket in `state` leads to
/// (DESIGN.md section 2, "State machine").
///
/// The role is checked before the status, so someone who may never take an
/// action hears that, rather than a status-dependent reason that would
/// suggest it could work later.
///
/// Events come in timeline order: the action's own event first, then
/// `status_changed`, then `assigned`. Closings:
/// - `closed` (reason customer / resolved) + `status_changed`;
/// - auto-close writes `auto_closed` (reason auto) + `status_changed` and
///   *no* `closed`: each closing is recorded by exactly one event, so a
///   timeline never shows the same closing twice. Code looking for "when did
///   it close" matches both kinds; both carry [`EventDetail::Close`].
///
/// Reopening (a customer reply on a closed ticket) writes `replied`,
/// `reopened`, `status_changed`.
pub fn apply(state: &TicketState, actor: Actor, action: Action) -> Result<Transition, Refusal> {
    let kind = action.kind();
    if actor.kind() != kind.performer() {
        return Err(Refusal::WrongActor {
            action: kind,
            actor: actor.kind(),
        });
    }
    let status = state.status;
    let mut next = Transition::from_state(state);

    match action {
        Action::Accept => {
            match status {
                Status::AwaitingResponse => {}
                Status::Closed => return Err(Refusal::TicketClosed { action: kind }),
                Status::InProgress | Status::AwaitingCustomer => {
                    return Err(Refusal::CannotAccept { status });
                }
            }
            next.push(Event::bare(EventKind::Accepted));
            next.move_to(Status::InProgress);
            claim(&mut next, actor);
            // Accepting is not answering: the response clock keeps running.
        }

        Action::AgentReply => {
            require_open(status, kind)?;
            next.push(Event::bare(EventKind::Replied));
            next.move_to(Status::AwaitingCustomer);
            claim(&mut next, actor);
            next.response_clock = ResponseClock::Stop;
            next.auto_close = AutoCloseTimer::Restart;
        }

        Action::AgentNote => {
            require_open(status, kind)?;
            // Notes are invisible to the customer, so they neither answer the
            // customer (clock keeps running) nor wait for them.
            next.push(Event::bare(EventKind::NoteAdded));
        }

        Action::CustomerReply => {
            next.push(Event::bare(EventKind::Replied));
            match status {
                Status::AwaitingCustomer => {
                    next.move_to(Status::AwaitingResponse);
                    next.response_clock = ResponseClock::Start;
                }
                Status::Closed => {
                    next.push(Event::bare(EventKind::Reopened));
                    next.move_to(Status::AwaitingResponse);
                    next.response_clock = ResponseClock::Start;
                }
                // Support still owes an answer: the running clock counts from
                // the oldest unanswered message, so a follow-up must not
                // restart it (that would reward nagging with more time).
                Status::AwaitingResponse | Status::InProgress => {}
            }
            // The customer has spoken, so "no customer message since the last
            // support reply" no longer holds.
            next.auto_close = AutoCloseTimer::Clear;
        }

        Action::CustomerClose => {
            require_closable(status)?;
            next.close(CloseReason::Customer);
        }

        Action::Resolve => {
            require_closable(status)?;
            next.close(CloseReason::Resolved);
        }

        Action::AutoClose => {
            match status {
                Status::AwaitingCustomer => {}
                Status::Closed => return Err(Refusal::AlreadyClosed),
                Status::AwaitingResponse | Status::InProgress => {
                    return Err(Refusal::CannotAutoClose { status });
                }
            }
            next.close(CloseReason::Auto);
        }

        Action::ChangePriority(to) => {
            require_open(status, kind)?;
            if to == state.priority {
                return Err(Refusal::SamePriority(to));
            }
            next.push(Event {
                kind: EventKind::PriorityChanged,
                detail: EventDetail::Priority {
                    from: state.priority,
                    to,
                },
            });
            next.priority = to;
            // Keep: the SLA layer recomputes the due time from the same start
            // with the new priority's target.
        }

        Action::ChangeCategory(to) => {
            require_open(status, kind)?;
            if to == state.category {
                return Err(Refusal::SameCategory(to));
            }
            next.push(Event {
                kind: EventKind::CategoryChanged,
                detail: EventDetail::Category {
                    from: state.category,
                    to,
                },
            });
            next.category = to;
        }

        Action::Assign(to) => {
            require_open(status, kind)?;
            if to == state.assignee {
                return Err(Refusal::SameAssignee(to));
            }
            next.push(Event::assigned(state.assignee, to));
            next.assignee = to;
        }
    }

    Ok(next)
}

fn require_open(status: Status, action: ActionKind) -> Result<(), Refusal> {
    if status.is_open() {
        Ok(())
    } else {
        Err(Refusal::TicketClosed { action })
    }
}

fn require_closable(status: Status) -> Result<(), Refusal> {
    if status.is_open() {
        Ok(())
    } else {
        Err(Refusal::AlreadyClosed)
    }
}

/// Assigns the acting agent when the ticket has nobody (accept, support reply).
fn claim(next: &mut Transition, actor: Actor) {
    // Only agents reach the callers (the role check ran first); the pattern
    // keeps that assumption local instead of unwrapping.
    if let Actor::Agent { user_id } = actor {
        next.claim_for(user_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use ActorKind as By;
    use AutoCloseTimer as Timer;
    use EventKind as E;
    use ResponseClock as Clock;
    use Status as S;

    const CUSTOMER: i64 = 1;
    const AGENT: i64 = 42;
    const OTHER_AGENT: i64 = 9;
    const NEW_ASSIGNEE: i64 = 7;

    fn state(status: Status) -> TicketState {
        TicketState {
            status,
            priority: Priority::Normal,
            category: Category::Technical,
            assignee: None,
        }
    }

    fn actor(kind: ActorKind) -> Actor {
        match kind {
            ActorKind::Customer => Actor::Customer { user_id: CUSTOMER },
            ActorKind::Agent => Actor::Agent { user_id: AGENT },
            ActorKind::System => Actor::System,
        }
    }

    /// The action used for each kind in the table; payloads differ from
    /// [`state`]'s values so that allowed changes are real changes.
    fn action(kind: ActionKind) -> Action {
        match kind {
            ActionKind::CustomerReply => Action::CustomerReply,
            ActionKind::AgentReply => Action::AgentReply,
            ActionKind::AgentNote => Action::AgentNote,
            ActionKind::Accept => Action::Accept,
            ActionKind::CustomerClose => Action::CustomerClose,
            ActionKind::Resolve => Action::Resolve,
            ActionKind::AutoClose => Action::AutoClose,
            ActionKind::ChangePriority => Action::ChangePriority(Priority::High),
            ActionKind::ChangeCategory => Action::ChangeCategory(Category::Financial),
            ActionKind::Assign => Action::Assign(Some(NEW_ASSIGNEE)),
        }
    }

    #[derive(Debug)]
    enum Expect {
        Ok {
            to: Status,
            events: &'static [EventKind],
            clock: ResponseClock,
            timer: AutoCloseTimer,
        },
        Err(Refusal),
    }

    const fn ok(
        to: Status,
        events: &'static [EventKind],
        clock: ResponseClock,
        timer: AutoCloseTimer,
    ) -> Expect {
        Expect::Ok {
            to,
            events,
            clock,
            timer,
        }
    }

    /// One row per status × action: who may do it, and what happens when
    /// they do (on an unassigned, normal-priority, technical ticket). Every
    /// other kind of actor must get `WrongActor`, whatever the status.
    ///
    /// Written out row by row rather than derived, so that a wrong rule in
    /// `apply` disagrees with a line a reader can check against DESIGN.md.
    #[rustfmt::skip]
    fn table() -> Vec<(Status, ActionKind, ActorKind, Expect)> {
        use ActionKind as A;
        use Expect::Err as no;
        use Refusal as R;
        use S::{AwaitingCustomer as AC, AwaitingResponse as AR, Closed as CL, InProgress as IP};
        const CLOSED: &[EventKind] = &[E::Closed, E::StatusChanged];
        vec![
            (AR, A::Accept,         By::Agent,    ok(IP, &[E::Accepted, E::StatusChanged, E::Assigned], Clock::Keep, Timer::Keep)),
            (IP, A::Accept,         By::Agent,    no(R::CannotAccept { status: IP })),
            (AC, A::Accept,         By::Agent,    no(R::CannotAccept { status: AC })),
            (CL, A::Accept,         By::Agent,    no(R::TicketClosed { action: A::Accept })),

            (AR, A::AgentReply,     By::Agent,    ok(AC, &[E::Replied, E::StatusChanged, E::Assigned], Clock::Stop, Timer::Restart)),
            (IP, A::AgentReply,     By::Agent,    ok(AC, &[E::Replied, E::StatusChanged, E::Assigned], Clock::Stop, Timer::Restart)),
            (AC, A::AgentReply,     By::Agent,    ok(AC, &[E::Replied, E::Assigned], Clock::Stop, Timer::Restart)),
            (CL, A::AgentReply,     By::Agent,    no(R::TicketClosed { action: A::AgentReply })),

            (AR, A::AgentNote,      By::Agent,    ok(AR, &[E::NoteAdded], Clock::Keep, Timer::Keep)),
            (IP, A::AgentNote,      By::Agent,    ok(IP, &[E::NoteAdded], Clock::Keep, Timer::Keep)),
            (AC, A::AgentNote,      By::Agent,    ok(AC, &[E::NoteAdded], Clock::Keep, Timer::Keep)),
            (CL, A::AgentNote,      By::Agent,    no(R::TicketClosed { action: A::AgentNote })),

            (AR, A::CustomerReply,  By::Customer, ok(AR, &[E::Replied], Clock::Keep, Timer::Clear)),
            (IP, A::CustomerReply,  By::Customer, ok(IP, &[E::Replied], Clock::Keep, Timer::Clear)),
            (AC, A::CustomerReply,  By::Customer, ok(AR, &[E::Replied, E::StatusChanged], Clock::Start, Timer::Clear)),
            (CL, A::CustomerReply,  By::Customer, ok(AR, &[E::Replied, E::Reopened, E::StatusChanged], Clock::Start, Timer::Clear)),

            (AR, A::CustomerClose,  By::Customer, ok(CL, CLOSED, Clock::Stop, Timer::Clear)),
            (IP, A::CustomerClose,  By::Customer, ok(CL, CLOSED, Clock::Stop, Timer::Clear)),
            (AC, A::CustomerClose,  By::Customer, ok(CL, CLOSED, Clock::Stop, Timer::Clear)),
            (CL, A::CustomerClose,  By::Customer, no(R::AlreadyClosed)),

            (AR, A::Resolve,        By::Agent,    ok(CL, CLOSED, Clock::Stop, Timer::Clear)),
            (IP, A::Resolve,        By::Agent,    ok(CL, CLOSED, Clock::Stop, Timer::Clear)),
            (AC, A::Resolve,        By::Agent,    ok(CL, CLOSED, Clock::Stop, Timer::Clear)),
            (CL, A::Resolve,        By::Agent,    no(R::AlreadyClosed)),

            (AR, A::AutoClose,      By::System,   no(R::CannotAutoClose { status: AR })),
            (IP, A::AutoClose,      By::System,   no(R::CannotAutoClose { status: IP })),
            (AC, A::AutoClose,      By::System,   ok(CL, &[E::AutoClosed, E::StatusChanged], Clock::Stop, Timer::Clear)),
            (CL, A::AutoClose,      By::System,   no(R::AlreadyClosed)),

            (AR, A::ChangePriority, By::Agent,    ok(AR, &[E::PriorityChanged], Clock::Keep, Timer::Keep)),
            (IP, A::ChangePriority, By::Agent,    ok(IP, &[E::PriorityChanged], Clock::Keep, Timer::Keep)),
            (AC, A::ChangePriority, By::Agent,    ok(AC, &[E::PriorityChanged], Clock::Keep, Timer::Keep)),
            (CL, A::ChangePriority, By::Agent,    no(R::TicketClosed { action: A::ChangePriority })),

            (AR, A::ChangeCategory, By::Agent,    ok(AR, &[E::CategoryChanged], Clock::Keep, Timer::Keep)),
            (IP, A::ChangeCategory, By::Agent,    ok(IP, &[E::CategoryChanged], Clock::Keep, Timer::Keep)),
            (AC, A::ChangeCategory, By::Agent,    ok(AC, &[E::CategoryChanged], Clock::Keep, Timer::Keep)),
            (CL, A::ChangeCategory, By::Agent,    no(R::TicketClosed { action: A::ChangeCategory })),

            (AR, A::Assign,         By::Agent,    ok(AR, &[E::Assigned], Clock::Keep, Timer::Keep)),
            (IP, A::Assign,         By::Agent,    ok(IP, &[E::Assigned], Clock::Keep, Timer::Keep)),
            (AC, A::Assign,         By::Agent,    ok(AC, &[E::Assigned], Clock::Keep, Timer::Keep)),
            (CL, A::Assign,         By::Agent,    no(R::TicketClosed { action: A::Assign })),
        ]
    }

    /// The one detail shape each kind may carry (the table on `EventDetail`).
    fn detail_fits(event: &Event) -> bool {
        match event.kind {
            E::Created => matches!(event.detail, EventDetail::Created { .. }),
            E::StatusChanged => {
                matches!(event.detail, EventDetail::Status { from, to } if from != to)
            }
            E::PriorityChanged => {
                matches!(event.detail, EventDetail::Priority { from, to } if from != to)
            }
            E::CategoryChanged => {
                matches!(event.detail, EventDetail::Category { from, to } if from != to)
            }
            E::Assigned => matches!(event.detail, EventDetail::Assignee { from, to } if from != to),
            E::Closed => matches!(
                event.detail,
                EventDetail::Close {
                    reason: CloseReason::Customer | CloseReason::Resolved
                }
            ),
            E::AutoClosed => matches!(
                event.detail,
                EventDetail::Close {
                    reason: CloseReason::Auto
                }
            ),
            E::Accepted | E::Replied | E::NoteAdded | E::Reopened | E::SlaBreached => {
                event.detail == EventDetail::None
            }
        }
    }

    #[test]
    fn table_covers_every_status_and_action_once() {
        let table = table();
        assert_eq!(table.len(), Status::ALL.len() * ActionKind::ALL.len());
        for status in Status::ALL {
            for kind in ActionKind::ALL {
                let rows = table
                    .iter()
                    .filter(|(s, a, _, _)| *s == status && *a == kind)
                    .count();
                assert_eq!(rows, 1, "{status:?} × {kind:?}");
            }
        }
    }

    #[test]
    fn every_status_action_and_actor_follows_the_table() {
        let mut checked = 0;
        for (from, kind, allowed, expect) in table() {
            let before = state(from);
            for by in ActorKind::ALL {
                let case = format!("{from:?} × {kind:?} by {by:?}");
                let got = apply(&before, actor(by), action(kind));
                checked += 1;

                if by != allowed {
                    assert_eq!(
                        got,
                        Err(Refusal::WrongActor {
                            action: kind,
                            actor: by
                        }),
                        "{case}"
                    );
                    continue;
                }

                match &expect {
                    Expect::Err(refusal) => assert_eq!(got, Err(*refusal), "{case}"),
                    Expect::Ok {
                        to,
                        events,
                        clock,
                        timer,
                    } => {
                        let t = match got {
                            Ok(t) => t,
                            Err(refusal) => panic!("{case}: refused: {refusal}"),
                        };
                        assert_eq!(t.status, *to, "{case}: status");
                        let kinds: Vec<EventKind> = t.events.iter().map(|e| e.kind).collect();
                        assert_eq!(kinds, *events, "{case}: events");
                        assert_eq!(t.response_clock, *clock, "{case}: clock");
                        assert_eq!(t.auto_close, *timer, "{case}: auto-close timer");
                        assert_eq!(
                            t.close_reason.is_some(),
                            t.status == S::Closed,
                            "{case}: close reason"
                        );
                        assert!(t.events.iter().all(detail_fits), "{case}: details");
                        if let Some(change) = t
                            .events
                            .iter()
                            .find(|e| e.kind == E::StatusChanged)
                            .map(|e| e.detail)
                        {
                            assert_eq!(
                                change,
                                EventDetail::Status { from, to: *to },
                                "{case}: status_changed detail"
                            );
                        }
                        assert_eq!(
                            t.changes_fields(&before),
                            t.state() != before,
                            "{case}: changes_fields"
                        );
                    }
                }
            }
        }
        assert_eq!(checked, 4 * 10 * 3);
    }

    #[test]
    fn create_starts_awaiting_response_with_a_clock() {
        let t = create(Priority::High, Category::Sales);
        assert_eq!(t.status, S::AwaitingResponse);
        assert_eq!(
            (t.priority, t.category, t.assignee),
            (Priority::High, Category::Sales, None)
        );
        assert_eq!(
            t.events,
            vec![Event {
                kind: E::Created,
                detail: EventDetail::Created {
                    priority: Priority::High,
                    category: Category::Sales
                }
            }]
        );
        assert_eq!(t.response_clock, Clock::Start);
        assert_eq!(t.auto_close, Timer::Keep);
        assert_eq!(t.close_reason, None);
    }

    #[test]
    fn accept_assigns_the_acting_agent_when_unassigned() {
        let t = apply(
            &state(S::AwaitingResponse),
            Actor::Agent { user_id: AGENT },
            Action::Accept,
        );
        let t = t.expect("accept");
        assert_eq!(t.assignee, Some(AGENT));
        assert_eq!(
            t.events,
            vec![
                Event::bare(E::Accepted),
                Event::status_changed(S::AwaitingResponse, S::InProgress),
                Event::assigned(None, Some(AGENT)),
            ]
        );
    }

    #[test]
    fn accept_keeps_an_existing_assignee() {
        let before = TicketState {
            assignee: Some(OTHER_AGENT),
            ..state(S::AwaitingResponse)
        };
        let t = apply(&before, Actor::Agent { user_id: AGENT }, Action::Accept).expect("accept");
        assert_eq!(t.assignee, Some(OTHER_AGENT));
        assert!(!t.has_event(E::Assigned));
        assert_eq!(t.status, S::InProgress);
    }

    #[test]
    fn support_reply_assigns_the_agent_when_unassigned() {
        for from in [S::AwaitingResponse, S::InProgress, S::AwaitingCustomer] {
            let t = apply(
                &state(from),
                Actor::Agent { user_id: AGENT },
                Action::AgentReply,
            )
            .expect("reply");
            assert_eq!(t.assignee, Some(AGENT), "{from:?}");
            assert!(
                t.events.contains(&Event::assigned(None, Some(AGENT))),
                "{from:?}"
            );
        }
    }

    #[test]
    fn support_reply_keeps_an_existing_assignee() {
        let before = TicketState {
            assignee: Some(OTHER_AGENT),
            ..state(S::InProgress)
        };
        let t = apply(&before, Actor::Agent { user_id: AGENT }, Action::AgentReply).expect("reply");
        assert_eq!(t.assignee, Some(OTHER_AGENT));
        assert_eq!(
            t.events,
            vec![
                Event::bare(E::Replied),
                Event::status_changed(S::InProgress, S::AwaitingCustomer),
            ]
        );
    }

    #[test]
    fn customer_reply_on_a_closed_ticket_reopens_it() {
        let before = TicketState {
            assignee: Some(OTHER_AGENT),
            priority: Priority::Urgent,
            ..state(S::Closed)
        };
        let t = apply(
            &before,
            Actor::Customer { user_id: CUSTOMER },
            Action::CustomerReply,
        )
        .expect("reopen");
        assert_eq!(
            t.events,
            vec![
                Event::bare(E::Replied),
                Event::bare(E::Reopened),
                Event::status_changed(S::Closed, S::AwaitingResponse),
            ]
        );
        assert_eq!(t.status, S::AwaitingResponse);
        assert_eq!(t.close_reason, None, "a reopen clears the close reason");
        assert_eq!(t.response_clock, Clock::Start);
        assert_eq!(t.auto_close, Timer::Clear);
        // The rest of the ticket is as it was when it closed.
        assert_eq!(t.assignee, Some(OTHER_AGENT));
        assert_eq!(t.priority, Priority::Urgent);
    }

    #[test]
    fn each_closing_records_its_reason_once() {
        let cases = [
            (
                S::InProgress,
                Actor::Customer { user_id: CUSTOMER },
                Action::CustomerClose,
                E::Closed,
                CloseReason::Customer,
            ),
            (
                S::AwaitingResponse,
                Actor::Agent { user_id: AGENT },
                Action::Resolve,
                E::Closed,
                CloseReason::Resolved,
            ),
            (
                S::AwaitingCustomer,
                Actor::System,
                Action::AutoClose,
                E::AutoClosed,
                CloseReason::Auto,
            ),
        ];
        for (from, by, what, kind, reason) in cases {
            let t = apply(&state(from), by, what).expect("close");
            assert_eq!(t.close_reason, Some(reason));
            assert_eq!(
                t.events,
                vec![
                    Event {
                        kind,
                        detail: EventDetail::Close { reason }
                    },
                    Event::status_changed(from, S::Closed),
                ]
            );
            // Auto-close writes auto_closed instead of closed, never both.
            assert_eq!(t.has_event(E::Closed), reason != CloseReason::Auto);
        }
    }

    #[test]
    fn field_changes_record_from_and_to() {
        let before = TicketState {
            assignee: Some(OTHER_AGENT),
            ..state(S::InProgress)
        };
        let agent = Actor::Agent { user_id: AGENT };

        let t =
            apply(&before, agent, Action::ChangePriority(Priority::Critical)).expect("priority");
        assert_eq!(t.priority, Priority::Critical);
        assert_eq!(
            t.events[0].detail,
            EventDetail::Priority {
                from: Priority::Normal,
                to: Priority::Critical
            }
        );
        assert!(t.changes_fields(&before));

        let t = apply(&before, agent, Action::ChangeCategory(Category::Sales)).expect("category");
        assert_eq!(t.category, Category::Sales);
        assert_eq!(
            t.events[0].detail,
            EventDetail::Category {
                from: Category::Technical,
                to: Category::Sales
            }
        );

        let t = apply(&before, agent, Action::Assign(Some(AGENT))).expect("reassign");
        assert_eq!(t.assignee, Some(AGENT));
        assert_eq!(
            t.events,
            vec![Event::assigned(Some(OTHER_AGENT), Some(AGENT))]
        );

        let t = apply(&before, agent, Action::Assign(None)).expect("unassign");
        assert_eq!(t.assignee, None);
        assert_eq!(t.events, vec![Event::assigned(Some(OTHER_AGENT), None)]);
    }

    #[test]
    fn no_op_changes_are_refused() {
        let before = TicketState {
            assignee: Some(OTHER_AGENT),
            ..state(S::AwaitingResponse)
        };
        let agent = Actor::Agent { user_id: AGENT };
        let cases = [
            (
                before,
                Action::ChangePriority(Priority::Normal),
                Refusal::SamePriority(Priority::Normal),
                "The ticket already has priority Normal.",
            ),
            (
                before,
                Action::ChangeCategory(Category::Technical),
                Refusal::SameCategory(Category::Technical),
                "The ticket is already in category Technical.",
            ),
            (
                before,
                Action::Assign(Some(OTHER_AGENT)),
                Refusal::SameAssignee(Some(OTHER_AGENT)),
                "The ticket is already assigned to that agent.",
            ),
            (
                state(S::AwaitingResponse),
                Action::Assign(None),
                Refusal::SameAssignee(None),
                "The ticket is already unassigned.",
            ),
        ];
        for (before, what, refusal, message) in cases {
            assert_eq!(apply(&before, agent, what), Err(refusal));
            assert_eq!(refusal.to_string(), message);
        }
    }

    #[test]
    fn a_note_changes_no_field_but_still_has_an_event() {
        let before = state(S::InProgress);
        let t = apply(&before, Actor::Agent { user_id: AGENT }, Action::AgentNote).expect("note");
        assert!(!t.changes_fields(&before));
        assert_eq!(t.events, vec![Event::bare(E::NoteAdded)]);
    }

    #[test]
    fn refusal_messages_are_sentences() {
        let mut refusals: Vec<Refusal> = Vec::new();
        for action in ActionKind::ALL {
            refusals.push(Refusal::TicketClosed { action });
            for actor in ActorKind::ALL {
                if actor != action.performer() {
                    refusals.push(Refusal::WrongActor { action, actor });
                }
            }
        }
        for status in Status::ALL {
            refusals.push(Refusal::CannotAccept { status });
            refusals.push(Refusal::CannotAutoClose { status });
        }
        refusals.push(Refusal::AlreadyClosed);
        for refusal in refusals {
            let message = refusal.to_string();
            assert!(
                message.starts_with(|c: char| c.is_ascii_uppercase()) && message.ends_with('.'),
                "{refusal:?}: {message}"
            );
        }

        let closed = Refusal::TicketClosed {
            action: ActionKind::Accept,
        };
        assert_eq!(
            closed.to_string(),
            "This ticket is closed; it cannot be accepted."
        );
        let note = Refusal::WrongActor {
            action: ActionKind::AgentNote,
            actor: ActorKind::Customer,
        };
        assert_eq!(
            note.to_string(),
            "Only support staff can add internal notes."
        );
        // Usable as a boxed error.
        let boxed: Box<dyn std::error::Error> = Box::new(closed);
        assert!(!boxed.to_string().is_empty());
    }

    #[test]
    fn keys_round_trip_for_every_enum() {
        fn check<T>(all: &[T], as_str: fn(T) -> &'static str, parse: fn(&str) -> Option<T>)
        where
            T: Copy + PartialEq + fmt::Debug + fmt::Display + FromStr<Err = ParseKeyError>,
        {
            for &value in all {
                let key = as_str(value);
                assert_eq!(parse(key), Some(value), "{key}");
                assert_eq!(key.parse::<T>(), Ok(value), "{key}");
                assert_eq!(value.to_string(), key);
                assert!(
                    key.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                    "{key} is snake_case"
                );
            }
            let mut keys: Vec<&str> = all.iter().map(|&v| as_str(v)).collect();
            keys.sort_unstable();
            keys.dedup();
            assert_eq!(keys.len(), all.len(), "keys are unique");
            assert_eq!(parse(""), None);
            assert_eq!(parse("Closed"), None, "keys are case-sensitive");
            assert!("nope".parse::<T>().is_err());
        }
        check(&Status::ALL, Status::as_str, Status::parse);
        check(&Priority::ALL, Priority::as_str, Priority::parse);
        check(&Category::ALL, Category::as_str, Category::parse);
        check(&CloseReason::ALL, CloseReason::as_str, CloseReason::parse);
        check(&EventKind::ALL, EventKind::as_str, EventKind::parse);
    }

    #[test]
    fn keys_and_labels_match_the_design() {
        let keys = |all: &[&'static str]| all.join(",");
        assert_eq!(
            keys(&Status::ALL.map(Status::as_str)),
            "awaiting_response,in_progress,awaiting_customer,closed"
        );
        assert_eq!(
            keys(&Status::ALL.map(Status::label)),
            "Awaiting Response,In Progress,Awaiting Customer,Closed"
        );
        assert_eq!(
            keys(&Priority::ALL.map(Priority::as_str)),
            "critical,urgent,high,normal,low"
        );
        assert_eq!(
            keys(&Priority::ALL.map(Priority::label)),
            "Critical,Urgent,High,Normal,Low"
        );
        assert_eq!(
            keys(&Category::ALL.map(Category::as_str)),
            "activation,technical,financial,sales"
        );
        assert_eq!(
            keys(&Category::ALL.map(Category::label)),
            "Activation,Technical,Financial,Sales"
        );
        assert_eq!(
            keys(&CloseReason::ALL.map(CloseReason::as_str)),
            "customer,resolved,auto"
        );
        assert_eq!(
            keys(&EventKind::ALL.map(EventKind::as_str)),
            "created,accepted,replied,note_added,status_changed,priority_changed,\
             category_changed,assigned,sla_breached,closed,reopened,auto_closed"
        );
        assert_eq!(
            "urgentt".parse::<Priority>().map_err(|e| e.to_string()),
            Err("unknown priority `urgentt`".to_owned())
        );
    }

    #[test]
    fn priorities_sort_most_urgent_first() {
        let mut shuffled = [
            Priority::Low,
            Priority::Critical,
            Priority::Normal,
            Priority::Urgent,
            Priority::High,
        ];
        shuffled.sort();
        assert_eq!(shuffled, Priority::ALL);
        assert!(Priority::Critical < Priority::Low);
    }

    #[test]
    fn only_closed_is_not_open() {
        for status in Status::ALL {
            assert_eq!(status.is_open(), status != S::Closed);
        }
    }

    #[test]
    fn actors_report_their_user() {
        assert_eq!(Actor::Customer { user_id: 3 }.user_id(), Some(3));
        assert_eq!(Actor::Agent { user_id: 4 }.user_id(), Some(4));
        assert_eq!(Actor::System.user_id(), None);
        assert_eq!(Event::sla_breached().kind, E::SlaBreached);
        assert!(detail_fits(&Event::sla_breached()));
    }
}
