//! Coverage calendars and business-time arithmetic (DESIGN.md section 3).
//!
//! A plan's SLA targets are counted in *business minutes* of its coverage
//! calendar: a time zone, weekly opening hours and holidays, or 24/7. This
//! module answers the three questions the SLA clocks and quotas need — when
//! is a target due, how much business time passed between two instants, and
//! which instants bound "this month" — and nothing else: no I/O, no clock.
//!
//! # How time is modelled
//!
//! Opening hours are written in *local wall-clock time* of the calendar's zone
//! ("Saturday 08:00–17:00 in Tehran"), but the arithmetic is done on UTC
//! instants, because only instants have a well-defined distance. Each local
//! day is therefore turned into a list of UTC spans `[opens, closes)`; a
//! day's spans are merged so overlapping intervals count once, and the walk
//! goes day by day. Doing it per day (instead of assuming every week has the
//! same length) is what makes daylight-saving days come out right: the day an
//! hour is skipped, 08:00–17:00 might be 8 real hours long, and that is what
//! gets counted.
//!
//! # Rules at the edges
//!
//! * **Half-open hours.** An interval 08:00–17:00 is open at 08:00 and closed
//!   at 17:00. `is_open(17:00)` is false.
//! * **Closing instants.** When the minutes to add run out exactly at a
//!   closing time, `add_business_minutes` returns that closing instant (a due
//!   time of 17:00, not 08:00 the next working day). This is the only case in
//!   which its result is not an open instant. Adding 0 minutes instead returns
//!   the first open instant at or after the start, so 0 minutes from 17:00 is
//!   the next opening.
//! * **Midnight as a closing time.** `closes == 00:00` means the end of the
//!   day (24:00), so `00:00–00:00` is a whole day. Otherwise an interval with
//!   `closes <= opens` is invalid and ignored (it contributes no open time).
//! * **Local times that do not exist** (the skipped hour when clocks go
//!   forward) are read as the instant the gap ends, i.e. the first valid
//!   instant after them: Berlin 02:30 on 2026-03-29 is 03:00 CEST. An interval
//!   lying entirely in a gap is empty that day.
//! * **Local times that occur twice** (the repeated hour when clocks go back)
//!   are read as their earliest instant. Both rules keep the local-to-UTC
//!   mapping non-decreasing, so days never overlap each other.
//! * **Holidays** are dates in the calendar's zone and close the whole day.
//! * **24/7** (`always_open`) ignores `hours` and `holidays`: it is plain
//!   elapsed time, so 24 business hours are 24 real hours even across a
//!   daylight-saving change.
//! * **No opening at all.** A calendar that is not 24/7 and never opens
//!   (no valid interval, or holidays covering every opening for
//!   [`CLOSED_HORIZON_DAYS`]) makes `add_business_minutes` return `None`
//!   instead of searching forever; `business_minutes_between` is then 0.

use std::cmp::{max, min};
use std::collections::BTreeSet;

use chrono::{
    DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta,
    TimeZone, Utc, Weekday,
};

/// If this many consecutive local days have no open time, a calendar is
/// considered never to open again (about 10 years). Bounds the search of a
/// calendar whose holidays swallow every opening.
pub const CLOSED_HORIZON_DAYS: u32 = 3_653;

/// The furthest `add_business_minutes` walks from its start (about 100
/// years). Business minutes are never more than real minutes, so a count
/// larger than this many days of minutes is refused at once; this keeps an
/// absurd `minutes` (say `i64::MAX`) from walking towards year 262 143.
pub const MAX_WALK_DAYS: u32 = 36_525;

/// One weekly opening: on `weekday`, from `opens` (inclusive) to `closes`
/// (exclusive), local time of the calendar's zone. `closes` must be after
/// `opens`, except that `closes == 00:00` means the end of the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Interval {
    pub weekday: Weekday,
    pub opens: NaiveTime,
    pub closes: NaiveTime,
}

/// A coverage calendar. See the module documentation for the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    pub tz: chrono_tz::Tz,
    /// 24/7: every instant is open; `hours` and `holidays` are ignored.
    pub always_open: bool,
    /// Weekly opening hours; several per day and overlaps are allowed.
    pub hours: Vec<Interval>,
    /// Dates in the calendar's zone on which it is closed all day.
    pub holidays: BTreeSet<NaiveDate>,
}

/// A stretch of open time as UTC instants, `[start, end)`, `start < end`.
type Span = (DateTime<Utc>, DateTime<Utc>);

impl Calendar {
    /// A 24/7 calendar: business time is elapsed time. The zone still matters
    /// for [`Calendar::month_bounds`].
    pub fn always_open(tz: chrono_tz::Tz) -> Calendar {
        Calendar {
            tz,
            always_open: true,
            hours: Vec::new(),
            holidays: BTreeSet::new(),
        }
    }

    /// Whether the calendar is open at instant `t` (opening instants are
    /// open, closing instants are not).
    pub fn is_open(&self, t: DateTime<Utc>) -> bool {
        if self.always_open {
            return true;
        }
        // Only the spans of t's own local date can contain t: the mapping from
        // local time to instants is non-decreasing, so every span of an earlier
        // date ends at or before t's local midnight, and every span of a later
        // date starts after t.
        // (An instant whose local date is outside chrono's range is closed.)
        local_date(self.tz, t)
            .is_some_and(|date| self.day_spans(date).iter().any(|&(s, e)| s <= t && t < e))
    }

    /// The instant `minutes` business minutes after `start` (start itself may be
    /// outside hours: counting begins at the next opening). Returns None only when
    /// the calendar has no opening at all within a bounded horizon (e.g. 10 years).
    ///
    /// Precisely:
    /// * 0 minutes gives the first open instant at or after `start` (`start`
    ///   itself if open); negative minutes are treated as 0.
    /// * When the minutes end exactly at a closing time, that closing instant
    ///   is returned (17:00, not the next morning).
    /// * `None` when the calendar is not 24/7 and has no open time for
    ///   [`CLOSED_HORIZON_DAYS`] consecutive days, and also when the answer would
    ///   lie more than [`MAX_WALK_DAYS`] days ahead or beyond the range of
    ///   `DateTime<Utc>` (only absurd minute counts get there).
    pub fn add_business_minutes(
        &self,
        start: DateTime<Utc>,
        minutes: i64,
    ) -> Option<DateTime<Utc>> {
        let minutes = minutes.max(0);
        if self.always_open {
            return start.checked_add_signed(TimeDelta::try_minutes(minutes)?);
        }
        if !self.has_hours() || minutes > i64::from(MAX_WALK_DAYS) * 24 * 60 {
            return None;
        }
        let mut remaining = TimeDelta::try_minutes(minutes)?;
        // Open time before `cursor` has been used (or lies before the start).
        let mut cursor = start;
        let mut date = local_date(self.tz, start)?;
        let mut closed_days = 0u32;
        for _ in 0..=MAX_WALK_DAYS {
            let mut opened = false;
            for (s, e) in self.day_spans(date) {
                if e <= cursor {
                    continue;
                }
                opened = true;
                let from = max(s, cursor);
                let available = e - from;
                // `<=` (not `<`) is what returns the closing instant when the
                // minutes run out exactly there; with nothing left to count,
                // `from` is the first open instant at or after the start.
                if remaining <= available {
                    return from.checked_add_signed(remaining);
                }
                remaining -= available;
                cursor = e;
            }
            if opened {
                closed_days = 0;
            } else {
                closed_days += 1;
                if closed_days >= CLOSED_HORIZON_DAYS {
                    return None;
                }
            }
            date = date.succ_opt()?;
        }
        None
    }

    /// Business minutes between a and b (0 if b <= a), counting only open time.
    /// Whole minutes, rounding down.
    ///
    /// The work is linear in the number of local days from `a` to `b` (a walk
    /// of one day's spans at a time); 24/7 and never-open calendars answer at
    /// once.
    pub fn business_minutes_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
        self.open_time_between(a, b).num_minutes()
    }

    /// The calendar month containing `now`, in the calendar's zone, as UTC instants [start, end).
    ///
    /// Both bounds are local midnights (the 1st of the month and the 1st of
    /// the next month); a midnight that does not exist because clocks go
    /// forward at 00:00 is read as the instant the gap ends, an ambiguous one
    /// as its earliest instant, so consecutive months tile time exactly.
    pub fn month_bounds(&self, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let Some(local) = local_date(self.tz, now) else {
            // Only within a day of the end of chrono's range.
            return (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
        };
        let (year, month) = (local.year(), local.month());
        let first = NaiveDate::from_ymd_opt(year, month, 1);
        let next = if month == 12 {
            year.checked_add(1)
                .and_then(|y| NaiveDate::from_ymd_opt(y, 1, 1))
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)
        };
        let at_midnight = |d: NaiveDate| resolve_local(self.tz, d.and_time(NaiveTime::MIN));
        // Only at the very ends of chrono's date range can a bound be missing;
        // the open-ended bound keeps `now` inside [start, end) even there.
        let start = first
            .and_then(at_midnight)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let end = next
            .and_then(at_midnight)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        (start, end)
    }

    /// Exact open time in `[a, b)`; `business_minutes_between` rounds it down.
    /// Kept exact so that sums of pieces add up before any rounding.
    fn open_time_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> TimeDelta {
        if b <= a {
            return TimeDelta::zero();
        }
        if self.always_open {
            return b - a;
        }
        if !self.has_hours() {
            return TimeDelta::zero();
        }
        // Outside chrono's range of local dates, the UTC date is the extreme
        // date itself, so the walk is merely clamped there.
        let last = local_date(self.tz, b).unwrap_or_else(|| b.date_naive());
        let mut date = local_date(self.tz, a).unwrap_or_else(|| a.date_naive());
        let mut total = TimeDelta::zero();
        loop {
            for (s, e) in self.day_spans(date) {
                let (from, to) = (max(s, a), min(e, b));
                if from < to {
                    total += to - from;
                }
            }
            match date.succ_opt() {
                Some(next) if date < last => date = next,
                _ => break,
            }
        }
        total
    }

    /// Whether any interval can ever open. Without this, a calendar with no
    /// (valid) hours would be walked for the whole horizon before giving up.
    fn has_hours(&self) -> bool {
        self.hours.iter().any(is_valid)
    }

    /// The open spans of one local date, sorted and merged (overlapping or
    /// touching intervals become one span, so no minute counts twice).
    fn day_spans(&self, date: NaiveDate) -> Vec<Span> {
        if self.holidays.contains(&date) {
            return Vec::new();
        }
        let weekday = date.weekday();
        let mut spans: Vec<Span> = self
            .hours
            .iter()
            .filter(|i| i.weekday == weekday && is_valid(i))
            .filter_map(|i| {
                let opens = resolve_local(self.tz, date.and_time(i.opens))?;
                let closes = if i.closes == NaiveTime::MIN {
                    resolve_local(self.tz, date.succ_opt()?.and_time(NaiveTime::MIN))?
                } else {
                    resolve_local(self.tz, date.and_time(i.closes))?
                };
                // Empty when the whole interval falls in a skipped hour.
                (opens < closes).then_some((opens, closes))
            })
            .collect();
        spans.sort_unstable();
        let mut merged: Vec<Span> = Vec::with_capacity(spans.len());
        for (s, e) in spans {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = max(last.1, e),
                _ => merged.push((s, e)),
            }
        }
        merged
    }
}

/// See [`Interval`]: `closes` after `opens`, or `closes` at midnight (24:00).
fn is_valid(i: &Interval) -> bool {
    i.closes > i.opens || i.closes == NaiveTime::MIN
}

/// The wall-clock time of instant `t` in `tz`. chrono's own
/// `with_timezone(..).naive_local()` panics when the local time falls outside
/// its range (within a day of `DateTime::<Utc>::MAX_UTC`), so this checks.
fn local_datetime(tz: chrono_tz::Tz, t: DateTime<Utc>) -> Option<NaiveDateTime> {
    let offset = tz.offset_from_utc_datetime(&t.naive_utc()).fix();
    t.naive_utc()
        .checked_add_signed(TimeDelta::seconds(i64::from(offset.local_minus_utc())))
}

fn local_date(tz: chrono_tz::Tz, t: DateTime<Utc>) -> Option<NaiveDate> {
    local_datetime(tz, t).map(|l| l.date())
}

/// The instant of a local wall-clock time in `tz`: the earliest one when the
/// time occurs twice, the end of the gap when it does not occur at all.
/// `None` only at the very ends of chrono's range.
fn resolve_local(tz: chrono_tz::Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(x, y) => Some(min(x, y).with_timezone(&Utc)),
        LocalResult::None => gap_end(tz, local),
    }
}

/// The first instant whose local time is at or after `local`, for a `local`
/// that falls in a gap. chrono-tz reports only that the time does not exist,
/// not where the gap ends, so it is found by bisection on whole seconds (zone
/// transitions happen on whole seconds) within ±30 h, wider than any UTC
/// offset, so the lower end is certainly before and the upper end after.
/// Gaps can be long: Pacific/Apia skipped all of 2011-12-30.
fn gap_end(tz: chrono_tz::Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    let reached = |secs: i64| {
        DateTime::from_timestamp(secs, 0)
            .and_then(|u| local_datetime(tz, u))
            .map(|l| l >= local)
    };
    let naive_secs = local.and_utc().timestamp();
    let mut lo = naive_secs.checked_sub(30 * 3600)?;
    let mut hi = naive_secs.checked_add(30 * 3600)?;
    if reached(lo)? || !reached(hi)? {
        return None;
    }
    // Invariant: `lo` has not reached `local`, `hi` has.
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if reached(mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    DateTime::from_timestamp(hi, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Timelike;
    use chrono_tz::Tz;
    use proptest::prelude::*;

    use Weekday::{Fri, Mon, Sat, Sun, Thu, Tue, Wed};

    const TEHRAN: Tz = chrono_tz::Asia::Tehran;
    const BERLIN: Tz = chrono_tz::Europe::Berlin;

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// A local wall-clock time that exists exactly once in `tz`.
    fn at(tz: Tz, s: &str) -> DateTime<Utc> {
        let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        tz.from_local_datetime(&naive)
            .single()
            .unwrap()
            .with_timezone(&Utc)
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn weekly(tz: Tz, days: &[Weekday], slots: &[(NaiveTime, NaiveTime)]) -> Calendar {
        let hours = days
            .iter()
            .flat_map(|&weekday| {
                slots.iter().map(move |&(opens, closes)| Interval {
                    weekday,
                    opens,
                    closes,
                })
            })
            .collect();
        Calendar {
            tz,
            always_open: false,
            hours,
            holidays: BTreeSet::new(),
        }
    }

    /// The default calendar of DESIGN.md: Saturday–Wednesday 08:00–17:00, Tehran.
    fn tehran() -> Calendar {
        weekly(TEHRAN, &[Sat, Sun, Mon, Tue, Wed], &[(hm(8, 0), hm(17, 0))])
    }

    /// Two intervals a day (lunch break) with a couple of holidays.
    fn split_with_holidays() -> Calendar {
        let mut cal = weekly(
            TEHRAN,
            &[Sat, Sun, Mon, Tue, Wed],
            &[(hm(8, 0), hm(12, 0)), (hm(13, 0), hm(17, 0))],
        );
        for d in [
            "2025-03-20",
            "2025-03-21",
            "2025-03-22",
            "2025-03-23",
            "2025-04-01",
            "2026-02-11",
            "2026-03-21",
            "2026-03-22",
            "2026-03-23",
            "2026-03-24",
            "2027-03-21",
            "2027-03-22",
        ] {
            cal.holidays.insert(date(d));
        }
        cal
    }

    fn berlin() -> Calendar {
        weekly(BERLIN, &[Mon, Tue, Wed, Thu, Fri], &[(hm(8, 0), hm(17, 0))])
    }

    /// Berlin open every day, including hours around 02:00–03:00 where the
    /// clocks change, so the DST rules are exercised and not just skipped
    /// over on weekends.
    fn berlin_every_day() -> Calendar {
        weekly(
            BERLIN,
            &[Mon, Tue, Wed, Thu, Fri, Sat, Sun],
            &[(hm(1, 30), hm(4, 0)), (hm(8, 0), hm(17, 0))],
        )
    }

    /// An interval closes at one of the calendar's own closing instants: the
    /// only instant besides open ones that `add_business_minutes` may return.
    fn is_closing_instant(cal: &Calendar, t: DateTime<Utc>) -> bool {
        let d = t.with_timezone(&cal.tz).date_naive();
        [d.pred_opt().unwrap(), d]
            .into_iter()
            .flat_map(|d| cal.day_spans(d))
            .any(|(_, e)| e == t)
    }

    // ---- the worked example and the plain cases ----

    #[test]
    fn worked_example_tehran_wednesday_afternoon() {
        let cal = tehran();
        assert_eq!(date("2026-12-02").weekday(), Wed);
        let created = at(TEHRAN, "2026-12-02 16:30");
        let due = cal.add_business_minutes(created, 24 * 60).unwrap();
        // 0.5 h Wednesday + 9 h Saturday + 9 h Sunday + 5.5 h Monday.
        assert_eq!(due, at(TEHRAN, "2026-12-07 13:30"));
        assert_eq!(date("2026-12-07").weekday(), Mon);
        assert_eq!(cal.business_minutes_between(created, due), 24 * 60);
        // Tehran has no DST since 2022: +03:30 all year.
        assert_eq!(due, utc("2026-12-07T10:00:00Z"));
    }

    #[test]
    fn start_before_opening_counts_from_opening() {
        let cal = tehran();
        let start = at(TEHRAN, "2026-12-05 06:00"); // Saturday
        assert!(!cal.is_open(start));
        assert_eq!(
            cal.add_business_minutes(start, 60),
            Some(at(TEHRAN, "2026-12-05 09:00"))
        );
        assert_eq!(
            cal.add_business_minutes(start, 0),
            Some(at(TEHRAN, "2026-12-05 08:00"))
        );
        assert_eq!(
            cal.business_minutes_between(start, at(TEHRAN, "2026-12-05 08:45")),
            45
        );
    }

    #[test]
    fn start_on_tehran_weekend_waits_for_saturday() {
        let cal = tehran();
        for s in ["2026-12-03 10:00", "2026-12-04 23:59", "2026-12-02 17:00"] {
            let start = at(TEHRAN, s); // Thursday, Friday, Wednesday at closing
            assert!(!cal.is_open(start), "{s}");
            assert_eq!(
                cal.add_business_minutes(start, 60),
                Some(at(TEHRAN, "2026-12-05 09:00")),
                "{s}"
            );
        }
        // Thursday and Friday count nothing.
        let thu = at(TEHRAN, "2026-12-03 00:00");
        let sat = at(TEHRAN, "2026-12-05 00:00");
        assert_eq!(cal.business_minutes_between(thu, sat), 0);
    }

    #[test]
    fn holidays_close_the_whole_day() {
        let mut cal = tehran();
        cal.holidays.insert(date("2026-12-05")); // the Saturday
        let start = at(TEHRAN, "2026-12-02 16:30");
        assert!(!cal.is_open(at(TEHRAN, "2026-12-05 10:00")));
        assert_eq!(
            cal.add_business_minutes(start, 60),
            Some(at(TEHRAN, "2026-12-06 08:30"))
        );
        // The worked example slips by one working day.
        assert_eq!(
            cal.add_business_minutes(start, 24 * 60),
            Some(at(TEHRAN, "2026-12-08 13:30"))
        );
        // Starting on the holiday itself.
        assert_eq!(
            cal.add_business_minutes(at(TEHRAN, "2026-12-05 09:00"), 0),
            Some(at(TEHRAN, "2026-12-06 08:00"))
        );
    }

    #[test]
    fn exactly_at_opening_and_closing() {
        let cal = tehran();
        let open = at(TEHRAN, "2026-12-05 08:00");
        let close = at(TEHRAN, "2026-12-05 17:00");
        assert!(cal.is_open(open));
        assert!(!cal.is_open(close));
        assert!(cal.is_open(close - TimeDelta::nanoseconds(1)));
        assert_eq!(cal.add_business_minutes(open, 0), Some(open));
        assert_eq!(cal.add_business_minutes(open, 9 * 60), Some(close));
        // Ending exactly at closing time gives the closing instant...
        assert_eq!(
            cal.add_business_minutes(at(TEHRAN, "2026-12-05 16:00"), 60),
            Some(close)
        );
        // ...one minute more rolls over to the next opening.
        assert_eq!(
            cal.add_business_minutes(at(TEHRAN, "2026-12-05 16:00"), 61),
            Some(at(TEHRAN, "2026-12-06 08:01"))
        );
        // Zero minutes from a closing instant is the next opening.
        assert_eq!(
            cal.add_business_minutes(close, 0),
            Some(at(TEHRAN, "2026-12-06 08:00"))
        );
        assert_eq!(cal.business_minutes_between(open, close), 9 * 60);
        assert_eq!(cal.business_minutes_between(close, open), 0);
        assert_eq!(cal.business_minutes_between(open, open), 0);
    }

    #[test]
    fn rounding_down_to_whole_minutes() {
        let cal = tehran();
        let open = at(TEHRAN, "2026-12-05 08:00");
        assert_eq!(
            cal.business_minutes_between(open, open + TimeDelta::seconds(59)),
            0
        );
        assert_eq!(
            cal.business_minutes_between(open, open + TimeDelta::seconds(119)),
            1
        );
        let start = open + TimeDelta::seconds(30);
        assert_eq!(
            cal.add_business_minutes(start, 1),
            Some(start + TimeDelta::minutes(1))
        );
    }

    #[test]
    fn several_intervals_a_day() {
        let cal = weekly(
            TEHRAN,
            &[Sat, Sun, Mon, Tue, Wed],
            &[(hm(8, 0), hm(12, 0)), (hm(13, 0), hm(17, 0))],
        );
        let lunch = at(TEHRAN, "2026-12-05 12:30");
        assert!(!cal.is_open(lunch));
        assert!(!cal.is_open(at(TEHRAN, "2026-12-05 12:00")));
        assert!(cal.is_open(at(TEHRAN, "2026-12-05 13:00")));
        assert_eq!(
            cal.add_business_minutes(at(TEHRAN, "2026-12-05 11:30"), 60),
            Some(at(TEHRAN, "2026-12-05 13:30"))
        );
        // The morning ends exactly at noon: the closing instant, not 13:00.
        assert_eq!(
            cal.add_business_minutes(at(TEHRAN, "2026-12-05 11:30"), 30),
            Some(at(TEHRAN, "2026-12-05 12:00"))
        );
        assert_eq!(
            cal.add_business_minutes(lunch, 0),
            Some(at(TEHRAN, "2026-12-05 13:00"))
        );
        assert_eq!(
            cal.business_minutes_between(
                at(TEHRAN, "2026-12-05 11:00"),
                at(TEHRAN, "2026-12-05 14:00")
            ),
            120
        );
        // A full week: 5 days × 8 h.
        assert_eq!(
            cal.business_minutes_between(
                at(TEHRAN, "2026-12-05 00:00"),
                at(TEHRAN, "2026-12-12 00:00")
            ),
            5 * 8 * 60
        );
    }

    #[test]
    fn overlapping_and_touching_intervals_count_once() {
        let cal = weekly(
            TEHRAN,
            &[Sat],
            &[
                (hm(8, 0), hm(12, 0)),
                (hm(10, 0), hm(14, 0)),
                (hm(9, 0), hm(11, 0)),
                (hm(14, 0), hm(15, 0)),
            ],
        );
        let day = at(TEHRAN, "2026-12-05 00:00");
        let next = at(TEHRAN, "2026-12-06 00:00");
        assert_eq!(cal.business_minutes_between(day, next), 7 * 60);
        assert_eq!(cal.day_spans(date("2026-12-05")).len(), 1);
        assert_eq!(
            cal.add_business_minutes(day, 7 * 60),
            Some(at(TEHRAN, "2026-12-05 15:00"))
        );
        // The same interval listed twice is no different.
        let mut twice = tehran();
        twice.hours.extend(tehran().hours);
        let s = at(TEHRAN, "2026-12-02 16:30");
        assert_eq!(
            twice.add_business_minutes(s, 1440),
            tehran().add_business_minutes(s, 1440)
        );
    }

    #[test]
    fn invalid_intervals_are_ignored_and_midnight_closes_the_day() {
        let mut cal = weekly(
            TEHRAN,
            &[Sat],
            &[(hm(17, 0), hm(8, 0)), (hm(9, 0), hm(9, 0))],
        );
        assert!(!cal.has_hours());
        assert_eq!(
            cal.add_business_minutes(utc("2026-12-01T00:00:00Z"), 1),
            None
        );
        // 22:00–00:00 runs to the end of Saturday.
        cal.hours.push(Interval {
            weekday: Sat,
            opens: hm(22, 0),
            closes: hm(0, 0),
        });
        let sat = at(TEHRAN, "2026-12-05 00:00");
        assert_eq!(
            cal.add_business_minutes(sat, 120),
            Some(at(TEHRAN, "2026-12-06 00:00"))
        );
        assert!(cal.is_open(at(TEHRAN, "2026-12-05 23:59")));
        assert!(!cal.is_open(at(TEHRAN, "2026-12-06 00:00")));
    }

    #[test]
    fn always_open_utc_is_plain_addition() {
        let cal = Calendar::always_open(chrono_tz::UTC);
        let start = utc("2026-12-03T10:17:42Z"); // a Thursday night in Tehran
        for m in [0, 1, 59, 1440, 100_000] {
            assert_eq!(
                cal.add_business_minutes(start, m),
                Some(start + TimeDelta::minutes(m))
            );
            assert_eq!(
                cal.business_minutes_between(start, start + TimeDelta::minutes(m)),
                m
            );
        }
        assert!(cal.is_open(start));
        // Holidays and hours do not apply to a 24/7 calendar.
        let mut with_holiday = cal.clone();
        with_holiday.holidays.insert(date("2026-12-03"));
        assert!(with_holiday.is_open(start));
    }

    // ---- daylight saving ----

    #[test]
    fn berlin_business_hours_across_spring_forward() {
        let cal = berlin();
        // Friday 16:00 CET (UTC+1) + 2 h → Monday 09:00 CEST (UTC+2).
        let fri = at(BERLIN, "2026-03-27 16:00");
        assert_eq!(fri, utc("2026-03-27T15:00:00Z"));
        let due = cal.add_business_minutes(fri, 120).unwrap();
        assert_eq!(due, at(BERLIN, "2026-03-30 09:00"));
        assert_eq!(due, utc("2026-03-30T07:00:00Z"));
        assert_eq!(cal.business_minutes_between(fri, due), 120);
        // Real time between them is 64 h, not the 65 h the wall clock shows:
        // the weekend lost an hour.
        assert_eq!((due - fri).num_hours(), 64);
    }

    #[test]
    fn berlin_business_hours_across_fall_back() {
        let cal = berlin();
        let fri = at(BERLIN, "2026-10-23 16:00"); // CEST
        let due = cal.add_business_minutes(fri, 120).unwrap();
        assert_eq!(due, at(BERLIN, "2026-10-26 09:00")); // CET
        assert_eq!(due, utc("2026-10-26T08:00:00Z"));
        assert_eq!((due - fri).num_hours(), 66);
        assert_eq!(cal.business_minutes_between(fri, due), 120);
    }

    #[test]
    fn hours_spanning_the_change_count_real_time() {
        // Sunday 2026-03-29: 02:00–03:00 does not exist in Berlin.
        let cal = weekly(BERLIN, &[Sun], &[(hm(1, 0), hm(4, 0))]);
        let day = at(BERLIN, "2026-03-29 00:00");
        let next = at(BERLIN, "2026-03-30 00:00");
        assert_eq!(cal.business_minutes_between(day, next), 120);
        assert_eq!(
            cal.add_business_minutes(day, 120),
            Some(utc("2026-03-29T02:00:00Z")) // 04:00 CEST
        );
        // Sunday 2026-10-25: 02:00–03:00 happens twice.
        let day = at(BERLIN, "2026-10-25 00:00");
        let next = at(BERLIN, "2026-10-26 00:00");
        assert_eq!(cal.business_minutes_between(day, next), 240);
        // The repeated hour is open both times.
        assert!(cal.is_open(utc("2026-10-25T00:30:00Z"))); // 02:30 CEST
        assert!(cal.is_open(utc("2026-10-25T01:30:00Z"))); // 02:30 CET
    }

    #[test]
    fn nonexistent_and_ambiguous_boundaries() {
        // Opening at 02:30 on the spring-forward day: the gap ends at 03:00
        // CEST (01:00Z), which is when the calendar opens.
        let spring = weekly(BERLIN, &[Sun], &[(hm(2, 30), hm(3, 30))]);
        assert_eq!(
            spring.day_spans(date("2026-03-29")),
            vec![(utc("2026-03-29T01:00:00Z"), utc("2026-03-29T01:30:00Z"))]
        );
        // Entirely inside the gap: no open time that day.
        let inside = weekly(BERLIN, &[Sun], &[(hm(2, 10), hm(2, 50))]);
        assert!(inside.day_spans(date("2026-03-29")).is_empty());
        assert!(!inside.day_spans(date("2026-03-22")).is_empty());
        // Opening at 02:30 on the fall-back day: the earliest 02:30 (CEST).
        let autumn = weekly(BERLIN, &[Sun], &[(hm(2, 30), hm(3, 30))]);
        assert_eq!(
            autumn.day_spans(date("2026-10-25")),
            vec![(utc("2026-10-25T00:30:00Z"), utc("2026-10-25T02:30:00Z"))]
        );
        assert_eq!(
            resolve_local(BERLIN, date("2026-03-29").and_time(hm(2, 30))),
            Some(utc("2026-03-29T01:00:00Z"))
        );
        assert_eq!(
            resolve_local(BERLIN, date("2026-10-25").and_time(hm(2, 30))),
            Some(utc("2026-10-25T00:30:00Z"))
        );
    }

    #[test]
    fn a_skipped_day_has_no_hours() {
        // Samoa moved across the date line: 2011-12-30 never happened in Apia.
        let apia = chrono_tz::Pacific::Apia;
        let cal = weekly(
            apia,
            &[Mon, Tue, Wed, Thu, Fri, Sat, Sun],
            &[(hm(9, 0), hm(17, 0))],
        );
        assert!(cal.day_spans(date("2011-12-30")).is_empty());
        assert_eq!(
            resolve_local(apia, date("2011-12-30").and_time(hm(12, 0))),
            Some(at(apia, "2011-12-31 00:00"))
        );
        let thu = at(apia, "2011-12-29 16:00");
        assert_eq!(
            cal.add_business_minutes(thu, 120),
            Some(at(apia, "2011-12-31 10:00"))
        );
        assert_eq!(
            cal.business_minutes_between(thu, at(apia, "2011-12-31 10:00")),
            120
        );
    }

    #[test]
    fn always_open_berlin_24_business_hours_are_24_real_hours() {
        let cal = Calendar::always_open(BERLIN);
        for s in ["2026-03-28T12:00:00Z", "2026-10-24T12:00:00Z"] {
            let start = utc(s);
            let due = cal.add_business_minutes(start, 24 * 60).unwrap();
            assert_eq!(due - start, TimeDelta::hours(24));
            assert_eq!(cal.business_minutes_between(start, due), 24 * 60);
        }
        // The wall clock says 25 h resp. 23 h went by.
        let start = utc("2026-03-28T12:00:00Z");
        let due = cal.add_business_minutes(start, 24 * 60).unwrap();
        assert_eq!(
            due.with_timezone(&BERLIN).naive_local() - start.with_timezone(&BERLIN).naive_local(),
            TimeDelta::hours(25)
        );
    }

    #[test]
    fn local_all_day_hours_in_berlin_equal_real_time() {
        // 00:00–24:00 every day is 24/7 in local terms; across the change it
        // must still count real time.
        let cal = weekly(
            BERLIN,
            &[Mon, Tue, Wed, Thu, Fri, Sat, Sun],
            &[(hm(0, 0), hm(0, 0))],
        );
        let always = Calendar::always_open(BERLIN);
        for s in ["2026-03-28T12:00:00Z", "2026-10-24T12:00:00Z"] {
            let start = utc(s);
            assert_eq!(
                cal.add_business_minutes(start, 24 * 60),
                always.add_business_minutes(start, 24 * 60)
            );
            let end = start + TimeDelta::days(3);
            assert_eq!(cal.business_minutes_between(start, end), 3 * 24 * 60);
        }
        assert!(cal.is_open(utc("2026-03-29T01:00:00Z")));
        assert!(cal.is_open(utc("2026-10-25T00:59:00Z")));
    }

    // ---- month bounds ----

    #[test]
    fn month_bounds_in_tehran() {
        let cal = tehran();
        // 21:00Z on Nov 30 is 00:30 on December 1st in Tehran.
        assert_eq!(
            cal.month_bounds(utc("2026-11-30T21:00:00Z")),
            (utc("2026-11-30T20:30:00Z"), utc("2026-12-31T20:30:00Z"))
        );
        assert_eq!(
            cal.month_bounds(utc("2026-11-30T20:29:59Z")),
            (utc("2026-10-31T20:30:00Z"), utc("2026-11-30T20:30:00Z"))
        );
        // The first instant of a month belongs to it.
        assert_eq!(
            cal.month_bounds(utc("2026-11-30T20:30:00Z")).0,
            utc("2026-11-30T20:30:00Z")
        );
        // Year end.
        assert_eq!(
            cal.month_bounds(utc("2026-12-31T20:30:00Z")),
            (utc("2026-12-31T20:30:00Z"), utc("2027-01-31T20:30:00Z"))
        );
        // 24/7 uses the same zone.
        assert_eq!(
            Calendar::always_open(TEHRAN).month_bounds(utc("2026-11-30T21:00:00Z")),
            (utc("2026-11-30T20:30:00Z"), utc("2026-12-31T20:30:00Z"))
        );
    }

    #[test]
    fn month_bounds_in_berlin_across_dst() {
        let cal = berlin();
        // March starts in CET and ends in CEST: 31 days minus an hour.
        let (s, e) = cal.month_bounds(utc("2026-03-15T12:00:00Z"));
        assert_eq!(s, utc("2026-02-28T23:00:00Z"));
        assert_eq!(e, utc("2026-03-31T22:00:00Z"));
        assert_eq!(e - s, TimeDelta::days(31) - TimeDelta::hours(1));
        // October starts in CEST and ends in CET.
        let (s, e) = cal.month_bounds(utc("2026-10-25T01:30:00Z"));
        assert_eq!(s, utc("2026-09-30T22:00:00Z"));
        assert_eq!(e, utc("2026-10-31T23:00:00Z"));
        // Just before and at local midnight of April 1st.
        assert_eq!(
            cal.month_bounds(utc("2026-03-31T21:59:59Z")).1,
            e_of_march()
        );
        assert_eq!(
            cal.month_bounds(utc("2026-03-31T22:00:00Z")).0,
            e_of_march()
        );
        fn e_of_march() -> DateTime<Utc> {
            utc("2026-03-31T22:00:00Z")
        }
    }

    #[test]
    fn month_bounds_when_midnight_does_not_exist() {
        // Paraguay sprang forward at 00:00 on 2023-10-01: October began at
        // 01:00 local (-03), i.e. 04:00Z, and September ended there.
        let cal = Calendar::always_open(chrono_tz::America::Asuncion);
        let oct = cal.month_bounds(utc("2023-10-15T12:00:00Z"));
        let sep = cal.month_bounds(utc("2023-09-15T12:00:00Z"));
        assert_eq!(oct.0, utc("2023-10-01T04:00:00Z"));
        assert_eq!(sep, (utc("2023-09-01T04:00:00Z"), oct.0));
        assert_eq!(cal.month_bounds(utc("2023-10-01T03:59:59Z")), sep);
        assert_eq!(cal.month_bounds(utc("2023-10-01T04:00:00Z")), oct);
    }

    // ---- degenerate calendars and extreme inputs ----

    #[test]
    fn no_calendar_never_opens() {
        let cal = Calendar {
            tz: TEHRAN,
            always_open: false,
            hours: Vec::new(),
            holidays: BTreeSet::new(),
        };
        let a = utc("2026-12-01T00:00:00Z");
        let started = std::time::Instant::now();
        assert_eq!(cal.add_business_minutes(a, 0), None);
        assert_eq!(cal.add_business_minutes(a, 60), None);
        assert_eq!(cal.business_minutes_between(a, a + TimeDelta::days(365)), 0);
        assert!(!cal.is_open(a));
        assert!(started.elapsed() < std::time::Duration::from_millis(100));
        // Month bounds do not need opening hours.
        assert_eq!(cal.month_bounds(a).0, utc("2026-11-30T20:30:00Z"));
    }

    #[test]
    fn holidays_covering_every_opening_give_up_at_the_horizon() {
        let mut cal = tehran();
        let first = date("2026-01-01");
        cal.holidays = first
            .iter_days()
            .take(CLOSED_HORIZON_DAYS as usize + 10)
            .collect();
        let start = at(TEHRAN, "2026-01-01 09:00");
        assert_eq!(cal.add_business_minutes(start, 1), None);
        // One working day after the holidays is still found.
        cal.holidays.remove(&date("2035-06-02"));
        assert_eq!(date("2035-06-02").weekday(), Sat);
        assert_eq!(
            cal.add_business_minutes(start, 1),
            Some(at(TEHRAN, "2035-06-02 08:01"))
        );
    }

    #[test]
    fn extreme_inputs_do_not_panic() {
        let cal = tehran();
        let always = Calendar::always_open(TEHRAN);
        let now = utc("2026-12-02T12:00:00Z");
        for c in [&cal, &always] {
            assert_eq!(c.add_business_minutes(now, i64::MAX), None);
            assert_eq!(c.add_business_minutes(DateTime::<Utc>::MAX_UTC, 60), None);
            assert_eq!(
                c.add_business_minutes(now, -5),
                c.add_business_minutes(now, 0)
            );
            let _ = c.is_open(DateTime::<Utc>::MAX_UTC);
            let _ = c.is_open(DateTime::<Utc>::MIN_UTC);
            let _ = c.month_bounds(DateTime::<Utc>::MAX_UTC);
            let _ = c.month_bounds(DateTime::<Utc>::MIN_UTC);
            let near_end = DateTime::<Utc>::MAX_UTC - TimeDelta::days(3);
            let _ = c.business_minutes_between(near_end, DateTime::<Utc>::MAX_UTC);
            let _ = c.add_business_minutes(near_end, 5000);
        }
        // A century of business minutes is still answered.
        let far = cal.add_business_minutes(now, 100 * 52 * 45 * 60).unwrap();
        assert!(far > now + TimeDelta::days(99 * 365));
    }

    // ---- properties ----

    /// Instants from 2024 through 2028 (covers several DST changes in Berlin
    /// and the holidays of `split_with_holidays`).
    fn instant() -> impl Strategy<Value = DateTime<Utc>> {
        let lo = utc("2024-01-01T00:00:00Z").timestamp();
        let hi = utc("2029-01-01T00:00:00Z").timestamp();
        (lo..hi).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap())
    }

    fn whole_minute() -> impl Strategy<Value = DateTime<Utc>> {
        instant().prop_map(|t| DateTime::from_timestamp(t.timestamp() / 60 * 60, 0).unwrap())
    }

    fn calendars() -> [Calendar; 4] {
        [
            tehran(),
            split_with_holidays(),
            berlin(),
            berlin_every_day(),
        ]
    }

    /// An independent notion of "open", read straight off the local wall
    /// clock, to check `is_open` and the walking arithmetic against.
    fn naive_open(cal: &Calendar, t: DateTime<Utc>) -> bool {
        let local = t.with_timezone(&cal.tz).naive_local();
        !cal.holidays.contains(&local.date())
            && cal.hours.iter().any(|i| {
                i.weekday == local.date().weekday()
                    && i.opens <= local.time()
                    && (local.time() < i.closes || i.closes == NaiveTime::MIN)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn add_then_measure_gives_back_the_minutes(start in instant(), m in 0i64..20_000) {
            for cal in calendars() {
                let due = cal.add_business_minutes(start, m).unwrap();
                prop_assert!(due >= start);
                prop_assert_eq!(cal.business_minutes_between(start, due), m);
                // Open, or exactly one of the calendar's closing instants
                // (only when the minutes ran out there).
                prop_assert!(
                    cal.is_open(due) || (m > 0 && is_closing_instant(&cal, due)),
                    "{:?} + {} = {:?}", start, m, due
                );
                if m == 0 {
                    prop_assert!(cal.is_open(due));
                    // Nothing open was skipped between start and the first opening.
                    prop_assert_eq!(cal.open_time_between(start, due), TimeDelta::zero());
                }
                // One minute less is never later.
                if m > 0 {
                    prop_assert!(cal.add_business_minutes(start, m - 1).unwrap() < due);
                }
            }
        }

        #[test]
        fn between_is_additive_and_bounded(
            a in whole_minute(),
            d1 in 0i64..40_000,
            d2 in 0i64..40_000,
        ) {
            let b = a + TimeDelta::minutes(d1);
            let c = b + TimeDelta::minutes(d2);
            for cal in calendars() {
                let (ab, bc, ac) = (
                    cal.business_minutes_between(a, b),
                    cal.business_minutes_between(b, c),
                    cal.business_minutes_between(a, c),
                );
                prop_assert_eq!(ac, ab + bc);
                prop_assert!(ab <= d1 && bc <= d2 && ac <= d1 + d2);
                prop_assert!(ab >= 0 && bc >= 0);
                prop_assert_eq!(cal.business_minutes_between(c, a), 0);
            }
        }

        #[test]
        fn exact_open_time_is_additive_at_any_instant(
            a in instant(),
            sub_a in 0u32..1_000_000_000,
            d1 in 0i64..3_000_000,
            d2 in 0i64..3_000_000,
        ) {
            let a = a + TimeDelta::nanoseconds(i64::from(sub_a));
            let b = a + TimeDelta::seconds(d1) + TimeDelta::nanoseconds(7);
            let c = b + TimeDelta::seconds(d2);
            for cal in calendars() {
                let (ab, bc) = (cal.open_time_between(a, b), cal.open_time_between(b, c));
                prop_assert_eq!(cal.open_time_between(a, c), ab + bc);
                prop_assert!(ab <= b - a);
            }
        }

        #[test]
        fn month_bounds_contain_now_and_tile(now in instant()) {
            for cal in [tehran(), berlin(), Calendar::always_open(chrono_tz::UTC)] {
                let (s, e) = cal.month_bounds(now);
                prop_assert!(s <= now && now < e);
                prop_assert_eq!(cal.month_bounds(e).0, e);
                prop_assert_eq!(cal.month_bounds(s - TimeDelta::nanoseconds(1)).1, s);
                let local = s.with_timezone(&cal.tz);
                prop_assert_eq!((local.day(), local.hour(), local.minute()), (1, 0, 0));
                prop_assert!(e - s >= TimeDelta::days(28) - TimeDelta::hours(1));
                prop_assert!(e - s <= TimeDelta::days(31) + TimeDelta::hours(1));
            }
        }
    }

    proptest! {
        // Each case checks every minute of up to two days on four calendars,
        // so fewer cases keep `cargo test` quick.
        #![proptest_config(ProptestConfig::with_cases(128))]

        // (dst_weeks_agree_with_a_minute_by_minute_count below aims the same
        // oracle at the DST weekends on purpose.)
        #[test]
        fn agrees_with_a_minute_by_minute_count(start in whole_minute(), span in 0i64..3_000) {
            for cal in calendars() {
                let mut counted = 0;
                for k in 0..span {
                    let t = start + TimeDelta::minutes(k);
                    let open = naive_open(&cal, t);
                    prop_assert_eq!(cal.is_open(t), open, "{:?}", t);
                    counted += i64::from(open);
                }
                prop_assert_eq!(
                    cal.business_minutes_between(start, start + TimeDelta::minutes(span)),
                    counted
                );
            }
        }

        #[test]
        fn dst_weeks_agree_with_a_minute_by_minute_count(
            week in prop::sample::select(vec![
                "2024-03-28T00:00:00Z", "2024-10-24T00:00:00Z",
                "2025-03-27T00:00:00Z", "2025-10-23T00:00:00Z",
                "2026-03-26T00:00:00Z", "2026-10-22T00:00:00Z",
            ]),
            offset in 0i64..(4 * 1440),
            span in 0i64..(3 * 1440),
        ) {
            let start = utc(week) + TimeDelta::minutes(offset);
            for cal in [berlin(), berlin_every_day()] {
                let counted = (0..span)
                    .filter(|&k| naive_open(&cal, start + TimeDelta::minutes(k)))
                    .count() as i64;
                prop_assert_eq!(
                    cal.business_minutes_between(start, start + TimeDelta::minutes(span)),
                    counted
                );
                let due = cal.add_business_minutes(start, counted).unwrap();
                prop_assert!(due <= start + TimeDelta::minutes(span) || counted == 0);
            }
        }
    }
}
