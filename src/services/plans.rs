//! Plans: the selection page, changing plans, quota checks at ticket creation,
//! and plan administration.

use chrono::{DateTime, Utc, Weekday};
use diesel::prelude::*;

use super::{FieldProblem, ServiceError};
use crate::db::accounts as accounts_q;
use crate::db::plans::{self as q, CalendarRow, HolidayRow, HoursRow, PlanRow};
use crate::domain::account::MemberRole;
use crate::domain::calendar::{Calendar, Interval};
use crate::domain::plan::{self, PlanTerms, ValidPlan};
use crate::domain::ticket::Priority;

/// A plan with its terms and coverage calendar.
#[derive(Debug, Clone)]
pub struct PlanView {
    pub row: PlanRow,
    pub terms: PlanTerms,
    pub calendar: CalendarRow,
    /// The calendar the plan's targets and quota months are counted in.
    pub coverage: Calendar,
}

/// Tickets used this month per priority (quota-exempt ones aside).
#[derive(Debug, Clone, Default)]
pub struct Usage(pub Vec<(Priority, u32)>);

impl Usage {
    pub fn of(&self, p: Priority) -> u32 {
        self.0.iter().find(|(q, _)| *q == p).map_or(0, |(_, n)| *n)
    }
}

/// A coverage calendar in domain form (an unknown zone reads as UTC).
pub fn to_calendar(row: &CalendarRow, hours: &[HoursRow], holidays: &[HolidayRow]) -> Calendar {
    Calendar {
        tz: row.time_zone.parse().unwrap_or(chrono_tz::UTC),
        always_open: row.always_open,
        hours: hours
            .iter()
            .filter_map(|h| {
                Some(Interval {
                    weekday: Weekday::try_from(u8::try_from(h.weekday).ok()?).ok()?,
                    opens: h.opens,
                    closes: h.closes,
                })
            })
            .collect(),
        holidays: holidays.iter().map(|h| h.day).collect(),
    }
}

pub fn load(conn: &mut PgConnection, plan_id: i64) -> Result<PlanView, ServiceError> {
    book(conn, [plan_id])?
        .remove(&plan_id)
        .ok_or(ServiceError::NotFound)
}

/// Plans with their terms and calendars, kept in memory and checked against the plan book's
/// version (migration 12), which every write to plans, terms or calendars moves on.
///
/// - Pages use [`PlanCache::book`]: the version is read at most every [`PlanCache::TTL`], so
///   another process's admin edit shows within that. Pages that list tickets would otherwise
///   read plans on every request.
/// - Writes use [`PlanCache::current`]: one read of the version, and the cached plan only if
///   nothing changed (the response and resolution targets a write sets are never stale).
///   Reading the plan itself took five statements on every reply.
///
/// Checks that decide something else (quota at creation) read their own data.
#[derive(Clone, Default)]
pub struct PlanCache(std::sync::Arc<std::sync::Mutex<CachedPlans>>);

#[derive(Default)]
struct CachedPlans {
    /// When the version was last read.
    checked_at: Option<std::time::Instant>,
    /// The version every cached plan is at least as new as.
    version: Option<i64>,
    plans: Book,
}

type Book = rustc_hash::FxHashMap<i64, std::sync::Arc<PlanView>>;

impl PlanCache {
    /// How stale a page's plan data may be (another process's admin edit shows within this).
    pub const TTL: std::time::Duration = std::time::Duration::from_secs(10);

    /// The plans of `plan_ids` for a page: possibly up to [`Self::TTL`] old.
    pub fn book(
        &self,
        conn: &mut PgConnection,
        plan_ids: impl IntoIterator<Item = i64>,
    ) -> Result<Book, ServiceError> {
        let check = self
            .lock()
            .checked_at
            .is_none_or(|t| t.elapsed() > Self::TTL);
        let version = if check {
            Some(q::book_version(conn)?)
        } else {
            None
        };
        self.get(conn, plan_ids, version)
    }

    /// A plan as it is now, for a write.
    pub fn current(
        &self,
        conn: &mut PgConnection,
        plan_id: i64,
    ) -> Result<std::sync::Arc<PlanView>, ServiceError> {
        let version = q::book_version(conn)?;
        self.at_version(conn, plan_id, version)
    }

    /// A plan as of plan book `version`, which the caller has read with the ticket (see
    /// `db::tickets::ticket_for_update`; a write decided on an older reading checks the
    /// version is still current: `TicketWrite::unless_changed`).
    pub fn at_version(
        &self,
        conn: &mut PgConnection,
        plan_id: i64,
        version: i64,
    ) -> Result<std::sync::Arc<PlanView>, ServiceError> {
        self.get(conn, [plan_id], Some(version))?
            .remove(&plan_id)
            .ok_or(ServiceError::NotFound)
    }

    pub fn load(&self, conn: &mut PgConnection, plan_id: i64) -> Result<PlanView, ServiceError> {
        self.book(conn, [plan_id])?
            .remove(&plan_id)
            .map(std::sync::Arc::unwrap_or_clone)
            .ok_or(ServiceError::NotFound)
    }

    /// Whether plan book `version` is older than one this cache has already seen (a plan
    /// changed since it was read).
    pub fn is_outdated(&self, version: i64) -> bool {
        self.lock().version.is_some_and(|seen| version < seen)
    }

    /// Forget everything (after an admin changed plans or calendars in this process).
    pub fn clear(&self) {
        let mut cached = self.lock();
        cached.checked_at = None;
        cached.version = None;
        cached.plans.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CachedPlans> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn get(
        &self,
        conn: &mut PgConnection,
        plan_ids: impl IntoIterator<Item = i64>,
        checked_version: Option<i64>,
    ) -> Result<Book, ServiceError> {
        let mut ids: Vec<i64> = plan_ids.into_iter().collect();
        ids.sort_unstable();
        ids.dedup();
        let from_cache = |cached: &CachedPlans| -> Book {
            ids.iter()
                .filter_map(|id| {
                    cached
                        .plans
                        .get(id)
                        .map(|p| (*id, std::sync::Arc::clone(p)))
                })
                .collect()
        };
        if checked_version.is_none() {
            let cached = self.lock();
            let found = from_cache(&cached);
            if found.len() == ids.len() {
                return Ok(found);
            }
        }
        // Read before the plans: plans loaded after it are at least as new as this version.
        let version = match checked_version {
            Some(v) => v,
            None => q::book_version(conn)?,
        };
        let (mut found, missing) = {
            let mut cached = self.lock();
            if cached.version != Some(version) {
                cached.plans.clear();
                cached.version = Some(version);
            }
            cached.checked_at = Some(std::time::Instant::now());
            let found = from_cache(&cached);
            let missing: Vec<i64> = ids
                .iter()
                .copied()
                .filter(|id| !found.contains_key(id))
                .collect();
            (found, missing)
        };
        if !missing.is_empty() {
            let loaded: Book = book(conn, missing)?
                .into_iter()
                .map(|(id, p)| (id, std::sync::Arc::new(p)))
                .collect();
            let mut cached = self.lock();
            // Kept only if no other request has seen a newer version meanwhile.
            if cached.version == Some(version) {
                cached
                    .plans
                    .extend(loaded.iter().map(|(id, p)| (*id, std::sync::Arc::clone(p))));
            }
            found.extend(loaded);
        }
        Ok(found)
    }
}

/// Plans with their terms and calendars, in five queries however many plans (a page's tickets).
pub fn book(
    conn: &mut PgConnection,
    plan_ids: impl IntoIterator<Item = i64>,
) -> Result<std::collections::HashMap<i64, PlanView>, ServiceError> {
    let mut ids: Vec<i64> = plan_ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let rows = q::plans_by_ids(conn, &ids)?;
    let priorities = q::priorities_of(conn, &ids)?;
    let calendar_ids: Vec<i64> = rows.iter().map(|r| r.calendar_id).collect();
    let (calendars, hours, holidays) = q::calendars_by_ids(conn, &calendar_ids)?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let calendar = calendars.iter().find(|c| c.id == row.calendar_id)?.clone();
            let h: Vec<HoursRow> = hours
                .iter()
                .filter(|x| x.calendar_id == calendar.id)
                .cloned()
                .collect();
            let d: Vec<HolidayRow> = holidays
                .iter()
                .filter(|x| x.calendar_id == calendar.id)
                .cloned()
                .collect();
            Some((
                row.id,
                PlanView {
                    terms: q::terms_of(&row, &priorities),
                    coverage: to_calendar(&calendar, &h, &d),
                    row,
                    calendar,
                },
            ))
        })
        .collect())
}

pub fn usage(
    conn: &mut PgConnection,
    org_id: i64,
    coverage: &Calendar,
    now: DateTime<Utc>,
) -> Result<Usage, ServiceError> {
    let (start, end) = coverage.month_bounds(now);
    let rows = q::usage(conn, org_id, start, end)?;
    Ok(Usage(
        rows.into_iter()
            .filter_map(|(p, n)| Some((Priority::parse(&p)?, u32::try_from(n).unwrap_or(u32::MAX))))
            .collect(),
    ))
}

/// The organization's current plan and this month's usage (for the new-ticket form).
pub fn current(
    conn: &mut PgConnection,
    org_id: i64,
    now: DateTime<Utc>,
) -> Result<(PlanView, Usage), ServiceError> {
    let plan_id = q::organization_plan(conn, org_id)?;
    let plan = load(conn, plan_id)?;
    let usage = usage(conn, org_id, &plan.coverage, now)?;
    Ok((plan, usage))
}

/// Inside the creating transaction: locks the organization (so concurrent creates count one
/// after another), checks the priority against its plan and quota, and returns the plan id.
pub fn check_create(
    conn: &mut PgConnection,
    org_id: i64,
    priority: Priority,
    now: DateTime<Utc>,
) -> Result<i64, ServiceError> {
    let plan_id = q::lock_organization_plan(conn, org_id)?;
    let plan = load(conn, plan_id)?;
    let used = usage(conn, org_id, &plan.coverage, now)?.of(priority);
    plan::check_create(&plan.terms, priority, used).map_err(ServiceError::Plan)?;
    Ok(plan_id)
}

/// Everything the plan selection page shows.
pub struct Selection {
    pub plans: Vec<PlanView>,
    /// The current plan (also when it is a custom one, which is not in `plans`).
    pub current: PlanView,
    pub usage: Usage,
}

pub fn selection(
    conn: &mut PgConnection,
    org_id: i64,
    now: DateTime<Utc>,
) -> Result<Selection, ServiceError> {
    let public = q::public_plans(conn)?;
    let mut book = book(conn, public.iter().map(|r| r.id))?;
    let plans = public.iter().filter_map(|r| book.remove(&r.id)).collect();
    let (current, usage) = current(conn, org_id, now)?;
    Ok(Selection {
        plans,
        current,
        usage,
    })
}

/// A plan an organization may be put on: a public one, or a custom one made for it.
fn offered_to(plan: &PlanRow, org_id: i64) -> bool {
    plan.public || plan.custom_for_organization_id == Some(org_id)
}

/// An owner or admin of the organization picks a public plan (or its own custom plan).
pub fn choose(
    conn: &mut PgConnection,
    org_id: i64,
    role: MemberRole,
    user_id: i64,
    plan_key: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    if !role.manages() {
        return Err(ServiceError::NotFound);
    }
    conn.transaction(|conn| {
        let plan = q::plan_by_key(conn, plan_key)?
            .filter(|p| offered_to(p, org_id))
            .ok_or_else(|| {
                ServiceError::Malformed(vec![FieldProblem {
                    field: "plan",
                    key: "invalid-plan",
                }])
            })?;
        let from = q::lock_organization_plan(conn, org_id)?;
        if from == plan.id {
            return Err(ServiceError::Refused("plan-already-current"));
        }
        q::set_organization_plan(conn, org_id, from, plan.id, Some(user_id), now)?;
        Ok(())
    })
}

/// A staff admin puts an organization on any plan (public, or custom for that organization).
pub fn assign(
    conn: &mut PgConnection,
    org_key: &str,
    plan_key: &str,
    admin_id: i64,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    conn.transaction(|conn| {
        let org = accounts_q::org_by_key(conn, org_key)?.ok_or(ServiceError::NotFound)?;
        let plan = q::plan_by_key(conn, plan_key)?
            .filter(|p| offered_to(p, org.id))
            .ok_or_else(|| {
                ServiceError::Malformed(vec![FieldProblem {
                    field: "plan",
                    key: "invalid-plan",
                }])
            })?;
        let from = q::lock_organization_plan(conn, org.id)?;
        if from == plan.id {
            return Err(ServiceError::Refused("plan-already-current"));
        }
        q::set_organization_plan(conn, org.id, from, plan.id, Some(admin_id), now)?;
        Ok(())
    })
}

/// Saves a plan from the admin form; `existing` is the key being edited (None: a new plan).
pub fn save(
    conn: &mut PgConnection,
    existing: Option<&str>,
    plan: &ValidPlan,
    calendar_key: &str,
    custom_for: Option<&str>,
) -> Result<String, ServiceError> {
    conn.transaction(|conn| {
        let calendar = q::calendar_by_key(conn, calendar_key)?.ok_or_else(|| {
            ServiceError::Malformed(vec![FieldProblem {
                field: "calendar",
                key: "invalid-calendar",
            }])
        })?;
        let custom_for = match custom_for.map(str::trim).filter(|k| !k.is_empty()) {
            Some(key) => Some(
                accounts_q::org_by_key(conn, key)?
                    .ok_or_else(|| ServiceError::field("organization", "invalid-organization"))?
                    .id,
            ),
            None => None,
        };
        let current = match existing {
            Some(key) => Some(q::plan_by_key(conn, key)?.ok_or(ServiceError::NotFound)?),
            None => None,
        };
        if current.as_ref().is_none_or(|c| c.key != plan.key)
            && q::plan_by_key(conn, &plan.key)?.is_some()
        {
            return Err(ServiceError::field("key", "taken-plan-key"));
        }
        let custom_for = current
            .as_ref()
            .map_or(custom_for, |c| c.custom_for_organization_id);
        q::save_plan(conn, current.map(|c| c.id), plan, calendar.id, custom_for)?;
        Ok(plan.key.clone())
    })
}
