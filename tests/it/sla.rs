//! SLA clocks through the app: due times in the plan's calendar, live states,
//! breaches marked exactly once, recomputed on priority changes.

use chrono::{DateTime, Duration, TimeZone, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz};
use supportdesk::domain::content::{MessageBody, Subject};
use supportdesk::domain::ticket::{Category, Priority};
use supportdesk::jobs::{self, LockWait};
use supportdesk::services::plans::PlanCache;
use supportdesk::services::tickets::{self as svc, Quota, ValidTicket};

use crate::harness::{Browser, TestApp, execute, test_settings};

const PW: &str = "password-123";

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

#[derive(QueryableByName)]
struct Due {
    #[diesel(sql_type = Nullable<Timestamptz>)]
    due: Option<DateTime<Utc>>,
}

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn id(app: &TestApp, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Id>(&mut app.conn())
        .unwrap()
        .id
}

fn count(app: &TestApp, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<N>(&mut app.conn())
        .unwrap()
        .n
}

fn due_of(app: &TestApp, number: i64) -> Option<DateTime<Utc>> {
    diesel::sql_query("SELECT response_due_at AS due FROM tickets WHERE number = $1")
        .bind::<BigInt, _>(number)
        .get_result::<Due>(&mut app.conn())
        .unwrap()
        .due
}

fn set_plan(app: &TestApp, org: &str, plan: &str) {
    diesel::sql_query(
        "UPDATE organizations SET plan_id = (SELECT id FROM plans WHERE key = $1) WHERE key = $2",
    )
    .bind::<Text, _>(plan)
    .bind::<Text, _>(org)
    .execute(&mut app.conn())
    .unwrap();
}

/// A ticket opened at a fixed moment, through the same service the form uses.
fn ticket_at(app: &TestApp, org: &str, email: &str, priority: Priority, at: DateTime<Utc>) -> i64 {
    let org_id = id(
        app,
        &format!("SELECT id FROM organizations WHERE key = '{org}'"),
    );
    let user_id = id(
        app,
        &format!("SELECT id FROM users WHERE email = '{email}'"),
    );
    let t = ValidTicket {
        subject: Subject::parse("Clock").unwrap(),
        category: Category::Technical,
        priority,
        body: MessageBody::parse("When will you answer?").unwrap(),
    };
    svc::create(
        &mut app.conn(),
        &PlanCache::default(),
        org_id,
        user_id,
        &t,
        &[],
        Quota::Counted,
        at,
    )
    .unwrap()
}

/// Now, at the microsecond precision PostgreSQL keeps.
fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_micros(Utc::now().timestamp_micros()).unwrap()
}

fn run_jobs(app: &TestApp, at: DateTime<Utc>) -> String {
    let reports = jobs::run_all(&app.pool(), &test_settings(&[]), at, LockWait::Wait).unwrap();
    reports
        .iter()
        .map(|r| format!("{}: {}", r.job, r.summary))
        .collect::<Vec<_>>()
        .join("\n")
}

fn attr<'a>(body: &'a str, name: &str) -> Option<&'a str> {
    let start = body.find("id=\"ticket\"")?;
    let tag = &body[start..start + body[start..].find('>')?];
    let marker = format!("{name}=\"");
    let at = tag.find(&marker)? + marker.len();
    Some(&tag[at..at + tag[at..].find('"')?])
}

async fn setup(plan: &str) -> (TestApp, Browser, Browser) {
    let app = TestApp::spawn().await;
    let customer = app.browser();
    assert_eq!(
        customer.signup("acme", "ana@acme.example", PW).await.status,
        303
    );
    set_plan(&app, "acme", plan);
    app.add_staff("agent", "sara@support.example", PW);
    let agent = app.new_browser();
    assert_eq!(agent.login("sara@support.example", PW).await.status, 303);
    (app, customer, agent)
}

async fn console_post(agent: &Browser, n: i64, action: &str, fields: &[(&str, &str)]) -> u16 {
    agent
        .post_from(
            &format!("/console/tickets/{n}"),
            &format!("/console/tickets/{n}/{action}"),
            fields,
        )
        .await
        .status
}

async fn agent_reply(agent: &Browser, n: i64, body: &str) {
    let path = format!("/console/tickets/{n}/messages");
    let page = agent
        .post_multipart_from(
            &format!("/console/tickets/{n}"),
            &path,
            &[("body", body)],
            &[],
        )
        .await;
    assert_eq!(page.status, 303);
}

#[tokio::test]
async fn on_basic_the_worked_example_is_due_monday_13_30_tehran() {
    let (app, customer, _agent) = setup("basic").await;
    // Wednesday 2026-12-02 16:30 Tehran = 13:00 UTC; normal on Basic = 24 business hours.
    let created = Utc.with_ymd_and_hms(2026, 12, 2, 13, 0, 0).unwrap();
    let n = ticket_at(&app, "acme", "ana@acme.example", Priority::Normal, created);
    // Monday 2026-12-07 13:30 Tehran = 10:00 UTC.
    assert_eq!(
        due_of(&app, n),
        Some(Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap())
    );
    let page = customer.get(&format!("/tickets/{n}")).await;
    assert_eq!(attr(&page.body, "data-due"), Some("2026-12-07T10:00:00Z"));
    // Long past due by now (2026-12-07 has passed when this runs… or not): the state follows the clock.
    let state = attr(&page.body, "data-sla").unwrap();
    let expected = if Utc::now() >= Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap() {
        "breached"
    } else {
        "running"
    };
    assert!(
        state == expected || (expected == "running" && state == "at_risk"),
        "{state}"
    );
    assert!(
        page.body.contains(
            "Support answers within 24 business hours on your Basic plan — by Mon 07 Dec 13:30."
        ),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn on_a_24_7_plan_the_due_time_is_plain_time() {
    let (app, customer, _agent) = setup("large").await;
    let before = Utc::now();
    // Critical on Large: 30 minutes, around the clock. Through the form.
    let fields = [
        ("subject", "Database down"),
        ("category", "technical"),
        ("priority", "critical"),
        ("body", "Production is down."),
    ];
    let page = customer
        .post_multipart_from("/tickets/new", "/tickets", &fields, &[])
        .await;
    assert_eq!(page.status, 303);
    let n = id(&app, "SELECT max(number) AS id FROM tickets");
    let due = due_of(&app, n).unwrap();
    assert!(
        due >= before + Duration::minutes(30) && due <= Utc::now() + Duration::minutes(30),
        "{due}"
    );
    let page = customer.get(&format!("/tickets/{n}")).await;
    assert_eq!(attr(&page.body, "data-sla"), Some("running"));
    assert_eq!(
        attr(&page.body, "data-due").unwrap(),
        due.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    assert!(page.body.contains("within 30 minutes on your Large plan"));
}

#[tokio::test]
async fn a_due_clock_is_marked_breached_once_across_repeated_and_concurrent_runs() {
    let (app, customer, agent) = setup("large").await;
    let start = Utc::now() - Duration::hours(2);
    let n = ticket_at(&app, "acme", "ana@acme.example", Priority::Critical, start);
    // Due 30 minutes after the start: not before.
    assert!(
        run_jobs(&app, start + Duration::minutes(29))
            .contains("sla_breach: marked 0 breached clocks")
    );
    let page = agent.get(&format!("/console/tickets/{n}")).await;
    assert_eq!(
        attr(&page.body, "data-sla"),
        Some("breached"),
        "past due reads as breached before the job runs"
    );

    let pool = app.pool();
    let settings = test_settings(&[]);
    let at = start + Duration::minutes(31);
    let runs: Vec<_> = (0..3)
        .map(|_| {
            let (pool, settings) = (pool.clone(), settings.clone());
            std::thread::spawn(move || jobs::run_all(&pool, &settings, at, LockWait::Wait).unwrap())
        })
        .collect();
    let marked: Vec<String> = runs
        .into_iter()
        .map(|r| r.join().unwrap()[1].summary.clone())
        .collect();
    assert_eq!(
        marked
            .iter()
            .filter(|m| *m == "marked 1 breached clock")
            .count(),
        1,
        "{marked:?}"
    );
    run_jobs(&app, at + Duration::hours(5));
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS n FROM ticket_events WHERE ticket_number = {n} AND kind = 'sla_breached'"
            )
        ),
        1
    );

    // The breached view lists it; the customer sees it too; a late reply records a breached response.
    let queue = agent.get("/console?view=breached").await;
    assert!(
        queue.body.contains(&format!("data-ticket=\"{n}\"")),
        "{}",
        queue.body
    );
    let page = customer.get(&format!("/tickets/{n}")).await;
    assert!(page.body.contains("data-event=\"sla_breached\""));
    agent_reply(&agent, n, "Sorry for the wait.").await;
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS n FROM response_times WHERE ticket_number = {n} AND breached"
            )
        ),
        1
    );
    // Closed with a breach on record: breached, not met.
    assert_eq!(console_post(&agent, n, "close", &[]).await, 303);
    let page = customer.get(&format!("/tickets/{n}")).await;
    assert_eq!(attr(&page.body, "data-sla"), Some("breached"));
}

#[tokio::test]
async fn an_in_time_reply_pauses_and_a_clean_close_is_met() {
    let (app, customer, agent) = setup("large").await;
    // Opened 40 minutes ago (Large covers every hour): the first response measures 40 minutes.
    let n = ticket_at(
        &app,
        "acme",
        "ana@acme.example",
        Priority::Normal,
        now() - Duration::minutes(40),
    );
    agent_reply(&agent, n, "On it.").await;
    let page = customer.get(&format!("/tickets/{n}")).await;
    assert_eq!(attr(&page.body, "data-sla"), Some("paused"));
    assert_eq!(
        attr(&page.body, "data-due"),
        None,
        "no clock runs while awaiting the customer"
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS n FROM response_times WHERE ticket_number = {n} AND NOT breached"
            )
        ),
        1
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS n FROM tickets WHERE number = {n} AND first_response_at IS NOT NULL"
            )
        ),
        1
    );
    // The customer answers: a new clock starts.
    let page = customer
        .post_multipart_from(
            &format!("/tickets/{n}"),
            &format!("/tickets/{n}/messages"),
            &[("body", "Thanks, one more thing.")],
            &[],
        )
        .await;
    assert_eq!(page.status, 303);
    let page = customer.get(&format!("/tickets/{n}")).await;
    assert_eq!(attr(&page.body, "data-sla"), Some("running"));
    assert!(attr(&page.body, "data-due").is_some());
    // The second answer is measured too; the ticket keeps its first response.
    agent_reply(&agent, n, "Answered.").await;
    assert_eq!(
        count(
            &app,
            &format!("SELECT count(*) AS n FROM response_times WHERE ticket_number = {n}")
        ),
        2
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS n FROM tickets WHERE number = {n} AND first_response_at = \
                 (SELECT min(responded_at) FROM response_times WHERE ticket_number = {n})"
            )
        ),
        1,
        "the first response stays the first"
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS n FROM tickets WHERE number = {n} AND first_response_minutes = \
                 (SELECT business_minutes FROM response_times WHERE ticket_number = {n} \
                  ORDER BY responded_at LIMIT 1)"
            )
        ),
        1,
        "and its business minutes"
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS n FROM tickets WHERE number = {n} AND first_response_minutes = 40"
            )
        ),
        1
    );
    // Resolved without a breach: met.
    assert_eq!(console_post(&agent, n, "close", &[]).await, 303);
    let page = customer.get(&format!("/tickets/{n}")).await;
    assert_eq!(attr(&page.body, "data-sla"), Some("met"));
}

#[tokio::test]
async fn a_priority_change_recomputes_from_the_same_start_unless_breached() {
    let (app, _customer, agent) = setup("large").await;
    let start = now() - Duration::minutes(40);
    let n = ticket_at(&app, "acme", "ana@acme.example", Priority::Normal, start);
    assert_eq!(
        due_of(&app, n),
        Some(start + Duration::hours(12)),
        "normal on Large: 12 hours"
    );
    // Accepting does not stop the clock.
    assert_eq!(console_post(&agent, n, "accept", &[]).await, 303);
    assert_eq!(due_of(&app, n), Some(start + Duration::hours(12)));
    assert_eq!(
        console_post(&agent, n, "priority", &[("priority", "urgent")]).await,
        303
    );
    assert_eq!(
        due_of(&app, n),
        Some(start + Duration::hours(2)),
        "urgent on Large: 2 hours from the same start"
    );
    // Critical (30 min) is already past: breached, and it stays so through later changes.
    assert_eq!(
        console_post(&agent, n, "priority", &[("priority", "critical")]).await,
        303
    );
    assert_eq!(due_of(&app, n), Some(start + Duration::minutes(30)));
    run_jobs(&app, Utc::now());
    assert_eq!(
        console_post(&agent, n, "priority", &[("priority", "low")]).await,
        303
    );
    assert_eq!(
        due_of(&app, n),
        Some(start + Duration::minutes(30)),
        "a breached clock keeps its due time"
    );
    let page = agent.get(&format!("/console/tickets/{n}")).await;
    assert_eq!(attr(&page.body, "data-sla"), Some("breached"));
    // Priority changes never consume quota: on Large, critical allows 2 a month and this ticket opened as normal.
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM tickets WHERE priority = 'critical'"
        ),
        0
    );
}

/// A write sets its clock from the plan as it is at that moment, even when the server holds
/// the plan in its cache and the change came from elsewhere (here plain SQL, as another
/// process or an admin on another server would).
#[tokio::test]
async fn a_plan_changed_elsewhere_sets_the_next_writes_clock() {
    let (app, _customer, agent) = setup("large").await;
    let start = now() - Duration::minutes(40);
    let n = ticket_at(&app, "acme", "ana@acme.example", Priority::Normal, start);
    // The server reads and caches the plan: a page and a write.
    assert_eq!(
        agent.get(&format!("/console/tickets/{n}")).await.status,
        200
    );
    assert_eq!(console_post(&agent, n, "accept", &[]).await, 303);
    execute(
        &mut app.conn(),
        "UPDATE plan_priorities SET response_minutes = 180 \
         WHERE plan_id = (SELECT id FROM plans WHERE key = 'large') AND priority = 'urgent'",
    );
    assert_eq!(
        console_post(&agent, n, "priority", &[("priority", "urgent")]).await,
        303
    );
    assert_eq!(
        due_of(&app, n),
        Some(start + Duration::hours(3)),
        "urgent on Large, changed from 2 to 3 hours"
    );
}

#[tokio::test]
async fn the_queue_puts_the_earliest_due_first() {
    let (app, _customer, agent) = setup("large").await;
    let now = Utc::now();
    let low = ticket_at(&app, "acme", "ana@acme.example", Priority::Low, now); // 24 h
    let critical = ticket_at(&app, "acme", "ana@acme.example", Priority::Critical, now); // 30 min
    let urgent = ticket_at(&app, "acme", "ana@acme.example", Priority::Urgent, now); // 2 h
    let page = agent.get("/console?view=open").await;
    let pos = |n: i64| page.body.find(&format!("<tr data-ticket=\"{n}\"")).unwrap();
    assert!(
        pos(critical) < pos(urgent) && pos(urgent) < pos(low),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("due in 29 min") || page.body.contains("due in 30 min"),
        "{}",
        page.body
    );
}

#[derive(QueryableByName)]
struct Resolution {
    #[diesel(sql_type = BigInt)]
    used: i64,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    since: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    due: Option<DateTime<Utc>>,
}

fn resolution(app: &TestApp, n: i64) -> Resolution {
    diesel::sql_query(
        "SELECT resolution_minutes_used AS used, resolution_running_since AS since, resolution_due_at AS due FROM tickets WHERE number = $1",
    )
    .bind::<BigInt, _>(n)
    .get_result(&mut app.conn())
    .unwrap()
}

#[tokio::test]
async fn the_resolution_clock_pauses_while_awaiting_the_customer() {
    let (app, customer, agent) = setup("large").await;
    // Large (24/7) with a 10-hour resolution target for normal tickets.
    diesel::sql_query(
        "UPDATE plan_priorities SET resolution_minutes = 600
         WHERE priority = 'normal' AND plan_id = (SELECT id FROM plans WHERE key = 'large')",
    )
    .execute(&mut app.conn())
    .unwrap();
    let start = now() - Duration::hours(3);
    let n = ticket_at(&app, "acme", "ana@acme.example", Priority::Normal, start);
    assert_eq!(resolution(&app, n).due, Some(start + Duration::hours(10)));

    // Support answers 3 hours in: paused with 180 minutes used.
    agent_reply(&agent, n, "Please restart the VM.").await;
    let paused = resolution(&app, n);
    assert_eq!((paused.used, paused.since, paused.due), (180, None, None));
    let page = customer.get(&format!("/tickets/{n}")).await;
    assert!(
        page.body
            .contains("paused: awaiting the customer (180 of 600 business minutes used)"),
        "{}",
        page.body
    );

    // The customer answers: it runs again with the 420 minutes left.
    let page = customer
        .post_multipart_from(
            &format!("/tickets/{n}"),
            &format!("/tickets/{n}/messages"),
            &[("body", "Restarted, still broken.")],
            &[],
        )
        .await;
    assert_eq!(page.status, 303);
    let running = resolution(&app, n);
    let since = running.since.expect("running again");
    assert_eq!(running.due, Some(since + Duration::minutes(420)));
    assert!(
        customer
            .get(&format!("/tickets/{n}"))
            .await
            .body
            .contains("data-resolution>due by")
    );

    // Resolved within the target: met.
    assert_eq!(console_post(&agent, n, "close", &[]).await, 303);
    let page = customer.get(&format!("/tickets/{n}")).await;
    assert!(page.body.contains("data-resolution>met<"), "{}", page.body);
}
