//! Scheduled jobs: auto-close after 48 hours, exactly once, whoever runs it.

use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use supportdesk::jobs::{self, LockWait, auto_close};

use crate::harness::{Browser, Page, TestApp, test_settings};

const PW: &str = "password-123";

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct S {
    #[diesel(sql_type = Text)]
    s: String,
}

fn count(app: &TestApp, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<N>(&mut app.conn())
        .unwrap()
        .n
}

fn status(app: &TestApp, number: i64) -> String {
    diesel::sql_query(format!(
        "SELECT status AS s FROM tickets WHERE number = {number}"
    ))
    .get_result::<S>(&mut app.conn())
    .unwrap()
    .s
}

fn run_jobs(app: &TestApp, at: DateTime<Utc>) -> String {
    let reports = jobs::run_all(&app.pool(), &test_settings(&[]), at, LockWait::Wait).unwrap();
    reports
        .iter()
        .map(|r| format!("{}: {}", r.job, r.summary))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A customer's ticket (multipart, as the form sends it); returns its number.
async fn open_ticket(b: &Browser, subject: &str) -> i64 {
    let fields = [
        ("subject", subject),
        ("category", "technical"),
        ("priority", "normal"),
        ("body", "Please help."),
    ];
    let page = b
        .post_multipart_from("/tickets/new", "/tickets", &fields, &[])
        .await;
    assert_eq!(page.status, 303);
    let location = page.location.expect("a Location");
    location.rsplit('=').next().unwrap().parse().unwrap()
}

async fn multipart(b: &Browser, page: &str, action: &str, fields: &[(&str, &str)]) -> u16 {
    b.post_multipart_from(page, action, fields, &[])
        .await
        .status
}

async fn agent_reply(agent: &Browser, n: i64, body: &str) {
    let code = multipart(
        agent,
        &format!("/console/tickets/{n}"),
        &format!("/console/tickets/{n}/messages"),
        &[("body", body)],
    )
    .await;
    assert_eq!(code, 303);
}

async fn customer_reply(customer: &Browser, n: i64, body: &str) {
    let code = multipart(
        customer,
        &format!("/tickets/{n}"),
        &format!("/tickets/{n}/messages"),
        &[("body", body)],
    )
    .await;
    assert_eq!(code, 303);
}

/// An app with a customer and an agent logged in.
async fn setup() -> (TestApp, Browser, Browser) {
    let app = TestApp::spawn().await;
    let customer = app.browser();
    assert_eq!(
        customer.signup("acme", "ana@acme.example", PW).await.status,
        303
    );
    app.add_staff("agent", "sara@support.example", PW);
    let agent = app.new_browser();
    assert_eq!(
        agent
            .login("sara@support.example", PW)
            .await
            .location
            .as_deref(),
        Some("/console")
    );
    (app, customer, agent)
}

fn events(app: &TestApp, n: i64, kind: &str) -> i64 {
    count(
        app,
        &format!(
            "SELECT count(*) AS n FROM ticket_events WHERE ticket_number = {n} AND kind = '{kind}'"
        ),
    )
}

#[tokio::test]
async fn a_ticket_closes_48_hours_after_the_support_reply_not_before_and_once() {
    let (app, customer, agent) = setup().await;
    let n = open_ticket(&customer, "Disk full").await;
    agent_reply(&agent, n, "Could you send the output of df -h?").await;
    let replied = Utc::now();

    // The customer sees when it will close.
    let page: Page = customer.get(&format!("/tickets/{n}")).await;
    assert!(page.body.contains("data-auto-close"), "{}", page.body);

    assert!(run_jobs(&app, replied + Duration::hours(47)).contains("auto_close: closed 0 tickets"));
    assert_eq!(status(&app, n), "awaiting_customer");

    let report = run_jobs(&app, replied + Duration::hours(48) + Duration::minutes(1));
    assert!(report.contains("auto_close: closed 1 ticket"), "{report}");
    assert_eq!(status(&app, n), "closed");
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS n FROM tickets WHERE number = {n} AND close_reason = 'auto'"
            )
        ),
        1
    );
    assert_eq!(events(&app, n, "auto_closed"), 1);
    assert_eq!(
        events(&app, n, "status_changed"),
        2,
        "awaiting_response → awaiting_customer → closed"
    );

    // Run again: nothing more happens.
    assert!(run_jobs(&app, replied + Duration::hours(100)).contains("closed 0 tickets"));
    assert_eq!(events(&app, n, "auto_closed"), 1);

    // The customer sees why, and can reopen it by writing.
    let page = customer.get(&format!("/tickets/{n}")).await;
    assert!(page.body.contains("data-status=\"closed\""));
    assert!(page.body.contains("data-kind=\"system\""));
    assert!(
        page.body
            .contains("Closed automatically after 48 hours without a reply")
    );
    assert!(page.body.contains("data-event=\"auto_closed\""));
    customer_reply(&customer, n, "Still broken").await;
    assert_eq!(status(&app, n), "awaiting_response");
}

#[tokio::test]
async fn a_customer_message_stops_the_auto_close() {
    let (app, customer, agent) = setup().await;
    let n = open_ticket(&customer, "VPN").await;
    agent_reply(&agent, n, "Which region?").await;
    customer_reply(&customer, n, "Frankfurt").await;
    assert!(run_jobs(&app, Utc::now() + Duration::hours(49)).contains("closed 0 tickets"));
    assert_eq!(status(&app, n), "awaiting_response");
}

#[tokio::test]
async fn a_support_follow_up_restarts_the_48_hours() {
    let (app, customer, agent) = setup().await;
    let n = open_ticket(&customer, "Backup").await;
    agent_reply(&agent, n, "Did the backup finish?").await;
    // The first reply was 47 hours ago…
    diesel::sql_query(format!(
        "UPDATE tickets SET last_support_reply_at = now() - interval '47 hours' WHERE number = {n}"
    ))
    .execute(&mut app.conn())
    .unwrap();
    // …and support follows up now.
    agent_reply(&agent, n, "Just checking in.").await;
    let now = Utc::now();
    assert!(run_jobs(&app, now + Duration::hours(2)).contains("closed 0 tickets"));
    assert!(
        run_jobs(&app, now + Duration::hours(48) + Duration::minutes(1))
            .contains("closed 1 ticket")
    );
}

/// Due tickets made directly in SQL: `due` awaiting the customer for 3 days, `others` closed.
fn seed_tickets(app: &TestApp, due: i64, others: i64) {
    let mut conn = app.conn();
    diesel::sql_query(
        "INSERT INTO organizations (key, name, plan_id) SELECT 'bulk', 'Bulk', id FROM plans WHERE key = 'basic'",
    )
    .execute(&mut conn)
    .unwrap();
    diesel::sql_query(
        "INSERT INTO users (email, name, password_hash) VALUES ('bulk@example.com', 'Bulk', 'x')",
    )
    .execute(&mut conn)
    .unwrap();
    diesel::sql_query(format!(
        "INSERT INTO tickets (organization_id, requester_id, subject, category, priority, opened_priority, status, plan_id,
                              last_support_reply_at, closed_at, close_reason)
         SELECT o.id, u.id, 'ticket ' || g, 'technical', 'normal', 'normal',
                CASE WHEN g <= {due} THEN 'awaiting_customer' ELSE 'closed' END, o.plan_id,
                CASE WHEN g <= {due} THEN now() - interval '3 days' END,
                CASE WHEN g > {due} THEN now() END,
                CASE WHEN g > {due} THEN 'resolved' END
         FROM generate_series(1, {}) g, organizations o, users u
         WHERE o.key = 'bulk' AND u.email = 'bulk@example.com'",
        due + others
    ))
    .execute(&mut conn)
    .unwrap();
    diesel::sql_query("ANALYZE tickets")
        .execute(&mut conn)
        .unwrap();
}

/// What auto-closes left: tickets closed with reason `auto`, `auto_closed` events and
/// system messages.
fn auto_closed(app: &TestApp) -> [i64; 3] {
    [
        "SELECT count(*) AS n FROM tickets WHERE status = 'closed' AND close_reason = 'auto'",
        "SELECT count(*) AS n FROM ticket_events WHERE kind = 'auto_closed'",
        "SELECT count(*) AS n FROM messages WHERE kind = 'system'",
    ]
    .map(|sql| count(app, sql))
}

#[tokio::test]
async fn two_runs_at_the_same_moment_close_each_ticket_once() {
    let app = TestApp::spawn().await;
    seed_tickets(&app, 2500, 0);
    let at = Utc::now();
    let pool = app.pool();
    let settings = test_settings(&[]);
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let (pool, settings) = (pool.clone(), settings.clone());
            std::thread::spawn(move || jobs::run_all(&pool, &settings, at, LockWait::Wait).unwrap())
        })
        .collect();
    let reports: Vec<String> = runs
        .into_iter()
        .map(|r| r.join().unwrap()[0].summary.clone())
        .collect();
    assert!(
        reports.contains(&"closed 2500 tickets".to_string()),
        "{reports:?}"
    );
    assert!(
        reports.contains(&"closed 0 tickets".to_string()),
        "{reports:?}"
    );
    assert_eq!(auto_closed(&app), [2500; 3]);
    // A scheduler tick while another process holds the lock skips instead of waiting.
    let held = app.pool();
    let mut holder = held.get().unwrap();
    diesel::sql_query(format!(
        "SELECT pg_advisory_lock({})",
        jobs::AUTO_CLOSE_LOCK
    ))
    .execute(&mut holder)
    .unwrap();
    let skipped = jobs::run_all(&pool, &settings, at, LockWait::Skip).unwrap();
    assert!(skipped[0].summary.starts_with("skipped"), "{skipped:?}");
}

#[tokio::test]
async fn a_backlog_drains_on_two_connections_and_each_ticket_changes_once() {
    let app = TestApp::spawn().await;
    seed_tickets(&app, 2500, 0);
    let (pool, settings) = (app.pool(), test_settings(&[]));
    let once = |kind: &str| {
        count(
            &app,
            &format!(
                "SELECT count(*) AS n FROM (SELECT ticket_number FROM ticket_events
                 WHERE kind = '{kind}' GROUP BY 1 HAVING count(*) > 1) twice"
            ),
        )
    };
    let reports = jobs::run_all(&pool, &settings, Utc::now(), LockWait::Wait).unwrap();
    assert_eq!(reports[0].summary, "closed 2500 tickets");
    assert_eq!(reports[0].connections, 2, "{reports:?}");
    assert_eq!(auto_closed(&app), [2500; 3]);
    assert_eq!(once("auto_closed"), 0, "no ticket closed twice");
    // 1,500 running clocks past due: the SLA sweep drains them on two connections too.
    diesel::sql_query(
        "UPDATE tickets SET status = 'in_progress', close_reason = NULL, closed_at = NULL,
                response_breached = FALSE, response_started_at = now() - interval '2 days',
                response_due_at = now() - interval '1 day'
         WHERE number IN (SELECT number FROM tickets ORDER BY number LIMIT 1500)",
    )
    .execute(&mut app.conn())
    .unwrap();
    let reports = jobs::run_all(&pool, &settings, Utc::now(), LockWait::Wait).unwrap();
    assert_eq!(reports[1].summary, "marked 1500 breached clocks");
    assert_eq!(reports[1].connections, 2, "{reports:?}");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM ticket_events WHERE kind = 'sla_breached'"
        ),
        1500
    );
    assert_eq!(once("sla_breached"), 0, "no clock marked twice");
    // Nothing due: one statement on one connection.
    let reports = jobs::run_all(&pool, &settings, Utc::now(), LockWait::Wait).unwrap();
    assert_eq!(reports[1].summary, "marked 0 breached clocks");
    assert_eq!((reports[0].connections, reports[1].connections), (1, 1));
}

/// The SLA sweep walks its partial index in order even when PostgreSQL expects fewer due
/// clocks than a batch, where it would rather take a bitmap scan: only an index scan marks the
/// entries of clocks already handled as dead, so that later sweeps skip them.
#[tokio::test]
async fn the_sla_sweep_walks_its_index_in_order() {
    use supportdesk::jobs::sla_breach;

    let app = TestApp::spawn().await;
    seed_tickets(&app, 0, 100_000);
    diesel::sql_query(
        "UPDATE tickets SET status = 'in_progress', close_reason = NULL, closed_at = NULL,
                response_breached = FALSE, response_started_at = now() - interval '2 days',
                response_due_at = now() - interval '1 day' - (number * 7919 % 100000) * interval '1 second'
         WHERE number % 125 = 0",
    )
    .execute(&mut app.conn())
    .unwrap();
    diesel::sql_query("ANALYZE tickets")
        .execute(&mut app.conn())
        .unwrap();
    let plan = sla_breach::explain(&mut app.conn(), Utc::now())
        .unwrap()
        .join("\n");
    assert!(
        plan.contains("Index Scan using tickets_sla_due") && !plan.contains("Bitmap"),
        "the due clocks are read in index order:\n{plan}"
    );
    let report = run_jobs(&app, Utc::now());
    assert!(report.contains("marked 800 breached clocks"), "{report}");
}

#[tokio::test]
async fn with_100000_tickets_and_100_due_only_the_due_ones_are_read() {
    let app = TestApp::spawn().await;
    seed_tickets(&app, 100, 99_900);
    let plan = auto_close::explain(&mut app.conn(), Utc::now(), 48)
        .unwrap()
        .join("\n");
    assert!(
        plan.contains("tickets_auto_close"),
        "the partial index is used:\n{plan}"
    );
    assert!(
        !plan.contains("Seq Scan"),
        "no scan of the whole table:\n{plan}"
    );
    let started = Instant::now();
    let report = run_jobs(&app, Utc::now());
    let took = started.elapsed();
    assert!(report.contains("closed 100 tickets"), "{report}");
    println!("auto_close: 100 due of 100,000 tickets closed in {took:?}");
}

#[tokio::test]
async fn the_scheduler_runs_the_jobs_on_its_schedule() {
    let app = TestApp::spawn().await;
    seed_tickets(&app, 3, 0);
    let settings = std::sync::Arc::new(test_settings(&[(
        "SUPPORTDESK_JOBS_SCHEDULE",
        "* * * * * *",
    )]));
    let mut scheduler = jobs::scheduler::start(app.pool(), settings).await.unwrap();
    let deadline = Instant::now() + StdDuration::from_secs(10);
    while count(
        &app,
        "SELECT count(*) AS n FROM tickets WHERE close_reason = 'auto'",
    ) < 3
    {
        assert!(
            Instant::now() < deadline,
            "the scheduler did not close the due tickets within 10 s"
        );
        tokio::time::sleep(StdDuration::from_millis(200)).await;
    }
    scheduler.shutdown().await.unwrap();
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM ticket_events WHERE kind = 'auto_closed'"
        ),
        3
    );
}

#[test]
fn jobs_run_at_prints_what_each_job_did() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let app = rt.block_on(TestApp::spawn());
    seed_tickets(&app, 2, 0);
    let data_dir = crate::harness::server()
        .scratch
        .join(format!("jobs-cli-{}", app.db_name));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_supportdesk"))
        .env("DATABASE_URL", crate::harness::server().url(&app.db_name))
        .env("SUPPORTDESK_DATA_DIR", &data_dir)
        .env("RUST_LOG", "warn")
        .args([
            "jobs",
            "run",
            "--at",
            &(Utc::now() + Duration::hours(1)).to_rfc3339(),
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(stdout.contains("auto_close: closed 2 tickets"), "{stdout}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_supportdesk"))
        .env("DATABASE_URL", crate::harness::server().url(&app.db_name))
        .env("SUPPORTDESK_DATA_DIR", &data_dir)
        .args(["jobs", "run", "--at", "yesterday"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--at"));
    drop(app);
}
