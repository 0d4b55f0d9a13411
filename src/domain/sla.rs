//! SLA clocks (DESIGN.md section 3): when support must answer, counted in the
//! plan's coverage calendar, and the state shown as `data-sla`.

use chrono::{DateTime, Utc};

use super::calendar::Calendar;
use super::ticket::{ResponseClock as Effect, Status};

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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseClock {
    pub started_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    /// A breach was recorded for this clock.
    pub breached: bool,
    /// A breach was ever recorded on the ticket.
    pub ever_breached: bool,
}

/// The clock's target and calendar, when the ticket's plan sets a target for its priority.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub minutes: u32,
    pub calendar: &'a Calendar,
}

/// The SLA state now. With the target, "at risk" means less than 20 % of the target's
/// business minutes left; without it (lists that skip the calendar), 20 % of the clock's span.
pub fn state(
    status: Status,
    clock: &ResponseClock,
    target: Option<Target>,
    now: DateTime<Utc>,
) -> SlaState {
    match status {
        Status::Closed if clock.ever_breached => SlaState::Breached,
        Status::Closed => SlaState::Met,
        Status::AwaitingCustomer => SlaState::Paused,
        Status::AwaitingResponse | Status::InProgress => match (clock.started_at, clock.due_at) {
            (Some(start), Some(due)) => {
                if clock.breached || now >= due {
                    return SlaState::Breached;
                }
                let at_risk = match target {
                    Some(t) => {
                        t.calendar.business_minutes_between(now, due) * 5 < i64::from(t.minutes)
                    }
                    None => (due - now) * 5 < (due - start),
                };
                if at_risk {
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

/// When support must answer a clock started at `start`: `None` without a target (or a calendar that never opens).
pub fn response_due(start: DateTime<Utc>, target: Option<Target>) -> Option<DateTime<Utc>> {
    let t = target?;
    t.calendar.add_business_minutes(start, i64::from(t.minutes))
}

/// The response clock after an action: started, stopped, kept, or (on a priority change)
/// recomputed from the same start with the new priority's target. A clock that already
/// breached stays breached, due time and all.
pub fn next_clock(
    current: &ResponseClock,
    effect: Effect,
    priority_changed: bool,
    target: Option<Target>,
    now: DateTime<Utc>,
) -> ResponseClock {
    let ever_breached = current.ever_breached;
    match effect {
        Effect::Start => ResponseClock {
            started_at: Some(now),
            due_at: response_due(now, target),
            breached: false,
            ever_breached,
        },
        Effect::Stop => ResponseClock {
            started_at: None,
            due_at: None,
            breached: false,
            ever_breached,
        },
        Effect::Keep => match current.started_at {
            Some(start) if priority_changed && !current.breached => ResponseClock {
                due_at: response_due(start, target),
                ..*current
            },
            _ => *current,
        },
    }
}

/// The resolution clock as stored: business minutes used in finished segments, and
/// the start of the running one (none while awaiting the customer or closed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolutionClock {
    pub minutes_used: i64,
    pub running_since: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub breached: bool,
}

impl ResolutionClock {
    /// A new ticket's clock: running from its creation.
    pub fn start(target: Option<Target>, now: DateTime<Utc>) -> ResolutionClock {
        ResolutionClock {
            minutes_used: 0,
            running_since: Some(now),
            due_at: response_due(now, target),
            breached: false,
        }
    }
}

/// The resolution clock after a status change: it pauses while the ticket awaits the
/// customer, resumes when it leaves that status, and stops on close (a breach is then
/// recorded when the minutes used exceed the target). A reopened ticket runs again.
pub fn next_resolution(
    current: &ResolutionClock,
    to: Status,
    target: Option<Target>,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> ResolutionClock {
    let runs = matches!(to, Status::AwaitingResponse | Status::InProgress);
    // Close the running segment, if any.
    let used = current.minutes_used
        + current
            .running_since
            .map_or(0, |since| calendar.business_minutes_between(since, now));
    let over = target.is_some_and(|t| used > i64::from(t.minutes));
    if runs {
        let since = current.running_since.unwrap_or(now);
        let left = target.map(|t| (i64::from(t.minutes) - current.minutes_used).max(0));
        ResolutionClock {
            minutes_used: current.minutes_used,
            running_since: Some(since),
            due_at: match (target, left) {
                (Some(t), Some(left)) => t.calendar.add_business_minutes(since, left),
                _ => None,
            },
            breached: current.breached,
        }
    } else {
        ResolutionClock {
            minutes_used: used,
            running_since: None,
            due_at: None,
            breached: current.breached || over,
        }
    }
}

/// A finished response clock, for reports: how long support took in business minutes and whether it was late.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response {
    pub started_at: DateTime<Utc>,
    pub business_minutes: i64,
    pub breached: bool,
}

/// What a public reply that stops `current` at `now` measured (None when no clock ran).
pub fn response(
    current: &ResponseClock,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> Option<Response> {
    let start = current.started_at?;
    Some(Response {
        started_at: start,
        business_minutes: calendar.business_minutes_between(start, now),
        breached: current.breached || current.due_at.is_some_and(|due| now > due),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn st(status: Status, c: &ResponseClock, now: DateTime<Utc>) -> SlaState {
        state(status, c, None, now)
    }

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

    fn tehran() -> Calendar {
        use super::super::calendar::Interval;
        use chrono::{NaiveTime, Weekday};
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
        Calendar {
            tz: chrono_tz::Asia::Tehran,
            always_open: false,
            hours: [
                Weekday::Sat,
                Weekday::Sun,
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
            ]
            .into_iter()
            .map(|weekday| Interval {
                weekday,
                opens: t(8),
                closes: t(17),
            })
            .collect(),
            holidays: Default::default(),
        }
    }

    #[test]
    fn the_resolution_clock_pauses_while_awaiting_the_customer() {
        let cal = Calendar::always_open(chrono_tz::UTC);
        let ten_h = Some(Target {
            minutes: 600,
            calendar: &cal,
        });
        let started = ResolutionClock::start(ten_h, at(0));
        assert_eq!(started.due_at, Some(at(10)));
        // Support answers after 2 h: paused with 120 minutes used.
        let paused = next_resolution(&started, Status::AwaitingCustomer, ten_h, &cal, at(2));
        assert_eq!(
            (paused.minutes_used, paused.running_since, paused.due_at),
            (120, None, None)
        );
        // The customer answers 5 h later: 8 h left from now.
        let resumed = next_resolution(&paused, Status::AwaitingResponse, ten_h, &cal, at(7));
        assert_eq!(
            (resumed.running_since, resumed.due_at),
            (Some(at(7)), Some(at(15)))
        );
        // Accepting (in progress) keeps the running segment.
        assert_eq!(
            next_resolution(&resumed, Status::InProgress, ten_h, &cal, at(8)),
            resumed
        );
        // Closed after 9 h of support time: met.
        let closed = next_resolution(&resumed, Status::Closed, ten_h, &cal, at(14));
        assert_eq!((closed.minutes_used, closed.breached), (540, false));
        // Closed after 11 h: breached, and it stays so when reopened.
        let late = next_resolution(&resumed, Status::Closed, ten_h, &cal, at(16));
        assert!(late.breached);
        let reopened = next_resolution(&late, Status::AwaitingResponse, ten_h, &cal, at(20));
        assert!(reopened.breached && reopened.running_since == Some(at(20)));
        // No target: minutes are still counted, never a due time or a breach.
        let none = next_resolution(
            &ResolutionClock::start(None, at(0)),
            Status::Closed,
            None,
            &cal,
            at(50),
        );
        assert_eq!(
            (none.minutes_used, none.due_at, none.breached),
            (3000, None, false)
        );
    }

    #[test]
    fn the_worked_example_is_due_monday_13_30_tehran() {
        // Wednesday 2026-12-02 16:30 in Tehran (UTC+03:30) = 13:00 UTC.
        let created = Utc.with_ymd_and_hms(2026, 12, 2, 13, 0, 0).unwrap();
        let cal = tehran();
        let due = response_due(
            created,
            Some(Target {
                minutes: 1440,
                calendar: &cal,
            }),
        )
        .unwrap();
        // Monday 2026-12-07 13:30 in Tehran = 10:00 UTC.
        assert_eq!(due, Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap());
        assert_eq!(response_due(created, None), None, "no target, no due time");
    }

    #[test]
    fn clocks_start_stop_and_follow_priority_changes() {
        let cal = Calendar::always_open(chrono_tz::UTC);
        let eight_h = Some(Target {
            minutes: 480,
            calendar: &cal,
        });
        let two_h = Some(Target {
            minutes: 120,
            calendar: &cal,
        });
        let none = ResponseClock {
            started_at: None,
            due_at: None,
            breached: false,
            ever_breached: false,
        };
        let started = next_clock(&none, Effect::Start, false, eight_h, at(0));
        assert_eq!(
            (started.started_at, started.due_at),
            (Some(at(0)), Some(at(8)))
        );
        // A priority change recomputes from the same start…
        let urgent = next_clock(&started, Effect::Keep, true, two_h, at(1));
        assert_eq!(urgent.due_at, Some(at(2)));
        // …to no target at all…
        assert_eq!(
            next_clock(&started, Effect::Keep, true, None, at(1)).due_at,
            None
        );
        // …but a breached clock stays as it was.
        let breached = ResponseClock {
            breached: true,
            ever_breached: true,
            ..started
        };
        assert_eq!(
            next_clock(&breached, Effect::Keep, true, two_h, at(9)),
            breached
        );
        // Keep without a priority change changes nothing; Stop ends the clock but not the history.
        assert_eq!(
            next_clock(&started, Effect::Keep, false, two_h, at(1)),
            started
        );
        let stopped = next_clock(&breached, Effect::Stop, false, eight_h, at(9));
        assert_eq!(
            (
                stopped.started_at,
                stopped.due_at,
                stopped.breached,
                stopped.ever_breached
            ),
            (None, None, false, true)
        );
        // What the reply measured.
        let r = response(&started, &cal, at(3)).unwrap();
        assert_eq!((r.business_minutes, r.breached), (180, false));
        assert!(response(&started, &cal, at(9)).unwrap().breached);
        assert_eq!(response(&none, &cal, at(9)), None);
    }

    #[test]
    fn at_risk_counts_business_minutes_when_the_target_is_known() {
        let cal = tehran();
        // Started Wed 08:00 Tehran (04:30 UTC) with 10 business hours: 9 on Wednesday,
        // 1 on Saturday, due Sat 09:00 Tehran (05:30 UTC).
        let start = Utc.with_ymd_and_hms(2026, 12, 2, 4, 30, 0).unwrap();
        let target = Target {
            minutes: 600,
            calendar: &cal,
        };
        let due = response_due(start, Some(target)).unwrap();
        assert_eq!(due, Utc.with_ymd_and_hms(2026, 12, 5, 5, 30, 0).unwrap());
        let clock = ResponseClock {
            started_at: Some(start),
            due_at: Some(due),
            breached: false,
            ever_breached: false,
        };
        // Wed 16:30 Tehran: 90 of 600 business minutes left (15 %), though most of the
        // wall-clock span (the weekend) is still ahead.
        let late_wednesday = Utc.with_ymd_and_hms(2026, 12, 2, 13, 0, 0).unwrap();
        assert_eq!(
            state(Status::InProgress, &clock, Some(target), late_wednesday),
            SlaState::AtRisk
        );
        assert_eq!(
            state(Status::InProgress, &clock, None, late_wednesday),
            SlaState::Running,
            "wall clock alone misses it"
        );
        // Wed 09:00 Tehran: 540 of 600 left.
        let early = Utc.with_ymd_and_hms(2026, 12, 2, 5, 30, 0).unwrap();
        assert_eq!(
            state(Status::InProgress, &clock, Some(target), early),
            SlaState::Running
        );
        assert_eq!(
            state(Status::InProgress, &clock, Some(target), due),
            SlaState::Breached
        );
    }

    #[test]
    fn states_follow_the_design() {
        let open = Status::AwaitingResponse;
        assert_eq!(st(open, &clock(None, false, false), at(1)), SlaState::None);
        assert_eq!(
            st(open, &clock(Some(10), false, false), at(1)),
            SlaState::Running
        );
        assert_eq!(
            st(open, &clock(Some(10), false, false), at(8)),
            SlaState::Running,
            "exactly 20 % left is not at risk"
        );
        assert_eq!(
            st(open, &clock(Some(10), false, false), at(9)),
            SlaState::AtRisk
        );
        assert_eq!(
            st(Status::InProgress, &clock(Some(10), false, false), at(11)),
            SlaState::Breached
        );
        assert_eq!(
            st(open, &clock(Some(10), true, true), at(1)),
            SlaState::Breached,
            "a recorded breach stays"
        );
        assert_eq!(
            st(Status::AwaitingCustomer, &clock(None, false, true), at(1)),
            SlaState::Paused
        );
        assert_eq!(
            st(Status::Closed, &clock(None, false, false), at(1)),
            SlaState::Met
        );
        assert_eq!(
            st(Status::Closed, &clock(None, false, true), at(1)),
            SlaState::Breached
        );
    }
}
