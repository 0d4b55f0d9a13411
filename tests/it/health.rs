use std::time::{Duration, Instant};

use crate::harness::{TestApp, execute, server};

#[tokio::test]
async fn healthz_answers_ok_after_a_database_round_trip() {
    let app = TestApp::spawn().await;
    let r = app.get("/healthz").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "ok");
}

#[tokio::test]
async fn healthz_is_503_within_3_seconds_when_the_database_is_unreachable_and_recovers() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/healthz").await.status(), 200);

    let mut admin = server().admin();
    execute(
        &mut admin,
        &format!("ALTER DATABASE {} ALLOW_CONNECTIONS false", app.db_name),
    );
    execute(
        &mut admin,
        &format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}'",
            app.db_name
        ),
    );
    for _ in 0..2 {
        let started = Instant::now();
        let r = app.get("/healthz").await;
        let took = started.elapsed();
        assert_eq!(r.status(), 503);
        assert!(took < Duration::from_secs(3), "took {took:?}");
        assert_eq!(r.text().await.unwrap(), "unavailable");
    }

    execute(
        &mut admin,
        &format!("ALTER DATABASE {} ALLOW_CONNECTIONS true", app.db_name),
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if app.get("/healthz").await.status() == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "did not recover within 5 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Checkouts do not ping: a pooled connection the server has closed fails the one request
/// that gets it, and the pool then drops it instead of handing it out again.
#[tokio::test]
async fn connections_the_database_closed_fail_one_request_each_then_are_replaced() {
    let app = TestApp::spawn().await;
    for _ in 0..10 {
        assert_eq!(app.get("/healthz").await.status(), 200);
    }
    let mut admin = server().admin();
    // Counted as they are terminated: the pool may be opening a connection meanwhile.
    let closed: i64 = diesel::RunQueryDsl::get_result(
        diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
            "(WITH pooled AS MATERIALIZED \
                (SELECT pid FROM pg_stat_activity WHERE datname = '{}') \
              SELECT count(*) FROM pooled WHERE pg_terminate_backend(pid))",
            app.db_name
        ))),
        &mut admin,
    )
    .unwrap();
    assert!(closed >= 1);
    let mut statuses = Vec::new();
    for _ in 0..20 {
        statuses.push(app.get("/healthz").await.status().as_u16());
    }
    let failed = statuses.iter().filter(|s| **s == 503).count();
    assert!(
        failed as i64 <= closed,
        "{failed} failures for {closed} closed connections: {statuses:?}"
    );
    assert!(
        statuses[statuses.len() - 10..].iter().all(|s| *s == 200),
        "still failing: {statuses:?}"
    );
}

#[tokio::test]
async fn unknown_pages_get_the_404_page() {
    let app = TestApp::spawn().await;
    let r = app.get("/no/such/page").await;
    assert_eq!(r.status(), 404);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let body = r.text().await.unwrap();
    assert!(body.contains("<html lang=\"en\" dir=\"ltr\">"), "{body}");
    assert!(body.contains("Page not found"));
    assert!(body.contains("href=\"/static/style.css\""));
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    for path in ["/healthz", "/no/such/page", "/static/style.css"] {
        let r = app.get(path).await;
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
            "{path}: {csp}"
        );
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
    }
}

#[tokio::test]
async fn the_stylesheet_is_served_from_the_binary() {
    let app = TestApp::spawn().await;
    let r = app.get("/static/style.css").await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert!(!r.text().await.unwrap().is_empty());
    assert_eq!(app.get("/static/../Cargo.toml").await.status(), 404);
    assert_eq!(app.get("/static/nope.css").await.status(), 404);
}

#[tokio::test]
async fn migrations_run_twice_apply_once() {
    let server = server();
    let name = server.create_empty_database();
    let url = server.url(&name);
    let first = supportdesk::db::migrate_url(&url).unwrap();
    assert!(!first.is_empty(), "a fresh database gets every migration");
    let second = supportdesk::db::migrate_url(&url).unwrap();
    assert!(second.is_empty(), "second run applied {second:?}");
    server.drop_database(&name);
}

#[tokio::test]
async fn a_known_url_asked_with_another_method_gets_the_405_page() {
    let app = TestApp::spawn().await;
    let r = app.client.put(app.url("/login")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let body = r.text().await.unwrap();
    assert!(body.contains("Not available this way"), "{body}");
    // The security headers stay on it.
    let r = app.client.put(app.url("/profile")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert!(r.headers().contains_key("content-security-policy"));
}

/// With every connection busy, a database task that has not started within the checkout
/// timeout is answered 503 in time, and never runs later: the answer the client got stands.
/// Nor does a queued task whose request went away (its future dropped) before it started.
#[test]
fn a_database_task_that_waits_past_the_checkout_timeout_is_a_503_and_never_runs() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use supportdesk::web::{AppError, AppState, with_db};

    let db_name = server().create_database();
    // One connection, one blocking thread: the server's own ratio, at its smallest.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .max_blocking_threads(1)
        .build()
        .unwrap();
    let pool = supportdesk::db::build_pool(&server().url(&db_name), 1).unwrap();
    let state = AppState::new(pool, crate::harness::test_settings(&[])).unwrap();
    let ran = Arc::new(AtomicBool::new(false));
    let ran_abandoned = Arc::new(AtomicBool::new(false));
    // A task that only records that it ran.
    let marks = |flag: &Arc<AtomicBool>| {
        let flag = flag.clone();
        with_db(&state, move |_| {
            flag.store(true, Ordering::SeqCst);
            Ok(())
        })
    };
    runtime.block_on(async {
        let (release, held) = std::sync::mpsc::channel::<()>();
        let holder = with_db(&state, move |_| {
            held.recv().ok();
            Ok("held")
        });
        let waiter =
            async {
                tokio::time::sleep(Duration::from_millis(200)).await;
                // A client that hangs up while its task is queued: the future is dropped.
                let abandoned =
                    tokio::time::timeout(Duration::from_millis(100), marks(&ran_abandoned)).await;
                assert!(abandoned.is_err(), "the holder keeps the only thread");
                let started = Instant::now();
                let answer = tokio::time::timeout(Duration::from_secs(10), marks(&ran))
                .await
            .expect("a waiting task is answered within the checkout timeout, not after the holder");
                let took = started.elapsed();
                release.send(()).unwrap();
                (answer, took)
            };
        let (held, (answer, took)) = tokio::join!(holder, waiter);
        assert_eq!(held.unwrap(), "held");
        assert!(
            matches!(answer, Err(AppError::Unavailable(_))),
            "{answer:?}"
        );
        assert!(took < Duration::from_secs(3), "took {took:?}");
        assert!(
            took >= Duration::from_millis(1500),
            "gave up early: {took:?}"
        );
        // The next task runs after the given-up one has had the thread (first come, first served).
        let after = with_db(&state, |_| Ok(7)).await.unwrap();
        assert_eq!(after, 7);
    });
    assert!(
        !ran.load(Ordering::SeqCst),
        "the given-up task ran after its 503"
    );
    assert!(
        !ran_abandoned.load(Ordering::SeqCst),
        "the task of a request that went away ran"
    );
    drop(state);
    drop(runtime);
    server().drop_database(&db_name);
}
