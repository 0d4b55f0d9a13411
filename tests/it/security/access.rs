//! The access matrix: every route of the table in `world` × every role × own and
//! foreign resources, each answer as DESIGN.md section 1 says, never a 500, and never
//! a page that shows someone a ticket (subject, body, file) they may not see.

use super::world::{Method, ROLES, ROUTES, Role, Want, Whose, World, markers, want};
use crate::harness::Page;

/// What is wrong with `page` as the answer `want`, if anything.
fn mismatch(want: Want, method: Method, p: &Page) -> Option<String> {
    let ok = match want {
        Want::Login => p.status == 303 && p.location.as_deref() == Some("/login"),
        Want::NotFound => p.status == 404 && p.body.contains("Page not found"),
        Want::Allow if method == Method::Get => p.status == 200,
        Want::Allow => [303, 400, 409, 422].contains(&p.status),
    };
    (!ok).then(|| format!("wanted {want:?}, got {} {:?}", p.status, p.location))
}

/// Markers of the tickets `role` may not see that appear on the page.
fn leaks(role: Role, p: &Page) -> Vec<&'static str> {
    [Whose::MemberA, Whose::OwnerA, Whose::Globex]
        .into_iter()
        .filter(|w| !super::world::Res::Ticket(*w).visible_to(role))
        .flat_map(markers)
        .filter(|m| p.body.contains(m))
        .collect()
}

#[actix_web::test]
async fn every_route_answers_every_role_as_design_section_1_says() {
    let mut world = World::new().await;
    let mut wrong = Vec::new();
    let mut checks = 0;
    for route in ROUTES {
        for &res in route.res {
            for role in ROLES {
                let want = want(route, role, res);
                let p = world.send(role, route, res).await;
                checks += 1;
                let what = format!(
                    "{:?} {} as {role:?} on {res:?}",
                    route.method,
                    world.path(route, role, res)
                );
                if p.status >= 500 {
                    wrong.push(format!("{what}: a server error {}", p.status));
                } else if let Some(m) = mismatch(want, route.method, &p) {
                    wrong.push(format!("{what}: {m}"));
                }
                let leaked = leaks(role, &p);
                if !leaked.is_empty() {
                    wrong.push(format!("{what}: shows {leaked:?} ({})", p.status));
                }
                if route.relogin {
                    world.relogin(role).await;
                }
            }
        }
    }
    println!(
        "access matrix: {checks} route × role checks ({} routes × {} roles, own and foreign resources)",
        ROUTES.len(),
        ROLES.len()
    );
    assert!(checks > 500, "only {checks} checks");
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn the_route_table_covers_every_route_the_app_serves() {
    // Every path pattern registered in src/web/mod.rs appears in the table, with each method.
    let source = include_str!("../../../src/web/mod.rs");
    let mut served = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find('"') {
        let after = &rest[at + 1..];
        let end = after.find('"').unwrap();
        let literal = &after[..end];
        if literal.starts_with('/') && !literal.starts_with("/static") && literal != "/" {
            served.push(
                literal
                    .replace("{number}", "{}")
                    .replace("{id}", "{}")
                    .replace("{user}", "{}")
                    .replace("{key}", "{}"),
            );
        }
        rest = &after[end + 1..];
    }
    assert!(served.len() > 30, "{served:?}");
    let table: Vec<String> = ROUTES
        .iter()
        .map(|r| r.path.split('?').next().unwrap().to_string())
        .collect();
    let missing: Vec<&String> = served.iter().filter(|p| !table.contains(p)).collect();
    assert!(
        missing.is_empty(),
        "routes missing from the table: {missing:?}"
    );
    let gets = ROUTES.iter().filter(|r| r.method == Method::Get).count();
    let posts = ROUTES.len() - gets;
    assert!(gets >= 25 && posts >= 29, "{gets} GET, {posts} POST");
}

#[actix_web::test]
async fn every_answer_carries_the_security_headers_and_odd_methods_change_nothing() {
    let app = crate::harness::TestApp::spawn().await;
    let owner = super::customer(&app, "acme", "owner@acme.test").await;
    let (admin, _) = super::staff(&app, "admin", "admin@support.test").await;
    let n = super::create_ticket(&owner, "Printer", "On fire.", &[("log.txt", b"x\n")]).await;
    let file = super::sql_i64(&app, "SELECT max(id) FROM attachments");
    let anonymous = super::browser(&app);
    let big = "x".repeat(200 * 1024);
    let mut wrong = Vec::new();
    let mut answers = Vec::new();
    for (b, path) in [
        (&anonymous, "/login".to_string()),
        (&anonymous, "/tickets".to_string()),
        (&anonymous, "/no/such/page".to_string()),
        (&owner, "/tickets".to_string()),
        (&owner, format!("/tickets/{n}")),
        (&owner, format!("/attachments/{file}")),
        (&owner, "/console".to_string()),
        (&admin, format!("/console/tickets/{n}")),
        (&admin, "/admin/plans".to_string()),
    ] {
        answers.push((
            path.clone(),
            b.client.get(b.url(&path)).send().await.unwrap(),
        ));
    }
    // Error pages too: 403 (no token), 413 (too large).
    let r = owner
        .client
        .post(owner.url("/profile"))
        .form(&[("name", "x")])
        .send();
    answers.push(("403".into(), r.await.unwrap()));
    let r = owner
        .client
        .post(owner.url("/profile"))
        .form(&[("name", big.as_str())])
        .send();
    answers.push(("413".into(), r.await.unwrap()));
    for (what, r) in &answers {
        let h = |n: &str| {
            r.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        let csp = h("content-security-policy");
        for directive in [
            "default-src 'self'",
            "script-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ] {
            if !csp.contains(directive) {
                wrong.push(format!("{what}: CSP {csp:?} lacks {directive}"));
            }
        }
        if csp.contains("unsafe-inline") || csp.contains("unsafe-eval") {
            wrong.push(format!("{what}: CSP {csp:?}"));
        }
        for (name, value) in [
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
            ("referrer-policy", "same-origin"),
        ] {
            if h(name) != value {
                wrong.push(format!("{what}: {name}: {:?}", h(name)));
            }
        }
    }
    // PUT, PATCH, DELETE on the app's URLs: never served, never a server error.
    let before = super::fingerprint(&app);
    for path in [
        "/tickets",
        &format!("/tickets/{n}"),
        "/profile",
        "/admin/plans/basic",
        "/logout",
    ] {
        for method in ["PUT", "PATCH", "DELETE"] {
            let r = admin
                .client
                .request(method.parse().unwrap(), admin.url(path))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            if !(400..500).contains(&status) {
                wrong.push(format!("{method} {path}: {status}"));
            }
        }
    }
    assert_eq!(
        super::changed(&before, &super::fingerprint(&app)),
        Vec::<String>::new()
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[actix_web::test]
async fn no_form_grants_more_than_its_sender_has() {
    use super::{PW, add_member, lit, sql_i64, sql_text};
    let app = crate::harness::TestApp::spawn().await;
    let owner = super::customer(&app, "acme", "owner@acme.test").await;
    super::customer(&app, "globex", "owner@globex.test").await;
    for (email, role) in [("admin@acme.test", "admin"), ("member@acme.test", "member")] {
        assert_eq!(add_member(&owner, email, email, role).await.status, 303);
    }
    let login = |email: &'static str| {
        let b = super::browser(&app);
        async move {
            super::assert_redirect(&b.login(email, PW).await, "/tickets");
            b
        }
    };
    let (admin, member) = (
        login("admin@acme.test").await,
        login("member@acme.test").await,
    );
    let id = |email: &str| {
        sql_i64(
            &app,
            &format!("SELECT id FROM users WHERE email = {}", lit(email)),
        )
    };
    let (owner_id, admin_id, member_id) = (
        id("owner@acme.test"),
        id("admin@acme.test"),
        id("member@acme.test"),
    );
    let roles = || {
        sql_text(
            &app,
            "SELECT string_agg(u.email || ':' || m.role || '@' || o.key, ' ' ORDER BY u.email, o.key) \
             FROM memberships m JOIN users u ON u.id = m.user_id JOIN organizations o ON o.id = m.organization_id",
        )
    };
    let before = roles();
    // (who, path, fields, the statuses that count as refused)
    type Attempt<'a> = (
        &'a crate::harness::Browser,
        String,
        Vec<(&'a str, &'a str)>,
        &'a [u16],
    );
    let attempts: Vec<Attempt> = vec![
        (
            &member,
            format!("/organization/members/{member_id}/role"),
            vec![("role", "owner")],
            &[404],
        ),
        (
            &member,
            "/organization/members".into(),
            vec![
                ("name", "M"),
                ("email", "m2@acme.test"),
                ("password", PW),
                ("role", "owner"),
            ],
            &[404],
        ),
        (
            &admin,
            format!("/organization/members/{admin_id}/role"),
            vec![("role", "owner")],
            &[422],
        ),
        (
            &admin,
            format!("/organization/members/{owner_id}/role"),
            vec![("role", "member")],
            &[422],
        ),
        (
            &admin,
            format!("/organization/members/{owner_id}/remove"),
            vec![],
            &[422],
        ),
        (
            &admin,
            "/organization/members".into(),
            vec![
                ("name", "O"),
                ("email", "o2@acme.test"),
                ("password", PW),
                ("role", "owner"),
            ],
            &[422],
        ),
        (
            &admin,
            "/organization/members".into(),
            vec![
                ("name", "G"),
                ("email", "g@acme.test"),
                ("password", PW),
                ("role", "superuser"),
            ],
            &[400, 422],
        ),
        (
            &admin,
            "/organization/switch".into(),
            vec![("organization", "globex")],
            &[404],
        ),
        (
            &member,
            "/plan".into(),
            vec![("plan", "professional")],
            &[404],
        ),
    ];
    let mut wrong = Vec::new();
    for (b, path, fields, refused) in &attempts {
        let p = b.post(path, fields).await;
        if !refused.contains(&p.status) {
            wrong.push(format!("{path} {fields:?}: {} {:?}", p.status, p.location));
        }
    }
    // Fields a form does not have are ignored, whatever they claim.
    let extra = [
        ("staff_role", "admin"),
        ("role", "admin"),
        ("active", "true"),
        ("session_epoch", "0"),
        ("email", "owner@acme.test"),
        ("organization_id", "2"),
        ("plan", "professional"),
    ];
    let mut fields = vec![
        ("form", "details"),
        ("name", "Still a member"),
        ("mobile", ""),
    ];
    fields.extend(extra);
    assert_eq!(member.post("/profile", &fields).await.status, 303);
    let mut fields = vec![
        ("organization", "Mallory"),
        ("organization_key", "mallory"),
        ("name", "Mallory"),
        ("email", "mallory@example.test"),
        ("password", PW),
    ];
    fields.extend(extra.iter().filter(|(k, _)| *k != "email"));
    let mallory = super::browser(&app);
    super::assert_redirect(&mallory.post("/signup", &fields).await, "/tickets");
    assert_eq!(mallory.get("/console").await.status, 404);
    let p = super::post_multipart(
        &member,
        "/tickets",
        &[
            ("subject", "Mine"),
            ("category", "technical"),
            ("priority", "normal"),
            ("body", "Hello."),
            ("organization", "globex"),
            ("organization_id", "2"),
            ("requester_id", &owner_id.to_string()),
            ("status", "closed"),
            ("plan_id", "4"),
        ],
        &[],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let after = roles();
    assert_eq!(
        after
            .as_deref()
            .map(|r| r.replace(" mallory@example.test:owner@mallory", "")),
        before,
        "roles changed"
    );
    assert_eq!(
        sql_text(
            &app,
            "SELECT u.email || ' ' || o.key || ' ' || t.status FROM tickets t \
             JOIN users u ON u.id = t.requester_id JOIN organizations o ON o.id = t.organization_id"
        )
        .as_deref(),
        Some("member@acme.test acme awaiting_response")
    );
    assert_eq!(
        sql_i64(
            &app,
            "SELECT count(*) FROM users WHERE staff_role IS NOT NULL"
        ),
        0
    );
    assert_eq!(
        sql_text(
            &app,
            "SELECT email FROM users WHERE name = 'Still a member'"
        )
        .as_deref(),
        Some("member@acme.test")
    );
}
