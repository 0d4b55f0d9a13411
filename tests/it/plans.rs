//! Support plans, quotas, calendars and their admin pages through HTTP (issue 7):
//! the shipped figures, availability and quota refusals, the month boundary in the
//! calendar's zone, the create race, reopening, `/plan`, custom plans, admin pages.

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use diesel::RunQueryDsl;
use diesel::sql_types::{BigInt, Nullable, Text};
use reqwest::multipart::Form;

use crate::harness::{Browser, Page, TestApp, assert_see_other, execute, read};
use crate::html::{attr, tag};
use supportdesk::domain::ticket::Priority;
use supportdesk::services::plans as plan_svc;

const PW: &str = "password-123";
const QUOTA_FULL: &str =
    "Your Basic plan allows 10 normal tickets a month; 10 of 10 used this month.";

// ---------------------------------------------------------------- helpers

fn sql_i64(app: &TestApp, sql: &str) -> i64 {
    diesel::select(diesel::dsl::sql::<BigInt>(&format!("({sql})")))
        .get_result(&mut app.conn())
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn sql_text(app: &TestApp, sql: &str) -> Option<String> {
    diesel::select(diesel::dsl::sql::<Nullable<Text>>(&format!("({sql})")))
        .get_result(&mut app.conn())
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn exec(app: &TestApp, sql: &str) {
    execute(&mut app.conn(), sql);
}

#[track_caller]
fn assert_not_found(page: &Page) {
    assert_eq!(page.status, 404, "{}", page.body);
    assert!(page.body.contains("Page not found"), "{}", page.body);
}

/// A new browser with a freshly signed-up owner of `Org {key}` (on the default plan).
async fn owner(app: &TestApp, key: &str, email: &str) -> Browser {
    let b = app.new_browser();
    assert_see_other(&b.signup(key, email, PW).await, "/tickets");
    b
}

/// The owner adds `email` with `role` to the current organization; they log in in a new browser.
async fn member(app: &TestApp, owner: &Browser, email: &str, role: &str) -> Browser {
    let added = owner
        .post_from(
            "/organization",
            "/organization/members",
            &[
                ("name", &format!("Member {email}")),
                ("email", email),
                ("password", PW),
                ("role", role),
            ],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.body);
    let b = app.new_browser();
    assert_see_other(&b.login(email, PW).await, "/tickets");
    b
}

/// A staff user (`agent` or `admin`) logged in in a new browser.
async fn staff(app: &TestApp, role: &str, email: &str) -> Browser {
    app.add_staff(role, email, PW);
    let b = app.new_browser();
    assert_see_other(&b.login(email, PW).await, "/console");
    b
}

fn org_id(app: &TestApp, key: &str) -> i64 {
    sql_i64(
        app,
        &format!("SELECT id FROM organizations WHERE key = '{key}'"),
    )
}

fn org_plan(app: &TestApp, key: &str) -> String {
    sql_text(
        app,
        &format!(
            "SELECT p.key FROM organizations o JOIN plans p ON p.id = o.plan_id WHERE o.key = '{key}'"
        ),
    )
    .unwrap()
}

fn ticket_plan(app: &TestApp, number: i64) -> String {
    sql_text(
        app,
        &format!(
            "SELECT p.key FROM tickets t JOIN plans p ON p.id = t.plan_id WHERE t.number = {number}"
        ),
    )
    .unwrap()
}

fn count_priority(app: &TestApp, priority: &str) -> i64 {
    sql_i64(
        app,
        &format!("SELECT count(*) FROM tickets WHERE priority = '{priority}'"),
    )
}

/// Rows of tickets, messages, attachments and events: nothing saved means all four unchanged.
fn counts(app: &TestApp) -> [i64; 4] {
    ["tickets", "messages", "attachments", "ticket_events"]
        .map(|t| sql_i64(app, &format!("SELECT count(*) FROM {t}")))
}

fn count(app: &TestApp, table: &str) -> i64 {
    sql_i64(app, &format!("SELECT count(*) FROM {table}"))
}

/// The multipart body of a new ticket, the token first.
fn ticket_form(token: &str, subject: &str, priority: &str, body: &str) -> Form {
    Form::new()
        .text("csrf_token", token.to_string())
        .text("subject", subject.to_string())
        .text("category", "technical")
        .text("priority", priority.to_string())
        .text("body", body.to_string())
}

async fn send_ticket(b: &Browser, form: Form) -> Page {
    read(
        b.client
            .post(b.url("/tickets"))
            .multipart(form)
            .send()
            .await
            .expect("POST /tickets"),
    )
    .await
}

/// POST /tickets with the token of the create form.
async fn post_ticket(b: &Browser, subject: &str, priority: &str, body: &str) -> Page {
    let token = b.get("/tickets/new").await.csrf();
    send_ticket(b, ticket_form(&token, subject, priority, body)).await
}

fn created_number(page: &Page) -> i64 {
    assert_eq!(page.status, 303, "{}", page.body);
    let location = page.location.clone().expect("a Location");
    location
        .strip_prefix("/tickets?created=")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected Location {location}"))
}

/// Creates a ticket of `priority`; its number.
async fn create(b: &Browser, priority: &str, subject: &str) -> i64 {
    created_number(&post_ticket(b, subject, priority, "Please help.").await)
}

/// Creates `n` tickets of `priority`.
async fn create_many(b: &Browser, priority: &str, n: usize) -> Vec<i64> {
    let mut numbers = Vec::new();
    for i in 0..n {
        numbers.push(create(b, priority, &format!("{priority} ticket {i}")).await);
    }
    numbers
}

/// The text of the page's `role="alert"` element, if any.
fn alert(body: &str) -> Option<&str> {
    let marker = "role=\"alert\">";
    let start = body.find(marker)? + marker.len();
    Some(&body[start..start + body[start..].find("</div>")?])
}

/// The text of the `class="field-error"` element of `field` (macros' `f-{field}-error`).
fn field_error<'a>(body: &'a str, field: &str) -> Option<&'a str> {
    let marker = format!("class=\"field-error\" id=\"f-{field}-error\">");
    let start = body.find(&marker)? + marker.len();
    let end = body[start..].find("</p>")?;
    Some(&body[start..start + end])
}

/// The first `class="field-error"` text after the element named `name`, before `until`.
fn error_after<'a>(body: &'a str, name: &str, until: &str) -> Option<&'a str> {
    let at = body.find(&format!("name=\"{name}\""))?;
    let rest = &body[at..];
    let rest = &rest[..rest.find(until).unwrap_or(rest.len())];
    let start = rest.find("class=\"field-error\"")?;
    let start = start + rest[start..].find('>')? + 1;
    Some(&rest[start..start + rest[start..].find("</p>")?])
}

/// The `value` of the text input `field`.
fn input_value<'a>(body: &'a str, field: &str) -> Option<&'a str> {
    attr(tag(body, &format!("name=\"{field}\""))?, "value")
}

/// The priority radio `value` of the create form: its tag and the note of its label.
fn radio<'a>(body: &'a str, value: &str) -> (&'a str, &'a str) {
    let marker = format!("type=\"radio\" name=\"priority\" value=\"{value}\"");
    let t = tag(body, &marker).unwrap_or_else(|| panic!("no {value} radio:\n{body}"));
    let at = body.find(&marker).unwrap();
    let label = &body[at..at + body[at..].find("</label>").unwrap()];
    let note = label
        .find("class=\"hint\">")
        .map(|i| &label[i + "class=\"hint\">".len()..])
        .and_then(|n| n.strip_suffix("</span>"))
        .map(|n| n.trim_start_matches("— "))
        .unwrap_or("");
    (t, note)
}

fn disabled(radio_tag: &str) -> bool {
    radio_tag.contains(" disabled")
}

/// The `data-plan` values of the elements that carry one, in order.
fn data_plans(body: &str) -> Vec<String> {
    body.match_indices("data-plan=\"")
        .map(|(i, m)| {
            let rest = &body[i + m.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect()
}

/// The plan card `key` of `/plan`, from its opening tag to the end of its section.
fn card<'a>(body: &'a str, key: &str) -> &'a str {
    let marker = format!("data-plan=\"{key}\"");
    let at = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no card {key}:\n{body}"));
    let start = body[..at].rfind('<').unwrap();
    let end = at + body[at..].find("</section>").unwrap();
    &body[start..end]
}

/// The `data-plan` of the cards marked `aria-current="true"`.
fn current_cards(body: &str) -> Vec<String> {
    body.match_indices("<section class=\"plan-card")
        .filter_map(|(i, _)| {
            let t = &body[i..i + body[i..].find('>').unwrap()];
            t.contains("aria-current=\"true\"")
                .then(|| attr(t, "data-plan").unwrap().to_string())
        })
        .collect()
}

fn ts(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// Moves the creation time of `numbers` to `at`.
fn move_created(app: &TestApp, numbers: &[i64], at: DateTime<Utc>) {
    let list: Vec<String> = numbers.iter().map(i64::to_string).collect();
    exec(
        app,
        &format!(
            "UPDATE tickets SET created_at = '{}' WHERE number IN ({})",
            at.to_rfc3339(),
            list.join(",")
        ),
    );
}

/// The terms of one shipped priority: (available, quota, response minutes), "-" for NULL.
fn terms(app: &TestApp, plan: &str, priority: &str) -> String {
    sql_text(
        app,
        &format!(
            "SELECT pp.available::text || ' ' || coalesce(pp.monthly_quota::text, '-') || ' ' \
             || coalesce(pp.response_minutes::text, '-') || ' ' \
             || coalesce(pp.resolution_minutes::text, '-') \
             FROM plan_priorities pp JOIN plans p ON p.id = pp.plan_id \
             WHERE p.key = '{plan}' AND pp.priority = '{priority}'"
        ),
    )
    .unwrap_or_else(|| format!("no row for {plan}/{priority}"))
}

/// The fields of the admin plan form: `base` then per priority
/// `(priority, available, quota, response, resolution)`.
fn plan_fields(
    base: &[(&str, &str)],
    per_priority: &[(&str, bool, &str, &str, &str)],
) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = base
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for (p, available, quota, response, resolution) in per_priority {
        if *available {
            v.push((format!("{p}_available"), "1".into()));
        }
        v.push((format!("{p}_quota"), quota.to_string()));
        v.push((format!("{p}_response"), response.to_string()));
        v.push((format!("{p}_resolution"), resolution.to_string()));
    }
    v
}

fn with_field(fields: &[(String, String)], name: &str, value: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = fields.iter().filter(|(k, _)| k != name).cloned().collect();
    v.push((name.into(), value.into()));
    v
}

async fn post_owned(b: &Browser, form_page: &str, path: &str, fields: &[(String, String)]) -> Page {
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    b.post_from(form_page, path, &borrowed).await
}

/// The shipped Medium terms as the admin form sends them.
const MEDIUM_TERMS: [(&str, bool, &str, &str, &str); 5] = [
    ("critical", false, "", "", ""),
    ("urgent", true, "3", "120", ""),
    ("high", true, "10", "480", ""),
    ("normal", true, "", "720", ""),
    ("low", true, "", "2880", ""),
];

fn gold_fields() -> Vec<(String, String)> {
    plan_fields(
        &[
            ("key", "gold"),
            ("name", "Gold"),
            ("description", "Gold support."),
            ("price", "2,000,000"),
            ("currency", "IRR"),
            ("calendar", "24x7"),
            ("organization", ""),
        ],
        &[
            ("critical", true, "1", "60", ""),
            ("urgent", true, "4", "90", "600"),
            ("high", true, "", "240", ""),
            ("normal", true, "", "480", ""),
            ("low", false, "", "", ""),
        ],
    )
}

// ---------------------------------------------------------------- shipped plans

#[tokio::test]
async fn new_organizations_start_on_basic_and_the_shipped_plans_carry_the_design_figures() {
    let app = TestApp::spawn().await;
    let acme = owner(&app, "acme", "owner@acme.test").await;
    assert_eq!(org_plan(&app, "acme"), "basic");
    let form = acme.get("/tickets/new").await;
    assert!(
        form.body.contains("your plan: Basic"),
        "the create form names the plan:\n{}",
        form.body
    );
    assert_eq!(current_cards(&acme.get("/plan").await.body), ["basic"]);

    // (plan, priority) → "available quota response resolution" exactly as DESIGN.md's table.
    let want = [
        ("basic", "low", "true 30 2880 -"),
        ("basic", "normal", "true 10 1440 -"),
        ("basic", "high", "false - - -"),
        ("basic", "urgent", "false - - -"),
        ("basic", "critical", "false - - -"),
        ("medium", "low", "true - 2880 -"),
        ("medium", "normal", "true - 720 -"),
        ("medium", "high", "true 10 480 -"),
        ("medium", "urgent", "true 3 120 -"),
        ("medium", "critical", "false - - -"),
        ("large", "low", "true - 1440 -"),
        ("large", "normal", "true - 720 -"),
        ("large", "high", "true 15 480 -"),
        ("large", "urgent", "true 5 120 -"),
        ("large", "critical", "true 2 30 -"),
        ("professional", "low", "true - 1440 -"),
        ("professional", "normal", "true - 240 -"),
        ("professional", "high", "true - 240 -"),
        ("professional", "urgent", "true 30 60 -"),
        ("professional", "critical", "true 10 15 -"),
    ];
    let got: Vec<(&str, &str, String)> = want
        .iter()
        .map(|(p, pr, _)| (*p, *pr, terms(&app, p, pr)))
        .collect();
    let expected: Vec<(&str, &str, String)> = want
        .iter()
        .map(|(p, pr, t)| (*p, *pr, t.to_string()))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(count(&app, "plan_priorities"), 20);

    // Prices, currency, public, and the coverage calendar of each plan.
    let plan_row = |key: &str| {
        sql_text(
            &app,
            &format!(
                "SELECT p.price::text || ' ' || p.currency || ' ' || p.public::text || ' ' \
                 || coalesce(p.custom_for_organization_id::text, '-') || ' ' || c.key || ' ' \
                 || c.time_zone || ' ' || c.always_open::text \
                 FROM plans p JOIN calendars c ON c.id = p.calendar_id WHERE p.key = '{key}'"
            ),
        )
        .unwrap()
    };
    assert_eq!(plan_row("basic"), "0 IRR true - business Asia/Tehran false");
    assert_eq!(
        plan_row("medium"),
        "550000 IRR true - business Asia/Tehran false"
    );
    assert!(plan_row("large").starts_with("1906666 IRR true - 24x7 "));
    assert!(
        plan_row("large").ends_with(" true"),
        "{}",
        plan_row("large")
    );
    assert!(plan_row("professional").starts_with("5500000 IRR true - 24x7 "));
    assert!(plan_row("professional").ends_with(" true"));

    // The business calendar: Saturday–Wednesday 08:00–17:00 (0 = Monday … 6 = Sunday).
    let hours = sql_text(
        &app,
        "SELECT string_agg(h.weekday::text || ' ' || to_char(h.opens, 'HH24:MI') || '-' \
         || to_char(h.closes, 'HH24:MI'), ',' ORDER BY h.weekday, h.opens) \
         FROM calendar_hours h JOIN calendars c ON c.id = h.calendar_id WHERE c.key = 'business'",
    );
    assert_eq!(
        hours.as_deref(),
        Some("0 08:00-17:00,1 08:00-17:00,2 08:00-17:00,5 08:00-17:00,6 08:00-17:00")
    );

    // The coverage as the SLA and quota code read it: Tehran wall-clock time.
    let mut conn = app.conn();
    let plan_id = |key: &str| sql_i64(&app, &format!("SELECT id FROM plans WHERE key = '{key}'"));
    let basic = plan_svc::load(&mut conn, plan_id("basic")).unwrap();
    let open = |t: &str| basic.coverage.is_open(ts(t));
    assert!(open("2026-11-28T04:30:00Z"), "Saturday 08:00 in Tehran");
    assert!(!open("2026-11-28T04:29:00Z"), "Saturday 07:59 in Tehran");
    assert!(open("2026-11-28T13:29:00Z"), "Saturday 16:59 in Tehran");
    assert!(!open("2026-11-28T13:30:00Z"), "Saturday 17:00 in Tehran");
    assert!(open("2026-11-25T06:00:00Z"), "Wednesday 09:30 in Tehran");
    assert!(!open("2026-11-26T06:00:00Z"), "Thursday 09:30 in Tehran");
    assert!(!open("2026-11-27T06:00:00Z"), "Friday 09:30 in Tehran");
    let medium = plan_svc::load(&mut conn, plan_id("medium")).unwrap();
    assert_eq!(medium.calendar.key, "business");
    for key in ["large", "professional"] {
        let p = plan_svc::load(&mut conn, plan_id(key)).unwrap();
        assert!(p.calendar.always_open, "{key} is 24/7");
        assert!(
            p.coverage.is_open(ts("2026-11-27T06:00:00Z")),
            "{key} on Friday"
        );
        assert!(
            p.coverage.is_open(ts("2026-11-26T23:00:00Z")),
            "{key} at night"
        );
    }
}

// ---------------------------------------------------------------- availability and quota

#[tokio::test]
async fn basic_refuses_priorities_it_does_not_offer_and_keeps_the_form() {
    let app = TestApp::spawn().await;
    let acme = owner(&app, "acme", "owner@acme.test").await;

    let form = acme.get("/tickets/new").await;
    assert_eq!(form.status, 200);
    for p in ["critical", "urgent", "high"] {
        let (t, note) = radio(&form.body, p);
        assert!(disabled(t), "{p} is disabled: {t}");
        assert_eq!(note, "not on your Basic plan", "{p}");
    }
    let (normal, note) = radio(&form.body, "normal");
    assert!(!disabled(normal) && normal.contains(" checked"), "{normal}");
    assert_eq!(
        note,
        "10 of 10 left this month · answer within 24 business hours"
    );
    let (low, note) = radio(&form.body, "low");
    assert!(!disabled(low), "{low}");
    assert_eq!(
        note,
        "30 of 30 left this month · answer within 48 business hours"
    );

    let before = counts(&app);
    for (p, label) in [
        ("high", "High"),
        ("urgent", "Urgent"),
        ("critical", "Critical"),
    ] {
        let page = post_ticket(&acme, "Database down", p, "Our database is down.").await;
        assert_eq!(page.status, 422, "{p}: {}", page.body);
        let message = format!(
            "{label} priority is not available on your Basic plan. \
             Choose another priority, or a plan that offers it."
        );
        assert_eq!(alert(&page.body), Some(message.as_str()), "{p}");
        assert!(
            alert(&page.body)
                .unwrap()
                .contains("not available on your Basic plan")
        );
        assert_eq!(field_error(&page.body, "priority"), Some(message.as_str()));
        assert_eq!(input_value(&page.body, "subject"), Some("Database down"));
        assert!(
            page.body.contains(">Our database is down.</textarea>"),
            "the body is kept:\n{}",
            page.body
        );
        assert!(disabled(radio(&page.body, p).0), "still disabled");
        assert_eq!(counts(&app), before, "{p}: nothing saved");
    }
    assert_eq!(before[0], 0);
}

#[tokio::test]
async fn the_eleventh_normal_ticket_of_the_month_is_refused_with_the_usage() {
    let app = TestApp::spawn().await;
    let acme = owner(&app, "acme", "owner@acme.test").await;
    create_many(&acme, "normal", 9).await;
    let form = acme.get("/tickets/new").await;
    assert_eq!(
        radio(&form.body, "normal").1,
        "1 of 10 left this month · answer within 24 business hours"
    );
    create(&acme, "normal", "The tenth").await;
    assert_eq!(count_priority(&app, "normal"), 10);

    let before = counts(&app);
    let page = post_ticket(&acme, "The eleventh", "normal", "One too many.").await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert_eq!(alert(&page.body), Some(QUOTA_FULL));
    assert_eq!(field_error(&page.body, "priority"), Some(QUOTA_FULL));
    assert_eq!(input_value(&page.body, "subject"), Some("The eleventh"));
    assert!(page.body.contains(">One too many.</textarea>"));
    assert_eq!(counts(&app), before, "nothing saved");

    let form = acme.get("/tickets/new").await;
    let (normal, note) = radio(&form.body, "normal");
    assert!(disabled(normal), "{normal}");
    assert_eq!(note, "10 of 10 used this month");
    assert!(!disabled(radio(&form.body, "low").0));

    let low = create(&acme, "low", "Low is still open").await;
    assert_eq!(count_priority(&app, "low"), 1);
    assert_eq!(ticket_plan(&app, low), "basic");
    let plan = acme.get("/plan").await;
    assert!(
        plan.body
            .contains("<span>Normal</span><span>10 / 10</span>"),
        "{}",
        plan.body
    );
    assert!(plan.body.contains("<span>Low</span><span>1 / 30</span>"));

    // Quotas are per organization: another organization of the same owner starts on
    // Basic with nothing used.
    let made = acme
        .post_from(
            "/organizations/new",
            "/organizations/new",
            &[("organization", "Beta"), ("organization_key", "beta")],
        )
        .await;
    assert_see_other(&made, "/tickets");
    assert_eq!(org_plan(&app, "beta"), "basic");
    let form = acme.get("/tickets/new").await;
    assert_eq!(
        radio(&form.body, "normal").1,
        "10 of 10 left this month · answer within 24 business hours"
    );
    let n = create(&acme, "normal", "Beta's first").await;
    assert_eq!(
        sql_i64(
            &app,
            &format!("SELECT organization_id FROM tickets WHERE number = {n}")
        ),
        org_id(&app, "beta")
    );
}

// ---------------------------------------------------------------- the month in the calendar's zone

#[tokio::test]
async fn quota_months_are_counted_in_the_calendar_zone() {
    let app = TestApp::spawn().await;
    let acme = owner(&app, "acme", "owner@acme.test").await;
    let numbers = create_many(&acme, "normal", 5).await;
    // 23:30 on Nov 30 in Tehran (UTC+03:30): November.
    move_created(&app, &numbers[..3], ts("2026-11-30T20:00:00Z"));
    // Exactly midnight of Dec 1 in Tehran: December (months are half-open).
    move_created(&app, &numbers[3..4], ts("2026-11-30T20:30:00Z"));
    // 00:30 on Dec 1 in Tehran: December, though still November in UTC.
    move_created(&app, &numbers[4..], ts("2026-11-30T21:00:00Z"));

    let org = org_id(&app, "acme");
    let mut conn = app.conn();
    let normal_at = |conn: &mut diesel::PgConnection, now: &str| {
        plan_svc::current(conn, org, ts(now))
            .unwrap()
            .1
            .of(Priority::Normal)
    };
    assert_eq!(normal_at(&mut conn, "2026-11-15T12:00:00Z"), 3);
    assert_eq!(
        normal_at(&mut conn, "2026-11-30T20:29:59Z"),
        3,
        "last second of November"
    );
    assert_eq!(
        normal_at(&mut conn, "2026-11-30T20:30:00Z"),
        2,
        "first second of December"
    );
    assert_eq!(normal_at(&mut conn, "2026-12-31T20:29:59Z"), 2);
    assert_eq!(
        normal_at(&mut conn, "2026-12-31T20:30:00Z"),
        0,
        "January in Tehran"
    );
    assert_eq!(
        normal_at(&mut conn, "2026-10-31T20:29:59Z"),
        0,
        "October in Tehran"
    );

    let (plan, _) = plan_svc::current(&mut conn, org, ts("2026-11-15T12:00:00Z")).unwrap();
    assert_eq!(
        plan.coverage.month_bounds(ts("2026-11-15T12:00:00Z")),
        (ts("2026-10-31T20:30:00Z"), ts("2026-11-30T20:30:00Z"))
    );
    let usage = |now: &str| {
        plan_svc::usage(&mut app.conn(), org, &plan.coverage, ts(now))
            .unwrap()
            .of(Priority::Normal)
    };
    assert_eq!(
        (usage("2026-11-01T00:00:00Z"), usage("2026-12-01T00:00:00Z")),
        (3, 2)
    );
    // The same tickets counted in UTC months split differently: the zone matters.
    let utc = supportdesk::domain::calendar::Calendar::always_open(chrono_tz::UTC);
    let in_utc = |now: &str| {
        plan_svc::usage(&mut app.conn(), org, &utc, ts(now))
            .unwrap()
            .of(Priority::Normal)
    };
    assert_eq!(
        (
            in_utc("2026-11-15T00:00:00Z"),
            in_utc("2026-12-15T00:00:00Z")
        ),
        (5, 0)
    );
}

#[tokio::test]
async fn the_quota_at_ticket_creation_uses_the_tehran_month() {
    let app = TestApp::spawn().await;
    let acme = owner(&app, "acme", "owner@acme.test").await;
    let numbers = create_many(&acme, "normal", 10).await;

    let tz = chrono_tz::Asia::Tehran;
    let now = Utc::now();
    let local = now.with_timezone(&tz);
    let month_start = tz
        .with_ymd_and_hms(local.year(), local.month(), 1, 0, 0, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc);
    // Just after the start of this month in Tehran: the previous month in UTC.
    let inside = if now - month_start > Duration::hours(1) {
        month_start + Duration::minutes(30)
    } else {
        month_start
    };
    assert_ne!(
        inside.month(),
        local.month(),
        "the instant is last month in UTC"
    );
    move_created(&app, &numbers, inside);
    let page = post_ticket(&acme, "The eleventh", "normal", "Refused?").await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert_eq!(alert(&page.body), Some(QUOTA_FULL));
    assert_eq!(count_priority(&app, "normal"), 10);

    // Just before the start of this month in Tehran: last month, nothing used now.
    move_created(&app, &numbers, month_start - Duration::minutes(30));
    create(&acme, "normal", "A new month").await;
    let form = acme.get("/tickets/new").await;
    assert_eq!(
        radio(&form.body, "normal").1,
        "9 of 10 left this month · answer within 24 business hours"
    );
}

// ---------------------------------------------------------------- the race

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_never_pass_the_quota() {
    let app = TestApp::spawn().await;
    let acme = owner(&app, "acme", "owner@acme.test").await;
    let colleague = member(&app, &acme, "member@acme.test", "member").await;
    let second_owner_tab = app.new_browser();
    assert_see_other(
        &second_owner_tab.login("owner@acme.test", PW).await,
        "/tickets",
    );
    create_many(&acme, "normal", 9).await;

    let mut senders = Vec::new();
    for b in [&acme, &colleague, &second_owner_tab] {
        let token = b.get("/tickets/new").await.csrf();
        senders.push((b.clone(), token.clone()));
        senders.push((b.clone(), token));
    }
    let handles: Vec<_> = senders
        .into_iter()
        .enumerate()
        .map(|(i, (b, token))| {
            tokio::spawn(async move {
                let form = ticket_form(&token, &format!("Race {i}"), "normal", "Me first.");
                send_ticket(&b, form).await
            })
        })
        .collect();
    let mut pages = Vec::new();
    for h in handles {
        pages.push(h.await.unwrap());
    }
    let statuses: Vec<u16> = pages.iter().map(|p| p.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 303).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 422).count(),
        5,
        "{statuses:?}"
    );
    for p in pages.iter().filter(|p| p.status == 422) {
        assert_eq!(alert(&p.body), Some(QUOTA_FULL));
    }
    assert_eq!(count_priority(&app, "normal"), 10);
    assert_eq!(count(&app, "tickets"), 10);
}

// ---------------------------------------------------------------- reopening

#[tokio::test]
async fn reopening_a_ticket_never_counts_against_the_quota() {
    let app = TestApp::spawn().await;
    let acme = owner(&app, "acme", "owner@acme.test").await;
    let numbers = create_many(&acme, "normal", 10).await;
    // One of last month's tickets, too.
    exec(
        &app,
        &format!(
            "UPDATE tickets SET created_at = now() - interval '40 days' WHERE number = {}",
            numbers[9]
        ),
    );
    let this_month = |app: &TestApp| {
        let org = org_id(app, "acme");
        plan_svc::current(&mut app.conn(), org, Utc::now())
            .unwrap()
            .1
            .of(Priority::Normal)
    };
    assert_eq!(this_month(&app), 9);
    create(&acme, "normal", "The tenth of this month").await;
    assert_eq!(this_month(&app), 10);

    for n in [numbers[0], numbers[9]] {
        let closed = acme
            .post_from("/tickets/new", &format!("/tickets/{n}/close"), &[])
            .await;
        assert_see_other(&closed, &format!("/tickets/{n}"));
        let token = acme.get("/tickets/new").await.csrf();
        let reply = read(
            acme.client
                .post(acme.url(&format!("/tickets/{n}/messages")))
                .multipart(
                    Form::new()
                        .text("csrf_token", token)
                        .text("body", "It happened again."),
                )
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_see_other(&reply, &format!("/tickets/{n}"));
        assert_eq!(
            sql_text(
                &app,
                &format!("SELECT status FROM tickets WHERE number = {n}")
            )
            .as_deref(),
            Some("awaiting_response")
        );
        assert_eq!(
            sql_i64(
                &app,
                &format!(
                    "SELECT count(*) FROM ticket_events WHERE ticket_number = {n} AND kind = 'reopened'"
                )
            ),
            1
        );
        assert_eq!(this_month(&app), 10, "reopening #{n} counts nothing");
    }
    assert_eq!(count(&app, "tickets"), 11);
    let page = post_ticket(&acme, "Still full", "normal", "Refused.").await;
    assert_eq!(page.status, 422);
    assert_eq!(alert(&page.body), Some(QUOTA_FULL));
    assert!(
        acme.get("/plan")
            .await
            .body
            .contains("<span>Normal</span><span>10 / 10</span>")
    );
}

#[tokio::test]
async fn an_agent_priority_change_never_consumes_quota() {
    let app = TestApp::spawn().await;
    let acme = owner(&app, "acme", "owner@acme.test").await;
    create_many(&acme, "normal", 9).await;
    let low = create(&acme, "low", "Small question").await;
    let agent = staff(&app, "agent", "agent@support.test").await;
    let changed = agent
        .post_from(
            "/console",
            &format!("/console/tickets/{low}/priority"),
            &[("priority", "normal")],
        )
        .await;
    assert_see_other(&changed, &format!("/console/tickets/{low}"));
    assert_eq!(count_priority(&app, "normal"), 10);
    // Nine normal tickets were opened this month: the tenth is still the customer's to open.
    let page = post_ticket(&acme, "My tenth normal ticket", "normal", "Please.").await;
    assert_eq!(page.status, 303, "{:?}", alert(&page.body));
}

// ---------------------------------------------------------------- /plan

#[tokio::test]
async fn the_plan_page_shows_the_cards_and_the_owner_chooses_medium() {
    let app = TestApp::spawn().await;
    let acme = owner(&app, "acme", "owner@acme.test").await;
    let old = create(&acme, "normal", "Opened on Basic").await;
    create(&acme, "normal", "Another").await;
    create(&acme, "low", "A small one").await;

    let page = acme.get("/plan").await;
    assert_eq!(page.status, 200);
    assert_eq!(
        data_plans(&page.body),
        ["basic", "medium", "large", "professional", "custom"]
    );
    assert_eq!(current_cards(&page.body), ["basic"]);
    for (key, price) in [
        ("basic", "Free"),
        ("medium", "550,000 IRR / month"),
        ("large", "1,906,666 IRR / month"),
        ("professional", "5,500,000 IRR / month"),
    ] {
        let c = card(&page.body, key);
        assert!(
            c.contains(&format!("<p class=\"price\">{price}</p>")),
            "{key}: {c}"
        );
        // Every card but the current one can be chosen.
        assert_eq!(c.contains("Choose this plan"), key != "basic", "{key}: {c}");
    }
    assert!(card(&page.body, "basic").contains("Current plan"));
    assert!(card(&page.body, "large").contains("<span>2 / month</span>"));
    assert!(card(&page.body, "basic").contains("<span>not available</span>"));
    assert!(page.body.contains("<span>Normal</span><span>2 / 10</span>"));
    assert!(page.body.contains("<span>Low</span><span>1 / 30</span>"));

    let chosen = acme
        .post_from("/plan", "/plan", &[("plan", "medium")])
        .await;
    assert_see_other(&chosen, "/plan?done=changed");
    let page = acme.get("/plan?done=changed").await;
    assert_eq!(current_cards(&page.body), ["medium"]);
    assert!(page.body.contains("The plan was changed."), "{}", page.body);
    assert_eq!(org_plan(&app, "acme"), "medium");
    assert_eq!(
        sql_text(
            &app,
            "SELECT f.key || ' ' || t.key || ' ' || u.email FROM organization_plan_changes c \
             JOIN plans f ON f.id = c.from_plan_id JOIN plans t ON t.id = c.to_plan_id \
             JOIN users u ON u.id = c.changed_by"
        )
        .as_deref(),
        Some("basic medium owner@acme.test")
    );
    assert_eq!(count(&app, "organization_plan_changes"), 1);

    let new = create(&acme, "high", "High is offered on Medium").await;
    assert_eq!(ticket_plan(&app, new), "medium");
    assert_eq!(ticket_plan(&app, old), "basic", "a ticket keeps its plan");
    let form = acme.get("/tickets/new").await;
    assert!(form.body.contains("your plan: Medium"));
    assert_eq!(
        radio(&form.body, "high").1,
        "9 of 10 left this month · answer within 8 business hours"
    );

    // Choosing the current plan again changes nothing.
    let again = acme
        .post_from("/plan", "/plan", &[("plan", "medium")])
        .await;
    assert_eq!(again.status, 422, "{}", again.body);
    assert_eq!(
        alert(&again.body),
        Some("The organization is already on that plan.")
    );
    // An unknown key is malformed.
    let unknown = acme
        .post_from("/plan", "/plan", &[("plan", "platinum")])
        .await;
    assert_eq!(unknown.status, 400, "{}", unknown.body);
    assert_eq!(org_plan(&app, "acme"), "medium");
    assert_eq!(count(&app, "organization_plan_changes"), 1);
}

#[tokio::test]
async fn choosing_an_unknown_plan_says_why() {
    let app = TestApp::spawn().await;
    let acme = owner(&app, "acme", "owner@acme.test").await;
    let unknown = acme
        .post_from("/plan", "/plan", &[("plan", "platinum")])
        .await;
    assert_eq!(unknown.status, 400, "{}", unknown.body);
    assert!(
        unknown.body.contains("Choose one of the offered plans."),
        "{}",
        unknown.body
    );
}

#[tokio::test]
async fn members_see_the_plans_read_only_and_organization_admins_choose() {
    let app = TestApp::spawn().await;
    let acme = owner(&app, "acme", "owner@acme.test").await;
    let colleague = member(&app, &acme, "member@acme.test", "member").await;
    let org_admin = member(&app, &acme, "admin@acme.test", "admin").await;

    let page = colleague.get("/plan").await;
    assert_eq!(page.status, 200);
    assert_eq!(
        data_plans(&page.body),
        ["basic", "medium", "large", "professional", "custom"]
    );
    assert_eq!(current_cards(&page.body), ["basic"]);
    assert!(!page.body.contains("Choose this plan"), "{}", page.body);
    assert!(!page.body.contains("action=\"/plan\""));
    assert!(!page.body.contains("action=\"/plan/custom\""));
    assert!(
        page.body.contains("owners and admins can change its plan."),
        "{}",
        page.body
    );

    let token = colleague.get("/plan").await.csrf();
    let refused = colleague
        .post_raw("/plan", &[("csrf_token", &token), ("plan", "medium")])
        .await;
    assert_not_found(&refused);
    let refused = colleague
        .post_raw(
            "/plan/custom",
            &[("csrf_token", &token), ("message", "Cheaper, please.")],
        )
        .await;
    assert_not_found(&refused);
    assert_eq!(org_plan(&app, "acme"), "basic");
    assert_eq!(count(&app, "organization_plan_changes"), 0);
    assert_eq!(count(&app, "tickets"), 0);

    let page = org_admin.get("/plan").await;
    assert!(page.body.contains("Choose this plan"));
    let chosen = org_admin
        .post_from("/plan", "/plan", &[("plan", "large")])
        .await;
    assert_see_other(&chosen, "/plan?done=changed");
    assert_eq!(org_plan(&app, "acme"), "large");
    assert_eq!(current_cards(&colleague.get("/plan").await.body), ["large"]);
}

#[tokio::test]
async fn a_custom_plan_request_is_a_sales_ticket_no_quota_refuses() {
    let app = TestApp::spawn().await;
    let acme = owner(&app, "acme", "owner@acme.test").await;
    create_many(&acme, "normal", 10).await;

    let empty = acme
        .post_from("/plan", "/plan/custom", &[("message", "  ")])
        .await;
    assert_eq!(empty.status, 422, "{}", empty.body);
    assert_eq!(
        field_error(&empty.body, "message"),
        Some("Write a message.")
    );
    assert_eq!(count(&app, "tickets"), 10);

    let sent = acme
        .post_from(
            "/plan",
            "/plan/custom",
            &[("message", "We need 50 urgent tickets a month.")],
        )
        .await;
    let number = created_number(&sent);
    assert_eq!(
        sql_text(
            &app,
            &format!(
                "SELECT category || ' ' || priority || ' ' || quota_exempt::text || ' ' || subject \
                 FROM tickets WHERE number = {number}"
            )
        )
        .as_deref(),
        Some("sales normal true Custom plan request from Org acme")
    );
    assert_eq!(ticket_plan(&app, number), "basic");
    assert!(
        sql_text(
            &app,
            &format!("SELECT body FROM messages WHERE ticket_number = {number}")
        )
        .unwrap()
        .contains("50 urgent tickets")
    );
    // It does not count: still 10 of 10, and the usage shows 10.
    let org = org_id(&app, "acme");
    assert_eq!(
        plan_svc::current(&mut app.conn(), org, Utc::now())
            .unwrap()
            .1
            .of(Priority::Normal),
        10
    );
    assert!(
        acme.get("/plan")
            .await
            .body
            .contains("<span>Normal</span><span>10 / 10</span>")
    );
    let page = post_ticket(&acme, "Still refused", "normal", "Yes.").await;
    assert_eq!(alert(&page.body), Some(QUOTA_FULL));
    // A second request goes through too.
    let again = acme
        .post_from("/plan", "/plan/custom", &[("message", "Any news?")])
        .await;
    created_number(&again);
    assert_eq!(count(&app, "tickets"), 12);
}

// ---------------------------------------------------------------- admin: plans

#[tokio::test]
async fn admins_list_and_create_plans_with_every_field_validated() {
    let app = TestApp::spawn().await;
    let admin = staff(&app, "admin", "admin@support.test").await;
    let list = admin.get("/admin/plans").await;
    assert_eq!(list.status, 200);
    assert_eq!(
        data_plans(&list.body),
        ["basic", "medium", "large", "professional"]
    );
    assert!(list.body.contains("1,906,666 IRR / month"));
    let form = admin.get("/admin/plans/new").await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("name=\"critical_quota\""));

    let good = gold_fields();
    let plans_before = count(&app, "plans");
    let rows_before = count(&app, "plan_priorities");

    // Each bad field alone: refused with the message next to it, nothing saved.
    let field_cases: [(&str, &str, u16, &str); 6] = [
        (
            "key",
            "Bad Key",
            422,
            "Use 1–50 lowercase letters, digits, “-” or “_”.",
        ),
        (
            "currency",
            "rials",
            422,
            "Use a three-letter currency code, e.g. IRR.",
        ),
        (
            "price",
            "-5",
            422,
            "Enter a price of 0 or more, in whole units.",
        ),
        ("calendar", "mars", 400, "Choose one of the calendars."),
        ("organization", "nope", 422, "No organization has that key."),
        ("key", "basic", 422, "Another plan has this key."),
    ];
    for (field, value, status, message) in field_cases {
        let page = post_owned(
            &admin,
            "/admin/plans/new",
            "/admin/plans/new",
            &with_field(&good, field, value),
        )
        .await;
        assert_eq!(page.status, status, "{field}={value}: {}", page.body);
        assert_eq!(
            field_error(&page.body, field),
            Some(message),
            "{field}={value}"
        );
        assert_eq!(input_value(&page.body, "name"), Some("Gold"), "form kept");
        assert_eq!(count(&app, "plans"), plans_before, "{field}={value}");
    }
    let quota_message = "Enter a whole number of 0 or more, or leave it empty for unlimited.";
    let minutes_message = "Enter whole minutes of 1 or more, or leave it empty for no target.";
    for (field, value, message) in [
        ("normal_quota", "-1", quota_message),
        ("urgent_quota", "many", quota_message),
        ("high_response", "0", minutes_message),
        ("critical_response", "-30", minutes_message),
        ("urgent_resolution", "0", minutes_message),
    ] {
        let page = post_owned(
            &admin,
            "/admin/plans/new",
            "/admin/plans/new",
            &with_field(&good, field, value),
        )
        .await;
        assert_eq!(page.status, 422, "{field}={value}: {}", page.body);
        assert_eq!(
            error_after(&page.body, field, "</td>"),
            Some(message),
            "{field}={value}"
        );
        assert_eq!(
            input_value(&page.body, field),
            Some(value),
            "the typed value is kept"
        );
        assert_eq!(count(&app, "plans"), plans_before);
    }
    assert_eq!(count(&app, "plan_priorities"), rows_before);

    let saved = post_owned(&admin, "/admin/plans/new", "/admin/plans/new", &good).await;
    assert_see_other(&saved, "/admin/plans/gold?saved=1");
    assert_eq!(
        sql_text(
            &app,
            "SELECT p.name || ' ' || p.price::text || ' ' || p.currency || ' ' || p.public::text \
             || ' ' || c.key FROM plans p JOIN calendars c ON c.id = p.calendar_id WHERE p.key = 'gold'"
        )
        .as_deref(),
        Some("Gold 2000000 IRR true 24x7")
    );
    assert_eq!(terms(&app, "gold", "critical"), "true 1 60 -");
    assert_eq!(terms(&app, "gold", "urgent"), "true 4 90 600");
    assert_eq!(terms(&app, "gold", "normal"), "true - 480 -");
    assert_eq!(terms(&app, "gold", "low"), "false - - -");
    let list = admin.get("/admin/plans").await;
    assert!(data_plans(&list.body).contains(&"gold".to_string()));
    assert!(list.body.contains("2,000,000 IRR / month"));
    // A public plan is offered on /plan.
    let acme = owner(&app, "acme", "owner@acme.test").await;
    assert!(data_plans(&acme.get("/plan").await.body).contains(&"gold".to_string()));
}

#[tokio::test]
async fn an_admin_edit_of_a_plan_shows_in_the_customer_form() {
    let app = TestApp::spawn().await;
    let admin = staff(&app, "admin", "admin@support.test").await;
    let acme = owner(&app, "acme", "owner@acme.test").await;
    assert_see_other(
        &acme
            .post_from("/plan", "/plan", &[("plan", "medium")])
            .await,
        "/plan?done=changed",
    );
    let form = acme.get("/tickets/new").await;
    assert_eq!(
        radio(&form.body, "normal").1,
        "answer within 12 business hours"
    );

    let edit = admin.get("/admin/plans/medium").await;
    assert_eq!(edit.status, 200);
    assert_eq!(input_value(&edit.body, "key"), Some("medium"));
    assert_eq!(input_value(&edit.body, "high_quota"), Some("10"));
    assert_eq!(input_value(&edit.body, "normal_quota"), Some(""));
    assert_eq!(input_value(&edit.body, "urgent_response"), Some("120"));

    let base = [
        ("key", "medium"),
        ("name", "Medium"),
        (
            "description",
            "Business-hours support with higher priorities.",
        ),
        ("price", "550000"),
        ("currency", "IRR"),
        ("calendar", "business"),
    ];
    let mut terms_edit = MEDIUM_TERMS;
    terms_edit[3] = ("normal", true, "2", "720", "");
    let fields = plan_fields(&base, &terms_edit);
    // A bad value leaves the plan as it was.
    let bad = post_owned(
        &admin,
        "/admin/plans/medium",
        "/admin/plans/medium",
        &with_field(&fields, "normal_quota", "-1"),
    )
    .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert_eq!(terms(&app, "medium", "normal"), "true - 720 -");

    let saved = post_owned(
        &admin,
        "/admin/plans/medium",
        "/admin/plans/medium",
        &fields,
    )
    .await;
    assert_see_other(&saved, "/admin/plans/medium?saved=1");
    assert_eq!(terms(&app, "medium", "normal"), "true 2 720 -");
    assert_eq!(terms(&app, "medium", "high"), "true 10 480 -");

    let form = acme.get("/tickets/new").await;
    assert_eq!(
        radio(&form.body, "normal").1,
        "2 of 2 left this month · answer within 12 business hours"
    );
    create_many(&acme, "normal", 2).await;
    let page = post_ticket(&acme, "Third", "normal", "Refused.").await;
    assert_eq!(page.status, 422);
    assert_eq!(
        alert(&page.body),
        Some("Your Medium plan allows 2 normal tickets a month; 2 of 2 used this month.")
    );
    assert!(
        acme.get("/plan")
            .await
            .body
            .contains("<span>Normal</span><span>2 / 2</span>")
    );

    // Unknown keys: 404 on every plan URL, nothing created.
    let plans_before = count(&app, "plans");
    assert_not_found(&admin.get("/admin/plans/platinum").await);
    let unknown = with_field(&fields, "key", "platinum");
    assert_not_found(&post_owned(&admin, "/admin/plans", "/admin/plans/platinum", &unknown).await);
    assert_not_found(
        &admin
            .post_from(
                "/admin/plans",
                "/admin/plans/platinum/clone",
                &[("organization", "acme")],
            )
            .await,
    );
    assert_eq!(count(&app, "plans"), plans_before);
}

#[tokio::test]
async fn a_cloned_custom_plan_is_offered_and_assignable_only_to_its_organization() {
    let app = TestApp::spawn().await;
    let admin = staff(&app, "admin", "admin@support.test").await;
    let acme = owner(&app, "acme", "owner@acme.test").await;
    let beta = owner(&app, "beta", "owner@beta.test").await;

    // Refused clones: no organization, an unknown one.
    let plans_before = count(&app, "plans");
    let empty = admin
        .post_from(
            "/admin/plans/large",
            "/admin/plans/large/clone",
            &[("organization", "")],
        )
        .await;
    assert_eq!(empty.status, 422, "{}", empty.body);
    let unknown = admin
        .post_from(
            "/admin/plans/large",
            "/admin/plans/large/clone",
            &[("organization", "nope")],
        )
        .await;
    assert_eq!(unknown.status, 422, "{}", unknown.body);
    assert_eq!(
        field_error(&unknown.body, "organization"),
        Some("No organization has that key.")
    );
    assert_eq!(count(&app, "plans"), plans_before);

    let cloned = admin
        .post_from(
            "/admin/plans/large",
            "/admin/plans/large/clone",
            &[("organization", "acme")],
        )
        .await;
    assert_see_other(&cloned, "/admin/plans/large-acme?saved=1");
    assert_eq!(
        sql_i64(
            &app,
            "SELECT custom_for_organization_id FROM plans WHERE key = 'large-acme'"
        ),
        org_id(&app, "acme")
    );
    assert_eq!(
        sql_text(
            &app,
            "SELECT public::text || ' ' || name FROM plans WHERE key = 'large-acme'"
        )
        .as_deref(),
        Some("false Large (acme)")
    );
    for p in ["critical", "urgent", "high", "normal", "low"] {
        assert_eq!(terms(&app, "large-acme", p), terms(&app, "large", p), "{p}");
    }
    let list = admin.get("/admin/plans").await;
    assert!(
        tag(&list.body, "data-plan=\"large-acme\"").is_some(),
        "{}",
        list.body
    );
    let edit = admin.get("/admin/plans/large-acme").await;
    assert!(
        edit.body
            .contains("Custom plan for the organization <code>acme</code>"),
        "{}",
        edit.body
    );

    // Not on offer on /plan, not even to acme until assigned; never to beta.
    assert!(!data_plans(&acme.get("/plan").await.body).contains(&"large-acme".to_string()));
    assert!(!data_plans(&beta.get("/plan").await.body).contains(&"large-acme".to_string()));
    // Beta cannot choose it; acme (whose plan it is) may.
    let foreign = beta
        .post_from("/plan", "/plan", &[("plan", "large-acme")])
        .await;
    assert_eq!(foreign.status, 400, "{}", foreign.body);
    assert_eq!(org_plan(&app, "beta"), "basic");

    // The admin assigns it: only to acme.
    let beta_page = admin.get("/admin/organizations/beta").await;
    assert!(!beta_page.body.contains("value=\"large-acme\""));
    assert!(
        admin
            .get("/admin/organizations/acme")
            .await
            .body
            .contains("value=\"large-acme\"")
    );
    let refused = admin
        .post_from(
            "/admin/organizations/beta",
            "/admin/organizations/beta/plan",
            &[("plan", "large-acme")],
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(org_plan(&app, "beta"), "basic");
    assert_eq!(count(&app, "organization_plan_changes"), 0);

    let assigned = admin
        .post_from(
            "/admin/organizations/acme",
            "/admin/organizations/acme/plan",
            &[("plan", "large-acme")],
        )
        .await;
    assert_see_other(&assigned, "/admin/organizations/acme?done=plan");
    assert_eq!(org_plan(&app, "acme"), "large-acme");
    let page = acme.get("/plan").await;
    assert_eq!(current_cards(&page.body), ["large-acme"]);
    assert_eq!(
        data_plans(&page.body),
        [
            "large-acme",
            "basic",
            "medium",
            "large",
            "professional",
            "custom"
        ]
    );
    assert!(!data_plans(&beta.get("/plan").await.body).contains(&"large-acme".to_string()));
    let n = create(&acme, "critical", "Critical on the custom plan").await;
    assert_eq!(ticket_plan(&app, n), "large-acme");
}

#[tokio::test]
async fn a_refused_plan_assignment_says_why() {
    let app = TestApp::spawn().await;
    let admin = staff(&app, "admin", "admin@support.test").await;
    owner(&app, "acme", "owner@acme.test").await;
    let refused = admin
        .post_from(
            "/admin/organizations/acme",
            "/admin/organizations/acme/plan",
            &[("plan", "platinum")],
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("Choose one of the offered plans."),
        "{}",
        refused.body
    );
}

// ---------------------------------------------------------------- admin: organizations

#[tokio::test]
async fn admins_find_organizations_and_see_plan_usage_and_history() {
    let app = TestApp::spawn().await;
    let admin = staff(&app, "admin", "admin@support.test").await;
    let acme = owner(&app, "acme", "owner@acme.test").await;
    owner(&app, "beta", "owner@beta.test").await;
    create_many(&acme, "normal", 3).await;
    create(&acme, "low", "Low").await;

    let orgs_in = |body: &str| -> Vec<String> {
        body.match_indices("data-organization=\"")
            .map(|(i, m)| {
                let rest = &body[i + m.len()..];
                rest[..rest.find('"').unwrap()].to_string()
            })
            .collect()
    };
    let all = admin.get("/admin/organizations").await;
    assert_eq!(all.status, 200);
    assert_eq!(orgs_in(&all.body), ["acme", "beta"]);
    assert_eq!(
        orgs_in(&admin.get("/admin/organizations?q=acm").await.body),
        ["acme"]
    );
    assert_eq!(
        orgs_in(&admin.get("/admin/organizations?q=org%20BETA").await.body),
        ["beta"],
        "by name, any case"
    );
    let none = admin.get("/admin/organizations?q=zzz").await;
    assert!(orgs_in(&none.body).is_empty());
    assert!(none.body.contains("No organizations match."));
    assert!(
        admin
            .get("/admin/organizations?q=%25")
            .await
            .body
            .contains("No organizations match."),
        "% is a literal, not a wildcard"
    );

    let page = admin.get("/admin/organizations/acme").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<span data-plan=\"basic\">Basic</span>"));
    assert!(
        page.body
            .contains("<li><span>Normal</span><span>3</span></li>")
    );
    assert!(
        page.body
            .contains("<li><span>Low</span><span>1</span></li>")
    );
    assert!(
        page.body
            .contains("The organization has been on its plan since it was created.")
    );

    assert_see_other(
        &acme
            .post_from("/plan", "/plan", &[("plan", "medium")])
            .await,
        "/plan?done=changed",
    );
    assert_see_other(
        &admin
            .post_from(
                "/admin/organizations/acme",
                "/admin/organizations/acme/plan",
                &[("plan", "professional")],
            )
            .await,
        "/admin/organizations/acme?done=plan",
    );
    assert_eq!(org_plan(&app, "acme"), "professional");
    let page = admin.get("/admin/organizations/acme?done=plan").await;
    assert!(page.body.contains("The plan was assigned."));
    assert!(
        page.body
            .contains("<span data-plan=\"professional\">Professional</span>")
    );
    let history: Vec<&str> = page
        .body
        .match_indices("<li data-event=\"plan_changed\">")
        .map(|(i, m)| {
            let rest = &page.body[i + m.len()..];
            &rest[..rest.find("</li>").unwrap()]
        })
        .collect();
    assert_eq!(history.len(), 2, "{}", page.body);
    assert!(
        history[0]
            .starts_with("Medium → Professional <span class=\"muted\">Staff admin@support.test · "),
        "newest first: {}",
        history[0]
    );
    assert!(
        history[1].starts_with("Basic → Medium <span class=\"muted\">Person owner@acme.test · "),
        "{}",
        history[1]
    );
    // The same plan again is refused with a reason.
    let again = admin
        .post_from(
            "/admin/organizations/acme",
            "/admin/organizations/acme/plan",
            &[("plan", "professional")],
        )
        .await;
    assert_eq!(again.status, 422);
    assert_eq!(
        alert(&again.body),
        Some("The organization is already on that plan.")
    );
    assert_eq!(count(&app, "organization_plan_changes"), 2);

    // Unknown organization: 404.
    assert_not_found(&admin.get("/admin/organizations/nope").await);
    assert_not_found(
        &admin
            .post_from(
                "/admin/organizations",
                "/admin/organizations/nope/plan",
                &[("plan", "medium")],
            )
            .await,
    );
    assert_eq!(count(&app, "organization_plan_changes"), 2);
}

// ---------------------------------------------------------------- admin: calendars

fn calendar_id(app: &TestApp, key: &str) -> String {
    sql_i64(
        app,
        &format!("SELECT id FROM calendars WHERE key = '{key}'"),
    )
    .to_string()
}

/// The `data-calendar` section of `/admin/calendars`.
fn calendar_section<'a>(body: &'a str, key: &str) -> &'a str {
    let at = body
        .find(&format!("data-calendar=\"{key}\""))
        .unwrap_or_else(|| panic!("no calendar {key}:\n{body}"));
    &body[at..at + body[at..].find("</section>").unwrap()]
}

#[tokio::test]
async fn admins_edit_calendar_hours_holidays_and_create_calendars() {
    let app = TestApp::spawn().await;
    let admin = staff(&app, "admin", "admin@support.test").await;
    let page = admin.get("/admin/calendars").await;
    assert_eq!(page.status, 200);
    let business = calendar_section(&page.body, "business");
    assert!(business.contains("Asia/Tehran"));
    for day in ["Saturday", "Sunday", "Monday", "Tuesday", "Wednesday"] {
        assert!(
            business.contains(&format!("<span>{day} 08:00–17:00</span>")),
            "{day}: {business}"
        );
    }
    assert!(!business.contains("Thursday 0"));
    assert!(calendar_section(&page.body, "24x7").contains("Open around the clock"));

    let id = calendar_id(&app, "business");
    let hours_before = count(&app, "calendar_hours");
    let added = admin
        .post_from(
            "/admin/calendars",
            "/admin/calendars",
            &[
                ("action", "add_hours"),
                ("calendar", &id),
                ("weekday", "thursday"),
                ("opens", "09:00"),
                ("closes", "12:00"),
            ],
        )
        .await;
    assert_see_other(&added, "/admin/calendars?done=1");
    let page = admin.get("/admin/calendars?done=1").await;
    assert!(calendar_section(&page.body, "business").contains("<span>Thursday 09:00–12:00</span>"));
    assert_eq!(count(&app, "calendar_hours"), hours_before + 1);
    // The coverage follows: Thursday 09:30 in Tehran is now open for Basic.
    let basic_id = sql_i64(&app, "SELECT id FROM plans WHERE key = 'basic'");
    let basic = plan_svc::load(&mut app.conn(), basic_id).unwrap();
    assert!(basic.coverage.is_open(ts("2026-11-26T06:00:00Z")));
    assert!(!basic.coverage.is_open(ts("2026-11-26T08:30:00Z")), "12:00");

    // Closing before opening: refused; a bad time: malformed. Nothing saved.
    let backwards = admin
        .post_from(
            "/admin/calendars",
            "/admin/calendars",
            &[
                ("action", "add_hours"),
                ("calendar", &id),
                ("weekday", "friday"),
                ("opens", "12:00"),
                ("closes", "09:00"),
            ],
        )
        .await;
    assert_eq!(backwards.status, 422, "{}", backwards.body);
    let bad_time = admin
        .post_from(
            "/admin/calendars",
            "/admin/calendars",
            &[
                ("action", "add_hours"),
                ("calendar", &id),
                ("weekday", "friday"),
                ("opens", "9am"),
                ("closes", "17:00"),
            ],
        )
        .await;
    assert_eq!(bad_time.status, 400, "{}", bad_time.body);
    assert_eq!(count(&app, "calendar_hours"), hours_before + 1);

    // Holidays.
    let holiday = admin
        .post_from(
            "/admin/calendars",
            "/admin/calendars",
            &[
                ("action", "add_holiday"),
                ("calendar", &id),
                ("day", "2026-12-25"),
                ("holiday_name", "Office party"),
            ],
        )
        .await;
    assert_see_other(&holiday, "/admin/calendars?done=1");
    let page = admin.get("/admin/calendars").await;
    assert!(
        calendar_section(&page.body, "business").contains("<span>2026-12-25 Office party</span>"),
        "{}",
        page.body
    );
    let bad_date = admin
        .post_from(
            "/admin/calendars",
            "/admin/calendars",
            &[
                ("action", "add_holiday"),
                ("calendar", &id),
                ("day", "2026-13-40"),
                ("holiday_name", "Never"),
            ],
        )
        .await;
    assert_eq!(bad_date.status, 422, "{}", bad_date.body);
    assert_eq!(count(&app, "calendar_holidays"), 1);
    // An unknown calendar.
    let unknown = admin
        .post_from(
            "/admin/calendars",
            "/admin/calendars",
            &[
                ("action", "add_holiday"),
                ("calendar", "999999"),
                ("day", "2026-12-26"),
            ],
        )
        .await;
    assert_not_found(&unknown);
    assert_eq!(count(&app, "calendar_holidays"), 1);

    // New calendars: the time zone is checked.
    let calendars_before = count(&app, "calendars");
    let bad_zone = admin
        .post_from(
            "/admin/calendars",
            "/admin/calendars",
            &[
                ("action", "create"),
                ("key", "berlin"),
                ("name", "Berlin office"),
                ("time_zone", "Mars/Olympus_Mons"),
            ],
        )
        .await;
    assert_eq!(bad_zone.status, 422, "{}", bad_zone.body);
    assert_eq!(
        field_error(&bad_zone.body, "time_zone"),
        Some("Use a time zone name such as Asia/Tehran.")
    );
    assert_eq!(input_value(&bad_zone.body, "name"), Some("Berlin office"));
    assert_eq!(count(&app, "calendars"), calendars_before);
    let created = admin
        .post_from(
            "/admin/calendars",
            "/admin/calendars",
            &[
                ("action", "create"),
                ("key", "berlin"),
                ("name", "Berlin office"),
                ("time_zone", "Europe/Berlin"),
            ],
        )
        .await;
    assert_see_other(&created, "/admin/calendars?done=1");
    let page = admin.get("/admin/calendars").await;
    let berlin = calendar_section(&page.body, "berlin");
    assert!(berlin.contains("Berlin office") && berlin.contains("Europe/Berlin"));
    assert!(berlin.contains("No opening hours yet"));
    assert_eq!(count(&app, "calendars"), calendars_before + 1);
    // It is offered as a plan's coverage.
    assert!(
        admin
            .get("/admin/plans/new")
            .await
            .body
            .contains("<option value=\"berlin\">")
    );
}

#[tokio::test]
async fn calendar_hour_and_date_errors_are_shown() {
    let app = TestApp::spawn().await;
    let admin = staff(&app, "admin", "admin@support.test").await;
    let id = calendar_id(&app, "business");
    let backwards = admin
        .post_from(
            "/admin/calendars",
            "/admin/calendars",
            &[
                ("action", "add_hours"),
                ("calendar", &id),
                ("weekday", "friday"),
                ("opens", "12:00"),
                ("closes", "09:00"),
            ],
        )
        .await;
    assert_eq!(backwards.status, 422);
    assert!(
        backwards
            .body
            .contains("The closing time must be after the opening time."),
        "{}",
        backwards.body
    );
    let bad_date = admin
        .post_from(
            "/admin/calendars",
            "/admin/calendars",
            &[
                ("action", "add_holiday"),
                ("calendar", &id),
                ("day", "2026-13-40"),
            ],
        )
        .await;
    assert_eq!(bad_date.status, 422);
    assert!(
        bad_date.body.contains("Enter a date like 2026-12-31."),
        "{}",
        bad_date.body
    );
}

// ---------------------------------------------------------------- admin access

#[tokio::test]
async fn admin_pages_are_404_for_agents_and_customers() {
    let app = TestApp::spawn().await;
    let acme = owner(&app, "acme", "owner@acme.test").await;
    let agent = staff(&app, "agent", "agent@support.test").await;
    let admin = staff(&app, "admin", "admin@support.test").await;
    let id = calendar_id(&app, "business");

    let pages = [
        "/admin/plans",
        "/admin/plans/new",
        "/admin/plans/basic",
        "/admin/organizations",
        "/admin/organizations?q=acme",
        "/admin/organizations/acme",
        "/admin/calendars",
    ];
    for path in pages {
        assert_eq!(admin.get(path).await.status, 200, "admin {path}");
        for (who, b) in [("agent", &agent), ("customer", &acme)] {
            let page = b.get(path).await;
            assert_eq!(page.status, 404, "{who} GET {path}");
            assert!(page.body.contains("Page not found"), "{who} GET {path}");
        }
    }

    let gold = gold_fields();
    let gold: Vec<(&str, &str)> = gold.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let posts: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("/admin/plans/new", gold.clone()),
        ("/admin/plans/basic", gold.clone()),
        ("/admin/plans/basic/clone", vec![("organization", "acme")]),
        (
            "/admin/organizations/acme/plan",
            vec![("plan", "professional")],
        ),
        (
            "/admin/calendars",
            vec![
                ("action", "add_hours"),
                ("calendar", &id),
                ("weekday", "friday"),
                ("opens", "09:00"),
                ("closes", "12:00"),
            ],
        ),
        (
            "/admin/calendars",
            vec![
                ("action", "create"),
                ("key", "berlin"),
                ("name", "Berlin"),
                ("time_zone", "Europe/Berlin"),
            ],
        ),
    ];
    let before = [
        "plans",
        "plan_priorities",
        "calendars",
        "calendar_hours",
        "organization_plan_changes",
    ]
    .map(|t| count(&app, t));
    for (path, fields) in &posts {
        for (who, b, form_page) in [
            ("agent", &agent, "/console"),
            ("customer", &acme, "/tickets/new"),
        ] {
            let page = b.post_from(form_page, path, fields).await;
            assert_eq!(page.status, 404, "{who} POST {path}: {}", page.body);
        }
    }
    let after = [
        "plans",
        "plan_priorities",
        "calendars",
        "calendar_hours",
        "organization_plan_changes",
    ]
    .map(|t| count(&app, t));
    assert_eq!(after, before, "nothing changed");
    assert_eq!(terms(&app, "basic", "critical"), "false - - -");
    assert_eq!(org_plan(&app, "acme"), "basic");
}

#[tokio::test]
async fn renaming_the_default_plan_key_does_not_break_signup() {
    let app = TestApp::spawn().await;
    let admin = staff(&app, "admin", "admin@support.test").await;
    let fields = plan_fields(
        &[
            ("key", "starter"),
            ("name", "Basic"),
            ("description", "Business-hours support for getting started."),
            ("price", "0"),
            ("currency", "IRR"),
            ("calendar", "business"),
        ],
        &[
            ("critical", false, "", "", ""),
            ("urgent", false, "", "", ""),
            ("high", false, "", "", ""),
            ("normal", true, "10", "1440", ""),
            ("low", true, "30", "2880", ""),
        ],
    );
    // Refusing the new key or following it are both fine; breaking signup is not.
    post_owned(&admin, "/admin/plans/basic", "/admin/plans/basic", &fields).await;
    let b = app.new_browser();
    assert_see_other(&b.signup("acme", "owner@acme.test", PW).await, "/tickets");
    assert_eq!(count(&app, "organizations"), 1);
}

/// The plan cache checks the plan book's version: a write in this process sees a plan changed
/// by anyone (here plain SQL, as another process would), while a page within the TTL may keep
/// the plan it has.
#[actix_web::test]
async fn writes_read_plans_as_they_are_now_even_when_cached() {
    let app = TestApp::spawn().await;
    let mut conn = app.conn();
    let plan_id = sql_i64(&app, "SELECT id FROM plans WHERE key = 'basic'");
    let cache = plan_svc::PlanCache::default();
    let minutes = |p: &plan_svc::PlanView| p.terms.terms(Priority::Normal).response_minutes;
    let before = minutes(&cache.current(&mut conn, plan_id).unwrap()).unwrap();
    assert_eq!(
        minutes(&cache.load(&mut conn, plan_id).unwrap()),
        Some(before)
    );

    execute(
        &mut app.conn(),
        &format!(
            "UPDATE plan_priorities SET response_minutes = response_minutes + 7 \
             WHERE plan_id = {plan_id} AND priority = 'normal'"
        ),
    );
    // A page within the TTL: the cached plan.
    assert_eq!(
        minutes(&cache.load(&mut conn, plan_id).unwrap()),
        Some(before)
    );
    // A write: the plan as it is now, and pages get it from then on.
    assert_eq!(
        minutes(&cache.current(&mut conn, plan_id).unwrap()),
        Some(before + 7)
    );
    assert_eq!(
        minutes(&cache.load(&mut conn, plan_id).unwrap()),
        Some(before + 7)
    );
    // A calendar change moves the version too.
    let version = sql_i64(&app, "SELECT version FROM plan_book");
    execute(
        &mut app.conn(),
        "UPDATE calendar_holidays SET name = name || ' ' WHERE false",
    );
    assert!(sql_i64(&app, "SELECT version FROM plan_book") > version);
}
