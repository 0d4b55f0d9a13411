//! `/admin/calendars`: business hours (several intervals a day) and holidays, per calendar.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{NaiveDate, NaiveTime};

use crate::db::plans::{self as q, CalendarRow, HolidayRow, HoursRow};
use crate::web::csrf::CsrfForm;
use crate::web::page::{Ctx, FormState, render};
use crate::web::session::Admin;
use crate::web::{AppError, AppState, see_other, with_db};

pub const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

pub struct CalendarView {
    pub row: CalendarRow,
    pub hours: Vec<HoursRow>,
    pub holidays: Vec<HolidayRow>,
}

#[derive(Template)]
#[template(path = "admin/calendars.html")]
struct CalendarsPage {
    ctx: Ctx,
    calendars: Vec<CalendarView>,
    form: FormState,
    weekdays: [&'static str; 7],
    notice: Option<String>,
}

impl CalendarsPage {
    fn weekday(&self, n: &i16) -> String {
        WEEKDAYS
            .get(*n as usize)
            .map(|d| self.weekday_name(d))
            .unwrap_or_default()
    }

    fn weekday_name(&self, day: &str) -> String {
        self.ctx.t(&format!("weekday-{day}"))
    }
}

async fn page(
    state: &AppState,
    admin: &Admin,
    ctx: Ctx,
    form: FormState,
    notice: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let calendars = with_db(state, |conn| {
        let rows = q::calendars(conn)?;
        let mut out = Vec::new();
        for r in rows {
            let (row, hours, holidays) = q::calendar(conn, r.id)?;
            out.push(CalendarView {
                row,
                hours,
                holidays,
            });
        }
        Ok(out)
    })
    .await?;
    render(
        status,
        &CalendarsPage {
            calendars,
            form,
            weekdays: WEEKDAYS,
            notice,
            ctx: ctx.for_staff(&admin.0),
        },
    )
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct Notice {
    done: String,
}

pub async fn show(
    state: web::Data<AppState>,
    admin: Admin,
    ctx: Ctx,
    n: web::Query<Notice>,
) -> Result<HttpResponse, AppError> {
    let notice = (!n.done.is_empty()).then(|| ctx.t("admin-calendar-saved"));
    page(
        &state,
        &admin,
        ctx,
        FormState::default(),
        notice,
        StatusCode::OK,
    )
    .await
}

/// One POST for every change on the page; `action` says which.
pub async fn change(
    state: web::Data<AppState>,
    admin: Admin,
    ctx: Ctx,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let get = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let values: Vec<(String, String)> = f
        .iter()
        .filter(|(k, _)| k.as_str() != "csrf_token")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut form = FormState::with_owned(values);
    let calendar_id = get("calendar").parse::<i64>().ok();
    let bad = |form: &mut FormState, field: &str, key: &str| {
        form.add_owned_error(field.to_string(), ctx.t(key))
    };
    match get("action").as_str() {
        "create" => {
            let (key, name, tz) = (get("key"), get("name"), get("time_zone"));
            if key.is_empty()
                || key.len() > 50
                || !key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
            {
                bad(&mut form, "key", "invalid-plan-key");
            }
            if name.is_empty() || name.chars().count() > 100 {
                bad(&mut form, "name", "invalid-plan-name");
            }
            if tz.parse::<chrono_tz::Tz>().is_err() {
                bad(&mut form, "time_zone", "invalid-time-zone");
            }
            if form.has_errors() {
                return page(
                    &state,
                    &admin,
                    ctx,
                    form,
                    None,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
            let always = get("always_open") == "1";
            let created = with_db(&state, move |conn| {
                if q::calendar_by_key(conn, &key)?.is_some() {
                    return Ok(false);
                }
                q::insert_calendar(conn, &key, &name, &tz, always)?;
                Ok(true)
            })
            .await?;
            if !created {
                bad(&mut form, "key", "taken-calendar-key");
                return page(
                    &state,
                    &admin,
                    ctx,
                    form,
                    None,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
        }
        "add_hours" => {
            let id = calendar_id.ok_or_else(|| AppError::BadRequest(String::new()))?;
            let weekday = WEEKDAYS.iter().position(|d| *d == get("weekday"));
            let opens = NaiveTime::parse_from_str(&get("opens"), "%H:%M").ok();
            let closes = NaiveTime::parse_from_str(&get("closes"), "%H:%M").ok();
            let (Some(weekday), Some(opens), Some(closes)) = (weekday, opens, closes) else {
                bad(&mut form, "opens", "invalid-hours");
                return page(&state, &admin, ctx, form, None, StatusCode::BAD_REQUEST).await;
            };
            if closes <= opens {
                bad(&mut form, "opens", "invalid-hours-order");
                return page(
                    &state,
                    &admin,
                    ctx,
                    form,
                    None,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
            with_db(&state, move |conn| {
                q::calendar(conn, id).map_err(|_| AppError::NotFound)?;
                Ok(q::insert_hours(conn, id, weekday as i16, opens, closes)?)
            })
            .await?;
        }
        "delete_hours" => {
            let id = calendar_id.ok_or_else(|| AppError::BadRequest(String::new()))?;
            let hours_id = get("hours")
                .parse::<i64>()
                .map_err(|_| AppError::BadRequest(String::new()))?;
            let n = with_db(&state, move |conn| Ok(q::delete_hours(conn, id, hours_id)?)).await?;
            if n == 0 {
                return Err(AppError::NotFound);
            }
        }
        "add_holiday" => {
            let id = calendar_id.ok_or_else(|| AppError::BadRequest(String::new()))?;
            let Ok(day) = NaiveDate::parse_from_str(&get("day"), "%Y-%m-%d") else {
                bad(&mut form, "day", "invalid-date");
                return page(
                    &state,
                    &admin,
                    ctx,
                    form,
                    None,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            };
            let name: String = get("holiday_name")
                .chars()
                .filter(|c| !c.is_control())
                .take(100)
                .collect();
            with_db(&state, move |conn| {
                q::calendar(conn, id).map_err(|_| AppError::NotFound)?;
                Ok(q::insert_holiday(conn, id, day, &name)?)
            })
            .await?;
        }
        "delete_holiday" => {
            let id = calendar_id.ok_or_else(|| AppError::BadRequest(String::new()))?;
            let day = NaiveDate::parse_from_str(&get("day"), "%Y-%m-%d")
                .map_err(|_| AppError::BadRequest(String::new()))?;
            let n = with_db(&state, move |conn| Ok(q::delete_holiday(conn, id, day)?)).await?;
            if n == 0 {
                return Err(AppError::NotFound);
            }
        }
        _ => return Err(AppError::BadRequest(String::new())),
    }
    state.plans.clear();
    Ok(see_other("/admin/calendars?done=1"))
}
