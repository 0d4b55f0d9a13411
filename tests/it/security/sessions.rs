//! Sessions: a new session at every login (no fixation), logout ends it, a tampered,
//! forged or foreign cookie reads as no session, a deactivated user is out on the next
//! request, and the cookie carries the right flags. The cookie is carried by hand here,
//! as an attacker who copied it would.

use reqwest::header::{COOKIE, SET_COOKIE};

use super::{PW, assert_redirect, create_ticket, customer, page_of, sql_i64, staff, token};
use crate::harness::{Page, TestApp, execute, test_settings};

fn raw_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The whole `Set-Cookie` of `sd_session`, if the response sets it.
fn set_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("sd_session="))
        .map(str::to_string)
}

fn value_of(set_cookie: &str) -> String {
    set_cookie["sd_session=".len()..]
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

fn attributes(set_cookie: &str) -> Vec<String> {
    set_cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect()
}

/// A request carrying `cookie` as `sd_session` (and nothing else).
struct Jar<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    cookie: String,
}

impl Jar<'_> {
    async fn get(&self, path: &str) -> Page {
        let r = self
            .client
            .get(self.app.url(path))
            .header(COOKIE, format!("sd_session={}", self.cookie))
            .send()
            .await
            .unwrap();
        page_of(r).await
    }

    /// POSTs with this cookie; returns the page and the new cookie value, if one was set.
    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (Page, Option<String>) {
        let r = self
            .client
            .post(self.app.url(path))
            .header(COOKIE, format!("sd_session={}", self.cookie))
            .form(fields)
            .send()
            .await
            .unwrap();
        let cookie = set_cookie(&r).map(|c| value_of(&c));
        (page_of(r).await, cookie)
    }
}

/// An anonymous session as an attacker gets it: (cookie value, its CSRF token).
async fn anonymous_session(app: &TestApp) -> (String, String) {
    let r = raw_client().get(app.url("/login")).send().await.unwrap();
    let cookie = value_of(&set_cookie(&r).expect("GET /login starts a session"));
    (cookie, page_of(r).await.csrf())
}

/// Logs `email` in through a session planted beforehand: (planted, after login, token).
async fn login_through_planted(app: &TestApp, email: &str) -> (String, String, String) {
    let (planted, planted_token) = anonymous_session(app).await;
    let jar = Jar {
        app,
        client: raw_client(),
        cookie: planted.clone(),
    };
    let (p, after) = jar
        .post(
            "/login",
            &[
                ("csrf_token", &planted_token),
                ("email", email),
                ("password", PW),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{email}: {}", p.body);
    (
        planted,
        after.expect("login sets a new cookie"),
        planted_token,
    )
}

#[actix_web::test]
async fn every_login_and_signup_starts_a_new_session_and_a_planted_cookie_stays_anonymous() {
    let app = TestApp::spawn().await;
    customer(&app, "acme", "ana@acme.test").await;
    app.add_staff("agent", "agent@support.test", PW);
    for (email, home) in [
        ("ana@acme.test", "/tickets"),
        ("agent@support.test", "/console"),
    ] {
        let (planted, after, planted_token) = login_through_planted(&app, email).await;
        assert_ne!(planted, after, "{email}: the session was not renewed");
        let attacker = Jar {
            app: &app,
            client: raw_client(),
            cookie: planted.clone(),
        };
        let victim = Jar {
            app: &app,
            client: raw_client(),
            cookie: after,
        };
        assert_eq!(victim.get(home).await.status, 200, "{email}");
        assert_redirect(&attacker.get(home).await, "/login");
        assert_redirect(&attacker.get("/profile").await, "/login");
        // The token the attacker knew is not the logged-in session's.
        let profile = victim.get("/profile").await;
        assert_ne!(profile.csrf(), planted_token, "{email}");
        let (p, _) = victim
            .post(
                "/profile",
                &[
                    ("csrf_token", &planted_token),
                    ("form", "details"),
                    ("name", "Hijacked"),
                ],
            )
            .await;
        assert_eq!(p.status, 403, "{email}");
    }
    // Signing up through a planted session is no different.
    let (planted, token) = anonymous_session(&app).await;
    let jar = Jar {
        app: &app,
        client: raw_client(),
        cookie: planted.clone(),
    };
    let (p, after) = jar
        .post(
            "/signup",
            &[
                ("csrf_token", &token),
                ("organization", "Globex"),
                ("organization_key", "globex"),
                ("name", "Gita"),
                ("email", "gita@globex.test"),
                ("password", PW),
            ],
        )
        .await;
    assert_redirect(&p, "/tickets");
    assert_ne!(after.as_deref(), Some(planted.as_str()));
    assert_redirect(&jar.get("/tickets").await, "/login");
    assert_eq!(
        sql_i64(&app, "SELECT count(*) FROM users WHERE name = 'Hijacked'"),
        0
    );
}

#[actix_web::test]
async fn logout_removes_the_cookie_from_the_browser() {
    let app = TestApp::spawn().await;
    customer(&app, "acme", "ana@acme.test").await;
    let (_, cookie, _) = login_through_planted(&app, "ana@acme.test").await;
    let jar = Jar {
        app: &app,
        client: raw_client(),
        cookie,
    };
    let t = jar.get("/tickets").await.csrf();
    let r = jar
        .client
        .post(app.url("/logout"))
        .header(COOKIE, format!("sd_session={}", jar.cookie))
        .form(&[("csrf_token", t.as_str())])
        .send()
        .await
        .unwrap();
    let removal = set_cookie(&r).expect("logout sets the cookie to expire");
    assert_redirect(&page_of(r).await, "/login");
    let attrs = attributes(&removal);
    assert!(value_of(&removal).is_empty(), "{removal}");
    assert!(
        attrs
            .iter()
            .any(|a| a == "max-age=0" || a.starts_with("expires=")),
        "{removal}"
    );
}

#[actix_web::test]
async fn a_cookie_copied_before_logout_no_longer_works_after_it() {
    let app = TestApp::spawn().await;
    let ana = customer(&app, "acme", "ana@acme.test").await;
    let n = create_ticket(&ana, "Copied", "Kept in a copy.", &[]).await;
    let (_, cookie, _) = login_through_planted(&app, "ana@acme.test").await;
    let jar = Jar {
        app: &app,
        client: raw_client(),
        cookie,
    };
    let t = jar.get("/tickets").await.csrf();
    let (p, _) = jar.post("/logout", &[("csrf_token", &t)]).await;
    assert_redirect(&p, "/login");
    // Whoever kept a copy (a shared computer, a proxy log, malware) replays it.
    assert_redirect(&jar.get("/tickets").await, "/login");
    // The ticket page confirms the session's epoch in its own statement: out as well.
    assert_redirect(&jar.get(&format!("/tickets/{n}")).await, "/login");
    let (p, _) = jar
        .post(
            "/profile",
            &[
                ("csrf_token", &t),
                ("form", "details"),
                ("name", "Replayed"),
            ],
        )
        .await;
    assert_redirect(&p, "/login");
}

#[actix_web::test]
async fn tampered_forged_and_foreign_cookies_read_as_no_session() {
    let app = TestApp::spawn().await;
    let other = TestApp::spawn_with(test_settings(&[])).await;
    // The same first user (id 1) on both apps: only the key tells the cookies apart.
    customer(&app, "acme", "ana@acme.test").await;
    customer(&other, "acme", "ana@acme.test").await;
    let (_, good, _) = login_through_planted(&app, "ana@acme.test").await;
    let (_, foreign, _) = login_through_planted(&other, "ana@acme.test").await;
    let check = |cookie: String| async {
        let jar = Jar {
            app: &app,
            client: raw_client(),
            cookie,
        };
        let tickets = jar.get("/tickets").await;
        let login = jar.get("/login").await;
        (tickets, login)
    };
    let (p, _) = check(good.clone()).await;
    assert_eq!(p.status, 200, "the genuine cookie works");

    let flip = |at: usize| {
        let mut b = good.clone().into_bytes();
        b[at] = if b[at] == b'A' { b'B' } else { b'A' };
        String::from_utf8(b).unwrap()
    };
    let n = good.len();
    use base64::Engine;
    let json = r#"{"uid":"1","epoch":"0","org":"1","csrf":"\"x\""}"#;
    let bad = [
        ("from another server (another key)", foreign),
        ("first byte changed", flip(0)),
        ("middle byte changed", flip(n / 2)),
        ("last byte changed", flip(n - 1)),
        ("truncated", good[..n - 6].to_string()),
        ("doubled", format!("{good}{good}")),
        (
            "plain JSON",
            serde_urlencoded::to_string([("x", json)]).unwrap()[2..].to_string(),
        ),
        (
            "base64 JSON",
            base64::engine::general_purpose::STANDARD.encode(json),
        ),
        ("empty", String::new()),
        ("8 KB of garbage", "A".repeat(8 * 1024)),
    ];
    for (what, cookie) in bad {
        let (tickets, login) = check(cookie).await;
        assert_eq!(
            (tickets.status, tickets.location.as_deref()),
            (303, Some("/login")),
            "{what}"
        );
        assert_eq!(login.status, 200, "{what}: the login page still works");
    }
}

#[actix_web::test]
async fn a_deactivated_or_removed_user_is_out_on_the_next_request() {
    let app = TestApp::spawn().await;
    let owner = customer(&app, "acme", "ana@acme.test").await;
    let (agent, agent_id) = staff(&app, "agent", "agent@support.test").await;
    let (admin, _) = staff(&app, "admin", "admin@support.test").await;
    let n = create_ticket(&owner, "Printer", "On fire.", &[]).await;
    assert_eq!(agent.get("/console").await.status, 200);
    assert_eq!(
        agent.get(&format!("/console/tickets/{n}")).await.status,
        200
    );
    let agent_token = token(&agent).await;

    // An agent deactivated by an admin: the very next request, GET or POST, goes to login.
    let p = admin
        .post(&format!("/admin/users/{agent_id}/deactivate"), &[])
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    // The ticket page confirms the user in its own statement: the same answer (asked first,
    // while the cookie still stands; the refusal ends the session).
    assert_redirect(&agent.get(&format!("/console/tickets/{n}")).await, "/login");
    assert_redirect(&agent.get("/console").await, "/login");
    assert_redirect(
        &agent
            .post_raw(
                &format!("/console/tickets/{n}/accept"),
                &[("csrf_token", &agent_token)],
            )
            .await,
        "/login",
    );
    let p = super::browser(&app).login("agent@support.test", PW).await;
    assert_eq!(p.status, 422, "a deactivated user cannot log in");
    assert_eq!(
        sql_i64(
            &app,
            &format!(
                "SELECT count(*) FROM ticket_events WHERE ticket_number = {n} AND kind = 'accepted'"
            )
        ),
        0
    );

    // A customer deactivated in the database: out at once as well.
    let member = {
        let p = super::add_member(&owner, "bob@acme.test", "Bob", "member").await;
        assert_eq!(p.status, 303);
        let b = super::browser(&app);
        assert_redirect(&b.login("bob@acme.test", PW).await, "/tickets");
        b
    };
    let own = create_ticket(&member, "Bob's", "Mine.", &[]).await;
    assert_eq!(member.get(&format!("/tickets/{own}")).await.status, 200);
    execute(
        &mut app.conn(),
        "UPDATE users SET active = false WHERE email = 'bob@acme.test'",
    );
    assert_redirect(&member.get(&format!("/tickets/{own}")).await, "/login");
    assert_redirect(&member.get("/tickets").await, "/login");
    execute(
        &mut app.conn(),
        "UPDATE users SET active = true WHERE email = 'bob@acme.test'",
    );
    // The browser dropped the cookie then: reactivation does not log it back in.
    assert_redirect(&member.get("/tickets").await, "/login");

    // A member removed from the organization loses its tickets on the next request.
    let b = super::browser(&app);
    assert_redirect(&b.login("bob@acme.test", PW).await, "/tickets");
    let bob = sql_i64(&app, "SELECT id FROM users WHERE email = 'bob@acme.test'");
    let p = owner
        .post(&format!("/organization/members/{bob}/remove"), &[])
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let p = b.get(&format!("/tickets/{own}")).await;
    assert_ne!(p.status, 200);
    assert!(!p.body.contains("Mine."), "{}", p.body);
    let p = b.get("/tickets").await;
    assert!(!p.body.contains("Bob&#39;s") && !p.body.contains("Bob's"));
}

#[actix_web::test]
async fn the_session_cookie_is_http_only_lax_path_wide_opaque_and_secure_when_configured() {
    for secure in [false, true] {
        let settings = if secure {
            test_settings(&[("SUPPORTDESK_SECURE_COOKIES", "true")])
        } else {
            test_settings(&[])
        };
        let app = TestApp::spawn_with(settings).await;
        customer(&app, "acme", "ana@acme.test").await;
        let client = raw_client();
        // Every response that sets the cookie: a new visit, a login, a logout.
        let r = client.get(app.url("/login")).send().await.unwrap();
        let first = set_cookie(&r).expect("a visit sets the cookie");
        let anon = value_of(&first);
        let t = page_of(r).await.csrf();
        let r = client
            .post(app.url("/login"))
            .header(COOKIE, format!("sd_session={anon}"))
            .form(&[
                ("csrf_token", t.as_str()),
                ("email", "ana@acme.test"),
                ("password", PW),
            ])
            .send()
            .await
            .unwrap();
        let login = set_cookie(&r).expect("login sets the cookie");
        let cookie = value_of(&login);
        let jar = Jar {
            app: &app,
            client: raw_client(),
            cookie: cookie.clone(),
        };
        let t = jar.get("/tickets").await.csrf();
        let r = client
            .post(app.url("/logout"))
            .header(COOKIE, format!("sd_session={cookie}"))
            .form(&[("csrf_token", t.as_str())])
            .send()
            .await
            .unwrap();
        let logout = set_cookie(&r).expect("logout sets the cookie");
        for (what, c) in [("visit", &first), ("login", &login), ("logout", &logout)] {
            let attrs = attributes(c);
            assert!(attrs.contains(&"httponly".into()), "{what}: {c}");
            assert!(attrs.contains(&"samesite=lax".into()), "{what}: {c}");
            assert!(attrs.contains(&"path=/".into()), "{what}: {c}");
            assert!(
                !attrs.iter().any(|a| a.starts_with("domain=")),
                "{what}: {c}"
            );
            assert_eq!(attrs.contains(&"secure".into()), secure, "{what}: {c}");
        }
        // Encrypted: neither the token nor the user's id can be read from it.
        for v in [&anon, &cookie] {
            assert!(
                !v.contains(&t) && !v.contains("uid") && !v.contains("csrf"),
                "{v}"
            );
        }
    }
}
