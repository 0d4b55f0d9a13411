//! Rows and queries for plans, their per-priority terms, calendars and plan history.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use diesel::prelude::*;

use super::schema::{
    calendar_holidays, calendar_hours, calendars, organization_plan_changes, organizations,
    plan_priorities, plans, tickets, users,
};
use crate::domain::plan::{PlanTerms, PriorityTerms, ValidPlan};
use crate::domain::ticket::Priority;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = plans)]
pub struct PlanRow {
    pub id: i64,
    pub key: String,
    pub name: String,
    pub description: String,
    pub price: i64,
    pub currency: String,
    pub public: bool,
    pub position: i32,
    pub calendar_id: i64,
    pub custom_for_organization_id: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = plan_priorities)]
pub struct PriorityRow {
    pub plan_id: i64,
    pub priority: String,
    pub available: bool,
    pub monthly_quota: Option<i32>,
    pub response_minutes: Option<i32>,
    pub resolution_minutes: Option<i32>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = calendars)]
pub struct CalendarRow {
    pub id: i64,
    pub key: String,
    pub name: String,
    pub time_zone: String,
    pub always_open: bool,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = calendar_hours)]
pub struct HoursRow {
    pub id: i64,
    pub calendar_id: i64,
    pub weekday: i16,
    pub opens: NaiveTime,
    pub closes: NaiveTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = calendar_holidays)]
pub struct HolidayRow {
    pub calendar_id: i64,
    pub day: NaiveDate,
    pub name: String,
}

fn u(n: Option<i32>) -> Option<u32> {
    n.and_then(|n| u32::try_from(n).ok())
}

/// The plan's terms in domain form.
pub fn terms_of(plan: &PlanRow, rows: &[PriorityRow]) -> PlanTerms {
    PlanTerms {
        key: plan.key.clone(),
        name: plan.name.clone(),
        priorities: rows
            .iter()
            .filter(|r| r.plan_id == plan.id)
            .filter_map(|r| {
                Some((
                    Priority::parse(&r.priority)?,
                    PriorityTerms {
                        available: r.available,
                        monthly_quota: u(r.monthly_quota),
                        response_minutes: u(r.response_minutes),
                        resolution_minutes: u(r.resolution_minutes),
                    },
                ))
            })
            .collect(),
    }
}

pub fn plan(conn: &mut PgConnection, id: i64) -> QueryResult<PlanRow> {
    plans::table
        .find(id)
        .select(PlanRow::as_select())
        .first(conn)
}

/// The plan book's version: it moves on with every write to plans, their terms or calendars
/// (triggers, migration 12).
pub fn book_version(conn: &mut PgConnection) -> QueryResult<i64> {
    super::schema::plan_book::table
        .select(super::schema::plan_book::version)
        .first(conn)
}

pub fn plans_by_ids(conn: &mut PgConnection, ids: &[i64]) -> QueryResult<Vec<PlanRow>> {
    plans::table
        .filter(plans::id.eq_any(ids))
        .select(PlanRow::as_select())
        .load(conn)
}

/// Calendars with their hours and holidays, three queries for any number of them.
pub fn calendars_by_ids(
    conn: &mut PgConnection,
    ids: &[i64],
) -> QueryResult<(Vec<CalendarRow>, Vec<HoursRow>, Vec<HolidayRow>)> {
    let rows = calendars::table
        .filter(calendars::id.eq_any(ids))
        .select(CalendarRow::as_select())
        .load(conn)?;
    let hours = calendar_hours::table
        .filter(calendar_hours::calendar_id.eq_any(ids))
        .order((calendar_hours::weekday.asc(), calendar_hours::opens.asc()))
        .select(HoursRow::as_select())
        .load(conn)?;
    let holidays = calendar_holidays::table
        .filter(calendar_holidays::calendar_id.eq_any(ids))
        .select(HolidayRow::as_select())
        .load(conn)?;
    Ok((rows, hours, holidays))
}

pub fn plan_by_key(conn: &mut PgConnection, key: &str) -> QueryResult<Option<PlanRow>> {
    plans::table
        .filter(plans::key.eq(key))
        .select(PlanRow::as_select())
        .first(conn)
        .optional()
}

/// Every plan, public ones first by position, then custom ones by name.
pub fn all_plans(conn: &mut PgConnection) -> QueryResult<Vec<PlanRow>> {
    plans::table
        .order((
            plans::public.desc(),
            plans::position.asc(),
            plans::name.asc(),
        ))
        .select(PlanRow::as_select())
        .load(conn)
}

/// The plans offered on the selection page: public ones.
pub fn public_plans(conn: &mut PgConnection) -> QueryResult<Vec<PlanRow>> {
    plans::table
        .filter(plans::public.eq(true))
        .order(plans::position.asc())
        .select(PlanRow::as_select())
        .load(conn)
}

pub fn priorities_of(conn: &mut PgConnection, plan_ids: &[i64]) -> QueryResult<Vec<PriorityRow>> {
    plan_priorities::table
        .filter(plan_priorities::plan_id.eq_any(plan_ids))
        .select(PriorityRow::as_select())
        .load(conn)
}

/// The organization's plan, with its row locked: quota checks of concurrent creates run one at a time.
pub fn lock_organization_plan(conn: &mut PgConnection, org_id: i64) -> QueryResult<i64> {
    organizations::table
        .find(org_id)
        .select(organizations::plan_id)
        .for_update()
        .first(conn)
}

pub fn organization_plan(conn: &mut PgConnection, org_id: i64) -> QueryResult<i64> {
    organizations::table
        .find(org_id)
        .select(organizations::plan_id)
        .first(conn)
}

/// Tickets the organization opened per priority in [start, end), quota-exempt ones aside.
pub fn usage(
    conn: &mut PgConnection,
    org_id: i64,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> QueryResult<Vec<(String, i64)>> {
    tickets::table
        .filter(tickets::organization_id.eq(org_id))
        .filter(tickets::quota_exempt.eq(false))
        .filter(
            tickets::created_at
                .ge(start)
                .and(tickets::created_at.lt(end)),
        )
        .group_by(tickets::opened_priority)
        .select((tickets::opened_priority, diesel::dsl::count_star()))
        .load(conn)
}

pub fn set_organization_plan(
    conn: &mut PgConnection,
    org_id: i64,
    from: i64,
    to: i64,
    by: Option<i64>,
    at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(organizations::table.find(org_id))
        .set(organizations::plan_id.eq(to))
        .execute(conn)?;
    diesel::insert_into(organization_plan_changes::table)
        .values((
            organization_plan_changes::organization_id.eq(org_id),
            organization_plan_changes::from_plan_id.eq(Some(from)),
            organization_plan_changes::to_plan_id.eq(to),
            organization_plan_changes::changed_by.eq(by),
            organization_plan_changes::changed_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// One change of an organization's plan: (from plan name, to plan name, who, when).
pub type PlanChange = (Option<String>, String, Option<String>, DateTime<Utc>);

/// An organization's plan history, newest first.
pub fn plan_history(conn: &mut PgConnection, org_id: i64) -> QueryResult<Vec<PlanChange>> {
    let from_plans = diesel::alias!(plans as from_plans);
    organization_plan_changes::table
        .inner_join(plans::table.on(plans::id.eq(organization_plan_changes::to_plan_id)))
        .left_join(
            from_plans.on(from_plans
                .field(plans::id)
                .nullable()
                .eq(organization_plan_changes::from_plan_id)),
        )
        .left_join(
            users::table.on(users::id
                .nullable()
                .eq(organization_plan_changes::changed_by)),
        )
        .filter(organization_plan_changes::organization_id.eq(org_id))
        .order(organization_plan_changes::changed_at.desc())
        .select((
            from_plans.field(plans::name).nullable(),
            plans::name,
            users::name.nullable(),
            organization_plan_changes::changed_at,
        ))
        .load(conn)
}

/// Writes a plan and its per-priority terms; `id` None creates it.
pub fn save_plan(
    conn: &mut PgConnection,
    id: Option<i64>,
    p: &ValidPlan,
    calendar_id: i64,
    custom_for: Option<i64>,
) -> QueryResult<i64> {
    let id = match id {
        Some(id) => {
            diesel::update(plans::table.find(id))
                .set((
                    plans::key.eq(&p.key),
                    plans::name.eq(&p.name),
                    plans::description.eq(&p.description),
                    plans::price.eq(p.price),
                    plans::currency.eq(&p.currency),
                    plans::calendar_id.eq(calendar_id),
                ))
                .execute(conn)?;
            id
        }
        None => diesel::insert_into(plans::table)
            .values((
                plans::key.eq(&p.key),
                plans::name.eq(&p.name),
                plans::description.eq(&p.description),
                plans::price.eq(p.price),
                plans::currency.eq(&p.currency),
                plans::public.eq(custom_for.is_none()),
                plans::position.eq(100),
                plans::calendar_id.eq(calendar_id),
                plans::custom_for_organization_id.eq(custom_for),
            ))
            .returning(plans::id)
            .get_result(conn)?,
    };
    diesel::delete(plan_priorities::table.filter(plan_priorities::plan_id.eq(id))).execute(conn)?;
    for (priority, t) in &p.priorities {
        let i = |n: Option<u32>| n.and_then(|n| i32::try_from(n).ok());
        diesel::insert_into(plan_priorities::table)
            .values((
                plan_priorities::plan_id.eq(id),
                plan_priorities::priority.eq(priority.as_str()),
                plan_priorities::available.eq(t.available),
                plan_priorities::monthly_quota.eq(i(t.monthly_quota)),
                plan_priorities::response_minutes.eq(i(t.response_minutes)),
                plan_priorities::resolution_minutes.eq(i(t.resolution_minutes)),
            ))
            .execute(conn)?;
    }
    Ok(id)
}

pub fn calendars(conn: &mut PgConnection) -> QueryResult<Vec<CalendarRow>> {
    calendars::table
        .order(calendars::name.asc())
        .select(CalendarRow::as_select())
        .load(conn)
}

pub fn calendar(
    conn: &mut PgConnection,
    id: i64,
) -> QueryResult<(CalendarRow, Vec<HoursRow>, Vec<HolidayRow>)> {
    let row = calendars::table
        .find(id)
        .select(CalendarRow::as_select())
        .first(conn)?;
    let hours = calendar_hours::table
        .filter(calendar_hours::calendar_id.eq(id))
        .order((calendar_hours::weekday.asc(), calendar_hours::opens.asc()))
        .select(HoursRow::as_select())
        .load(conn)?;
    let holidays = calendar_holidays::table
        .filter(calendar_holidays::calendar_id.eq(id))
        .order(calendar_holidays::day.asc())
        .select(HolidayRow::as_select())
        .load(conn)?;
    Ok((row, hours, holidays))
}

pub fn calendar_by_key(conn: &mut PgConnection, key: &str) -> QueryResult<Option<CalendarRow>> {
    calendars::table
        .filter(calendars::key.eq(key))
        .select(CalendarRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert_calendar(
    conn: &mut PgConnection,
    key: &str,
    name: &str,
    tz: &str,
    always_open: bool,
) -> QueryResult<i64> {
    diesel::insert_into(calendars::table)
        .values((
            calendars::key.eq(key),
            calendars::name.eq(name),
            calendars::time_zone.eq(tz),
            calendars::always_open.eq(always_open),
        ))
        .returning(calendars::id)
        .get_result(conn)
}

pub fn insert_hours(
    conn: &mut PgConnection,
    calendar_id: i64,
    weekday: i16,
    opens: NaiveTime,
    closes: NaiveTime,
) -> QueryResult<()> {
    diesel::insert_into(calendar_hours::table)
        .values((
            calendar_hours::calendar_id.eq(calendar_id),
            calendar_hours::weekday.eq(weekday),
            calendar_hours::opens.eq(opens),
            calendar_hours::closes.eq(closes),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn delete_hours(conn: &mut PgConnection, calendar_id: i64, id: i64) -> QueryResult<usize> {
    diesel::delete(
        calendar_hours::table.filter(
            calendar_hours::id
                .eq(id)
                .and(calendar_hours::calendar_id.eq(calendar_id)),
        ),
    )
    .execute(conn)
}

pub fn insert_holiday(
    conn: &mut PgConnection,
    calendar_id: i64,
    day: NaiveDate,
    name: &str,
) -> QueryResult<usize> {
    diesel::insert_into(calendar_holidays::table)
        .values((
            calendar_holidays::calendar_id.eq(calendar_id),
            calendar_holidays::day.eq(day),
            calendar_holidays::name.eq(name),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
}

pub fn delete_holiday(
    conn: &mut PgConnection,
    calendar_id: i64,
    day: NaiveDate,
) -> QueryResult<usize> {
    diesel::delete(
        calendar_holidays::table.filter(
            calendar_holidays::calendar_id
                .eq(calendar_id)
                .and(calendar_holidays::day.eq(day)),
        ),
    )
    .execute(conn)
}

/// Organizations for the admin list: (key, name, plan name), searched by key or name.
pub fn organizations(
    conn: &mut PgConnection,
    q: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<(i64, String, String, String)>> {
    let mut query = organizations::table.inner_join(plans::table).into_boxed();
    if let Some(q) = q {
        let pattern = super::tickets::like_pattern(q);
        query = query.filter(
            organizations::key
                .ilike(pattern.clone())
                .or(organizations::name.ilike(pattern)),
        );
    }
    query
        .order(organizations::name.asc())
        .limit(limit)
        .select((
            organizations::id,
            organizations::key,
            organizations::name,
            plans::name,
        ))
        .load(conn)
}
