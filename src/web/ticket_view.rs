//! The ticket page as templates see it, shared by the customer panel and the console.

use chrono::{DateTime, Utc};

use super::plan_view::target_text;
use super::present::{self, body_html, exact, file_size, initials, machine};
use crate::db::tickets::TicketLine;
use crate::domain::sla::{self, SlaState, Target};
use crate::domain::ticket::{Category, Priority, Status};
use crate::i18n::Lang;
use crate::services::plans::PlanView;
use crate::services::tickets::TicketPage;

pub struct FileView {
    pub id: i64,
    pub name: String,
    pub size: String,
}

pub struct MessageView {
    pub kind: String,
    pub from_support: bool,
    pub author: String,
    pub initials: String,
    pub time: String,
    pub time_exact: String,
    pub time_machine: String,
    pub body_html: String,
    pub files: Vec<FileView>,
}

pub struct Day {
    pub label: String,
    pub messages: Vec<MessageView>,
}

pub struct EventView {
    pub kind: String,
    pub text: String,
    pub actor: String,
    pub time_exact: String,
    pub time_machine: String,
}

/// A ticket's identity and state, for list rows and page headers.
#[derive(Clone)]
pub struct TicketSummary {
    pub number: i64,
    pub display_number: String,
    pub subject: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub priority: &'static str,
    pub priority_label: &'static str,
    pub category: &'static str,
    pub category_label: &'static str,
    pub sla: &'static str,
    /// "due in 2 h 10 min", "overdue by 25 min", "paused: awaiting the customer"…
    pub sla_text: String,
    pub due_machine: Option<String>,
    pub due_exact: Option<String>,
    pub open: bool,
    pub updated_relative: String,
    pub updated_exact: String,
    pub updated_machine: String,
    /// Shown on ticket pages only ([`TicketSummary::created_exact`]); lists do not format it.
    pub created_at: DateTime<Utc>,
}

impl TicketSummary {
    /// `plan`: the ticket's plan (for its calendar and target); without it "at risk" is judged on wall-clock time.
    pub fn new(
        lang: Lang,
        prefix: &str,
        t: &TicketLine,
        plan: Option<&PlanView>,
        now: DateTime<Utc>,
    ) -> Self {
        let status = Status::parse(&t.status);
        let priority = Priority::parse(&t.priority);
        let category = Category::parse(&t.category);
        let target = plan.zip(priority).and_then(|(p, pr)| {
            p.terms.terms(pr).response_minutes.map(|minutes| Target {
                minutes,
                calendar: &p.coverage,
            })
        });
        let clock = sla::ResponseClock {
            started_at: t.response_started_at,
            due_at: t.response_due_at,
            breached: t.response_breached,
            ever_breached: t.ever_breached,
        };
        let sla = status.map_or(SlaState::None, |s| sla::state(s, &clock, target, now));
        let due = match sla {
            SlaState::Running | SlaState::AtRisk | SlaState::Breached
                if t.response_started_at.is_some() =>
            {
                t.response_due_at
            }
            _ => None,
        };
        let sla_text = match (sla, due) {
            (SlaState::Running | SlaState::AtRisk, Some(d)) => {
                lang.t_args("sla-due-in", &[("span", span(lang, d - now).into())])
            }
            (SlaState::Breached, Some(d)) => {
                lang.t_args("sla-overdue-by", &[("span", span(lang, now - d).into())])
            }
            (state, _) => lang.t(&format!("sla-{}", state.as_str())),
        };
        TicketSummary {
            number: t.number,
            sla_text,
            due_exact: due.as_ref().map(exact),
            due_machine: due.as_ref().map(machine),
            display_number: format!("{prefix}{}", t.number),
            subject: t.subject.clone(),
            status: status.map_or("", Status::as_str),
            status_label: status.map_or("", Status::label),
            priority: priority.map_or("", Priority::as_str),
            priority_label: priority.map_or("", Priority::label),
            category: category.map_or("", Category::as_str),
            category_label: category.map_or("", Category::label),
            sla: sla.as_str(),
            open: status.is_some_and(Status::is_open),
            updated_relative: present::relative(lang, &t.updated_at, now),
            updated_exact: exact(&t.updated_at),
            updated_machine: machine(&t.updated_at),
            created_at: t.created_at,
        }
    }

    pub fn created_exact(&self) -> String {
        exact(&self.created_at)
    }
}

/// "Support answers within 24 business hours on your Basic plan — by Mon 07 Dec 13:30."
fn promise(lang: Lang, p: &TicketPage) -> Option<String> {
    let t = &p.ticket;
    let due = t.response_due_at.filter(|_| {
        t.response_started_at.is_some()
            && matches!(t.status.as_str(), "awaiting_response" | "in_progress")
    })?;
    let minutes = p
        .plan_view
        .terms
        .terms(Priority::parse(&t.priority)?)
        .response_minutes?;
    let local = due
        .with_timezone(&p.plan_view.coverage.tz)
        .format("%a %d %b %H:%M")
        .to_string();
    Some(lang.t_args(
        "sla-promise",
        &[
            (
                "target",
                target_text(lang, Some(minutes), p.plan_view.coverage.always_open).into(),
            ),
            ("plan", p.plan_view.row.name.as_str().into()),
            ("due", local.into()),
        ],
    ))
}

/// "due by 30 Nov 2026, 13:30 UTC", "paused: awaiting the customer (120 of 600 business minutes used)", "met", "missed".
fn resolution(lang: Lang, p: &TicketPage, now: DateTime<Utc>) -> Option<String> {
    let t = &p.ticket;
    let minutes = p
        .plan_view
        .terms
        .terms(Priority::parse(&t.priority)?)
        .resolution_minutes?;
    let late = t.resolution_breached
        || t.resolution_due_at
            .is_some_and(|d| t.resolution_running_since.is_some() && now > d);
    Some(if late {
        lang.t("resolution-missed")
    } else if t.status == "closed" {
        lang.t("resolution-met")
    } else if let (Some(_), Some(due)) = (t.resolution_running_since, t.resolution_due_at) {
        lang.t_args("resolution-due", &[("due", exact(&due).into())])
    } else {
        lang.t_args(
            "resolution-paused",
            &[
                (
                    "used",
                    crate::i18n::FluentArg::Num(t.resolution_minutes_used),
                ),
                ("target", crate::i18n::FluentArg::Num(i64::from(minutes))),
            ],
        )
    })
}

/// "2 d 3 h", "2 h 10 min", "25 min": a span of wall-clock time, rounded to minutes.
fn span(lang: Lang, d: chrono::Duration) -> String {
    let minutes = d.num_minutes().max(0);
    let (days, hours, mins) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    let n = |v: i64| crate::i18n::FluentArg::Num(v);
    if days > 0 {
        lang.t_args("span-days-hours", &[("d", n(days)), ("h", n(hours))])
    } else if hours > 0 {
        lang.t_args("span-hours-minutes", &[("h", n(hours)), ("m", n(mins))])
    } else {
        lang.t_args("span-minutes", &[("m", n(mins))])
    }
}

pub struct TicketView {
    pub summary: TicketSummary,
    /// The customer's promise in words while a response clock runs with a target.
    pub promise: Option<String>,
    /// The resolution target's state in words, when the plan sets one for the priority.
    pub resolution: Option<String>,
    /// When the ticket closes by itself if the customer does not write (awaiting the customer only).
    pub auto_close_at: Option<String>,
    pub version: i32,
    pub requester: String,
    pub assignee: Option<String>,
    pub organization: String,
    pub plan: String,
    pub days: Vec<Day>,
    pub files: Vec<FileView>,
    pub events: Vec<EventView>,
}

impl TicketView {
    /// `auto_close_hours`: to say when a ticket awaiting the customer closes by itself.
    pub fn new(
        lang: Lang,
        prefix: &str,
        auto_close_hours: u32,
        p: TicketPage,
        now: DateTime<Utc>,
    ) -> Self {
        let auto_close_at = match (p.ticket.status.as_str(), p.ticket.last_support_reply_at) {
            ("awaiting_customer", Some(at)) => Some(exact(
                &(at + chrono::Duration::hours(i64::from(auto_close_hours))),
            )),
            _ => None,
        };
        let file_view = |a: &crate::db::tickets::AttachmentMeta| FileView {
            id: a.id,
            name: a.filename.clone(),
            size: file_size(a.size_bytes),
        };
        let mut days: Vec<Day> = Vec::new();
        for m in &p.thread.messages {
            let label = present::day(&m.created_at);
            let author = p
                .name_of(m.author_id)
                .map_or_else(|| lang.t("system-author"), str::to_string);
            let view = MessageView {
                kind: m.kind.clone(),
                from_support: m.from_support,
                initials: initials(&author),
                author,
                time: present::clock(&m.created_at),
                time_exact: exact(&m.created_at),
                time_machine: machine(&m.created_at),
                body_html: body_html(&m.body),
                files: p
                    .thread
                    .attachments
                    .iter()
                    .filter(|a| a.message_id == m.id)
                    .map(file_view)
                    .collect(),
            };
            match days.last_mut() {
                Some(d) if d.label == label => d.messages.push(view),
                _ => days.push(Day {
                    label,
                    messages: vec![view],
                }),
            }
        }
        let names: Vec<(i64, String)> =
            std::iter::once((p.ticket.requester_id, p.people.requester.clone()))
                .chain(p.ticket.assignee_id.zip(p.people.assignee.clone()))
                .collect();
        let events = p
            .thread
            .events
            .iter()
            .map(|e| {
                // Assignment details name agents by id: the requester and the assignee as the
                // ticket's statement read them, anyone else from the thread's names
                // (`Thread::people`). Never the actor's name: who assigned is not who was
                // assigned.
                let lookup = |id: i64| {
                    names
                        .iter()
                        .find(|(i, _)| *i == id)
                        .map(|(_, n)| n.clone())
                        .or_else(|| p.name_of(Some(id)).map(str::to_string))
                        .unwrap_or_else(|| lang.t("someone"))
                };
                EventView {
                    kind: e.kind.clone(),
                    text: present::event_text(lang, e, &lookup),
                    actor: p
                        .name_of(e.actor_id)
                        .map_or_else(|| lang.t("system-author"), str::to_string),
                    time_exact: exact(&e.created_at),
                    time_machine: machine(&e.created_at),
                }
            })
            .collect();
        TicketView {
            promise: promise(lang, &p),
            resolution: resolution(lang, &p, now),
            summary: TicketSummary::new(lang, prefix, &p.ticket.line(), Some(&p.plan_view), now),
            auto_close_at,
            version: p.ticket.version,
            files: p.thread.attachments.iter().map(file_view).collect(),
            requester: p.people.requester,
            assignee: p.people.assignee,
            organization: p.people.organization,
            plan: p.plan_view.row.name.clone(),
            days,
            events,
        }
    }
}

/// The ticket number in a URL: anything but a positive integer is a page that does not exist.
pub fn number_of(path: &str) -> Result<i64, super::AppError> {
    path.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(super::AppError::NotFound)
}

/// A ticket search box's text: a number (`T-1042`, `#1042`, `1042`) and/or text to find;
/// control characters dropped (they cannot be typed, and PostgreSQL refuses NUL), 200 characters at most.
pub fn search_terms(q: &str, prefix: &str) -> (Option<i64>, Option<String>) {
    let text: String = q.chars().filter(|c| !c.is_control()).take(200).collect();
    let text = text.trim();
    let lower = text.to_lowercase();
    let digits = lower
        .strip_prefix(&prefix.to_lowercase())
        .or_else(|| lower.strip_prefix('#'))
        .unwrap_or(&lower);
    let number = digits.parse::<i64>().ok().filter(|n| *n > 0);
    (number, (!text.is_empty()).then(|| text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::search_terms;

    #[test]
    fn searches_read_numbers_and_text() {
        assert_eq!(
            search_terms(" T-1042 ", "T-"),
            (Some(1042), Some("T-1042".into()))
        );
        assert_eq!(search_terms("#7", "T-"), (Some(7), Some("#7".into())));
        assert_eq!(
            search_terms("disk\0 full", "T-"),
            (None, Some("disk full".into()))
        );
        assert_eq!(search_terms("  ", "T-"), (None, None));
    }
}
