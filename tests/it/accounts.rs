//! Accounts, sessions, CSRF, organizations and staff, through HTTP (issue 3).

use std::process::{Command, Output};

use diesel::RunQueryDsl;
use diesel::sql_types::{BigInt, Nullable, Text};
use reqwest::header::{COOKIE, SET_COOKIE};

use crate::harness::{Browser, Page, TestApp, server, set_mode, test_settings};

pub(crate) const PW: &str = "correct horse battery";

// ---------------------------------------------------------------- helpers

/// A single integer from SQL (`count(*)`, an id…) in the test's database.
pub(crate) fn sql_i64(app: &TestApp, sql: &str) -> i64 {
    diesel::select(diesel::dsl::sql::<BigInt>(&format!("({sql})")))
        .get_result(&mut app.conn())
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// A single text value (or NULL) from SQL in the test's database.
pub(crate) fn sql_text(app: &TestApp, sql: &str) -> Option<String> {
    diesel::select(diesel::dsl::sql::<Nullable<Text>>(&format!("({sql})")))
        .get_result(&mut app.conn())
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

pub(crate) fn user_id(app: &TestApp, email: &str) -> i64 {
    sql_i64(
        app,
        &format!("SELECT id FROM users WHERE email = '{email}'"),
    )
}

fn count_users(app: &TestApp) -> i64 {
    sql_i64(app, "SELECT count(*) FROM users")
}

fn count_orgs(app: &TestApp) -> i64 {
    sql_i64(app, "SELECT count(*) FROM organizations")
}

/// The role of `email` in the organization `key`, if a member.
fn role_in(app: &TestApp, email: &str, key: &str) -> Option<String> {
    sql_text(
        app,
        &format!(
            "SELECT m.role FROM memberships m JOIN users u ON u.id = m.user_id \
             JOIN organizations o ON o.id = m.organization_id \
             WHERE u.email = '{email}' AND o.key = '{key}'"
        ),
    )
}

/// The text of the `class="field-error"` element of `field`, if any.
pub(crate) fn field_error<'a>(body: &'a str, field: &str) -> Option<&'a str> {
    let marker = format!("class=\"field-error\" id=\"f-{field}-error\">");
    let start = body.find(&marker)? + marker.len();
    let end = body[start..].find("</p>")?;
    Some(&body[start..start + end])
}

/// The `value` of the `<input name=field>` (None when it has none, as password inputs).
pub(crate) fn input_value<'a>(body: &'a str, field: &str) -> Option<&'a str> {
    let start = body.find(&format!("name=\"{field}\" type="))?;
    let tag = &body[start..start + body[start..].find('>')?];
    let v = tag.find("value=\"")? + "value=\"".len();
    Some(&tag[v..v + tag[v..].find('"')?])
}

/// The text of the page's `role="alert"` element, if any.
pub(crate) fn alert(body: &str) -> Option<&str> {
    let marker = "role=\"alert\">";
    let start = body.find(marker)? + marker.len();
    Some(&body[start..start + body[start..].find("</div>")?])
}

/// The customer page's subtitle: the current organization's name on `/tickets`.
fn subtitle(body: &str) -> Option<&str> {
    let marker = "<p class=\"subtitle\">";
    let start = body.find(marker)? + marker.len();
    Some(&body[start..start + body[start..].find("</p>")?])
}

pub(crate) async fn page_of(r: reqwest::Response) -> Page {
    Page {
        status: r.status().as_u16(),
        location: r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string()),
        body: r.text().await.unwrap(),
    }
}

#[track_caller]
pub(crate) fn assert_redirect(page: &Page, to: &str) {
    assert_eq!(
        (page.status, page.location.as_deref()),
        (303, Some(to)),
        "{}",
        page.body
    );
}

#[track_caller]
fn assert_refused(page: &Page) {
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(page.body.contains("Request refused"), "{}", page.body);
}

/// A new browser with a freshly signed-up customer (owner of `Org {key}`).
pub(crate) async fn customer(app: &TestApp, key: &str, email: &str) -> Browser {
    let b = app.new_browser();
    assert_redirect(&b.signup(key, email, PW).await, "/tickets");
    b
}

/// A staff user created directly and logged in in a new browser.
pub(crate) async fn staff(app: &TestApp, role: &str, email: &str) -> (Browser, i64) {
    let id = app.add_staff(role, email, PW);
    let b = app.new_browser();
    assert_redirect(&b.login(email, PW).await, "/console");
    (b, id)
}

/// The owner's browser adds `email` to its current organization.
pub(crate) async fn add_member(owner: &Browser, email: &str, role: &str) -> Page {
    owner
        .post_from(
            "/organization",
            "/organization/members",
            &[
                ("email", email),
                ("name", &format!("Member {email}")),
                ("password", PW),
                ("role", role),
            ],
        )
        .await
}

/// A client with no cookie jar: the test carries `sd_session` by hand.
fn raw_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The whole `Set-Cookie` header of `sd_session`, if the response sets it.
fn session_set_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("sd_session="))
        .map(str::to_string)
}

fn cookie_value(set_cookie: &str) -> String {
    set_cookie["sd_session=".len()..]
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

fn cookie_attributes(set_cookie: &str) -> Vec<String> {
    set_cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect()
}

async fn raw_get(app: &TestApp, client: &reqwest::Client, path: &str, cookie: &str) -> Page {
    let r = client
        .get(app.url(path))
        .header(COOKIE, format!("sd_session={cookie}"))
        .send()
        .await
        .unwrap();
    page_of(r).await
}

/// GET /login then a POST of `path` with that session: returns (cookie before, cookie after, token before, page).
async fn raw_anonymous_post(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    fields: &[(&str, &str)],
) -> (String, String, String, Page) {
    let r = client.get(app.url("/login")).send().await.unwrap();
    let before = cookie_value(&session_set_cookie(&r).expect("GET /login sets sd_session"));
    let token = page_of(r).await.csrf();
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(fields);
    let r = client
        .post(app.url(path))
        .header(COOKIE, format!("sd_session={before}"))
        .form(&all)
        .send()
        .await
        .unwrap();
    let after = cookie_value(&session_set_cookie(&r).expect("the POST sets sd_session"));
    (before, after, token, page_of(r).await)
}

// ---------------------------------------------------------------- signup

#[tokio::test]
async fn signup_creates_user_organization_on_basic_and_owner_membership_and_logs_in() {
    let app = TestApp::spawn().await;
    let b = app.browser();
    let form = b.get("/signup").await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("name=\"organization_key\""));

    let p = b
        .post(
            "/signup",
            &[
                ("organization", "Acme Cloud"),
                ("organization_key", "acme"),
                ("name", "Ana Owner"),
                ("email", "  Ana.Owner@Example.COM "),
                ("password", PW),
            ],
        )
        .await;
    assert_redirect(&p, "/tickets");
    let tickets = b.get("/tickets").await;
    assert_eq!(tickets.status, 200);
    assert_eq!(subtitle(&tickets.body), Some("Acme Cloud"));
    assert!(tickets.body.contains("Ana Owner"));

    assert_eq!(count_users(&app), 1);
    assert_eq!(
        sql_text(&app, "SELECT email FROM users").as_deref(),
        Some("ana.owner@example.com")
    );
    assert_eq!(
        sql_text(&app, "SELECT staff_role FROM users").as_deref(),
        None
    );
    assert_eq!(
        sql_text(
            &app,
            "SELECT p.key FROM organizations o JOIN plans p ON p.id = o.plan_id WHERE o.key = 'acme'"
        )
        .as_deref(),
        Some("basic")
    );
    assert_eq!(
        sql_text(&app, "SELECT name FROM organizations WHERE key = 'acme'").as_deref(),
        Some("Acme Cloud")
    );
    assert_eq!(
        role_in(&app, "ana.owner@example.com", "acme").as_deref(),
        Some("owner")
    );
    assert!(
        sql_text(&app, "SELECT password_hash FROM users")
            .unwrap()
            .starts_with("$argon2id$")
    );

    // The stored, normalized email logs in, whatever its case.
    let other = app.new_browser();
    assert_redirect(&other.login(" ANA.owner@example.com", PW).await, "/tickets");
}

#[tokio::test]
async fn signup_with_bad_input_shows_the_form_again_with_what_was_typed_and_saves_nothing() {
    let app = TestApp::spawn().await;
    let good = [
        ("organization", "Acme Cloud"),
        ("organization_key", "acme"),
        ("name", "Ana Owner"),
        ("email", "ana@example.com"),
        ("password", "a-secret-password-1"),
    ];
    let cases = [
        ("organization", "", "Enter the organization"),
        ("organization_key", "Bad Key", "Use 2–50 lowercase letters"),
        (
            "email",
            "ana-at-example",
            "Enter an email address like name@example.com.",
        ),
        ("password", "123456789", "Use at least 10 characters."),
    ];
    for (field, bad, message) in cases {
        let fields: Vec<(&str, &str)> = good
            .iter()
            .map(|&(k, v)| (k, if k == field { bad } else { v }))
            .collect();
        let b = app.new_browser();
        let p = b.post("/signup", &fields).await;
        assert_eq!(p.status, 422, "{field}: {}", p.body);
        let err = field_error(&p.body, field).unwrap_or_else(|| panic!("{field}: no field-error"));
        assert!(err.contains(message), "{field}: {err}");
        for (other, value) in &fields {
            if other != &field {
                assert_eq!(field_error(&p.body, other), None, "{field}: {other}");
            }
            if *other != "password" {
                assert_eq!(
                    input_value(&p.body, other),
                    Some(*value),
                    "{field}: {other}"
                );
            }
        }
        let password = fields.iter().find(|(k, _)| *k == "password").unwrap().1;
        assert!(
            !p.body.contains(password),
            "{field}: the password is echoed"
        );
        assert_eq!(input_value(&p.body, "password"), None);
        assert_eq!((count_users(&app), count_orgs(&app)), (0, 0), "{field}");
        assert_redirect(&b.get("/tickets").await, "/login");
        // The form shown again can be corrected and sent as it is.
        if field == "password" {
            let mut fixed = vec![("csrf_token", p.csrf())];
            fixed.extend(good.iter().map(|&(k, v)| (k, v.to_string())));
            let fixed: Vec<(&str, &str)> = fixed.iter().map(|(k, v)| (*k, v.as_str())).collect();
            assert_redirect(&b.post_raw("/signup", &fixed).await, "/tickets");
            assert_eq!((count_users(&app), count_orgs(&app)), (1, 1));
        }
    }
}

#[tokio::test]
async fn signup_with_a_taken_email_or_key_is_refused_and_saves_nothing() {
    let app = TestApp::spawn().await;
    customer(&app, "acme", "ana@example.com").await;

    let b = app.new_browser();
    let p = b
        .post(
            "/signup",
            &[
                ("organization", "Other Org"),
                ("organization_key", "other"),
                ("name", "Ana Again"),
                ("email", " ANA@example.com"),
                ("password", PW),
            ],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(
        field_error(&p.body, "email")
            .unwrap()
            .contains("An account with this email already exists")
    );
    assert_eq!(input_value(&p.body, "organization_key"), Some("other"));
    assert_eq!(input_value(&p.body, "name"), Some("Ana Again"));
    assert_eq!((count_users(&app), count_orgs(&app)), (1, 1));

    let p = b
        .post(
            "/signup",
            &[
                ("organization", "Another Acme"),
                ("organization_key", "acme"),
                ("name", "Bob"),
                ("email", "bob@example.com"),
                ("password", PW),
            ],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert_eq!(
        field_error(&p.body, "organization_key"),
        Some("This key is already taken. Choose another.")
    );
    assert_eq!(input_value(&p.body, "email"), Some("bob@example.com"));
    assert_eq!(input_value(&p.body, "organization"), Some("Another Acme"));
    assert_eq!((count_users(&app), count_orgs(&app)), (1, 1));
    assert_redirect(&b.get("/tickets").await, "/login");
}

// ---------------------------------------------------------------- login, logout, sessions

#[tokio::test]
async fn login_sends_customers_to_tickets_and_staff_to_console() {
    let app = TestApp::spawn().await;
    customer(&app, "acme", "ana@example.com").await;
    app.add_staff("agent", "sara@support.example", PW);

    let c = app.new_browser();
    assert_eq!(c.get("/login").await.status, 200);
    assert_redirect(&c.login("ana@example.com", PW).await, "/tickets");
    let tickets = c.get("/tickets").await;
    assert_eq!(tickets.status, 200);
    assert_eq!(subtitle(&tickets.body), Some("Org acme"));

    let a = app.new_browser();
    assert_redirect(&a.login("sara@support.example", PW).await, "/console");
    let console = a.get("/console").await;
    assert_eq!(console.status, 200);
    assert!(console.body.contains("Staff sara@support.example"));
}

#[tokio::test]
async fn wrong_password_and_unknown_email_both_say_only_invalid_email_or_password() {
    let app = TestApp::spawn().await;
    customer(&app, "acme", "ana@example.com").await;

    let b = app.new_browser();
    for (email, password) in [
        ("ana@example.com", "not the password"),
        ("nobody@example.com", PW),
    ] {
        let p = b.login(email, password).await;
        assert_eq!(p.status, 422, "{email}: {}", p.body);
        assert_eq!(alert(&p.body), Some("Invalid email or password"), "{email}");
        assert_eq!(input_value(&p.body, "email"), Some(email));
        assert!(!p.body.contains(password));
        assert_redirect(&b.get("/tickets").await, "/login");
    }
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = TestApp::spawn().await;
    let b = customer(&app, "acme", "ana@example.com").await;
    assert_eq!(b.get("/tickets").await.status, 200);

    let p = b.post_from("/tickets", "/logout", &[]).await;
    assert_redirect(&p, "/login");
    assert_redirect(&b.get("/tickets").await, "/login");
    assert_redirect(&b.get("/profile").await, "/login");
    let login = b.get("/login").await;
    assert_eq!(login.status, 200);
    assert!(!login.body.contains("Person ana@example.com"));
}

#[tokio::test]
async fn the_session_is_renewed_at_login() {
    let app = TestApp::spawn().await;
    customer(&app, "acme", "ana@example.com").await;

    let client = raw_client();
    let (before, after, old_token, p) = raw_anonymous_post(
        &app,
        &client,
        "/login",
        &[("email", "ana@example.com"), ("password", PW)],
    )
    .await;
    assert_redirect(&p, "/tickets");
    assert_ne!(before, after, "the session cookie was not renewed");

    // The new cookie is logged in, the one from before login is not.
    assert_eq!(raw_get(&app, &client, "/tickets", &after).await.status, 200);
    assert_redirect(&raw_get(&app, &client, "/tickets", &before).await, "/login");

    // The new session has a new CSRF token; the one from before login is refused.
    let profile = raw_get(&app, &client, "/profile", &after).await;
    assert_eq!(profile.status, 200);
    assert_ne!(profile.csrf(), old_token);
    let r = client
        .post(app.url("/profile"))
        .header(COOKIE, format!("sd_session={after}"))
        .form(&[
            ("csrf_token", old_token.as_str()),
            ("form", "details"),
            ("name", "Hijacked"),
            ("mobile", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_refused(&page_of(r).await);
    assert_eq!(
        sql_text(&app, "SELECT name FROM users").as_deref(),
        Some("Person ana@example.com")
    );
}

#[tokio::test]
async fn five_failed_logins_lock_that_email_for_fifteen_minutes() {
    let app = TestApp::spawn().await;
    customer(&app, "acme", "ana@example.com").await;
    customer(&app, "bobco", "bob@example.com").await;

    let b = app.new_browser();
    // However the email is typed, it is the same account.
    for (i, email) in ["ana@example.com", "ANA@example.com", " Ana@Example.com"]
        .iter()
        .cycle()
        .take(5)
        .enumerate()
    {
        let p = b.login(email, "not the password").await;
        assert_eq!(p.status, 422, "attempt {i}: {}", p.body);
        assert_eq!(alert(&p.body), Some("Invalid email or password"));
    }
    let p = b.login("Ana@Example.com", PW).await;
    assert_eq!(p.status, 429, "{}", p.body);
    let message = alert(&p.body).expect("an alert");
    assert!(message.contains("Too many failed attempts"), "{message}");
    assert!(message.contains("15 minutes"), "{message}");
    assert_redirect(&b.get("/tickets").await, "/login");
    assert!(
        sql_i64(
            &app,
            "SELECT count(*) FROM login_failures WHERE email = 'ana@example.com'"
        ) >= 5
    );

    // Another email is not affected.
    let other = app.new_browser();
    assert_redirect(&other.login("bob@example.com", PW).await, "/tickets");

    // Once the failures are older than the window, the right password works.
    crate::harness::execute(
        &mut app.conn(),
        "UPDATE login_failures SET attempted_at = attempted_at - interval '16 minutes' \
         WHERE email = 'ana@example.com'",
    );
    assert_redirect(&b.login("ana@example.com", PW).await, "/tickets");
    assert_eq!(b.get("/tickets").await.status, 200);
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_lax_and_secure_only_when_configured() {
    let client = raw_client();
    let app = TestApp::spawn().await;
    let r = client.get(app.url("/login")).send().await.unwrap();
    let cookie = session_set_cookie(&r).expect("sd_session is set");
    let attrs = cookie_attributes(&cookie);
    assert!(attrs.contains(&"httponly".into()), "{cookie}");
    assert!(attrs.contains(&"samesite=lax".into()), "{cookie}");
    assert!(!attrs.contains(&"secure".into()), "{cookie}");

    let secure =
        TestApp::spawn_with(test_settings(&[("SUPPORTDESK_SECURE_COOKIES", "true")])).await;
    let r = client.get(secure.url("/login")).send().await.unwrap();
    let cookie = session_set_cookie(&r).expect("sd_session is set");
    let attrs = cookie_attributes(&cookie);
    assert!(attrs.contains(&"secure".into()), "{cookie}");
    assert!(attrs.contains(&"httponly".into()), "{cookie}");
    assert!(attrs.contains(&"samesite=lax".into()), "{cookie}");
}

#[tokio::test]
async fn a_tampered_session_cookie_reads_as_no_session() {
    let app = TestApp::spawn().await;
    let client = raw_client();
    let (_, cookie, _, p) = raw_anonymous_post(
        &app,
        &client,
        "/signup",
        &[
            ("organization", "Acme"),
            ("organization_key", "acme"),
            ("name", "Ana"),
            ("email", "ana@example.com"),
            ("password", PW),
        ],
    )
    .await;
    assert_redirect(&p, "/tickets");
    let good = raw_get(&app, &client, "/tickets", &cookie).await;
    assert_eq!(good.status, 200);
    let token = good.csrf();

    let flip = |at: usize| {
        let mut chars: Vec<char> = cookie.chars().collect();
        chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
        chars.into_iter().collect::<String>()
    };
    let n = cookie.len();
    let tampered = [
        flip(0),
        flip(n / 2),
        flip(n - 2),
        format!("{}{}", &cookie[n / 2..], &cookie[..n / 2]),
        cookie[..n - 4].to_string(),
        "garbage".to_string(),
    ];
    for bad in tampered {
        assert_ne!(bad, cookie);
        assert_redirect(&raw_get(&app, &client, "/tickets", &bad).await, "/login");
        assert_redirect(&raw_get(&app, &client, "/", &bad).await, "/login");
        assert_eq!(raw_get(&app, &client, "/login", &bad).await.status, 200);
        let r = client
            .post(app.url("/profile"))
            .header(COOKIE, format!("sd_session={bad}"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("form", "details"),
                ("name", "Tampered"),
            ])
            .send()
            .await
            .unwrap();
        assert_redirect(&page_of(r).await, "/login");
    }
    assert_eq!(
        sql_text(&app, "SELECT name FROM users").as_deref(),
        Some("Ana")
    );
}

// ---------------------------------------------------------------- profile

#[tokio::test]
async fn profile_updates_name_and_mobile_and_refuses_a_bad_mobile() {
    let app = TestApp::spawn().await;
    let b = customer(&app, "acme", "ana@example.com").await;
    let page = b.get("/profile").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("ana@example.com"));

    let p = b
        .post_from(
            "/profile",
            "/profile",
            &[
                ("form", "details"),
                ("name", "Ana Updated"),
                ("mobile", "+98 912 345 6789"),
            ],
        )
        .await;
    assert_eq!(p.status, 303);
    let shown = b.get(p.location.as_deref().unwrap()).await;
    assert_eq!(shown.status, 200);
    assert!(shown.body.contains("Your details were saved."));
    assert_eq!(input_value(&shown.body, "name"), Some("Ana Updated"));
    assert_eq!(input_value(&shown.body, "mobile"), Some("+98 912 345 6789"));
    assert_eq!(
        sql_text(&app, "SELECT name || '|' || mobile FROM users").as_deref(),
        Some("Ana Updated|+98 912 345 6789")
    );

    let p = b
        .post_from(
            "/profile",
            "/profile",
            &[
                ("form", "details"),
                ("name", "Someone Else"),
                ("mobile", "12ab"),
            ],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert_eq!(
        field_error(&p.body, "mobile"),
        Some("Enter a phone number of 7 to 15 digits, optionally starting with +.")
    );
    assert_eq!(input_value(&p.body, "mobile"), Some("12ab"));
    assert_eq!(input_value(&p.body, "name"), Some("Someone Else"));
    assert_eq!(
        sql_text(&app, "SELECT name || '|' || mobile FROM users").as_deref(),
        Some("Ana Updated|+98 912 345 6789")
    );
}

#[tokio::test]
async fn a_password_change_needs_the_current_password_and_ends_the_other_sessions() {
    let app = TestApp::spawn().await;
    let me = customer(&app, "acme", "ana@example.com").await;
    let other = app.new_browser();
    assert_redirect(&other.login("ana@example.com", PW).await, "/tickets");
    let hash_before = sql_text(&app, "SELECT password_hash FROM users");
    let new_password = "a brand new password";

    let p = me
        .post_from(
            "/profile",
            "/profile",
            &[
                ("form", "password"),
                ("current_password", "not my password"),
                ("new_password", new_password),
            ],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert_eq!(
        field_error(&p.body, "current_password"),
        Some("The current password is not correct.")
    );
    assert!(!p.body.contains(new_password));
    let p = me
        .post_from(
            "/profile",
            "/profile",
            &[
                ("form", "password"),
                ("current_password", PW),
                ("new_password", "short"),
            ],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert_eq!(
        field_error(&p.body, "new_password"),
        Some("Use at least 10 characters.")
    );
    assert_eq!(
        sql_text(&app, "SELECT password_hash FROM users"),
        hash_before
    );
    assert_eq!(other.get("/tickets").await.status, 200);

    let p = me
        .post_from(
            "/profile",
            "/profile",
            &[
                ("form", "password"),
                ("current_password", PW),
                ("new_password", new_password),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let shown = me.get(p.location.as_deref().unwrap()).await;
    assert!(shown.body.contains("Your password was changed."));
    assert_ne!(
        sql_text(&app, "SELECT password_hash FROM users"),
        hash_before
    );

    // This browser carries on; the other one is logged out on its next request, even one
    // for a ticket number that is not one.
    assert_eq!(me.get("/tickets").await.status, 200);
    assert_redirect(&other.get("/tickets/not-a-number").await, "/login");
    assert_redirect(&other.get("/tickets").await, "/login");
    assert_redirect(&other.get("/tickets").await, "/login");

    let fresh = app.new_browser();
    let p = fresh.login("ana@example.com", PW).await;
    assert_eq!(p.status, 422);
    assert_eq!(alert(&p.body), Some("Invalid email or password"));
    assert_redirect(
        &fresh.login("ana@example.com", new_password).await,
        "/tickets",
    );
}

// ---------------------------------------------------------------- organizations

#[tokio::test]
async fn an_owner_adds_a_new_email_as_member_who_can_then_log_in() {
    let app = TestApp::spawn().await;
    let owner = customer(&app, "acme", "ana@example.com").await;
    let page = owner.get("/organization").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("action=\"/organization/members\""));
    assert!(page.body.contains("Basic"));

    let p = owner
        .post_from(
            "/organization",
            "/organization/members",
            &[
                ("email", " Mina@Example.com"),
                ("name", "Mina Member"),
                ("password", "mina's first password"),
                ("role", "member"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let shown = owner.get(p.location.as_deref().unwrap()).await;
    assert!(shown.body.contains("The member was added."));
    assert!(shown.body.contains("mina@example.com"));
    assert_eq!(count_users(&app), 2);
    assert_eq!(
        role_in(&app, "mina@example.com", "acme").as_deref(),
        Some("member")
    );

    let mina = app.new_browser();
    assert_redirect(
        &mina
            .login("mina@example.com", "mina's first password")
            .await,
        "/tickets",
    );
    let tickets = mina.get("/tickets").await;
    assert_eq!(tickets.status, 200);
    assert_eq!(subtitle(&tickets.body), Some("Org acme"));
}

#[tokio::test]
async fn adding_an_existing_customer_adds_a_membership_and_a_switcher() {
    let app = TestApp::spawn().await;
    let owner = customer(&app, "acme", "ana@example.com").await;
    let bob = customer(&app, "bobco", "bob@example.com").await;
    customer(&app, "globex", "gita@example.com").await;
    let bob_id = user_id(&app, "bob@example.com");
    assert!(
        !bob.get("/tickets")
            .await
            .body
            .contains("name=\"organization\">")
    );

    let p = owner
        .post_from(
            "/organization",
            "/organization/members",
            &[
                ("email", "BOB@example.com"),
                ("name", ""),
                ("password", ""),
                ("role", "admin"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(count_users(&app), 3);
    assert_eq!(
        sql_i64(
            &app,
            &format!("SELECT count(*) FROM memberships WHERE user_id = {bob_id}")
        ),
        2
    );
    assert_eq!(
        role_in(&app, "bob@example.com", "acme").as_deref(),
        Some("admin")
    );

    // Bob's current organization is still his own; the header now offers both.
    let tickets = bob.get("/tickets").await;
    assert_eq!(tickets.status, 200);
    assert_eq!(subtitle(&tickets.body), Some("Org bobco"));
    assert!(
        tickets
            .body
            .contains("<select id=\"org-switch\" name=\"organization\">")
    );
    assert!(
        tickets
            .body
            .contains("<option value=\"acme\">Org acme</option>")
    );
    assert!(
        tickets
            .body
            .contains("<option value=\"bobco\" selected>Org bobco</option>")
    );

    let p = bob
        .post_from(
            "/tickets",
            "/organization/switch",
            &[("organization", "acme")],
        )
        .await;
    assert_redirect(&p, "/tickets");
    assert_eq!(subtitle(&bob.get("/tickets").await.body), Some("Org acme"));
    let org = bob.get("/organization").await;
    assert!(org.body.contains("<h1>Org acme</h1>"));

    // An organization Bob does not belong to: 404, nothing changes.
    let p = bob
        .post_from(
            "/tickets",
            "/organization/switch",
            &[("organization", "globex")],
        )
        .await;
    assert_eq!(p.status, 404, "{}", p.body);
    assert!(p.body.contains("Page not found"));
    assert_eq!(subtitle(&bob.get("/tickets").await.body), Some("Org acme"));

    // Ana has one organization: no switcher.
    assert!(!owner.get("/tickets").await.body.contains("org-switch"));
}

#[tokio::test]
async fn members_see_the_organization_read_only() {
    let app = TestApp::spawn().await;
    let owner = customer(&app, "acme", "ana@example.com").await;
    assert_eq!(
        add_member(&owner, "mina@example.com", "member")
            .await
            .status,
        303
    );
    let ana_id = user_id(&app, "ana@example.com");
    let mina = app.new_browser();
    assert_redirect(&mina.login("mina@example.com", PW).await, "/tickets");

    let page = mina.get("/organization").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<h1>Org acme</h1>"));
    assert!(page.body.contains("ana@example.com"));
    assert!(!page.body.contains("action=\"/organization/members\""));
    assert!(!page.body.contains("/role\""));
    assert!(!page.body.contains("/remove\""));

    let users = count_users(&app);
    let p = add_member(&mina, "newbie@example.com", "member").await;
    assert_eq!(p.status, 404, "{}", p.body);
    assert!(p.body.contains("Page not found"));
    assert_eq!(count_users(&app), users);
    let p = mina
        .post(
            &format!("/organization/members/{ana_id}/role"),
            &[("role", "member")],
        )
        .await;
    assert_eq!(p.status, 404);
    assert_eq!(
        role_in(&app, "ana@example.com", "acme").as_deref(),
        Some("owner")
    );
    let p = mina
        .get(&format!("/organization/members/{ana_id}/remove"))
        .await;
    assert_eq!(p.status, 404);
}

#[tokio::test]
async fn only_owners_make_owners() {
    let app = TestApp::spawn().await;
    let owner = customer(&app, "acme", "ana@example.com").await;
    assert_eq!(
        add_member(&owner, "adam@example.com", "admin").await.status,
        303
    );
    let adam = app.new_browser();
    assert_redirect(&adam.login("adam@example.com", PW).await, "/tickets");

    // The admin's form offers no owner role, and a forged one is refused.
    let page = adam.get("/organization").await;
    assert!(page.body.contains("action=\"/organization/members\""));
    assert!(!page.body.contains("<option value=\"owner\""));
    let p = add_member(&adam, "oscar@example.com", "owner").await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(
        alert(&p.body)
            .unwrap()
            .contains("Only owners can make owners"),
        "{}",
        p.body
    );
    assert_eq!(
        sql_i64(
            &app,
            "SELECT count(*) FROM users WHERE email = 'oscar@example.com'"
        ),
        0
    );

    assert_eq!(
        add_member(&adam, "mina@example.com", "member").await.status,
        303
    );
    let mina_id = user_id(&app, "mina@example.com");
    let p = adam
        .post_from(
            "/organization",
            &format!("/organization/members/{mina_id}/role"),
            &[("role", "owner")],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(
        alert(&p.body)
            .unwrap()
            .contains("Only owners can make owners")
    );
    assert_eq!(
        role_in(&app, "mina@example.com", "acme").as_deref(),
        Some("member")
    );

    // The owner can.
    let p = owner
        .post_from(
            "/organization",
            &format!("/organization/members/{mina_id}/role"),
            &[("role", "owner")],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(
        role_in(&app, "mina@example.com", "acme").as_deref(),
        Some("owner")
    );
}

#[tokio::test]
async fn the_last_owner_can_be_neither_demoted_nor_removed() {
    let app = TestApp::spawn().await;
    let owner = customer(&app, "acme", "ana@example.com").await;
    assert_eq!(
        add_member(&owner, "mina@example.com", "member")
            .await
            .status,
        303
    );
    let ana_id = user_id(&app, "ana@example.com");

    let p = owner
        .post_from(
            "/organization",
            &format!("/organization/members/{ana_id}/role"),
            &[("role", "admin")],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(
        alert(&p.body)
            .unwrap()
            .contains("must keep at least one owner")
    );
    assert_eq!(
        role_in(&app, "ana@example.com", "acme").as_deref(),
        Some("owner")
    );

    let p = owner
        .post_from(
            "/organization",
            &format!("/organization/members/{ana_id}/remove"),
            &[],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(
        alert(&p.body)
            .unwrap()
            .contains("must keep at least one owner")
    );
    assert_eq!(
        role_in(&app, "ana@example.com", "acme").as_deref(),
        Some("owner")
    );
    assert_eq!(owner.get("/organization").await.status, 200);
}

#[tokio::test]
async fn removing_a_member_goes_through_a_confirmation_page() {
    let app = TestApp::spawn().await;
    let owner = customer(&app, "acme", "ana@example.com").await;
    assert_eq!(
        add_member(&owner, "mina@example.com", "member")
            .await
            .status,
        303
    );
    let mina_id = user_id(&app, "mina@example.com");
    let path = format!("/organization/members/{mina_id}/remove");

    let confirm = owner.get(&path).await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains("Remove this member"));
    assert!(confirm.body.contains("mina@example.com"));
    assert!(confirm.body.contains(&format!("action=\"{path}\"")));
    assert_eq!(
        role_in(&app, "mina@example.com", "acme").as_deref(),
        Some("member")
    );

    let p = owner.post_from(&path, &path, &[]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let shown = owner.get(p.location.as_deref().unwrap()).await;
    assert!(shown.body.contains("The member was removed."));
    assert!(!shown.body.contains("mina@example.com"));
    assert_eq!(role_in(&app, "mina@example.com", "acme"), None);
    // They keep their account, without access to the organization.
    assert_eq!(
        sql_i64(
            &app,
            "SELECT count(*) FROM users WHERE email = 'mina@example.com'"
        ),
        1
    );
    let mina = app.new_browser();
    mina.login("mina@example.com", PW).await;
    assert_redirect(&mina.get("/tickets").await, "/organizations/new");
    assert_eq!(mina.get("/organization").await.status, 303);
}

#[tokio::test]
async fn a_customer_creates_another_organization_which_becomes_current() {
    let app = TestApp::spawn().await;
    let b = customer(&app, "acme", "ana@example.com").await;
    let form = b.get("/organizations/new").await;
    assert_eq!(form.status, 200);

    let p = b
        .post_from(
            "/organizations/new",
            "/organizations/new",
            &[
                ("organization", "Second Org"),
                ("organization_key", "second"),
            ],
        )
        .await;
    assert_redirect(&p, "/tickets");
    let tickets = b.get("/tickets").await;
    assert_eq!(subtitle(&tickets.body), Some("Second Org"));
    assert!(tickets.body.contains("name=\"organization\">"));
    assert_eq!(
        role_in(&app, "ana@example.com", "second").as_deref(),
        Some("owner")
    );
    assert_eq!(
        sql_text(
            &app,
            "SELECT p.key FROM organizations o JOIN plans p ON p.id = o.plan_id WHERE o.key = 'second'"
        )
        .as_deref(),
        Some("basic")
    );

    for (key, message) in [
        ("Bad Key", "Use 2–50 lowercase letters"),
        ("acme", "This key is already taken"),
    ] {
        let p = b
            .post_from(
                "/organizations/new",
                "/organizations/new",
                &[("organization", "Third Org"), ("organization_key", key)],
            )
            .await;
        assert_eq!(p.status, 422, "{key}: {}", p.body);
        assert!(
            field_error(&p.body, "organization_key")
                .unwrap()
                .contains(message),
            "{key}"
        );
        assert_eq!(input_value(&p.body, "organization"), Some("Third Org"));
        assert_eq!(input_value(&p.body, "organization_key"), Some(key));
        assert_eq!(count_orgs(&app), 2, "{key}");
    }
    assert_eq!(subtitle(&b.get("/tickets").await.body), Some("Second Org"));
}

#[tokio::test]
async fn a_staff_email_cannot_be_added_as_a_member() {
    let app = TestApp::spawn().await;
    let owner = customer(&app, "acme", "ana@example.com").await;
    let sam = app.add_staff("agent", "sam@support.example", PW);

    let p = add_member(&owner, "sam@support.example", "member").await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(
        field_error(&p.body, "email")
            .unwrap()
            .contains("support staff account")
    );
    assert_eq!(input_value(&p.body, "email"), Some("sam@support.example"));
    assert_eq!(
        sql_i64(
            &app,
            &format!("SELECT count(*) FROM memberships WHERE user_id = {sam}")
        ),
        0
    );
}

// ---------------------------------------------------------------- staff

#[tokio::test]
async fn an_admin_adds_an_agent_and_bad_input_is_refused() {
    let app = TestApp::spawn().await;
    let (admin, _) = staff(&app, "admin", "root@support.example").await;
    let list = admin.get("/admin/users").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("root@support.example"));

    let p = admin
        .post_from(
            "/admin/users",
            "/admin/users",
            &[
                ("name", "Sara Agent"),
                ("email", "Sara@Support.example"),
                ("password", "sara's password"),
                ("role", "agent"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let shown = admin.get(p.location.as_deref().unwrap()).await;
    assert!(shown.body.contains("The staff member was added."));
    assert!(shown.body.contains("sara@support.example"));
    assert_eq!(
        sql_text(
            &app,
            "SELECT staff_role FROM users WHERE email = 'sara@support.example'"
        )
        .as_deref(),
        Some("agent")
    );
    let sara = app.new_browser();
    assert_redirect(
        &sara.login("sara@support.example", "sara's password").await,
        "/console",
    );

    let users = count_users(&app);
    let p = admin
        .post_from(
            "/admin/users",
            "/admin/users",
            &[
                ("name", "Odd Role"),
                ("email", "odd@support.example"),
                ("password", PW),
                ("role", "owner"),
            ],
        )
        .await;
    assert_eq!(p.status, 400, "{}", p.body);
    assert_eq!(
        field_error(&p.body, "role"),
        Some("Choose one of the offered roles.")
    );
    assert_eq!(input_value(&p.body, "email"), Some("odd@support.example"));
    assert_eq!(count_users(&app), users);

    let p = admin
        .post_from(
            "/admin/users",
            "/admin/users",
            &[
                ("name", "Short Pass"),
                ("email", "short@support.example"),
                ("password", "short"),
                ("role", "agent"),
            ],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert_eq!(
        field_error(&p.body, "password"),
        Some("Use at least 10 characters.")
    );
    assert_eq!(input_value(&p.body, "name"), Some("Short Pass"));
    assert_eq!(input_value(&p.body, "email"), Some("short@support.example"));
    assert_eq!(count_users(&app), users);
}

/// A staff session loads the user's row alone (staff belong to no organization); someone
/// who stopped being staff while logged in is loaded with their organizations again.
#[tokio::test]
async fn a_session_of_someone_no_longer_staff_sees_them_as_the_customer_they_are() {
    let app = TestApp::spawn().await;
    let _ana = customer(&app, "acme", "ana@acme.example").await;
    let (amir, amir_id) = staff(&app, "agent", "amir@support.example").await;
    assert_eq!(amir.get("/console").await.status, 200);
    crate::harness::execute(
        &mut app.conn(),
        &format!(
            "INSERT INTO memberships (organization_id, user_id, role) \
             SELECT id, {amir_id}, 'member' FROM organizations WHERE key = 'acme'"
        ),
    );
    crate::harness::execute(
        &mut app.conn(),
        &format!("UPDATE users SET staff_role = NULL WHERE id = {amir_id}"),
    );
    // The first request after the change already finds the organization; later ones too.
    for _ in 0..2 {
        let list = amir.get("/tickets").await;
        assert_eq!(list.status, 200);
        assert!(list.body.contains("Org acme"), "{}", list.body);
        assert_eq!(amir.get("/console").await.status, 404);
    }
}

#[tokio::test]
async fn a_deactivated_agent_loses_the_session_and_cannot_log_in() {
    let app = TestApp::spawn().await;
    let (admin, _) = staff(&app, "admin", "root@support.example").await;
    let (agent, agent_id) = staff(&app, "agent", "sara@support.example").await;
    assert_eq!(agent.get("/console").await.status, 200);

    let path = format!("/admin/users/{agent_id}/deactivate");
    let confirm = admin.get(&path).await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains("Deactivate a staff member"));
    assert!(confirm.body.contains("sara@support.example"));
    assert!(confirm.body.contains(&format!("action=\"{path}\"")));
    assert_eq!(
        sql_text(
            &app,
            &format!("SELECT active::text FROM users WHERE id = {agent_id}")
        )
        .as_deref(),
        Some("true")
    );

    let p = admin.post_from(&path, &path, &[]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let shown = admin.get(p.location.as_deref().unwrap()).await;
    assert!(shown.body.contains("The staff member was deactivated."));
    assert!(
        shown
            .body
            .contains(&format!("data-user=\"{agent_id}\" data-active=\"false\""))
    );

    assert_redirect(&agent.get("/console/tickets/not-a-number").await, "/login");
    assert_redirect(&agent.get("/console").await, "/login");
    let p = agent.login("sara@support.example", PW).await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(
        alert(&p.body).unwrap().contains("deactivated"),
        "{}",
        p.body
    );
    assert_redirect(&agent.get("/console").await, "/login");
}

#[tokio::test]
async fn an_admin_cannot_deactivate_themselves() {
    let app = TestApp::spawn().await;
    let (admin, admin_id) = staff(&app, "admin", "root@support.example").await;
    let p = admin
        .post(&format!("/admin/users/{admin_id}/deactivate"), &[])
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert_eq!(
        alert(&p.body),
        Some("You cannot deactivate your own account.")
    );
    assert_eq!(
        sql_text(
            &app,
            &format!("SELECT active::text FROM users WHERE id = {admin_id}")
        )
        .as_deref(),
        Some("true")
    );
    assert_eq!(admin.get("/admin/users").await.status, 200);
}

// ---------------------------------------------------------------- command line

/// `supportdesk ARGS` against this test's database.
fn cli(app: &TestApp, args: &[&str]) -> Output {
    let dir = server().scratch.join(format!("cli-{}", app.db_name));
    std::fs::create_dir_all(&dir).unwrap();
    set_mode(&dir, 0o755);
    Command::new(env!("CARGO_BIN_EXE_supportdesk"))
        .args(args)
        .env("DATABASE_URL", server().url(&app.db_name))
        .env("SUPPORTDESK_DATA_DIR", dir.join("var"))
        .env("RUST_LOG", "warn")
        .current_dir(&dir)
        .output()
        .unwrap()
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

#[tokio::test]
async fn cli_seed_demo_prints_logins_that_work_and_refuses_a_second_run() {
    let app = TestApp::spawn().await;
    let out = cli(&app, &["seed", "demo"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    for login in [
        "owner@acme.example",
        "member@acme.example",
        "owner@globex.example",
        "agent1@support.example",
        "admin@support.example",
        "demo-password",
    ] {
        assert!(stdout.contains(login), "{login} missing from:\n{stdout}");
    }

    let owner = app.new_browser();
    assert_redirect(
        &owner.login("owner@acme.example", "demo-password").await,
        "/tickets",
    );
    assert_eq!(
        subtitle(&owner.get("/tickets").await.body),
        Some("Acme Cloud")
    );
    let member = app.new_browser();
    assert_redirect(
        &member.login("member@globex.example", "demo-password").await,
        "/tickets",
    );
    let agent = app.new_browser();
    assert_redirect(
        &agent.login("agent1@support.example", "demo-password").await,
        "/console",
    );
    let admin = app.new_browser();
    assert_redirect(
        &admin.login("admin@support.example", "demo-password").await,
        "/console",
    );
    assert_eq!(admin.get("/admin/users").await.status, 200);

    let users = count_users(&app);
    let again = cli(&app, &["seed", "demo"]);
    assert!(!again.status.success());
    let stderr = text(&again.stderr);
    assert!(
        stderr.contains("The demo data is already there."),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(count_users(&app), users);
}

#[tokio::test]
async fn cli_user_add_creates_staff_and_validates_the_password() {
    let app = TestApp::spawn().await;
    let out = cli(
        &app,
        &[
            "user",
            "add",
            "--role",
            "agent",
            "--email",
            "Cli@Support.example",
            "--name",
            "Cli Agent",
            "--password",
            PW,
        ],
    );
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("cli@support.example"));
    let b = app.new_browser();
    assert_redirect(&b.login("cli@support.example", PW).await, "/console");
    assert_eq!(b.get("/console").await.status, 200);
    assert_eq!(b.get("/admin/users").await.status, 404);

    let out = cli(
        &app,
        &[
            "user",
            "add",
            "--role",
            "admin",
            "--email",
            "weak@support.example",
            "--name",
            "Weak",
            "--password",
            "12345",
        ],
    );
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("Use at least 10 characters."), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        sql_i64(
            &app,
            "SELECT count(*) FROM users WHERE email = 'weak@support.example'"
        ),
        0
    );
}

/// `seed bench` sets the secondary indexes and foreign keys of the tables it fills aside while
/// it fills them (when they start empty) and makes them again: afterwards every index and
/// constraint is as the migrations made it.
#[tokio::test]
async fn cli_seed_bench_fills_the_tables_and_leaves_every_index_and_key_as_they_were() {
    let app = TestApp::spawn().await;
    let indexes = |app: &TestApp| {
        sql_text(
            app,
            "SELECT string_agg(d, E'\\n' ORDER BY d) FROM ( \
               SELECT pg_get_indexdef(indexrelid) AS d FROM pg_index \
               WHERE indrelid IN ('tickets'::regclass, 'messages'::regclass, 'ticket_events'::regclass) \
               UNION ALL SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) \
               FROM pg_constraint WHERE conrelid IN ('tickets'::regclass, 'messages'::regclass, 'ticket_events'::regclass) \
             ) s",
        )
    };
    let before = indexes(&app);
    assert!(before.as_deref().is_some_and(
        |i| i.contains("tickets_queue_open") && i.contains("messages_ticket_number_fkey")
    ));
    let args = [
        "seed",
        "bench",
        "--tickets",
        "60",
        "--orgs",
        "4",
        "--customers",
        "12",
        "--agents",
        "3",
        "--messages",
        "3",
    ];
    let out = cli(&app, &args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(indexes(&app), before);
    assert_eq!(sql_i64(&app, "SELECT count(*) FROM tickets"), 60);
    assert_eq!(sql_i64(&app, "SELECT count(*) FROM messages"), 180);
    assert!(sql_i64(&app, "SELECT count(*) FROM ticket_events") >= 60);
    // Not every ticket is closed: the queue has something to show.
    assert!(
        sql_i64(
            &app,
            "SELECT count(*) FROM tickets WHERE status <> 'closed'"
        ) > 0
    );

    // A second run refuses and changes nothing.
    let again = cli(&app, &args);
    assert!(!again.status.success());
    assert_eq!(indexes(&app), before);
    assert_eq!(sql_i64(&app, "SELECT count(*) FROM tickets"), 60);
}

#[tokio::test]
async fn cli_seed_demo_refuses_clearly_when_some_of_its_data_already_exists() {
    // A demo login created by hand first (`user add`), then the seed.
    let app = TestApp::spawn().await;
    app.add_staff("agent", "agent1@support.example", PW);
    let out = cli(&app, &["seed", "demo"]);
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("The demo data is already there."),
        "{stderr}"
    );
    assert!(!stderr.contains("duplicate key"), "{stderr}");
    assert_eq!(count_orgs(&app), 0);

    // A customer who took one of the demo organization keys.
    let app = TestApp::spawn().await;
    customer(&app, "acme", "ana@example.com").await;
    let out = cli(&app, &["seed", "demo"]);
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(!stderr.contains("duplicate key"), "{stderr}");
    assert!(!stderr.contains("constraint"), "{stderr}");
    assert_eq!(count_users(&app), 1);
}

// ---------------------------------------------------------------- CSRF and Origin

#[tokio::test]
async fn every_form_post_without_a_valid_token_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let owner = customer(&app, "acme", "ana@example.com").await;
    owner
        .post_from(
            "/organizations/new",
            "/organizations/new",
            &[
                ("organization", "Second Org"),
                ("organization_key", "second"),
            ],
        )
        .await;
    assert_eq!(
        subtitle(&owner.get("/tickets").await.body),
        Some("Second Org")
    );
    let (admin, _) = staff(&app, "admin", "root@support.example").await;
    let anonymous = app.new_browser();
    let foreign = app.new_browser().get("/login").await.csrf();
    let users = count_users(&app);
    let orgs = count_orgs(&app);

    let signup = [
        ("organization", "Evil"),
        ("organization_key", "evil"),
        ("name", "Eve"),
        ("email", "eve@example.com"),
        ("password", PW),
    ];
    let login = [("email", "ana@example.com"), ("password", PW)];
    let profile = [("form", "details"), ("name", "Forged"), ("mobile", "")];
    let member = [
        ("email", "eve@example.com"),
        ("name", "Eve"),
        ("password", PW),
        ("role", "owner"),
    ];
    let new_org = [("organization", "Evil"), ("organization_key", "evil")];
    let switch = [("organization", "acme")];
    let staff_user = [
        ("name", "Eve"),
        ("email", "eve@support.example"),
        ("password", PW),
        ("role", "admin"),
    ];
    type Fields<'a> = &'a [(&'a str, &'a str)];
    let routes: [(&Browser, &str, Fields); 8] = [
        (&anonymous, "/signup", &signup),
        (&anonymous, "/login", &login),
        (&owner, "/logout", &[]),
        (&owner, "/profile", &profile),
        (&owner, "/organization/members", &member),
        (&owner, "/organizations/new", &new_org),
        (&owner, "/organization/switch", &switch),
        (&admin, "/admin/users", &staff_user),
    ];
    for (b, path, fields) in routes {
        let p = b.post_raw(path, fields).await;
        assert_refused(&p);
        let mut with_foreign = vec![("csrf_token", foreign.as_str())];
        with_foreign.extend_from_slice(fields);
        let p = b.post_raw(path, &with_foreign).await;
        assert_refused(&p);
        let mut empty = vec![("csrf_token", "")];
        empty.extend_from_slice(fields);
        assert_refused(&b.post_raw(path, &empty).await);
    }

    assert_eq!(count_users(&app), users);
    assert_eq!(count_orgs(&app), orgs);
    assert_redirect(&anonymous.get("/tickets").await, "/login");
    let tickets = owner.get("/tickets").await;
    assert_eq!(tickets.status, 200, "the owner was logged out");
    assert_eq!(subtitle(&tickets.body), Some("Second Org"));
    assert_eq!(
        sql_text(
            &app,
            "SELECT name FROM users WHERE email = 'ana@example.com'"
        )
        .as_deref(),
        Some("Person ana@example.com")
    );
    assert_eq!(admin.get("/admin/users").await.status, 200);
}

async fn post_with_headers(
    b: &Browser,
    path: &str,
    headers: &[(&str, &str)],
    fields: &[(&str, &str)],
) -> Page {
    let token = b.get("/login").await.csrf();
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(fields);
    let mut request = b.client.post(b.url(path)).form(&all);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    page_of(request.send().await.unwrap()).await
}

#[tokio::test]
async fn a_post_from_another_origin_is_refused_even_with_a_valid_token() {
    let app = TestApp::spawn().await;
    let b = customer(&app, "acme", "ana@example.com").await;
    let rename = [("form", "details"), ("name", "Renamed"), ("mobile", "")];
    let name = || sql_text(&app, "SELECT name FROM users");

    for headers in [
        &[("Origin", "http://evil.example")][..],
        &[("Origin", "null")][..],
        &[("Sec-Fetch-Site", "cross-site")][..],
    ] {
        let p = post_with_headers(&b, "/profile", headers, &rename).await;
        assert_refused(&p);
        assert_eq!(
            name().as_deref(),
            Some("Person ana@example.com"),
            "{headers:?}"
        );
    }
    let anonymous = app.new_browser();
    let p = post_with_headers(
        &anonymous,
        "/signup",
        &[("Origin", "http://evil.example")],
        &[
            ("organization", "Evil"),
            ("organization_key", "evil"),
            ("name", "Eve"),
            ("email", "eve@example.com"),
            ("password", PW),
        ],
    )
    .await;
    assert_refused(&p);
    assert_eq!(count_users(&app), 1);

    // The app's own origin is fine.
    let p = post_with_headers(&b, "/profile", &[("Origin", app.addr.as_str())], &rename).await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(name().as_deref(), Some("Renamed"));
}
