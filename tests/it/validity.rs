//! Every main page passes the Nu Html Checker (vnu) with zero errors, and stays light.
//! vnu runs with Java from the `vnu-jar` npm package: `.ci/run` installs it and sets `VNU_JAR`.

use std::path::PathBuf;
use std::process::Command;

use crate::harness::{Browser, TestApp};

const DEMO_PASSWORD: &str = supportdesk::services::demo::DEMO_PASSWORD;
/// The page-weight budget of DESIGN's panel issue: 30 KB of HTML.
const MAX_HTML_BYTES: usize = 30 * 1024;

fn vnu_jar() -> Option<PathBuf> {
    let jar = PathBuf::from(std::env::var("VNU_JAR").ok()?);
    jar.is_file().then_some(jar)
}

async fn logged_in(app: &TestApp, email: &str) -> Browser {
    let b = app.new_browser();
    assert_eq!(b.login(email, DEMO_PASSWORD).await.status, 303, "{email}");
    b
}

async fn multipart_ticket(b: &Browser) -> i64 {
    let token = b.get("/tickets/new").await.csrf();
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", token)
        .text("subject", "Validator <check> & friends")
        .text("category", "technical")
        .text("priority", "normal")
        .text(
            "body",
            "Line one\nhttps://example.com/a?b=1&c=2\n<b>not bold</b>",
        )
        .part(
            "attachments",
            reqwest::multipart::Part::bytes(b"plain text".to_vec()).file_name("notes.txt"),
        );
    let r = b
        .client
        .post(b.url("/tickets"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    r.headers()["location"]
        .to_str()
        .unwrap()
        .rsplit('=')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn every_main_page_is_valid_html_and_light() {
    let Some(jar) = vnu_jar() else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!(
                "VNU_JAR is not set to the vnu.jar of the vnu-jar npm package: .ci/run installs it"
            );
        }
        eprintln!(
            "\n*** HTML VALIDATION SKIPPED: set VNU_JAR to vnu.jar (npm install vnu-jar) ***\n"
        );
        return;
    };
    let app = TestApp::spawn().await;
    supportdesk::services::demo::seed(&mut app.conn()).unwrap();
    let anonymous = app.new_browser();
    let customer = logged_in(&app, "owner@acme.example").await;
    let n = multipart_ticket(&customer).await;
    let agent = logged_in(&app, "agent1@support.example").await;
    let admin = logged_in(&app, "admin@support.example").await;

    let mut pages: Vec<(String, String)> = Vec::new();
    let mut take_with = |name: &str, page: crate::harness::Page, status: u16| {
        assert_eq!(page.status, status, "{name}");
        assert!(
            page.body.len() < MAX_HTML_BYTES,
            "{name} is {} bytes",
            page.body.len()
        );
        pages.push((name.to_string(), page.body));
    };
    take_with("not-found", anonymous.get("/no/such/page").await, 404);
    let mut take = |name: &str, page: crate::harness::Page| take_with(name, page, 200);
    take("login", anonymous.get("/login").await);
    take("signup", anonymous.get("/signup").await);
    for (name, path) in [
        ("tickets", "/tickets".to_string()),
        ("ticket-new", "/tickets/new".into()),
        ("ticket", format!("/tickets/{n}")),
        ("ticket-close", format!("/tickets/{n}/close")),
        ("profile", "/profile".into()),
        ("plan", "/plan".into()),
        ("organization", "/organization".into()),
        ("organization-new", "/organizations/new".into()),
    ] {
        take(name, customer.get(&path).await);
    }
    take("console", agent.get("/console?view=open").await);
    take(
        "console-ticket",
        agent.get(&format!("/console/tickets/{n}")).await,
    );
    for (name, path) in [
        ("admin-users", "/admin/users"),
        ("admin-plans", "/admin/plans"),
        ("admin-plan", "/admin/plans/medium"),
        ("admin-plan-new", "/admin/plans/new"),
        ("admin-organizations", "/admin/organizations"),
        ("admin-organization", "/admin/organizations/acme"),
        ("admin-calendars", "/admin/calendars"),
    ] {
        take(name, admin.get(path).await);
    }
    // A form sent back with errors is a page too.
    let refused = customer
        .post_from(
            "/signup",
            "/organizations/new",
            &[("organization", ""), ("organization_key", "Bad Key")],
        )
        .await;
    assert_eq!(refused.status, 422);
    pages.push(("form-with-errors".into(), refused.body));

    let dir = crate::harness::server()
        .scratch
        .join(format!("vnu-{}", app.db_name));
    std::fs::create_dir_all(&dir).unwrap();
    let files: Vec<PathBuf> = pages
        .iter()
        .map(|(name, body)| {
            let path = dir.join(format!("{name}.html"));
            std::fs::write(&path, body).unwrap();
            path
        })
        .collect();
    let out = Command::new("java")
        .arg("-jar")
        .arg(&jar)
        .args(["--errors-only", "--format", "gnu"])
        .args(&files)
        .output()
        .expect("run java");
    let report =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && report.trim().is_empty(),
        "vnu found errors:\n{report}"
    );
    println!(
        "vnu: {} pages, zero errors; largest {} bytes",
        pages.len(),
        pages.iter().map(|(_, b)| b.len()).max().unwrap_or(0)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
