//! The customer's ticket panel through HTTP (issue 4): create with attachments, list,
//! read, reply, close, reopen, downloads, visibility and escaping.

use diesel::RunQueryDsl;
use diesel::sql_types::{BigInt, Nullable, Text};
use reqwest::multipart::Form;

use crate::harness::{Browser, Page, TestApp, assert_see_other, execute, read};
use crate::html::{attr, tag};

const PW: &str = "password-123";
const TEN_MB: usize = 10 * 1024 * 1024;

// ---------------------------------------------------------------- helpers

/// A small PNG-looking file: the PNG signature, then bytes that are not UTF-8.
fn png() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.extend((0..=255u8).cycle().take(700));
    bytes
}

fn txt() -> Vec<u8> {
    b"log line one\nlog line two\n".to_vec()
}

fn sql_i64(app: &TestApp, sql: &str) -> i64 {
    diesel::select(diesel::dsl::sql::<BigInt>(&format!("({sql})")))
        .get_result(&mut app.conn())
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn sql_text(app: &TestApp, sql: &str) -> Option<String> {
    diesel::select(diesel::dsl::sql::<Nullable<Text>>(&format!("({sql})")))
        .get_result(&mut app.conn())
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn count_tickets(app: &TestApp) -> i64 {
    sql_i64(app, "SELECT count(*) FROM tickets")
}

/// Rows of tickets, messages, attachments and events: nothing saved means all four unchanged.
fn counts(app: &TestApp) -> [i64; 4] {
    ["tickets", "messages", "attachments", "ticket_events"]
        .map(|t| sql_i64(app, &format!("SELECT count(*) FROM {t}")))
}

/// A new browser with a freshly signed-up owner of `Org {key}`.
/// An owner whose organization is on the Professional plan, so every priority is open
/// (plan limits have tests of their own).
async fn owner(app: &TestApp, key: &str, email: &str) -> Browser {
    let b = app.new_browser();
    assert_see_other(&b.signup(key, email, PW).await, "/tickets");
    diesel::sql_query(format!(
        "UPDATE organizations SET plan_id = (SELECT id FROM plans WHERE key = 'professional') WHERE key = '{key}'"
    ))
    .execute(&mut app.conn())
    .unwrap();
    b
}

/// The owner adds a member to the current organization; the member logs in in a new browser.
async fn member(app: &TestApp, owner: &Browser, email: &str) -> Browser {
    let added = owner
        .post_from(
            "/organization",
            "/organization/members",
            &[
                ("name", &format!("Member {email}")),
                ("email", email),
                ("password", PW),
                ("role", "member"),
            ],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.body);
    let b = app.new_browser();
    assert_see_other(&b.login(email, PW).await, "/tickets");
    b
}

async fn staff(app: &TestApp, email: &str) -> Browser {
    app.add_staff("agent", email, PW);
    let b = app.new_browser();
    assert_see_other(&b.login(email, PW).await, "/console");
    b
}

/// POSTs multipart/form-data: the session's token first, then `fields`, then `files`.
async fn post_multipart(
    b: &Browser,
    path: &str,
    fields: &[(&str, &str)],
    files: &[(&str, Vec<u8>)],
) -> Page {
    b.post_multipart_from("/tickets/new", path, fields, files)
        .await
}

async fn post_ticket(b: &Browser, fields: &[(&str, &str)], files: &[(&str, Vec<u8>)]) -> Page {
    post_multipart(b, "/tickets", fields, files).await
}

/// Creates a ticket and returns its number (from the `303 /tickets?created=N`).
async fn create(
    b: &Browser,
    subject: &str,
    category: &str,
    priority: &str,
    body: &str,
    files: &[(&str, Vec<u8>)],
) -> i64 {
    let page = post_ticket(
        b,
        &[
            ("subject", subject),
            ("category", category),
            ("priority", priority),
            ("body", body),
        ],
        files,
    )
    .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let location = page.location.expect("a Location");
    location
        .strip_prefix("/tickets?created=")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected Location {location}"))
}

async fn quick(b: &Browser, subject: &str) -> i64 {
    create(b, subject, "technical", "normal", "Please help.", &[]).await
}

async fn reply(b: &Browser, number: i64, body: &str, files: &[(&str, Vec<u8>)]) -> Page {
    post_multipart(
        b,
        &format!("/tickets/{number}/messages"),
        &[("body", body)],
        files,
    )
    .await
}

async fn close(b: &Browser, number: i64) -> Page {
    b.post_from("/tickets/new", &format!("/tickets/{number}/close"), &[])
        .await
}

/// The `id="ticket"` element of a ticket page (there must be exactly one).
#[track_caller]
fn ticket_el(page: &Page) -> &str {
    assert_eq!(
        page.body.matches("id=\"ticket\"").count(),
        1,
        "{}",
        page.body
    );
    tag(&page.body, "id=\"ticket\"").unwrap()
}

#[track_caller]
fn status_of(page: &Page) -> &str {
    attr(ticket_el(page), "data-status").expect("data-status")
}

/// The `<tr data-ticket="N" …>` tag of a list row.
fn row(body: &str, number: i64) -> Option<&str> {
    tag(body, &format!("<tr data-ticket=\"{number}\""))
}

/// The numbers of a list's rows, in order.
fn rows(body: &str) -> Vec<i64> {
    body.match_indices("<tr data-ticket=\"")
        .map(|(i, m)| {
            let rest = &body[i + m.len()..];
            rest[..rest.find('"').unwrap()].parse().unwrap()
        })
        .collect()
}

/// The kinds of the timeline entries, in order.
fn events(body: &str) -> Vec<String> {
    body.match_indices("data-event=\"")
        .map(|(i, m)| {
            let rest = &body[i + m.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect()
}

/// The files card of a ticket page: (attachment id, name) of each link.
fn files_card(body: &str) -> Vec<(i64, String)> {
    let Some(start) = body.find("<ul class=\"files card-body\">") else {
        return Vec::new();
    };
    let card = &body[start..start + body[start..].find("</ul>").unwrap()];
    card.match_indices("<a href=\"/attachments/")
        .map(|(i, m)| {
            let rest = &card[i + m.len()..];
            let id = rest[..rest.find('"').unwrap()].parse().unwrap();
            let name_start = rest.find('>').unwrap() + 1;
            let name = &rest[name_start..name_start + rest[name_start..].find("</a>").unwrap()];
            (id, name.to_string())
        })
        .collect()
}

fn field_error<'a>(body: &'a str, field: &str) -> Option<&'a str> {
    let marker = format!("class=\"field-error\" id=\"f-{field}-error\">");
    let start = body.find(&marker)? + marker.len();
    Some(&body[start..start + body[start..].find("</p>")?])
}

/// The contents of the `<textarea name="body">`.
fn textarea(body: &str) -> Option<&str> {
    let open = tag(body, "name=\"body\"")?;
    let start = body.find(open)? + open.len();
    Some(&body[start..start + body[start..].find("</textarea>")?])
}

/// Numeric character references as named ones (`&#60;` → `&lt;`): both escape the same.
fn entities(body: &str) -> String {
    body.replace("&#60;", "&lt;")
        .replace("&#62;", "&gt;")
        .replace("&#38;", "&amp;")
        .replace("&#34;", "&quot;")
}

/// An attribute value as the browser reads it.
fn unescape(value: &str) -> String {
    entities(value)
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

fn message_count(body: &str) -> usize {
    body.matches("<article ").count()
}

struct Download {
    status: u16,
    headers: reqwest::header::HeaderMap,
    bytes: Vec<u8>,
}

async fn download(b: &Browser, id: i64) -> Download {
    let r = b
        .client
        .get(b.url(&format!("/attachments/{id}")))
        .send()
        .await
        .expect("GET");
    Download {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        bytes: r.bytes().await.unwrap().to_vec(),
    }
}

impl Download {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }
}

// ---------------------------------------------------------------- create

#[actix_web::test]
async fn new_ticket_form_preselects_normal_priority() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    let form = ana.get("/tickets/new").await;
    assert_eq!(form.status, 200);
    assert!(
        form.body
            .contains("<input type=\"radio\" name=\"priority\" value=\"normal\" checked>"),
        "{}",
        form.body
    );
    assert_eq!(form.body.matches(" checked>").count(), 1, "only normal");
    assert!(form.body.contains("enctype=\"multipart/form-data\""));
    assert!(form.body.contains("name=\"csrf_token\""));
}

#[actix_web::test]
async fn creating_a_ticket_with_files_shows_it_in_the_list_and_on_its_page() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    let n = create(
        &ana,
        "Disk is full",
        "technical",
        "high",
        "Our disk filled up overnight.\nPlease help.",
        &[("screen.png", png()), ("log.txt", txt())],
    )
    .await;

    // The list, with the new row highlighted and a notice.
    let list = ana.get(&format!("/tickets?created={n}")).await;
    assert_eq!(list.status, 200);
    let tr = row(&list.body, n).expect("the new row");
    assert_eq!(attr(tr, "data-status"), Some("awaiting_response"));
    assert_eq!(attr(tr, "class"), Some("highlight"), "{tr}");
    assert!(
        list.body.contains("Your ticket was created."),
        "{}",
        list.body
    );
    assert!(list.body.contains(&format!("T-{n}")));
    assert!(list.body.contains("Disk is full"));
    // Without `created` there is no highlight and no notice.
    let plain = ana.get("/tickets").await;
    assert_eq!(attr(row(&plain.body, n).unwrap(), "class"), None);
    assert!(!plain.body.contains("Your ticket was created."));

    // The ticket page.
    let page = ana.get(&format!("/tickets/{n}")).await;
    assert_eq!(page.status, 200);
    let el = ticket_el(&page);
    assert_eq!(attr(el, "data-ticket"), Some(n.to_string().as_str()));
    assert_eq!(attr(el, "data-status"), Some("awaiting_response"));
    assert_eq!(attr(el, "data-priority"), Some("high"));
    assert_eq!(attr(el, "data-category"), Some("technical"));
    assert!(attr(el, "data-sla").is_some_and(|s| !s.is_empty()), "{el}");
    assert_eq!(page.body.matches("data-kind=\"reply\"").count(), 1);
    assert!(
        tag(&page.body, "<article ")
            .unwrap()
            .contains("data-kind=\"reply\"")
    );
    assert!(
        page.body
            .contains("Our disk filled up overnight.\nPlease help.")
    );
    assert_eq!(events(&page.body), ["created"]);
    assert!(page.body.contains(&format!("T-{n}")));
    let files = files_card(&page.body);
    let names: Vec<&str> = files.iter().map(|(_, name)| name.as_str()).collect();
    assert_eq!(names, ["screen.png", "log.txt"], "{}", page.body);

    // The database: one ticket, its first message, both files, the `created` event.
    assert_eq!(count_tickets(&app), 1);
    assert_eq!(
        sql_text(
            &app,
            &format!("SELECT status || '/' || priority || '/' || category || '/' || subject FROM tickets WHERE number = {n}")
        )
        .as_deref(),
        Some("awaiting_response/high/technical/Disk is full")
    );
    assert_eq!(
        sql_i64(
            &app,
            &format!("SELECT count(*) FROM messages WHERE ticket_number = {n} AND kind = 'reply'")
        ),
        1
    );
    assert_eq!(
        sql_text(
            &app,
            &format!(
                "SELECT string_agg(filename || ':' || content_type || ':' || size_bytes, ',' ORDER BY id) \
                 FROM attachments WHERE ticket_number = {n}"
            )
        )
        .as_deref(),
        Some(format!("screen.png:image/png:{},log.txt:text/plain; charset=utf-8:26", png().len()).as_str())
    );
    assert_eq!(
        sql_text(
            &app,
            &format!("SELECT string_agg(kind, ',') FROM ticket_events WHERE ticket_number = {n}")
        )
        .as_deref(),
        Some("created")
    );

    // Numbers are consecutive.
    let next = quick(&ana, "Second").await;
    assert_eq!(next, n + 1);
    let list = ana.get("/tickets").await;
    assert!(list.body.contains(&format!(">T-{next}<")), "{}", list.body);
}

#[actix_web::test]
async fn a_ticket_without_files_shows_the_files_empty_state() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    let n = quick(&ana, "No files").await;
    let page = ana.get(&format!("/tickets/{n}")).await;
    assert!(page.body.contains("No files shared yet."), "{}", page.body);
    assert!(files_card(&page.body).is_empty());
}

// ---------------------------------------------------------------- bad input

#[actix_web::test]
async fn invalid_subject_or_body_re_renders_the_form_and_saves_nothing() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    let long_subject = "s".repeat(201);
    let long_body = "b".repeat(20_001);
    let cases: [(&str, &str, &str, &str); 4] = [
        ("subject", "", "Body kept here", "Enter a subject."),
        (
            "subject",
            &long_subject,
            "Body kept here",
            "Use at most 200 characters.",
        ),
        ("body", "Subject kept here", "", "Write a message."),
        (
            "body",
            "Subject kept here",
            &long_body,
            "Use at most 20,000 characters.",
        ),
    ];
    for (field, subject, body, message) in cases {
        let page = post_ticket(
            &ana,
            &[
                ("subject", subject),
                ("category", "financial"),
                ("priority", "urgent"),
                ("body", body),
            ],
            &[],
        )
        .await;
        assert_eq!(page.status, 422, "{field}: {}", page.body);
        assert_eq!(field_error(&page.body, field), Some(message), "{field}");
        // What was typed is shown again.
        let subject_input = tag(&page.body, "name=\"subject\"").unwrap();
        assert_eq!(attr(subject_input, "value"), Some(subject));
        assert_eq!(textarea(&page.body), Some(body));
        assert!(page.body.contains("<option value=\"financial\" selected>"));
        assert!(page.body.contains("value=\"urgent\" checked>"));
        assert_eq!(counts(&app), [0; 4], "{field}: nothing saved");
    }
    // The limits themselves are accepted.
    let n = create(
        &ana,
        &"s".repeat(200),
        "sales",
        "low",
        &"b".repeat(20_000),
        &[],
    )
    .await;
    assert_eq!(
        sql_i64(
            &app,
            &format!("SELECT length(subject)::bigint FROM tickets WHERE number = {n}")
        ),
        200
    );
}

#[actix_web::test]
async fn unknown_category_or_priority_is_a_bad_request_and_saves_nothing() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    for (category, priority, field) in [
        ("hardware", "normal", "category"),
        ("", "normal", "category"),
        ("technical", "whenever", "priority"),
        ("technical", "", "priority"),
    ] {
        let page = post_ticket(
            &ana,
            &[
                ("subject", "Typed subject"),
                ("category", category),
                ("priority", priority),
                ("body", "Typed body"),
            ],
            &[],
        )
        .await;
        assert_eq!(page.status, 400, "{category}/{priority}: {}", page.body);
        assert!(field_error(&page.body, field).is_some(), "{}", page.body);
        assert_eq!(
            attr(tag(&page.body, "name=\"subject\"").unwrap(), "value"),
            Some("Typed subject")
        );
        assert_eq!(textarea(&page.body), Some("Typed body"));
    }
    assert_eq!(counts(&app), [0; 4]);
}

async fn refused_files(app: &TestApp, b: &Browser, files: &[(&str, Vec<u8>)], message: &str) {
    let page = post_ticket(
        b,
        &[
            ("subject", "With files"),
            ("category", "technical"),
            ("priority", "normal"),
            ("body", "See the files."),
        ],
        files,
    )
    .await;
    assert_eq!(page.status, 422, "{}", page.body);
    let error = field_error(&page.body, "attachments").unwrap_or_else(|| panic!("{}", page.body));
    assert!(error.contains(message), "{error}");
    assert_eq!(
        attr(tag(&page.body, "name=\"subject\"").unwrap(), "value"),
        Some("With files")
    );
    assert_eq!(textarea(&page.body), Some("See the files."));
    assert_eq!(counts(app), [0; 4], "nothing saved");
}

#[actix_web::test]
async fn six_files_are_refused() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    let six: Vec<(&str, Vec<u8>)> = ["a.txt", "b.txt", "c.txt", "d.txt", "e.txt", "f.txt"]
        .into_iter()
        .map(|n| (n, txt()))
        .collect();
    refused_files(&app, &ana, &six, "Attach at most 5 files.").await;
    // Five are fine.
    let n = create(
        &ana,
        "Five",
        "technical",
        "normal",
        "Five files.",
        &six[..5],
    )
    .await;
    assert_eq!(
        sql_i64(
            &app,
            &format!("SELECT count(*) FROM attachments WHERE ticket_number = {n}")
        ),
        5
    );
}

#[actix_web::test]
async fn a_file_of_10_mb_is_refused() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    let mut big = png();
    big.resize(TEN_MB, 7);
    refused_files(&app, &ana, &[("big.png", big)], "smaller than 10 MB").await;
    // One byte less is accepted, stored whole.
    let mut fits = png();
    fits.resize(TEN_MB - 1, 7);
    let n = create(
        &ana,
        "Fits",
        "technical",
        "normal",
        "Big.",
        &[("fits.png", fits)],
    )
    .await;
    assert_eq!(
        sql_i64(
            &app,
            &format!("SELECT size_bytes::bigint FROM attachments WHERE ticket_number = {n}")
        ),
        (TEN_MB - 1) as i64
    );
}

#[actix_web::test]
async fn files_are_checked_by_their_content_not_their_name() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    let exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec();
    refused_files(
        &app,
        &ana,
        &[("photo.png", exe)],
        "checked by their content",
    )
    .await;
    let html = b"<html><script>alert(1)</script></html>".to_vec();
    refused_files(
        &app,
        &ana,
        &[("photo.png", html)],
        "checked by their content",
    )
    .await;
    // One bad file among good ones refuses the lot.
    refused_files(
        &app,
        &ana,
        &[
            ("ok.png", png()),
            ("notes.txt", b"<svg onload=alert(1)>".to_vec()),
        ],
        "checked by their content",
    )
    .await;
}

#[actix_web::test]
async fn a_file_name_with_a_path_is_stored_without_it() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    let n = create(
        &ana,
        "Path name",
        "technical",
        "normal",
        "See the file.",
        &[("../../evil.txt", txt())],
    )
    .await;
    assert_eq!(
        sql_text(
            &app,
            &format!("SELECT filename FROM attachments WHERE ticket_number = {n}")
        )
        .as_deref(),
        Some("evil.txt")
    );
    let page = ana.get(&format!("/tickets/{n}")).await;
    let files = files_card(&page.body);
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].1, "evil.txt");
    let d = download(&ana, files[0].0).await;
    assert!(d.header("content-disposition").contains("evil.txt"));
    assert!(!d.header("content-disposition").contains(".."));
}

#[actix_web::test]
async fn a_multipart_post_without_the_token_is_refused() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    let form = Form::new()
        .text("csrf_token", "forged")
        .text("subject", "Forged")
        .text("category", "technical")
        .text("priority", "normal")
        .text("body", "Forged body");
    let page = read(
        ana.client
            .post(ana.url("/tickets"))
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert_eq!(counts(&app), [0; 4]);
}

// ---------------------------------------------------------------- downloads

#[actix_web::test]
async fn attachments_download_with_their_bytes_type_and_disposition() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    let n = create(
        &ana,
        "Files",
        "technical",
        "normal",
        "Two files.",
        &[("screen.png", png()), ("log.txt", txt())],
    )
    .await;
    let page = ana.get(&format!("/tickets/{n}")).await;
    let files = files_card(&page.body);
    assert_eq!(files.len(), 2, "{}", page.body);
    let (png_id, txt_id) = (files[0].0, files[1].0);
    // The thread links the same files.
    assert!(
        page.body
            .matches(&format!("href=\"/attachments/{png_id}\""))
            .count()
            >= 2
    );

    let d = download(&ana, png_id).await;
    assert_eq!(d.status, 200);
    assert_eq!(d.bytes, png());
    assert_eq!(d.header("content-type"), "image/png");
    assert!(
        d.header("content-disposition").starts_with("inline"),
        "{}",
        d.header("content-disposition")
    );
    assert!(d.header("content-disposition").contains("screen.png"));
    assert_eq!(d.header("x-content-type-options"), "nosniff");

    let d = download(&ana, txt_id).await;
    assert_eq!(d.status, 200);
    assert_eq!(d.bytes, txt());
    assert!(d.header("content-type").starts_with("text/plain"));
    assert!(
        d.header("content-disposition").starts_with("attachment"),
        "{}",
        d.header("content-disposition")
    );
    assert!(d.header("content-disposition").contains("log.txt"));
    assert_eq!(d.header("x-content-type-options"), "nosniff");

    // Another organization's owner: 404 for the ticket and the files.
    let bob = owner(&app, "globex", "bob@globex.example").await;
    assert_eq!(bob.get(&format!("/tickets/{n}")).await.status, 404);
    for id in [png_id, txt_id] {
        let d = download(&bob, id).await;
        assert_eq!(d.status, 404);
        assert_ne!(d.bytes, png());
    }
    // Unknown ids and non-numbers: 404.
    assert_eq!(download(&ana, 999_999).await.status, 404);
    assert_eq!(ana.get("/attachments/abc").await.status, 404);

    // Anonymous: to the login page.
    let anon = app.new_browser();
    let page = anon.get(&format!("/attachments/{png_id}")).await;
    assert_see_other(&page, "/login");
    assert_see_other(&anon.get(&format!("/tickets/{n}")).await, "/login");
}

// ---------------------------------------------------------------- visibility

#[actix_web::test]
async fn members_see_their_own_tickets_and_owners_see_all() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    let mia = member(&app, &ana, "mia@acme.example").await;
    let max = member(&app, &ana, "max@acme.example").await;
    let by_ana = quick(&ana, "Ticket by the owner").await;
    let by_mia = create(
        &mia,
        "Ticket by Mia",
        "technical",
        "normal",
        "Mine.",
        &[("mia.txt", txt())],
    )
    .await;
    let by_max = create(
        &max,
        "Ticket by Max",
        "technical",
        "normal",
        "Mine.",
        &[("max.txt", txt())],
    )
    .await;
    let max_file = files_card(&max.get(&format!("/tickets/{by_max}")).await.body)[0].0;
    let mia_file = files_card(&mia.get(&format!("/tickets/{by_mia}")).await.body)[0].0;

    // A member: only their own.
    let list = mia.get("/tickets").await;
    assert_eq!(rows(&list.body), [by_mia], "{}", list.body);
    assert!(!list.body.contains("Ticket by Max") && !list.body.contains("Ticket by the owner"));
    assert_eq!(mia.get(&format!("/tickets/{by_mia}")).await.status, 200);
    for n in [by_ana, by_max] {
        assert_eq!(mia.get(&format!("/tickets/{n}")).await.status, 404);
        assert_eq!(mia.get(&format!("/tickets/{n}/close")).await.status, 404);
    }
    assert_eq!(download(&mia, max_file).await.status, 404);
    assert_eq!(download(&mia, mia_file).await.status, 200);
    // Nor can a member act on a colleague's ticket.
    assert_eq!(reply(&mia, by_max, "Sneaky", &[]).await.status, 404);
    assert_eq!(close(&mia, by_mia).await.status, 303);
    let page = mia
        .post_from("/tickets/new", &format!("/tickets/{by_max}/close"), &[])
        .await;
    assert_eq!(page.status, 404);
    assert_eq!(
        sql_text(
            &app,
            &format!("SELECT status FROM tickets WHERE number = {by_max}")
        )
        .as_deref(),
        Some("awaiting_response")
    );
    assert_eq!(
        sql_i64(
            &app,
            &format!("SELECT count(*) FROM messages WHERE ticket_number = {by_max}")
        ),
        1
    );

    // The owner: all of the organization's tickets, and can open each and its files.
    let list = ana.get("/tickets").await;
    let mut seen = rows(&list.body);
    seen.sort();
    assert_eq!(seen, [by_ana, by_mia, by_max]);
    for n in [by_ana, by_mia, by_max] {
        let page = ana.get(&format!("/tickets/{n}")).await;
        assert_eq!(page.status, 200);
        assert_eq!(
            attr(ticket_el(&page), "data-ticket"),
            Some(n.to_string().as_str())
        );
    }
    assert_eq!(download(&ana, max_file).await.bytes, txt());

    // Another organization sees none of them.
    let bob = owner(&app, "globex", "bob@globex.example").await;
    assert!(rows(&bob.get("/tickets").await.body).is_empty());
}

#[actix_web::test]
async fn staff_get_404_on_customer_ticket_pages() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    let n = create(
        &ana,
        "Help",
        "technical",
        "normal",
        "Body.",
        &[("a.txt", txt())],
    )
    .await;
    let agent = staff(&app, "agent@support.example").await;
    for path in [
        format!("/tickets/{n}"),
        format!("/tickets/{n}/close"),
        "/tickets".to_string(),
        "/tickets/new".to_string(),
    ] {
        assert_eq!(agent.get(&path).await.status, 404, "{path}");
    }
}

#[actix_web::test]
async fn unknown_or_malformed_numbers_are_404() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    quick(&ana, "Exists").await;
    for path in [
        "/tickets/abc",
        "/tickets/999999",
        "/tickets/0",
        "/tickets/-1",
        "/tickets/T-1000",
        "/tickets/abc/close",
        "/tickets/999999/close",
    ] {
        let page = ana.get(path).await;
        assert_eq!(page.status, 404, "{path}");
        assert!(!page.body.contains("id=\"ticket\""));
    }
    assert_eq!(reply(&ana, 999_999, "Hello", &[]).await.status, 404);
    assert_eq!(close(&ana, 999_999).await.status, 404);
}

/// The list reads the rows the session's hint names (the organization chosen at login and
/// the role then) before it has confirmed the user: a role changed since, even behind the
/// app's back, shows the list the role has now, and someone removed from the organization
/// sees none of it.
#[actix_web::test]
async fn the_list_follows_a_role_changed_since_login() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    let mia = member(&app, &ana, "mia@acme.example").await;
    let by_ana = quick(&ana, "Ticket by the owner").await;
    let by_mia = quick(&mia, "Ticket by Mia").await;
    let role = |role: &str| {
        diesel::sql_query(format!(
            "UPDATE memberships SET role = '{role}' WHERE user_id = \
             (SELECT id FROM users WHERE email = 'mia@acme.example')"
        ))
        .execute(&mut app.conn())
        .unwrap();
    };
    assert_eq!(rows(&mia.get("/tickets").await.body), [by_mia]);
    assert_eq!(rows(&mia.get("/tickets").await.body), [by_mia]);
    role("admin");
    assert_eq!(rows(&mia.get("/tickets").await.body), [by_mia, by_ana]);
    assert_eq!(rows(&mia.get("/tickets").await.body), [by_mia, by_ana]);
    role("member");
    assert_eq!(rows(&mia.get("/tickets").await.body), [by_mia]);
    diesel::sql_query(
        "DELETE FROM memberships WHERE user_id = (SELECT id FROM users WHERE email = 'mia@acme.example')",
    )
    .execute(&mut app.conn())
    .unwrap();
    let page = mia.get("/tickets").await;
    assert_see_other(&page, "/organizations/new");
    assert!(!page.body.contains("Ticket by"));
}

/// The list's statement carries the customer, with their organizations, on its first page;
/// a later page carries nobody (its numbered row is skipped), so the user is read on their own.
#[actix_web::test]
async fn the_first_page_of_the_list_carries_the_customer_and_later_pages_do_not() {
    use supportdesk::db::accounts::CarriedUser;
    use supportdesk::db::tickets::{ListFilter, list};

    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    for subject in ["One", "Two", "Three"] {
        quick(&ana, subject).await;
    }
    let ana_id = sql_i64(
        &app,
        "SELECT id FROM users WHERE email = 'ana@acme.example'",
    );
    let org = sql_i64(&app, "SELECT id FROM organizations WHERE key = 'acme'");
    let carry = CarriedUser {
        user_id: Some(ana_id),
        memberships: true,
    };
    let filter = ListFilter {
        organization_id: org,
        limit: 2,
        ..Default::default()
    };
    let mut conn = app.conn();
    let (carried, rows) = list(&mut conn, &filter, carry).unwrap();
    assert_eq!(rows.len(), 2);
    let Some(Some((user, memberships))) = carried else {
        panic!("the first page carries the customer: {carried:?}");
    };
    assert_eq!(user.id, ana_id);
    assert_eq!(
        memberships
            .iter()
            .map(|m| (m.org.id, m.role.as_str()))
            .collect::<Vec<_>>(),
        [(org, "owner")]
    );
    let (carried, rows) = list(
        &mut conn,
        &ListFilter {
            offset: 2,
            ..filter.clone()
        },
        carry,
    )
    .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(
        carried.is_none(),
        "a later page carries nobody: {carried:?}"
    );
}

#[actix_web::test]
async fn a_customer_sees_only_the_current_organization() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    let n = create(
        &ana,
        "In Acme",
        "technical",
        "normal",
        "Body.",
        &[("a.txt", txt())],
    )
    .await;
    let file = files_card(&ana.get(&format!("/tickets/{n}")).await.body)[0].0;
    let made = ana
        .post(
            "/organizations/new",
            &[
                ("organization", "Side Project"),
                ("organization_key", "side"),
            ],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let switch = |key: &'static str| {
        let ana = ana.clone();
        async move {
            let page = ana
                .post("/organization/switch", &[("organization", key)])
                .await;
            assert_see_other(&page, "/tickets");
        }
    };
    switch("side").await;
    assert!(rows(&ana.get("/tickets").await.body).is_empty());
    assert_eq!(ana.get(&format!("/tickets/{n}")).await.status, 404);
    assert_eq!(download(&ana, file).await.status, 404);
    assert_eq!(reply(&ana, n, "From the wrong org", &[]).await.status, 404);
    // A ticket opened now belongs to the side organization.
    let side = quick(&ana, "In Side").await;
    assert_eq!(
        sql_text(
            &app,
            &format!(
                "SELECT o.key FROM tickets t JOIN organizations o ON o.id = t.organization_id WHERE t.number = {side}"
            )
        )
        .as_deref(),
        Some("side")
    );
    switch("acme").await;
    assert_eq!(rows(&ana.get("/tickets").await.body), [n]);
    assert_eq!(ana.get(&format!("/tickets/{n}")).await.status, 200);
    assert_eq!(ana.get(&format!("/tickets/{side}")).await.status, 404);
    assert_eq!(download(&ana, file).await.bytes, txt());
}

#[actix_web::test]
async fn support_replies_show_on_the_other_side_and_notes_never_show() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    let n = quick(&ana, "Thread").await;
    let agent = app.add_staff("agent", "agent@support.example", PW);
    let org = sql_i64(
        &app,
        &format!("SELECT organization_id FROM tickets WHERE number = {n}"),
    );
    let mut conn = app.conn();
    execute(
        &mut conn,
        &format!(
            "INSERT INTO messages (ticket_number, organization_id, author_id, kind, from_support, body) \
             VALUES ({n}, {org}, {agent}, 'reply', true, 'Public support answer'), \
                    ({n}, {org}, {agent}, 'note', true, 'Secret internal note')"
        ),
    );
    let note = sql_i64(&app, "SELECT id FROM messages WHERE kind = 'note'");
    execute(
        &mut conn,
        &format!(
            "INSERT INTO attachments (ticket_number, message_id, organization_id, filename, content_type, size_bytes, data) \
             VALUES ({n}, {note}, {org}, 'secret.txt', 'text/plain; charset=utf-8', 6, 'secret'::bytea)"
        ),
    );
    execute(
        &mut conn,
        &format!(
            "INSERT INTO ticket_events (ticket_number, organization_id, kind, actor_id) \
             VALUES ({n}, {org}, 'note_added', {agent})"
        ),
    );
    let secret = sql_i64(
        &app,
        "SELECT id FROM attachments WHERE filename = 'secret.txt'",
    );

    let page = ana.get(&format!("/tickets/{n}")).await;
    assert_eq!(page.status, 200);
    assert_eq!(message_count(&page.body), 2, "{}", page.body);
    assert!(page.body.contains("Public support answer"));
    assert!(
        tag(&page.body, "data-kind=\"reply\"")
            .unwrap()
            .contains("from-customer")
    );
    let support = page.body.find("Public support answer").unwrap();
    let article = page.body[..support].rfind("<article").unwrap();
    assert!(page.body[article..support].contains("from-support"));
    assert!(!page.body.contains("Secret internal note"));
    assert!(!page.body.contains("data-kind=\"note\""));
    assert!(!page.body.contains("secret.txt"));
    assert!(!events(&page.body).contains(&"note_added".to_string()));
    assert_eq!(download(&ana, secret).await.status, 404);
}

// ---------------------------------------------------------------- reply

#[actix_web::test]
async fn a_reply_is_added_to_the_thread_with_its_files() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    let n = quick(&ana, "Reply here").await;
    let page = reply(
        &ana,
        n,
        "More details:\nit happens at night.",
        &[("night.png", png())],
    )
    .await;
    assert_see_other(&page, &format!("/tickets/{n}"));
    let page = ana.get(&format!("/tickets/{n}")).await;
    assert_eq!(message_count(&page.body), 2);
    assert_eq!(page.body.matches("data-kind=\"reply\"").count(), 2);
    assert!(page.body.contains("More details:\nit happens at night."));
    assert_eq!(events(&page.body), ["created", "replied"]);
    assert_eq!(status_of(&page), "awaiting_response");
    let files = files_card(&page.body);
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].1, "night.png");
    assert_eq!(download(&ana, files[0].0).await.bytes, png());
    assert_eq!(
        sql_i64(
            &app,
            &format!("SELECT count(*) FROM messages WHERE ticket_number = {n}")
        ),
        2
    );
    assert_eq!(
        sql_i64(
            &app,
            &format!("SELECT version::bigint FROM tickets WHERE number = {n}")
        ),
        2
    );
}

#[actix_web::test]
async fn an_empty_reply_or_a_bad_file_is_refused_and_saves_nothing() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    let n = quick(&ana, "Reply here").await;
    let before = counts(&app);
    let page = reply(&ana, n, "   \n ", &[]).await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert_eq!(field_error(&page.body, "body"), Some("Write a message."));
    assert_eq!(
        attr(ticket_el(&page), "data-status"),
        Some("awaiting_response")
    );
    let page = reply(&ana, n, "Typed reply", &[("x.png", b"MZ\x90\x00".to_vec())]).await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(
        field_error(&page.body, "attachments")
            .is_some_and(|e| e.contains("checked by their content"))
    );
    assert_eq!(textarea(&page.body), Some("Typed reply"));
    assert_eq!(counts(&app), before);
}

#[actix_web::test]
async fn a_customer_reply_to_awaiting_customer_awaits_a_response_again() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    let n = quick(&ana, "Waiting on me").await;
    execute(
        &mut app.conn(),
        &format!("UPDATE tickets SET status = 'awaiting_customer' WHERE number = {n}"),
    );
    let page = ana.get(&format!("/tickets/{n}")).await;
    assert_eq!(status_of(&page), "awaiting_customer");
    assert_see_other(
        &reply(&ana, n, "Here is the answer.", &[]).await,
        &format!("/tickets/{n}"),
    );
    let page = ana.get(&format!("/tickets/{n}")).await;
    assert_eq!(status_of(&page), "awaiting_response");
    assert_eq!(events(&page.body), ["created", "replied", "status_changed"]);
    assert_eq!(
        sql_text(
            &app,
            &format!("SELECT status FROM tickets WHERE number = {n}")
        )
        .as_deref(),
        Some("awaiting_response")
    );
    let list = ana.get("/tickets").await;
    assert_eq!(
        attr(row(&list.body, n).unwrap(), "data-status"),
        Some("awaiting_response")
    );
}

// ---------------------------------------------------------------- close and reopen

#[actix_web::test]
async fn closing_goes_through_a_confirmation_and_a_reply_reopens() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    let n = quick(&ana, "Close me").await;
    let close_link = format!("href=\"/tickets/{n}/close\"");
    assert!(ana.get("/tickets").await.body.contains(&close_link));
    assert!(
        ana.get(&format!("/tickets/{n}"))
            .await
            .body
            .contains(&close_link)
    );

    // The confirmation page: a form, no change yet.
    let confirm = ana.get(&format!("/tickets/{n}/close")).await;
    assert_eq!(confirm.status, 200);
    let form = tag(&confirm.body, &format!("action=\"/tickets/{n}/close\"")).expect("a form");
    assert!(
        form.starts_with("<form") && form.contains("method=\"post\""),
        "{form}"
    );
    assert!(confirm.body.contains("name=\"csrf_token\""));
    assert!(confirm.body.contains(&format!("T-{n}")));
    assert_eq!(
        sql_text(
            &app,
            &format!("SELECT status FROM tickets WHERE number = {n}")
        )
        .as_deref(),
        Some("awaiting_response")
    );

    // The POST closes.
    let token = confirm.csrf();
    let page = ana
        .post_raw(&format!("/tickets/{n}/close"), &[("csrf_token", &token)])
        .await;
    assert_see_other(&page, &format!("/tickets/{n}"));
    let page = ana.get(&format!("/tickets/{n}")).await;
    assert_eq!(status_of(&page), "closed");
    let kinds = events(&page.body);
    assert_eq!(kinds.first().map(String::as_str), Some("created"));
    assert!(kinds.contains(&"closed".to_string()), "{kinds:?}");
    assert!(
        page.body
            .contains("This ticket is closed — send a message to reopen it"),
        "{}",
        page.body
    );
    assert!(!page.body.contains(&close_link));
    assert_eq!(
        sql_text(
            &app,
            &format!("SELECT status || '/' || close_reason FROM tickets WHERE number = {n}")
        )
        .as_deref(),
        Some("closed/customer")
    );
    let list = ana.get("/tickets").await;
    assert_eq!(
        attr(row(&list.body, n).unwrap(), "data-status"),
        Some("closed")
    );
    assert!(!list.body.contains(&close_link), "{}", list.body);

    // A reply reopens.
    assert_see_other(
        &reply(&ana, n, "It came back.", &[]).await,
        &format!("/tickets/{n}"),
    );
    let page = ana.get(&format!("/tickets/{n}")).await;
    assert_eq!(status_of(&page), "awaiting_response");
    let kinds = events(&page.body);
    assert!(kinds.contains(&"reopened".to_string()), "{kinds:?}");
    assert!(kinds.iter().position(|k| k == "closed") < kinds.iter().position(|k| k == "reopened"));
    assert!(page.body.contains("It came back."));
    assert!(
        !page
            .body
            .contains("This ticket is closed — send a message to reopen it")
    );
    assert!(page.body.contains(&close_link));
    assert_eq!(
        sql_text(
            &app,
            &format!("SELECT status FROM tickets WHERE number = {n}")
        )
        .as_deref(),
        Some("awaiting_response")
    );
}

#[actix_web::test]
async fn closing_a_closed_ticket_is_a_conflict() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    let n = quick(&ana, "Twice").await;
    assert_see_other(&close(&ana, n).await, &format!("/tickets/{n}"));
    let before = counts(&app);
    let version = sql_i64(
        &app,
        &format!("SELECT version::bigint FROM tickets WHERE number = {n}"),
    );
    let page = close(&ana, n).await;
    assert_eq!(page.status, 409, "{}", page.body);
    assert!(page.body.contains("role=\"alert\""));
    assert!(
        page.body.contains("This ticket is already closed."),
        "{}",
        page.body
    );
    assert_eq!(status_of(&page), "closed");
    assert_eq!(counts(&app), before);
    assert_eq!(
        sql_i64(
            &app,
            &format!("SELECT version::bigint FROM tickets WHERE number = {n}")
        ),
        version
    );
    // The confirmation page of a closed ticket offers no form.
    let confirm = ana.get(&format!("/tickets/{n}/close")).await;
    assert!(
        !confirm
            .body
            .contains(&format!("action=\"/tickets/{n}/close\""))
    );
}

// ---------------------------------------------------------------- list

#[actix_web::test]
async fn filters_narrow_the_list() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    let a = create(&ana, "Alpha", "technical", "high", "a", &[]).await;
    let b = create(&ana, "Bravo", "financial", "low", "b", &[]).await;
    let c = create(&ana, "Charlie", "technical", "low", "c", &[]).await;
    assert_see_other(&close(&ana, c).await, &format!("/tickets/{c}"));
    let sorted = |path: &str| {
        let ana = ana.clone();
        let path = path.to_string();
        async move {
            let page = ana.get(&path).await;
            assert_eq!(page.status, 200, "{path}");
            let mut r = rows(&page.body);
            r.sort();
            r
        }
    };
    assert_eq!(sorted("/tickets").await, [a, b, c]);
    assert_eq!(sorted("/tickets?status=closed").await, [c]);
    assert_eq!(sorted("/tickets?status=awaiting_response").await, [a, b]);
    assert_eq!(sorted("/tickets?priority=low").await, [b, c]);
    assert_eq!(sorted("/tickets?priority=high").await, [a]);
    assert_eq!(sorted("/tickets?category=technical").await, [a, c]);
    assert_eq!(sorted("/tickets?category=financial").await, [b]);
    assert_eq!(
        sorted("/tickets?category=technical&priority=low").await,
        [c]
    );
    assert!(sorted("/tickets?category=sales").await.is_empty());
    let none = ana.get("/tickets?category=sales").await;
    assert!(none.body.contains("No tickets match these filters."));
    // The chosen filter stays selected.
    let page = ana.get("/tickets?priority=low").await;
    assert!(page.body.contains("<option value=\"low\" selected>"));
}

#[actix_web::test]
async fn search_finds_by_subject_and_by_number() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    let first = quick(&ana, "Database is slow").await;
    let second = quick(&ana, "Invoice question").await;
    assert_eq!(first, 1000, "the sequence starts at 1000");
    assert_eq!(rows(&ana.get("/tickets?q=database").await.body), [first]);
    assert_eq!(rows(&ana.get("/tickets?q=INVOICE").await.body), [second]);
    assert_eq!(rows(&ana.get("/tickets?q=T-1000").await.body), [first]);
    assert_eq!(rows(&ana.get("/tickets?q=1000").await.body), [first]);
    assert_eq!(rows(&ana.get("/tickets?q=1001").await.body), [second]);
    assert!(rows(&ana.get("/tickets?q=nothing+like+it").await.body).is_empty());
    // LIKE wildcards are taken literally.
    assert!(rows(&ana.get("/tickets?q=%25").await.body).is_empty());
    let page = ana.get("/tickets?q=database").await;
    assert!(page.body.contains("value=\"database\""));
}

#[actix_web::test]
async fn pages_of_two_rows() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    for s in ["One", "Two", "Three"] {
        quick(&ana, s).await;
    }
    let page = ana.get("/tickets?page_size=2").await;
    assert_eq!(rows(&page.body).len(), 2);
    let next = tag(&page.body, "rel=\"next\"").expect("a next link");
    let href = unescape(attr(next, "href").unwrap());
    assert!(
        href.contains("page=2") && href.contains("page_size=2"),
        "{href}"
    );
    assert!(!page.body.contains("rel=\"prev\""));
    let page2 = ana.get(&href).await;
    assert_eq!(page2.status, 200);
    assert_eq!(rows(&page2.body).len(), 1);
    assert!(!page2.body.contains("rel=\"next\""));
    assert!(page2.body.contains("rel=\"prev\""));
    let mut all: Vec<i64> = rows(&page.body)
        .into_iter()
        .chain(rows(&page2.body))
        .collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 3);
    // The default page holds all three with no next page.
    let page = ana.get("/tickets").await;
    assert_eq!(rows(&page.body).len(), 3);
    assert!(!page.body.contains("rel=\"next\""));
}

#[actix_web::test]
async fn sorting_by_created_puts_the_newest_number_first() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    let a = quick(&ana, "A").await;
    let b = quick(&ana, "B").await;
    let c = quick(&ana, "C").await;
    // A reply makes the oldest the last updated.
    assert_see_other(&reply(&ana, a, "Bump", &[]).await, &format!("/tickets/{a}"));
    assert_eq!(rows(&ana.get("/tickets").await.body), [a, c, b]);
    assert_eq!(
        rows(&ana.get("/tickets?sort=created").await.body),
        [c, b, a]
    );
}

#[actix_web::test]
async fn the_empty_list_offers_a_new_ticket_button() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    let page = ana.get("/tickets").await;
    assert_eq!(page.status, 200);
    assert!(rows(&page.body).is_empty());
    let start = page
        .body
        .find("class=\"empty-state\"")
        .expect("an empty state");
    let state = &page.body[start..start + page.body[start..].find("</div>").unwrap()];
    assert!(state.contains("No tickets yet."), "{state}");
    assert!(state.contains("href=\"/tickets/new\""), "{state}");
    assert!(state.contains("New ticket"), "{state}");
    quick(&ana, "Now one").await;
    assert!(
        !ana.get("/tickets")
            .await
            .body
            .contains("class=\"empty-state\"")
    );
}

#[actix_web::test]
async fn hidden_columns_stay_hidden() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    quick(&ana, "Columns").await;
    let th = |name: &str| format!("<th scope=\"col\">{name}</th>");
    let page = ana.get("/tickets").await;
    for name in ["Priority", "Category", "Status"] {
        assert!(page.body.contains(&th(name)), "{name}");
    }
    let token = page.csrf();
    let body = serde_urlencoded::to_string([
        ("csrf_token", token.as_str()),
        ("show", "category"),
        ("show", "updated"),
        ("show", "status"),
    ])
    .unwrap();
    let answer = read(
        ana.client
            .post(ana.url("/tickets/columns"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_see_other(&answer, "/tickets");
    for _ in 0..2 {
        let page = ana.get("/tickets").await;
        assert!(!page.body.contains(&th("Priority")), "{}", page.body);
        assert!(!page.body.contains("class=\"priority priority-"));
        assert!(page.body.contains(&th("Category")));
        assert!(page.body.contains(&th("Status")));
        assert!(
            !page
                .body
                .contains("name=\"show\" value=\"priority\" checked")
        );
        assert!(
            page.body
                .contains("name=\"show\" value=\"category\" checked")
        );
    }
    // Remembered per user: a fresh login sees the same.
    let again = app.new_browser();
    assert_see_other(&again.login("ana@acme.example", PW).await, "/tickets");
    assert!(!again.get("/tickets").await.body.contains(&th("Priority")));
    // And not for other users.
    let mia = member(&app, &ana, "mia@acme.example").await;
    quick(&mia, "Mine").await;
    assert!(mia.get("/tickets").await.body.contains(&th("Priority")));
    // Without the token: refused, nothing changes.
    let answer = read(
        ana.client
            .post(ana.url("/tickets/columns"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("show=category")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(answer.status, 403);
    assert!(ana.get("/tickets").await.body.contains(&th("Status")));
}

// ---------------------------------------------------------------- escaping and text

#[actix_web::test]
async fn markup_in_subjects_and_bodies_is_escaped() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    let evil = "<script>alert(1)</script><img src=x onerror=alert(1)>";
    let n = create(&ana, evil, "technical", "normal", evil, &[]).await;
    assert_eq!(
        sql_text(
            &app,
            &format!("SELECT subject FROM tickets WHERE number = {n}")
        )
        .as_deref(),
        Some(evil),
        "stored as typed"
    );
    for path in [
        "/tickets".to_string(),
        format!("/tickets?created={n}"),
        format!("/tickets/{n}"),
        format!("/tickets/{n}/close"),
    ] {
        let page = ana.get(&path).await;
        assert_eq!(page.status, 200);
        assert!(
            !page.body.contains("<script>alert(1)"),
            "{path}: {}",
            page.body
        );
        assert!(!page.body.contains("<img src=x"), "{path}");
        let shown = entities(&page.body);
        assert!(
            shown.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{path}: {}",
            page.body
        );
        assert!(
            shown.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{path}"
        );
    }
    let page = ana.get(&format!("/tickets/{n}")).await;
    // Subject (title, header, …) and body are all escaped.
    assert!(entities(&page.body).matches("&lt;script&gt;").count() >= 3);
}

#[actix_web::test]
async fn only_http_links_become_clickable() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    let n = create(
        &ana,
        "Links",
        "technical",
        "normal",
        "See https://example.com/x and http://example.org/a?b=1&c=2.\n\
         Not javascript:alert(1) nor data:text/html,hi nor <a href=\"https://evil.example\">x</a>",
        &[],
    )
    .await;
    let page = ana.get(&format!("/tickets/{n}")).await;
    assert!(
        page.body.contains("<a href=\"https://example.com/x\""),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("<a href=\"http://example.org/a?b=1&amp;c=2\""),
        "{}",
        page.body
    );
    assert!(!page.body.contains("href=\"javascript:"));
    assert!(!page.body.contains("href=\"data:"));
    assert!(page.body.contains("javascript:alert(1)"));
    // A link typed as markup is shown as text; its URL alone is linked.
    assert!(page.body.contains("&lt;a href=&quot;"), "{}", page.body);
    assert!(!page.body.contains("<a href=\"https://evil.example\">x</a>"));
}

#[actix_web::test]
async fn persian_text_and_emoji_round_trip() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    let subject = "سرور پاسخ نمی‌دهد 🚀🔥";
    let body = "سلام، سرور ما از دیشب پاسخ نمی‌دهد.\nلطفاً کمک کنید 🙏👩‍💻";
    let n = create(&ana, subject, "technical", "urgent", body, &[]).await;
    assert_eq!(
        sql_text(
            &app,
            &format!("SELECT subject FROM tickets WHERE number = {n}")
        )
        .as_deref(),
        Some(subject)
    );
    assert_eq!(
        sql_text(
            &app,
            &format!("SELECT body FROM messages WHERE ticket_number = {n}")
        )
        .as_deref(),
        Some(body)
    );
    let list = ana.get("/tickets").await;
    assert!(list.body.contains(subject), "{}", list.body);
    let page = ana.get(&format!("/tickets/{n}")).await;
    assert!(page.body.contains(subject));
    assert!(page.body.contains(body), "{}", page.body);
    assert!(rows(&ana.get(&format!("/tickets?q={}", "پاسخ")).await.body).contains(&n));
    // A 200-character Persian subject fits (characters, not bytes); 201 does not.
    let n = create(&ana, &"س".repeat(200), "sales", "low", "x", &[]).await;
    assert!(
        ana.get(&format!("/tickets/{n}"))
            .await
            .body
            .contains(&"س".repeat(200))
    );
    let page = post_ticket(
        &ana,
        &[
            ("subject", &"س".repeat(201)),
            ("category", "sales"),
            ("priority", "low"),
            ("body", "x"),
        ],
        &[],
    )
    .await;
    assert_eq!(page.status, 422);
    // A reply in Persian too.
    assert_see_other(
        &reply(&ana, n, "پاسخ 😀", &[]).await,
        &format!("/tickets/{n}"),
    );
    assert!(
        ana.get(&format!("/tickets/{n}"))
            .await
            .body
            .contains("پاسخ 😀")
    );
}

// ---------------------------------------------------------------- bugs

#[actix_web::test]
async fn a_nul_character_is_bad_input_not_a_server_error() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    let page = post_ticket(
        &ana,
        &[
            ("subject", "Nul"),
            ("category", "technical"),
            ("priority", "normal"),
            ("body", "before\0after"),
        ],
        &[],
    )
    .await;
    assert!([400, 422].contains(&page.status), "create: {}", page.status);
    assert_eq!(counts(&app), [0; 4]);
    let n = quick(&ana, "Reply here").await;
    let before = counts(&app);
    let page = reply(&ana, n, "before\0after", &[]).await;
    assert!([400, 422].contains(&page.status), "reply: {}", page.status);
    assert_eq!(counts(&app), before);
    let page = ana.get("/tickets?q=a%00b").await;
    assert!([200, 400].contains(&page.status), "search: {}", page.status);
}

#[actix_web::test]
async fn a_subject_of_control_characters_is_empty() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    let page = post_ticket(
        &ana,
        &[
            ("subject", "\u{7}\u{1b}"),
            ("category", "technical"),
            ("priority", "normal"),
            ("body", "Body"),
        ],
        &[],
    )
    .await;
    assert_eq!(page.status, 422, "{:?}", page.location);
    assert_eq!(field_error(&page.body, "subject"), Some("Enter a subject."));
    assert_eq!(count_tickets(&app), 0);
}

#[actix_web::test]
async fn html_is_refused_however_it_starts() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    for content in [
        "\u{feff}<html><script>alert(1)</script>",
        "<!-- hi --><script>alert(1)</script>",
        "<body onload=alert(1)>",
    ] {
        refused_files(
            &app,
            &ana,
            &[("notes.txt", content.as_bytes().to_vec())],
            "checked by their content",
        )
        .await;
    }
}

/// The database keeps its own rules for what tickets, messages, events and response times
/// hold, beneath the app's checks: each value outside a rule is refused, and the row keeps
/// what it had; a value inside it is taken.
#[actix_web::test]
async fn the_database_refuses_values_outside_its_rules() {
    let app = TestApp::spawn().await;
    let ana = owner(&app, "acme", "ana@acme.example").await;
    let number = quick(&ana, "Rules").await;
    let last = |table: &str| {
        sql_i64(
            &app,
            &format!("SELECT max(id) FROM {table} WHERE ticket_number = {number}"),
        )
    };
    let (message, event) = (last("messages"), last("ticket_events"));
    execute(
        &mut app.conn(),
        &format!(
            "INSERT INTO response_times (ticket_number, organization_id, started_at, responded_at, business_minutes, breached)
             SELECT number, organization_id, now(), now(), 5, FALSE FROM tickets WHERE number = {number}"
        ),
    );
    let response = last("response_times");
    let long = format!("'{}'", "x".repeat(201));
    let too_long = format!("'{}'", "x".repeat(20_001));
    // (table, row, column, refused, taken)
    let cases: [(&str, i64, &str, &str, &str); 12] = [
        ("tickets", number, "status", "'open'", "'in_progress'"),
        ("tickets", number, "priority", "'medium'", "'high'"),
        ("tickets", number, "opened_priority", "'medium'", "'urgent'"),
        ("tickets", number, "category", "'billing'", "'sales'"),
        ("tickets", number, "close_reason", "'spam'", "'resolved'"),
        ("tickets", number, "subject", "''", "'Renamed'"),
        ("tickets", number, "subject", &long, "'Renamed again'"),
        ("messages", message, "kind", "'email'", "'note'"),
        ("messages", message, "body", "''", "'Edited'"),
        ("messages", message, "body", &too_long, "'Edited again'"),
        ("ticket_events", event, "kind", "'deleted'", "'reopened'"),
        ("response_times", response, "business_minutes", "-1", "0"),
    ];
    for (table, id, column, refused, taken) in cases {
        let key = if table == "tickets" { "number" } else { "id" };
        let before = sql_text(
            &app,
            &format!("SELECT {column}::text FROM {table} WHERE {key} = {id}"),
        );
        let update = |value: &str| {
            diesel::sql_query(format!(
                "UPDATE {table} SET {column} = {value} WHERE {key} = {id}"
            ))
            .execute(&mut app.conn())
        };
        let error = update(refused).expect_err(&format!("{table}.{column} = {refused} was taken"));
        assert!(
            error.to_string().contains("violates check constraint"),
            "{table}.{column} = {refused}: {error}"
        );
        assert_eq!(
            sql_text(
                &app,
                &format!("SELECT {column}::text FROM {table} WHERE {key} = {id}")
            ),
            before,
            "{table}.{column} changed"
        );
        assert_eq!(
            update(taken).expect("taken"),
            1,
            "{table}.{column} = {taken}"
        );
    }
    // Inserted rows are held to the same rules.
    let inserted = diesel::sql_query(format!(
        "INSERT INTO messages (ticket_number, organization_id, kind, from_support, body)
         SELECT number, organization_id, 'shout', FALSE, 'Hi' FROM tickets WHERE number = {number}"
    ))
    .execute(&mut app.conn());
    let refused = inserted.expect_err("a message of an unknown kind was inserted");
    assert!(
        refused.to_string().contains("violates check constraint"),
        "{refused}"
    );
    // The rules of each table are one function's (migration 15): column checks are read
    // again by every statement that writes the table (a quarter of a reply's statement).
    let table_checks = sql_text(
        &app,
        "SELECT string_agg(conrelid::regclass || ': ' || pg_get_constraintdef(oid), '; ' ORDER BY conname)
         FROM pg_constraint WHERE contype = 'c' AND conrelid IN
         ('tickets'::regclass, 'messages'::regclass, 'ticket_events'::regclass, 'response_times'::regclass)",
    );
    assert_eq!(
        table_checks.as_deref(),
        Some(
            "messages: CHECK (message_values_ok(kind, body)); \
             response_times: CHECK ((business_minutes >= 0)); \
             ticket_events: CHECK (ticket_event_kind_ok(kind)); \
             tickets: CHECK (ticket_values_ok(subject, category, priority, status, close_reason, opened_priority))"
        )
    );
}

/// The database's rules take every value the domain has (src/domain/ticket.rs): a status,
/// priority, category, close reason or event kind added there and not to migration 15's
/// functions would be refused by the database on its first write.
#[actix_web::test]
async fn the_database_takes_every_value_the_domain_has() {
    use supportdesk::domain::ticket::{Category, CloseReason, EventKind, Priority, Status};
    let app = TestApp::spawn().await;
    let ok = |sql: String| -> bool {
        diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&sql))
            .get_result(&mut app.conn())
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    };
    let ticket = |subject: &str, category: &str, priority: &str, status: &str, reason: &str| {
        ok(format!(
            "ticket_values_ok('{subject}', '{category}', '{priority}', '{status}', {reason}, '{priority}')"
        ))
    };
    let valid = ("Subject", "technical", "normal", "in_progress", "NULL");
    for s in Status::ALL {
        assert!(
            ticket(valid.0, valid.1, valid.2, s.as_str(), valid.4),
            "status {s:?}"
        );
    }
    for p in Priority::ALL {
        assert!(
            ticket(valid.0, valid.1, p.as_str(), valid.3, valid.4),
            "priority {p:?}"
        );
    }
    for c in Category::ALL {
        assert!(
            ticket(valid.0, c.as_str(), valid.2, valid.3, valid.4),
            "category {c:?}"
        );
    }
    for r in CloseReason::ALL {
        let reason = format!("'{}'", r.as_str());
        assert!(
            ticket(valid.0, valid.1, valid.2, "closed", &reason),
            "close reason {r:?}"
        );
    }
    for k in EventKind::ALL {
        assert!(
            ok(format!("ticket_event_kind_ok('{}')", k.as_str())),
            "event kind {k:?}"
        );
    }
    // And it refuses what the domain does not have.
    assert!(!ticket(valid.0, valid.1, valid.2, "reopened", valid.4));
    assert!(!ok("ticket_event_kind_ok('deleted')".to_string()));
}
