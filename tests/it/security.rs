//! The security suite (issue 12): the app attacked the way the real world will.
//!
//! - `access`: every route of DESIGN.md section 5 × every role × own and foreign resources;
//! - `csrf`: every POST route without a token, with another session's token, from another origin;
//! - `hostile`: a corpus of XSS payloads in every text a user can enter, on every page showing it;
//! - `limits`: oversized bodies (and the server's memory while refusing them), spoofed file
//!   types, path tricks in file names, Unicode round trips;
//! - `sessions`: fixation, logout, tampering, deactivation, cookie flags.
//!
//! The shared pieces live here: a raw multipart builder (exact bytes, file names included),
//! a fingerprint of the whole database (to prove "nothing changed"), and an HTML checker
//! that says whether a page is inert (no markup or URL a user could have smuggled in).

mod access;
mod csrf;
mod hostile;
mod limits;
mod sessions;
mod world;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use diesel::RunQueryDsl;
use diesel::sql_types::{BigInt, Nullable, Text};

use crate::harness::{Browser, Page, TestApp};

pub const PW: &str = "correct horse battery";

// ---------------------------------------------------------------- SQL

pub fn sql_i64(app: &TestApp, sql: &str) -> i64 {
    diesel::select(diesel::dsl::sql::<BigInt>(&format!("({sql})")))
        .get_result(&mut app.conn())
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

pub fn sql_text(app: &TestApp, sql: &str) -> Option<String> {
    diesel::select(diesel::dsl::sql::<Nullable<Text>>(&format!("({sql})")))
        .get_result(&mut app.conn())
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// A SQL string literal (the tests build a few queries from values they chose).
pub fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A digest of every row of every table: equal fingerprints mean nothing was written.
pub fn fingerprint(app: &TestApp) -> BTreeMap<String, String> {
    let all = sql_text(
        app,
        "SELECT string_agg(table_name || '=' || md5(query_to_xml(\
           format('SELECT t::text AS r FROM %I t ORDER BY 1', table_name), false, false, '')::text), \
           ' ' ORDER BY table_name) \
         FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    )
    .unwrap_or_default();
    all.split(' ')
        .filter_map(|pair| pair.split_once('='))
        .map(|(t, h)| (t.to_string(), h.to_string()))
        .collect()
}

/// The tables whose rows differ between two fingerprints.
pub fn changed(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> Vec<String> {
    let tables: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    tables
        .into_iter()
        .filter(|t| before.get(*t) != after.get(*t))
        .cloned()
        .collect()
}

// ---------------------------------------------------------------- HTTP

/// The session's CSRF token (every page with a form carries it; `/login` does for everyone).
pub async fn token(b: &Browser) -> String {
    b.get("/login").await.csrf()
}

pub async fn page_of(r: reqwest::Response) -> Page {
    Page {
        status: r.status().as_u16(),
        location: r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string()),
        body: String::from_utf8_lossy(&r.bytes().await.unwrap_or_default()).into_owned(),
    }
}

/// A multipart/form-data body written byte by byte, so file names arrive exactly as given
/// (reqwest would percent-encode quotes and line breaks in them).
pub struct Multipart {
    boundary: &'static str,
    body: Vec<u8>,
}

impl Multipart {
    pub fn new() -> Self {
        Multipart {
            boundary: "----supportdesk-security-5f0c2a9e",
            body: Vec::new(),
        }
    }

    pub fn text(mut self, name: &str, value: &str) -> Self {
        self.body.extend_from_slice(
            format!(
                "--{}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n",
                self.boundary
            )
            .as_bytes(),
        );
        self.body.extend_from_slice(value.as_bytes());
        self.body.extend_from_slice(b"\r\n");
        self
    }

    /// A file part; `"` and `\` in the name are sent as quoted-string escapes.
    pub fn file(mut self, filename: &str, bytes: &[u8]) -> Self {
        let quoted = filename.replace('\\', "\\\\").replace('"', "\\\"");
        self.body.extend_from_slice(
            format!(
                "--{}\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"{quoted}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n",
                self.boundary
            )
            .as_bytes(),
        );
        self.body.extend_from_slice(bytes);
        self.body.extend_from_slice(b"\r\n");
        self
    }

    pub fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary)
    }

    pub fn finish(mut self) -> (String, Vec<u8>) {
        self.body
            .extend_from_slice(format!("--{}--\r\n", self.boundary).as_bytes());
        (self.content_type(), self.body)
    }

    pub async fn send(self, b: &Browser, path: &str, headers: &[(&str, &str)]) -> Page {
        let (content_type, body) = self.finish();
        let mut request = b
            .client
            .post(b.url(path))
            .header("content-type", content_type)
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        page_of(request.send().await.expect("POST multipart")).await
    }
}

/// A multipart POST with the session's token, `fields` and `files` (name, bytes).
pub async fn post_multipart(
    b: &Browser,
    path: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &[u8])],
) -> Page {
    let mut m = Multipart::new().text("csrf_token", &token(b).await);
    for (k, v) in fields {
        m = m.text(k, v);
    }
    for (name, bytes) in files {
        m = m.file(name, bytes);
    }
    m.send(b, path, &[]).await
}

/// Creates a ticket; returns its number (from `303 /tickets?created=N`).
pub async fn create_ticket(b: &Browser, subject: &str, body: &str, files: &[(&str, &[u8])]) -> i64 {
    let p = post_multipart(
        b,
        "/tickets",
        &[
            ("subject", subject),
            ("category", "technical"),
            ("priority", "normal"),
            ("body", body),
        ],
        files,
    )
    .await;
    let n = p
        .location
        .as_deref()
        .and_then(|l| l.strip_prefix("/tickets?created="))
        .and_then(|n| n.parse().ok());
    n.unwrap_or_else(|| panic!("creating {subject:?}: {} {:?}", p.status, p.location))
}

#[track_caller]
pub fn assert_redirect(p: &Page, to: &str) {
    assert_eq!(
        (p.status, p.location.as_deref()),
        (303, Some(to)),
        "{}",
        p.body
    );
}

/// A new browser (its own cookie jar, no redirects followed) on `app`. Idle connections are
/// dropped after 2 s, before the server's 5 s keep-alive closes them: reusing one the
/// server is closing at that instant fails the request on a loaded machine.
pub fn browser(app: &TestApp) -> Browser {
    Browser {
        addr: app.addr.clone(),
        client: reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(std::time::Duration::from_secs(2))
            .build()
            .unwrap(),
    }
}

/// A new browser with a signed-up customer, owner of `Org {key}`.
pub async fn customer(app: &TestApp, key: &str, email: &str) -> Browser {
    let b = browser(app);
    assert_redirect(&b.signup(key, email, PW).await, "/tickets");
    b
}

/// A staff user created directly, logged in in a new browser.
pub async fn staff(app: &TestApp, role: &str, email: &str) -> (Browser, i64) {
    let id = app.add_staff(role, email, PW);
    let b = browser(app);
    assert_redirect(&b.login(email, PW).await, "/console");
    (b, id)
}

/// The owner's browser adds `email` (a new account) to its current organization.
pub async fn add_member(owner: &Browser, email: &str, name: &str, role: &str) -> Page {
    owner
        .post(
            "/organization/members",
            &[
                ("email", email),
                ("name", name),
                ("password", PW),
                ("role", role),
            ],
        )
        .await
}

/// Puts an organization on the Professional plan (every priority, no quota in the way).
pub fn professional(app: &TestApp, key: &str) {
    crate::harness::execute(
        &mut app.conn(),
        &format!(
            "UPDATE organizations SET plan_id = (SELECT id FROM plans WHERE key = 'professional') \
             WHERE key = {}",
            lit(key)
        ),
    );
}

/// Whether a download's `Content-Disposition` is exactly `attachment|inline;
/// filename="ASCII"; filename*=UTF-8''PERCENT-ENCODED`, with nothing in the quoted name
/// that could end it early, add a parameter, or name a folder.
pub fn disposition_ok(header: &str) -> bool {
    let Some(rest) = header
        .strip_prefix("attachment; filename=\"")
        .or_else(|| header.strip_prefix("inline; filename=\""))
    else {
        return false;
    };
    let Some((quoted, ext)) = rest.split_once('"') else {
        return false;
    };
    let Some(encoded) = ext.strip_prefix("; filename*=UTF-8''") else {
        return false;
    };
    !quoted.is_empty()
        && quoted.chars().all(|c| c == ' ' || c.is_ascii_graphic())
        && !quoted.contains(['\\', '/'])
        && encoded
            .bytes()
            // RFC 5987's attr-chars, and `=` (actix-web leaves it unencoded; harmless there).
            .all(|c| c.is_ascii_alphanumeric() || b"%!#$&+-.^_`|~=".contains(&c))
}

// ---------------------------------------------------------------- HTML

/// A value as the templates escape it (named entities; see [`normalize`]).
pub fn escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A page with its character references in one spelling, to compare with [`escaped`].
pub fn normalize(body: &str) -> String {
    body.replace("&#60;", "&lt;")
        .replace("&#x3c;", "&lt;")
        .replace("&#62;", "&gt;")
        .replace("&#x3e;", "&gt;")
        .replace("&#38;", "&amp;")
        .replace("&#x26;", "&amp;")
        .replace("&#34;", "&quot;")
        .replace("&#x22;", "&quot;")
        .replace("&#x27;", "&#39;")
        .replace("&apos;", "&#39;")
}

/// Text as a browser reads it out of an attribute value.
fn unescape(value: &str) -> String {
    normalize(value)
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// One start tag: its name and attributes (values as written, quotes removed).
#[derive(Debug)]
pub struct Tag {
    pub name: String,
    pub attrs: Vec<(String, String)>,
}

/// The start tags of a page, read the way an HTML parser tokenizes them.
pub fn tags(html: &str) -> Vec<Tag> {
    let b = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        if html[i..].starts_with("<!--") {
            i += html[i..].find("-->").map_or(b.len() - i, |e| e + 3);
            continue;
        }
        if i + 1 >= b.len() || !b[i + 1].is_ascii_alphabetic() {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < b.len() && !b[j].is_ascii_whitespace() && b[j] != b'>' && b[j] != b'/' {
            j += 1;
        }
        let name = html[i + 1..j].to_ascii_lowercase();
        let mut attrs = Vec::new();
        loop {
            while j < b.len() && (b[j].is_ascii_whitespace() || b[j] == b'/') {
                j += 1;
            }
            if j >= b.len() || b[j] == b'>' {
                break;
            }
            let start = j;
            while j < b.len() && !b[j].is_ascii_whitespace() && !matches!(b[j], b'=' | b'>' | b'/')
            {
                j += 1;
            }
            let attr = html[start..j].to_ascii_lowercase();
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            let mut value = String::new();
            if j < b.len() && b[j] == b'=' {
                j += 1;
                while j < b.len() && b[j].is_ascii_whitespace() {
                    j += 1;
                }
                if j < b.len() && (b[j] == b'"' || b[j] == b'\'') {
                    let q = b[j];
                    let end = html[j + 1..].find(q as char).map_or(b.len(), |e| j + 1 + e);
                    value = html[j + 1..end].to_string();
                    j = (end + 1).min(b.len());
                } else {
                    let s = j;
                    while j < b.len() && !b[j].is_ascii_whitespace() && b[j] != b'>' {
                        j += 1;
                    }
                    value = html[s..j].to_string();
                }
            }
            if attr.is_empty() {
                j += 1;
            } else {
                attrs.push((attr, value));
            }
        }
        out.push(Tag { name, attrs });
        i = j + 1;
    }
    out
}

/// The element names the templates use: nothing else may appear on a page.
fn template_tags() -> &'static BTreeSet<String> {
    static TAGS: OnceLock<BTreeSet<String>> = OnceLock::new();
    TAGS.get_or_init(|| {
        let mut names = BTreeSet::new();
        let mut stack = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/templates"
        ))];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for (i, _) in text.match_indices('<') {
                    let name: String = text[i + 1..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric())
                        .collect();
                    if name.starts_with(|c: char| c.is_ascii_alphabetic()) {
                        names.insert(name.to_ascii_lowercase());
                    }
                }
            }
        }
        assert!(names.contains("form") && names.contains("a"), "{names:?}");
        names
    })
}

/// Why a page is not inert, if it is not: an element the templates never write, an
/// event handler or style attribute, a script other than the console's own file, or a
/// link, source or form target that is not a path or an http(s) URL.
pub fn not_inert(html: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for tag in tags(html) {
        if !template_tags().contains(&tag.name) {
            problems.push(format!("element <{}> {:?}", tag.name, tag.attrs));
            continue;
        }
        let attr = |n: &str| {
            tag.attrs
                .iter()
                .find(|(a, _)| a == n)
                .map(|(_, v)| v.as_str())
        };
        match tag.name.as_str() {
            "script" if tag.attrs.len() != 2 || attr("src") != Some("/static/console.js") => {
                problems.push(format!("script {:?}", tag.attrs))
            }
            "link" if attr("href") != Some("/static/style.css") => {
                problems.push(format!("link {:?}", tag.attrs))
            }
            "meta" if attr("http-equiv").is_some() => {
                problems.push(format!("meta {:?}", tag.attrs))
            }
            _ => {}
        }
        for (name, value) in &tag.attrs {
            if name.starts_with("on")
                || matches!(
                    name.as_str(),
                    "style" | "srcdoc" | "formaction" | "xlink:href" | "autofocus" | "background"
                )
            {
                problems.push(format!("attribute {name}={value:?} on <{}>", tag.name));
            }
            if matches!(
                name.as_str(),
                "href" | "src" | "action" | "data" | "poster" | "cite"
            ) {
                let url: String = unescape(value)
                    .chars()
                    .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
                    .collect::<String>()
                    .to_ascii_lowercase();
                let safe = url.starts_with('/') && !url.starts_with("//")
                    || url.starts_with('#')
                    || url.starts_with('?')
                    || url.starts_with("http://")
                    || url.starts_with("https://");
                if !safe {
                    problems.push(format!("{name}={value:?} on <{}>", tag.name));
                }
            }
        }
    }
    problems
}

/// Everything wrong with `page` (fetched from `what`) when `payload` was typed somewhere
/// it shows: a server error, a page that is not inert, or the payload itself unescaped.
pub fn hostile_problems(what: &str, page: &Page, payload: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if page.status >= 500 {
        problems.push(format!("{what}: status {}", page.status));
    }
    for p in not_inert(&page.body) {
        problems.push(format!("{what}: {p}"));
    }
    let raw = payload.trim();
    if raw.contains(['<', '>', '"', '\'']) && page.body.contains(raw) {
        problems.push(format!("{what}: the payload appears unescaped: {raw:?}"));
    }
    problems
}
