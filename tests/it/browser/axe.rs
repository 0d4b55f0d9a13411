//! Accessibility (issue 10, item 4): axe-core runs inside Chromium on every main page, in
//! light and in dark mode (`prefers-color-scheme: dark`, emulated through the DevTools
//! protocol), and reports zero violations of impact "serious" or "critical".
//!
//! axe-core comes from npm: `.ci/run` installs it and sets `AXE_JS` to `axe.min.js`.
//! Without `AXE_JS` the test prints a loud notice and passes, except in CI (`CI=true`).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

use fantoccini::wd::WebDriverCompatibleCommand;
use reqwest::{Method, Url};

use super::driver::{Journey, Tab};

const DEMO_PASSWORD: &str = supportdesk::services::demo::DEMO_PASSWORD;
type UrlError = <Url as std::str::FromStr>::Err;

/// The page background (`--bg`) in each mode, as `getComputedStyle` reports it.
const LIGHT_BG: &str = "rgb(244, 246, 249)";
const DARK_BG: &str = "rgb(14, 19, 26)";

fn axe_js() -> Option<String> {
    let path = PathBuf::from(std::env::var_os("AXE_JS").filter(|p| !p.is_empty())?);
    Some(
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("AXE_JS={}: {e}", path.display())),
    )
}

/// A raw Chrome DevTools command through chromedriver's `goog/cdp/execute`.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: serde_json::Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base_url: &Url, session_id: Option<&str>) -> Result<Url, UrlError> {
        let id = session_id.expect("a session");
        base_url.join(&format!("session/{id}/goog/cdp/execute"))
    }

    fn method_and_body(&self, _: &Url) -> (Method, Option<String>) {
        let body = serde_json::json!({ "cmd": self.cmd, "params": self.params });
        (Method::POST, Some(body.to_string()))
    }
}

/// Makes the page answer `prefers-color-scheme` with `scheme`, for this session.
async fn color_scheme(t: &Tab<'_>, scheme: &str) {
    t.c.issue_cmd(Cdp {
        cmd: "Emulation.setEmulatedMedia",
        params: serde_json::json!({
            "features": [{ "name": "prefers-color-scheme", "value": scheme }],
        }),
    })
    .await
    .unwrap_or_else(|e| panic!("emulate prefers-color-scheme: {scheme}: {e}"));
}

async fn log_in(t: &Tab<'_>, email: &str) {
    t.go("/login").await;
    t.fill("#f-email", email).await;
    t.fill("#f-password", DEMO_PASSWORD).await;
    t.click("form[action='/login'] button[type='submit']").await;
    t.wait(".side-nav a[aria-current='page']").await;
}

/// Injects axe-core into the open page (WebDriver's script execution is not subject to
/// the page's CSP) and runs it; one line per serious or critical violated element.
/// Minor and moderate violations are printed, not counted.
async fn audit(t: &Tab<'_>, axe: &str, page: &str, mode: &str) -> Vec<String> {
    t.c.execute(axe, vec![])
        .await
        .unwrap_or_else(|e| panic!("{page} ({mode}): inject axe-core: {e}"));
    let found = t
        .c
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
            if (typeof window.axe === 'undefined') { done({ error: 'window.axe is undefined' }); return; }
            window.axe.run(document, { resultTypes: ['violations'] }).then(
              (r) => done({ rules: r.passes.length + r.violations.length + r.incomplete.length + r.inapplicable.length,
                others: r.violations.filter((v) => v.impact !== 'serious' && v.impact !== 'critical').map((v) => v.id + ' [' + v.impact + ']'),
                violations: r.violations
                .filter((v) => v.impact === 'serious' || v.impact === 'critical')
                .map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                  nodes: v.nodes.map((n) => ({ target: n.target, summary: n.failureSummary })) })) }),
              (e) => done({ error: String(e) }));"#,
            vec![],
        )
        .await
        .unwrap_or_else(|e| panic!("{page} ({mode}): run axe-core: {e}"));
    if let Some(error) = found.get("error") {
        panic!("{page} ({mode}): axe-core failed: {error}");
    }
    assert!(
        found["rules"].as_u64().unwrap_or(0) > 20,
        "{page} ({mode}): axe-core ran no rules: {found}"
    );
    if let Some(others) = found["others"].as_array().filter(|o| !o.is_empty()) {
        eprintln!("axe {page} ({mode}): minor/moderate: {others:?}");
    }
    let mut lines = Vec::new();
    for v in found["violations"].as_array().expect("violations") {
        for node in v["nodes"].as_array().into_iter().flatten() {
            let mut line = format!(
                "{page} ({mode}): {} [{}] {} — {}",
                v["id"].as_str().unwrap_or("?"),
                v["impact"].as_str().unwrap_or("?"),
                node["target"],
                v["help"].as_str().unwrap_or(""),
            );
            if let Some(summary) = node["summary"].as_str() {
                let _ = write!(line, "\n      {}", summary.replace('\n', "\n      "));
            }
            lines.push(line);
        }
    }
    lines
}

#[tokio::test]
async fn every_main_page_passes_axe_in_light_and_dark_mode() {
    let Some(axe) = axe_js() else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!(
                "AXE_JS is not set to axe.min.js of the axe-core npm package: .ci/run installs it"
            );
        }
        // Past the test harness's capture, so the notice shows in every run.
        let _ = writeln!(
            std::io::stderr(),
            "\n*** ACCESSIBILITY CHECK (axe) SKIPPED: set AXE_JS to axe.min.js (npm install axe-core) ***\n"
        );
        return;
    };
    let Some(j) = Journey::start("axe").await else {
        return;
    };
    supportdesk::services::demo::seed(&mut j.app.conn()).unwrap();
    let customer = j.open("customer").await;
    let agent = j.open("agent").await;
    let admin = j.open("admin").await;
    let anonymous = j.open("anonymous").await;

    log_in(&customer, "owner@acme.example").await;
    log_in(&agent, "agent1@support.example").await;
    log_in(&admin, "admin@support.example").await;

    // One ticket through the form.
    customer.click(".side-nav a[href='/tickets/new']").await;
    customer
        .fill("#f-subject", "Backups fail every night")
        .await;
    customer.choose("#f-category", "technical").await;
    customer
        .click("input[name='priority'][value='normal']")
        .await;
    customer
        .fill("#f-body", "Since Monday the 02:00 backup of vm-7 fails.")
        .await;
    customer
        .click("form[action='/tickets'] button[type='submit']")
        .await;
    let n: i64 = customer
        .attr("tr.highlight", "data-ticket")
        .await
        .and_then(|n| n.parse().ok())
        .expect("the highlighted row names its ticket");

    let pages: Vec<(&str, &Tab<'_>, String)> = vec![
        ("login", &anonymous, "/login".into()),
        ("signup", &anonymous, "/signup".into()),
        ("tickets", &customer, "/tickets".into()),
        ("ticket-new", &customer, "/tickets/new".into()),
        ("ticket", &customer, format!("/tickets/{n}")),
        ("ticket-close", &customer, format!("/tickets/{n}/close")),
        ("plan", &customer, "/plan".into()),
        ("organization", &customer, "/organization".into()),
        ("profile", &customer, "/profile".into()),
        ("console", &agent, "/console?view=open".into()),
        ("console-ticket", &agent, format!("/console/tickets/{n}")),
        ("admin-users", &admin, "/admin/users".into()),
        ("admin-plans", &admin, "/admin/plans".into()),
        ("admin-plan", &admin, "/admin/plans/medium".into()),
        ("admin-organizations", &admin, "/admin/organizations".into()),
        (
            "admin-organization",
            &admin,
            "/admin/organizations/acme".into(),
        ),
        ("admin-calendars", &admin, "/admin/calendars".into()),
        ("not-found", &anonymous, "/no/such/page".into()),
        ("organization-new", &customer, "/organizations/new".into()),
        ("admin-plan-new", &admin, "/admin/plans/new".into()),
    ];

    let mut violations = Vec::new();
    for (mode, background) in [("light", LIGHT_BG), ("dark", DARK_BG)] {
        for t in [&customer, &agent, &admin, &anonymous] {
            color_scheme(t, mode).await;
        }
        for (page, t, path) in &pages {
            t.go(path).await;
            t.wait("main").await;
            let seen = t
                .script("return getComputedStyle(document.body).backgroundColor;")
                .await;
            assert_eq!(
                seen.as_str(),
                Some(background),
                "{page} ({mode}): the page background is not the {mode} one"
            );
            violations.extend(audit(t, &axe, page, mode).await);
        }
    }
    // The check itself works: a planted image without text is a critical violation.
    anonymous.go("/login").await;
    anonymous
        .script("document.querySelector('main').append(Object.assign(document.createElement('img'), {src: '/static/none.png'})); return null;")
        .await;
    let planted = audit(&anonymous, &axe, "login+planted", "dark").await;
    assert!(
        planted.iter().any(|v| v.contains("image-alt")),
        "axe-core missed a planted image without alt: {planted:?}"
    );
    for t in [customer, agent, admin, anonymous] {
        t.close().await;
    }
    assert!(
        violations.is_empty(),
        "axe-core: {} serious or critical violation(s):\n  {}",
        violations.len(),
        violations.join("\n  ")
    );
}
