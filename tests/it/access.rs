//! Who may reach which page: the answers of DESIGN.md section 1, over HTTP.

use crate::accounts::{PW, add_member, assert_redirect, customer, staff, user_id};
use crate::harness::{Browser, TestApp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    /// 303 to `/login`.
    Login,
    /// 200 with the page.
    Page,
    /// 404 with the error page.
    NotFound,
}
use Want::*;

const ROLES: [&str; 5] = ["anonymous", "member", "owner", "agent", "admin"];

/// One browser per role, in the order of [`ROLES`].
async fn browsers(app: &TestApp) -> [Browser; 5] {
    let owner = customer(app, "acme", "owner@acme.test").await;
    assert_eq!(
        add_member(&owner, "member@acme.test", "member")
            .await
            .status,
        303
    );
    let member = app.new_browser();
    assert_redirect(&member.login("member@acme.test", PW).await, "/tickets");
    let (agent, _) = staff(app, "agent", "agent@support.test").await;
    let (admin, _) = staff(app, "admin", "admin@support.test").await;
    [app.new_browser(), member, owner, agent, admin]
}

/// What a page shows when allowed or refused; the mismatch, if any.
fn check(role: &str, path: &str, want: Want, p: &crate::harness::Page) -> Option<String> {
    let ok = match want {
        Login => p.status == 303 && p.location.as_deref() == Some("/login"),
        Page => p.status == 200 && p.body.contains("href=\"/profile\""),
        NotFound => p.status == 404 && p.body.contains("Page not found"),
    };
    (!ok).then(|| {
        format!(
            "{role} GET {path}: wanted {want:?}, got {} {:?}",
            p.status, p.location
        )
    })
}

#[tokio::test]
async fn every_page_answers_each_role_as_the_access_table_says() {
    let app = TestApp::spawn().await;
    let people = browsers(&app).await;
    // (path, [anonymous, member, owner, agent, admin])
    let table = [
        ("/tickets", [Login, Page, Page, NotFound, NotFound]),
        ("/organization", [Login, Page, Page, NotFound, NotFound]),
        (
            "/organizations/new",
            [Login, Page, Page, NotFound, NotFound],
        ),
        ("/profile", [Login, Page, Page, Page, Page]),
        ("/console", [Login, NotFound, NotFound, Page, Page]),
        ("/admin/users", [Login, NotFound, NotFound, NotFound, Page]),
    ];
    let mut wrong = Vec::new();
    for (path, wants) in table {
        for ((role, browser), want) in ROLES.iter().zip(&people).zip(wants) {
            let p = browser.get(path).await;
            wrong.extend(check(role, path, want, &p));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn anonymous_posts_to_protected_urls_go_to_login() {
    let app = TestApp::spawn().await;
    let owner = customer(&app, "acme", "owner@acme.test").await;
    let owner_id = user_id(&app, "owner@acme.test");
    let (_, agent_id) = staff(&app, "agent", "agent@support.test").await;
    let users = crate::accounts::sql_i64(&app, "SELECT count(*) FROM users");

    let anonymous = app.new_browser();
    let paths = [
        "/logout".to_string(),
        "/profile".into(),
        "/organization/members".into(),
        format!("/organization/members/{owner_id}/role"),
        format!("/organization/members/{owner_id}/remove"),
        "/organization/switch".into(),
        "/organizations/new".into(),
        "/admin/users".into(),
        format!("/admin/users/{agent_id}/deactivate"),
        format!("/admin/users/{agent_id}/activate"),
    ];
    for path in &paths {
        // A valid token of the anonymous session: only the missing login stops it.
        let p = anonymous
            .post(
                path,
                &[
                    ("form", "details"),
                    ("name", "Anonymous"),
                    ("email", "anon@example.com"),
                    ("password", PW),
                    ("role", "member"),
                    ("organization", "Anon"),
                    ("organization_key", "anon"),
                ],
            )
            .await;
        assert_redirect(&p, "/login");
    }
    assert_eq!(
        crate::accounts::sql_i64(&app, "SELECT count(*) FROM users"),
        users
    );
    assert_eq!(
        crate::accounts::sql_i64(&app, "SELECT count(*) FROM organizations"),
        1
    );
    assert_eq!(
        crate::accounts::sql_text(
            &app,
            &format!("SELECT active::text FROM users WHERE id = {agent_id}")
        )
        .as_deref(),
        Some("true")
    );
    assert_eq!(owner.get("/organization").await.status, 200);
}

#[tokio::test]
async fn the_front_door_sends_each_role_home() {
    let app = TestApp::spawn().await;
    let people = browsers(&app).await;
    let homes = ["/login", "/tickets", "/tickets", "/console", "/console"];
    for ((role, browser), home) in ROLES.iter().zip(&people).zip(homes) {
        let p = browser.get("/").await;
        assert_eq!(
            (p.status, p.location.as_deref()),
            (303, Some(home)),
            "{role}"
        );
        // And the home page is there for them.
        let landing = browser.get(home).await;
        assert_eq!(landing.status, 200, "{role} on {home}");
    }
}

#[tokio::test]
async fn unknown_urls_get_the_html_404_page_for_everyone() {
    let app = TestApp::spawn().await;
    let people = browsers(&app).await;
    for (role, browser) in ROLES.iter().zip(&people) {
        for path in [
            "/no/such/page",
            "/tickets/nope/deeper",
            "/admin/nothing-here",
            "/console/zzz",
        ] {
            let r = browser.client.get(browser.url(path)).send().await.unwrap();
            assert_eq!(r.status(), 404, "{role} {path}");
            let content_type = r.headers()["content-type"].to_str().unwrap().to_string();
            assert!(
                content_type.starts_with("text/html"),
                "{role} {path}: {content_type}"
            );
            let body = r.text().await.unwrap();
            assert!(body.contains("Page not found"), "{role} {path}: {body}");
            assert!(body.contains("data-status=\"404\""), "{role} {path}");
        }
    }
}

#[tokio::test]
async fn unknown_or_foreign_ids_are_404_never_403() {
    let app = TestApp::spawn().await;
    let owner = customer(&app, "acme", "owner@acme.test").await;
    customer(&app, "globex", "gita@globex.test").await;
    let gita = user_id(&app, "gita@globex.test");
    let (admin, _) = staff(&app, "admin", "admin@support.test").await;
    let owner_id = user_id(&app, "owner@acme.test");

    // A member of another organization, an unknown id and a non-number.
    for path in [
        format!("/organization/members/{gita}/remove"),
        "/organization/members/999999/remove".to_string(),
        "/organization/members/abc/remove".to_string(),
    ] {
        let p = owner.get(&path).await;
        assert_eq!(p.status, 404, "{path}");
        assert!(p.body.contains("Page not found"), "{path}");
    }
    let p = owner
        .post(
            &format!("/organization/members/{gita}/role"),
            &[("role", "member")],
        )
        .await;
    assert_eq!(p.status, 404);
    let p = owner
        .post(&format!("/organization/members/{gita}/remove"), &[])
        .await;
    assert_eq!(p.status, 404);
    assert_eq!(
        crate::accounts::sql_i64(
            &app,
            &format!("SELECT count(*) FROM memberships WHERE user_id = {gita}")
        ),
        1
    );

    // Staff pages only know staff: a customer's id is as unknown as a made-up one.
    for path in [
        format!("/admin/users/{owner_id}/deactivate"),
        "/admin/users/999999/deactivate".to_string(),
        "/admin/users/abc/deactivate".to_string(),
    ] {
        let p = admin.get(&path).await;
        assert_eq!(p.status, 404, "{path}");
        assert!(p.body.contains("Page not found"), "{path}");
    }
    let p = admin
        .post(&format!("/admin/users/{owner_id}/deactivate"), &[])
        .await;
    assert_eq!(p.status, 404);
    assert_eq!(owner.get("/tickets").await.status, 200);
}
