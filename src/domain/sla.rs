//! SLA state of a ticket (DESIGN.md section 3, `data-sla`). Business-hours
//! arithmetic for due times comes with the plans and SLA work.

use chrono::{DateTime, Utc};

use super::ticket::Status;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaState {
    /// The ticket's plan has no target for its priority.
    None,
    Running,
    /// Less than 20 % of the target left.
    AtRisk,
    Breached,
    /// Awaiting the customer: nothing is due from support.
    Paused,
    /// Closed with no breach ever recorded.
    Met,
}

impl SlaState {
    pub fn as_str(self) -> &'static str {
        match self {
            SlaState::None => "none",
            SlaState::Running => "running",
            SlaState::AtRisk => "at_risk",
            SlaState::Breached => "breached",
            SlaState::Paused => "paused",
            SlaState::Met => "met",
        }
    }
}

/// The response clock of a ticket as stored.
#[derive(Debug, Clone, Copy)]
pub struct ResponseClock {
    pub started_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    /// A breach was recorded for this clock.
    pub breached: bool,
    /// A breach was ever recorded on the ticket.
    pub ever_breached: bool,
}

pub fn state(status: Status, clock: &ResponseClock, now: DateTime<Utc>) -> SlaState {
    match status {
        Status::Closed if clock.ever_breached => SlaState::Breached,
        Status::Closed => SlaState::Met,
        Status::AwaitingCustomer => SlaState::Paused,
        Status::AwaitingResponse | Status::InProgress => match (clock.started_at, clock.due_at) {
            (Some(start), Some(due)) => {
                if clock.breached || now > due {
                    SlaState::Breached
                } else if (due - now) * 5 < (due - start) {
                    SlaState::AtRisk
                } else {
                    SlaState::Running
                }
            }
            // A running clock whose plan sets no target, or no clock at all.
            _ if clock.breached => SlaState::Breached,
            _ => SlaState::None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn at(h: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap() + Duration::hours(h)
    }

    fn clock(due_h: Option<i64>, breached: bool, ever: bool) -> ResponseClock {
        ResponseClock {
            started_at: Some(at(0)),
            due_at: due_h.map(at),
            breached,
            ever_breached: ever,
        }
    }

    #[test]
    fn states_follow_the_design() {
        let open = Status::AwaitingResponse;
        assert_eq!(
            state(open, &clock(None, false, false), at(1)),
            SlaState::None
        );
        assert_eq!(
            state(open, &clock(Some(10), false, false), at(1)),
            SlaState::Running
        );
        assert_eq!(
            state(open, &clock(Some(10), false, false), at(8)),
            SlaState::Running,
            "exactly 20 % left is not at risk"
        );
        assert_eq!(
            state(open, &clock(Some(10), false, false), at(9)),
            SlaState::AtRisk
        );
        assert_eq!(
            state(Status::InProgress, &clock(Some(10), false, false), at(11)),
            SlaState::Breached
        );
        assert_eq!(
            state(open, &clock(Some(10), true, true), at(1)),
            SlaState::Breached,
            "a recorded breach stays"
        );
        assert_eq!(
            state(Status::AwaitingCustomer, &clock(None, false, true), at(1)),
            SlaState::Paused
        );
        assert_eq!(
            state(Status::Closed, &clock(None, false, false), at(1)),
            SlaState::Met
        );
        assert_eq!(
            state(Status::Closed, &clock(None, false, true), at(1)),
            SlaState::Breached
        );
    }
}
