//! Limits: oversized bodies and fields (413/422 with a readable page, nothing saved), an
//! oversized upload refused without being held in memory (the server's RSS measured while
//! it arrives), spoofed file types, path tricks in file names, and Unicode round trips.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use super::{
    PW, changed, create_ticket, customer, escaped, fingerprint, lit, normalize, post_multipart,
    professional, sql_i64, sql_text, token,
};
use crate::harness::{Browser, Page, TestApp};

const MB: usize = 1024 * 1024;

fn counts(app: &TestApp) -> [i64; 4] {
    ["tickets", "messages", "attachments", "ticket_events"]
        .map(|t| sql_i64(app, &format!("SELECT count(*) FROM {t}")))
}

/// A readable HTML error page with this status.
#[track_caller]
fn assert_error_page(p: &Page, status: u16, title: &str) {
    assert_eq!(p.status, status, "{}", p.body);
    assert!(p.body.contains("<!DOCTYPE html>"), "{}", p.body);
    assert!(
        p.body.contains(&format!("data-status=\"{status}\"")),
        "{}",
        p.body
    );
    assert!(p.body.contains(title), "{}", p.body);
}

#[actix_web::test]
async fn an_oversized_form_is_413_with_a_readable_page_and_nothing_changes() {
    let app = TestApp::spawn().await;
    let b = customer(&app, "acme", "ana@acme.test").await;
    let before = fingerprint(&app);
    let huge = "x".repeat(supportdesk::web::csrf::FORM_LIMIT + 1024);
    for (who, path, fields) in [
        (
            &b,
            "/profile",
            vec![("form", "details"), ("name", huge.as_str()), ("mobile", "")],
        ),
        (
            &b,
            "/organizations/new",
            vec![("organization", huge.as_str()), ("organization_key", "big")],
        ),
        (
            &super::browser(&app),
            "/login",
            vec![("email", "ana@acme.test"), ("password", huge.as_str())],
        ),
    ] {
        let p = who.post(path, &fields).await;
        assert_error_page(&p, 413, "Too large");
    }
    assert_eq!(changed(&before, &fingerprint(&app)), Vec::<String>::new());
}

#[actix_web::test]
async fn the_longest_valid_urlencoded_text_fits_under_the_form_limit() {
    let app = TestApp::spawn().await;
    let b = customer(&app, "acme", "ana@acme.test").await;
    // MessageBody allows 20,000 characters; a browser sends each UTF-8 byte as %XX.
    for (script, text) in [("CJK", "服"), ("emoji", "😀"), ("Persian", "س")] {
        let message = text.repeat(20_000);
        let p = b
            .post("/plan/custom", &[("message", message.as_str())])
            .await;
        assert_eq!(p.status, 303, "20,000 {script} characters: {}", p.status);
    }
}

#[actix_web::test]
async fn oversized_fields_are_refused_with_the_form_and_nothing_saved() {
    let app = TestApp::spawn().await;
    let b = customer(&app, "acme", "ana@acme.test").await;
    professional(&app, "acme");
    let (admin, _) = super::staff(&app, "admin", "admin@support.test").await;
    let long = |n: usize| "a".repeat(n);
    let plan = super::world::plan_form("big");
    let plan_name = long(101);
    let plan_fields: Vec<(&str, &str)> = plan
        .iter()
        .map(|(k, v)| {
            (
                k.as_str(),
                if k == "name" {
                    plan_name.as_str()
                } else {
                    v.as_str()
                },
            )
        })
        .collect();
    let before = fingerprint(&app);
    // Just over each limit: the form again with a field error.
    for p in [
        ticket(&b, &long(201), "Body").await,
        ticket(&b, "Subject", &long(20_001)).await,
        b.post(
            "/profile",
            &[("form", "details"), ("name", &long(101)), ("mobile", "")],
        )
        .await,
        b.post(
            "/organizations/new",
            &[("organization", &long(101)), ("organization_key", "second")],
        )
        .await,
        b.post(
            "/organizations/new",
            &[("organization", "Second"), ("organization_key", &long(51))],
        )
        .await,
        b.post(
            "/organization/members",
            &[
                ("name", "Bob"),
                ("email", "bob@acme.test"),
                ("password", &long(257)),
                ("role", "member"),
            ],
        )
        .await,
        admin.post("/admin/plans/new", &plan_fields).await,
    ] {
        assert_eq!(p.status, 422, "{}", p.body);
        assert!(
            p.body.contains("class=\"field-error\"") || p.body.contains("role=\"alert\""),
            "{}",
            p.body
        );
    }
    // A multipart text field far over any limit: 413, without reading it all.
    let p = ticket(&b, &long(150 * 1024), "Body").await;
    assert_error_page(&p, 413, "Too large");
    assert_eq!(changed(&before, &fingerprint(&app)), Vec::<String>::new());
    // Long query strings are never a server error.
    for n in [2 * 1024, 8 * 1024, 30 * 1024] {
        let p = b.get(&format!("/tickets?q={}", long(n))).await;
        assert!(p.status < 500, "q of {n}: {}", p.status);
    }
}

/// The server's resident memory (this process: the test server runs in it), in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap()
}

/// Bytes the allocator has handed out and not got back, in KiB. RSS alone can hide a
/// buffer: memory freed earlier stays resident and is reused without growing it.
fn heap_kib() -> u64 {
    // SAFETY: mallinfo2 only reads the allocator's statistics.
    let m = unsafe { libc::mallinfo2() };
    ((m.uordblks + m.hblkhd) / 1024) as u64
}

/// How much a measure grew, at its highest, while something ran (KiB).
struct Growth {
    rss: u64,
    heap: u64,
}

/// Logs `email` in with a cookie-less client: (the `sd_session` value, a CSRF token).
async fn session_of(app: &TestApp, email: &str) -> (String, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let cookie_of = |r: &reqwest::Response| {
        r.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("sd_session="))
            .map(|v| v.split(';').next().unwrap().to_string())
    };
    let b = Browser {
        addr: app.addr.clone(),
        client: client.clone(),
    };
    let t = token(&b).await;
    let r = client
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", t.as_str()),
            ("email", email),
            ("password", PW),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let cookie = cookie_of(&r).expect("a session cookie at login");
    (cookie, token(&b).await)
}

/// Streams a multipart POST /tickets with `files` files of `file_bytes` each, chunked (no
/// Content-Length, so the server must read it to know), from a 64 KiB buffer, while a
/// sampler records the highest RSS and heap. Returns the answer's status and the growth.
fn stream_upload(
    addr: &str,
    cookie: &str,
    token: &str,
    files: usize,
    file_bytes: usize,
    content_length: bool,
) -> (Option<u16>, Growth) {
    let host = addr.trim_start_matches("http://").to_string();
    let boundary = "----supportdesk-rss-boundary";
    let mut fields = String::new();
    for (k, v) in [
        ("csrf_token", token),
        ("subject", "Huge upload"),
        ("category", "technical"),
        ("priority", "normal"),
        ("body", "See the attached dump."),
    ] {
        fields.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    let part_head = |i: usize| {
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"dump{i}.png\"\r\n\
             Content-Type: image/png\r\n\r\n"
        )
    };
    let end = format!("--{boundary}--\r\n");
    let total = fields.len()
        + (0..files)
            .map(|i| part_head(i).len() + file_bytes + 2)
            .sum::<usize>()
        + end.len();

    let (rss0, heap0) = (rss_kib(), heap_kib());
    let rss_peak = Arc::new(AtomicU64::new(rss0));
    let heap_peak = Arc::new(AtomicU64::new(heap0));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (rss_peak, heap_peak, done) = (rss_peak.clone(), heap_peak.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                rss_peak.fetch_max(rss_kib(), Ordering::Relaxed);
                heap_peak.fetch_max(heap_kib(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };
    let mut stream = TcpStream::connect(&host).unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut reader = stream.try_clone().unwrap();
    let response = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            match reader.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
            if buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() > 12 {
                // The status line and headers are enough.
                break;
            }
        }
        String::from_utf8_lossy(&buf)
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
    });
    let framing = if content_length {
        format!("Content-Length: {total}\r\n")
    } else {
        "Transfer-Encoding: chunked\r\n".to_string()
    };
    let head = format!(
        "POST /tickets HTTP/1.1\r\nHost: {host}\r\nCookie: sd_session={cookie}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\n{framing}Connection: close\r\n\r\n"
    );
    let send = |stream: &mut TcpStream, data: &[u8]| -> std::io::Result<()> {
        if content_length {
            stream.write_all(data)
        } else {
            stream.write_all(format!("{:x}\r\n", data.len()).as_bytes())?;
            stream.write_all(data)?;
            stream.write_all(b"\r\n")
        }
    };
    // The server may answer and close while the body is still coming: a failed write is
    // expected then, and the answer is what the reader thread got.
    let _ = (|| -> std::io::Result<()> {
        stream.write_all(head.as_bytes())?;
        send(&mut stream, fields.as_bytes())?;
        let mut buf = vec![0x5Au8; 64 * 1024];
        buf[..8].copy_from_slice(b"\x89PNG\r\n\x1a\n");
        for i in 0..files {
            send(&mut stream, part_head(i).as_bytes())?;
            let mut left = file_bytes;
            while left > 0 {
                let n = left.min(buf.len());
                send(&mut stream, &buf[..n])?;
                left -= n;
            }
            send(&mut stream, b"\r\n")?;
        }
        send(&mut stream, end.as_bytes())?;
        if !content_length {
            stream.write_all(b"0\r\n\r\n")?;
        }
        Ok(())
    })();
    let status = response.join().unwrap();
    done.store(true, Ordering::Relaxed);
    sampler.join().unwrap();
    let growth = Growth {
        rss: rss_peak.load(Ordering::Relaxed).saturating_sub(rss0),
        heap: heap_peak.load(Ordering::Relaxed).saturating_sub(heap0),
    };
    (status, growth)
}

#[actix_web::test]
async fn an_upload_over_the_limit_is_refused_without_holding_it_in_memory() {
    let app = TestApp::spawn().await;
    customer(&app, "acme", "ana@acme.test").await;
    professional(&app, "acme");
    let (cookie, token) = session_of(&app, "ana@acme.test").await;
    let addr = app.addr.clone();
    let run = move |files: usize, bytes: usize, content_length: bool| {
        let (addr, cookie, token) = (addr.clone(), cookie.clone(), token.clone());
        std::thread::spawn(move || {
            stream_upload(&addr, &cookie, &token, files, bytes, content_length)
        })
        .join()
        .unwrap()
    };
    // Warm up (allocator arenas, buffers, connections) with a small upload that is saved.
    let (status, _) = run(1, 64 * 1024, false);
    assert_eq!(status, Some(303));
    let saved = counts(&app);

    // (files, bytes each, framing, answer): one 60 MB file, chunked (read and dropped as it
    // comes, until the whole request passes the limit); the same announced by its length
    // (refused before reading); three 15 MB files, each over 10 MB (refused, 422 with the form).
    let cases: [(usize, usize, bool, u16); 3] = [
        (1, 60 * MB, false, 413),
        (1, 60 * MB, true, 413),
        (3, 15 * MB, false, 422),
    ];
    for (files, bytes, content_length, want) in cases {
        // Other tests share this process: a growth over the bar must repeat to count.
        let mut growths = Vec::new();
        let mut under = false;
        for _ in 0..3 {
            let (status, growth) = run(files, bytes, content_length);
            assert_eq!(
                status,
                Some(want),
                "{files} × {} MB (Content-Length: {content_length})",
                bytes / MB
            );
            let (rss, heap) = (growth.rss / 1024, growth.heap / 1024);
            growths.push(format!("RSS +{rss} MB, heap +{heap} MB"));
            if rss < 30 && heap < 30 {
                under = true;
                break;
            }
        }
        println!(
            "upload of {files} × {} MB (Content-Length: {content_length}): {want}; {}",
            bytes / MB,
            growths.join(", then ")
        );
        assert!(
            under,
            "{files} × {} MB: the server's memory grew each time: {growths:?}",
            bytes / MB
        );
    }
    assert_eq!(counts(&app), saved, "nothing saved");
}

/// A new ticket with this subject and body.
async fn ticket(b: &Browser, subject: &str, body: &str) -> Page {
    post_multipart(
        b,
        "/tickets",
        &[
            ("subject", subject),
            ("category", "technical"),
            ("priority", "normal"),
            ("body", body),
        ],
        &[],
    )
    .await
}

/// A new ticket with these files: the page's status.
async fn attach(b: &Browser, files: &[(&str, &[u8])]) -> Page {
    post_multipart(
        b,
        "/tickets",
        &[
            ("subject", "Files"),
            ("category", "technical"),
            ("priority", "normal"),
            ("body", "Attached."),
        ],
        files,
    )
    .await
}

#[actix_web::test]
async fn files_are_typed_by_content_and_served_so_browsers_cannot_run_them() {
    let app = TestApp::spawn().await;
    let b = customer(&app, "acme", "ana@acme.test").await;
    professional(&app, "acme");
    let mut elf = b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00".to_vec();
    elf.extend([0u8; 64]);
    let mut zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00".to_vec();
    zip.extend([0u8; 32]);
    let refused: &[(&str, &[u8])] = &[
        (
            "photo.png",
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00",
        ),
        ("report.pdf", &elf),
        ("scan.jpg", &zip),
        ("anim.png", b"GIF89a\x01\x00\x01\x00\x80\x00\x00"),
        (
            "notes.txt",
            b"<html><body><script>alert(1)</script></body></html>",
        ),
        ("readme.txt", "\u{feff}<!DOCTYPE html><p>hi".as_bytes()),
        (
            "logo.png",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>",
        ),
        ("shell.txt", b"<?php system($_GET['c']); ?>"),
        ("link.txt", b"click javascript:alert(document.cookie)"),
        ("page.txt", b"   <iframe src=//evil.example></iframe>"),
        ("latin1.txt", b"caf\xe9 cr\xe8me"),
        ("empty.txt", b""),
    ];
    for (name, bytes) in refused {
        let before = counts(&app);
        let p = attach(&b, &[(name, bytes)]).await;
        assert_eq!(p.status, 422, "{name}: {}", p.status);
        assert!(p.body.contains("class=\"field-error\""), "{name}");
        assert_eq!(counts(&app), before, "{name}: nothing saved");
    }
    // Accepted by content, and served with the stored type, nosniff and the strict CSP:
    // a PNG with a script after its signature is an image, text named .exe is text.
    let mut polyglot = b"\x89PNG\r\n\x1a\n".to_vec();
    polyglot.extend_from_slice(b"<script>alert(1)</script>");
    let accepted: &[(&str, &[u8], &str, &str)] = &[
        ("polyglot.png", &polyglot, "image/png", "inline"),
        ("fake.html", &polyglot, "image/png", "inline"),
        (
            "doc.pdf",
            b"%PDF-1.4\n<script>alert(1)</script>",
            "application/pdf",
            "inline",
        ),
        (
            "notes.exe",
            b"plain text, whatever its name",
            "text/plain; charset=utf-8",
            "attachment",
        ),
    ];
    for (name, bytes, content_type, disposition) in accepted {
        let p = attach(&b, &[(name, bytes)]).await;
        assert_eq!(p.status, 303, "{name}: {}", p.body);
        let id = sql_i64(
            &app,
            &format!(
                "SELECT max(id) FROM attachments WHERE filename = {}",
                lit(name)
            ),
        );
        let r = b
            .client
            .get(b.url(&format!("/attachments/{id}")))
            .send()
            .await
            .unwrap();
        let h = |n: &str| {
            r.headers()
                .get(n)
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default()
        };
        assert_eq!(r.status(), 200);
        assert_eq!(h("content-type"), *content_type, "{name}");
        assert_eq!(h("x-content-type-options"), "nosniff", "{name}");
        assert!(
            h("content-security-policy").contains("script-src 'self'"),
            "{name}"
        );
        assert!(
            h("content-disposition").starts_with(disposition),
            "{name}: {}",
            h("content-disposition")
        );
        assert_eq!(
            &r.bytes().await.unwrap()[..],
            *bytes,
            "{name}: served as stored"
        );
    }
}

#[actix_web::test]
async fn path_tricks_in_file_names_are_stored_cleaned() {
    let app = TestApp::spawn().await;
    let b = customer(&app, "acme", "ana@acme.test").await;
    professional(&app, "acme");
    let long = format!("{}.txt", "n".repeat(300));
    // (the name sent, the name stored)
    let cases: &[(&str, &str)] = &[
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("C:\\Users\\ana\\report.txt", "report.txt"),
        ("/etc/shadow", "shadow"),
        ("folder/../../../x.txt", "x.txt"),
        ("%2e%2e%2fetc%2fpasswd", "%2e%2e%2fetc%2fpasswd"),
        ("a\tb\tc.txt", "abc.txt"),
        // Other control characters cannot be in a part's header at all: 400.
        ("bell\u{7}esc\u{1b}del\u{7f}.txt", ""),
        ("invoice\u{202e}fdp.exe", "invoicefdp.exe"),
        ("x\u{2066}y\u{2069}\u{202d}.txt", "xy.txt"),
        (".htaccess", "htaccess"),
        ("...", "file"),
        ("..", "file"),
        ("   ", "file"),
        ("a\"b;c.txt", "abc.txt"),
        (
            "report.txt; filename=evil.html",
            "report.txt filename=evil.html",
        ),
        (&long, &"n".repeat(100)),
    ];
    let mut wrong = Vec::new();
    for (sent, want) in cases {
        let p = attach(&b, &[(sent, b"log line\n")]).await;
        if want.is_empty() {
            if p.status != 400 {
                wrong.push(format!("{sent:?}: {} (wanted 400)", p.status));
            }
            continue;
        }
        if p.status != 303 {
            wrong.push(format!("{sent:?}: {}", p.status));
            continue;
        }
        let n: i64 = p.location.unwrap()["/tickets?created=".len()..]
            .parse()
            .unwrap();
        let stored = sql_text(
            &app,
            &format!("SELECT filename FROM attachments WHERE ticket_number = {n}"),
        )
        .unwrap();
        if stored != *want {
            wrong.push(format!("{sent:?} stored as {stored:?}, wanted {want:?}"));
        }
        let id = sql_i64(
            &app,
            &format!("SELECT id FROM attachments WHERE ticket_number = {n}"),
        );
        let r = b
            .client
            .get(b.url(&format!("/attachments/{id}")))
            .send()
            .await
            .unwrap();
        let disposition = r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_string();
        if !super::disposition_ok(&disposition) {
            wrong.push(format!("{sent:?}: Content-Disposition {disposition:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[actix_web::test]
async fn unicode_round_trips_exactly() {
    let app = TestApp::spawn().await;
    let b = customer(&app, "acme", "ana@acme.test").await;
    professional(&app, "acme");
    let (agent, _) = super::staff(&app, "agent", "agent@support.test").await;
    let texts = [
        "سرور پاسخ نمی‌دهد",      // Persian, with a zero-width non-joiner
        "مَرْحَبًا بِكُمْ فِي الدَّعْمِ",    // Arabic with harakat
        "سرور Server ۱۲۳ و 456", // mixed directions and digits
        "שלום עולם",             // Hebrew
        "服务器没有响应",        // CJK
        "👩‍💻 🏳️‍🌈 👍🏽 🇮🇷 🫶",        // ZWJ sequences, modifiers, flags
        "e\u{301}te\u{301} Z\u{351}\u{36b}a\u{310}l\u{34b}g\u{35b}o", // combining marks (not NFC)
        "\u{200F}RTL mark and \u{200E}LTR mark",
    ];
    let mut wrong = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        let body = format!("{text}\nline two: {text}");
        let file = format!("{text}.txt");
        let n = create_ticket(&b, text, &body, &[(&file, text.as_bytes())]).await;
        let p = b
            .post(
                "/profile",
                &[("form", "details"), ("name", text), ("mobile", "")],
            )
            .await;
        assert_eq!(p.status, 303, "{text}");
        // A new organization of that name, shown while current; then back to acme.
        let p = b
            .post(
                "/organizations/new",
                &[
                    ("organization", text),
                    ("organization_key", &format!("uni-{i}")),
                ],
            )
            .await;
        assert_eq!(p.status, 303, "{text}");
        let organization = b.get("/organization").await;
        let p = b
            .post("/organization/switch", &[("organization", "acme")])
            .await;
        assert_eq!(p.status, 303, "{text}");
        let stored = [
            sql_text(
                &app,
                &format!("SELECT subject FROM tickets WHERE number = {n}"),
            ),
            sql_text(
                &app,
                &format!("SELECT body FROM messages WHERE ticket_number = {n}"),
            ),
            sql_text(&app, "SELECT name FROM users WHERE email = 'ana@acme.test'"),
            sql_text(
                &app,
                &format!("SELECT name FROM organizations WHERE key = 'uni-{i}'"),
            ),
            sql_text(
                &app,
                &format!("SELECT filename FROM attachments WHERE ticket_number = {n}"),
            ),
        ];
        let wanted = [
            text.to_string(),
            body.clone(),
            text.to_string(),
            text.to_string(),
            file.clone(),
        ];
        for (got, want) in stored.iter().zip(&wanted) {
            if got.as_deref() != Some(want.as_str()) {
                wrong.push(format!("stored {got:?}, typed {want:?}"));
            }
        }
        // The pages show the very same characters (nothing to escape in them).
        let customer_page = b.get(&format!("/tickets/{n}")).await;
        let console_page = agent.get(&format!("/console/tickets/{n}")).await;
        for (what, page, file) in [
            ("customer ticket", &customer_page, escaped(&file)),
            ("console ticket", &console_page, escaped(&file)),
            ("organization", &organization, text.to_string()),
        ] {
            let shown = normalize(&page.body);
            for want in [text.to_string(), file] {
                if !shown.contains(&want) {
                    wrong.push(format!("{what} does not show {want:?}"));
                }
            }
        }
        // Found by searching for it, in both lists.
        let q = serde_urlencoded::to_string([("q", text)]).unwrap();
        let list = b.get(&format!("/tickets?{q}")).await;
        let queue = agent.get(&format!("/console?view=open&{q}")).await;
        for (what, page) in [("search", &list), ("queue search", &queue)] {
            if !page.body.contains(&format!("data-ticket=\"{n}\"")) {
                wrong.push(format!("{what} for {text:?} does not find T{n}"));
            }
        }
        // Downloaded, the bytes and the UTF-8 name come back exactly.
        let id = sql_i64(
            &app,
            &format!("SELECT id FROM attachments WHERE ticket_number = {n}"),
        );
        let r = b
            .client
            .get(b.url(&format!("/attachments/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{file:?}");
        let disposition = r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_string();
        let encoded: String = file
            .bytes()
            .map(|c| {
                if c.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&c) {
                    (c as char).to_string()
                } else {
                    format!("%{c:02X}")
                }
            })
            .collect();
        if !disposition.contains(&format!("filename*=UTF-8''{encoded}")) {
            wrong.push(format!("Content-Disposition {disposition:?} for {file:?}"));
        }
        if r.bytes().await.unwrap() != text.as_bytes() {
            wrong.push(format!("the file {file:?} changed"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
