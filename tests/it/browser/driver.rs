//! The WebDriver side of the browser journeys: one `chromedriver` per test process,
//! a headless Chromium session per person, screenshots, and waiting helpers.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{OnceLock, mpsc};
use std::time::{Duration, Instant};

use base64::Engine;
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::harness::TestApp;

/// The two screen sizes every page is photographed at.
pub const WIDE: (u32, u32) = (1440, 900);
pub const NARROW: (u32, u32) = (375, 812);
/// How long a journey waits for something to appear before it fails.
const WAIT: Duration = Duration::from_secs(15);
const POLL: Duration = Duration::from_millis(100);
/// Journeys running at once: each holds one or two Chromiums.
static SLOTS: Semaphore = Semaphore::const_new(3);

// ---------------------------------------------------------------- chromedriver

struct Tools {
    /// The port of this process's chromedriver on 127.0.0.1.
    port: u16,
    chromium: PathBuf,
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Written to the real stderr, past the test harness's capture, so it shows in every run.
fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// This process's chromedriver, started on first use; `None` (after a loud notice)
/// when chromedriver or chromium is missing outside CI. In CI that is a failure.
fn tools() -> Option<&'static Tools> {
    static TOOLS: OnceLock<Result<Tools, Missing>> = OnceLock::new();
    match TOOLS.get_or_init(start_chromedriver) {
        Ok(tools) => Some(tools),
        Err(Missing::Broken(why)) => panic!("the browser tools are installed but failed: {why}"),
        Err(Missing::NotInstalled(why)) if in_ci() => {
            panic!("browser tests cannot run in CI (CI=true): {why}")
        }
        Err(Missing::NotInstalled(why)) => {
            let bar = "!".repeat(78);
            say(&format!(
                "{bar}\n!!! BROWSER TESTS SKIPPED: {why}\n!!! Install Debian's chromium and chromium-driver to run them.\n{bar}"
            ));
            None
        }
    }
}

enum Missing {
    /// chromedriver or chromium is not installed: skip (outside CI).
    NotInstalled(&'static str),
    /// They are there but do not work: always a failure.
    Broken(String),
}

fn find_program(name: &str, fallback: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join(name))
        .chain([PathBuf::from(fallback)])
        .find(|path| path.is_file())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Starts chromedriver from a thread that parks forever: PR_SET_PDEATHSIG ends the
/// driver when that thread ends, that is when the test process ends.
fn start_chromedriver() -> Result<Tools, Missing> {
    let driver = find_program("chromedriver", "/usr/bin/chromedriver").ok_or(
        Missing::NotInstalled("chromedriver not found (Debian package chromium-driver)"),
    )?;
    let chromium = find_program("chromium", "/usr/bin/chromium").ok_or(Missing::NotInstalled(
        "chromium not found (Debian package chromium)",
    ))?;
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("chromedriver".into())
        .spawn(move || {
            let mut last_error = String::new();
            for _ in 0..3 {
                let port = free_port();
                let mut cmd = Command::new(&driver);
                cmd.arg(format!("--port={port}"))
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null());
                // SAFETY: prctl is async-signal-safe; it runs in the forked child before exec.
                unsafe {
                    cmd.pre_exec(|| {
                        if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                            return Err(std::io::Error::last_os_error());
                        }
                        Ok(())
                    });
                }
                let mut child = match cmd.spawn() {
                    Ok(child) => child,
                    Err(e) => {
                        let _ = tx.send(Err(format!("could not start {}: {e}", driver.display())));
                        return;
                    }
                };
                match wait_ready(&mut child, port) {
                    Ok(()) => {
                        let _ = tx.send(Ok(port));
                        loop {
                            std::thread::park();
                        }
                    }
                    Err(e) => {
                        let _ = child.kill();
                        let _ = child.wait();
                        last_error = e;
                    }
                }
            }
            let _ = tx.send(Err(last_error));
        })
        .map_err(|e| Missing::Broken(format!("could not start the chromedriver thread: {e}")))?;
    let port = rx
        .recv()
        .map_err(|_| Missing::Broken("the chromedriver thread ended".into()))?
        .map_err(Missing::Broken)?;
    Ok(Tools { port, chromium })
}

/// Until chromedriver's `/status` says it is ready.
fn wait_ready(child: &mut Child, port: u16) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("chromedriver exited at start ({status})"));
        }
        if let Ok(answer) = driver_http(port, "GET", "/status", "")
            && answer.contains("\"ready\":true")
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err("chromedriver did not answer within 20 s".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A bare HTTP/1.1 request to chromedriver, usable where no async runtime is (in `Drop`).
fn driver_http(port: u16, method: &str, path: &str, body: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    // chromedriver keeps the connection open: read the head, then Content-Length bytes.
    let mut bytes = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&bytes);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head.lines().find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.trim()
                    .eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            });
            if length.is_some_and(|length| body.len() >= length) {
                break;
            }
        }
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

// ---------------------------------------------------------------- files

fn screenshot_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
        let dir = target.join("screenshots");
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("could not create {}: {e}", dir.display()));
        dir
    })
}

/// A new folder under the system temp dir (browser profiles, files to attach).
fn scratch_dir(label: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    let root = ROOT.get_or_init(|| {
        let root = std::env::temp_dir().join("supportdesk-browser");
        // Folders of earlier runs that were killed before they could clean up.
        for entry in std::fs::read_dir(&root).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some((pid, _)) = name.split_once('-')
                && !Path::new("/proc").join(pid).exists()
            {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        root
    });
    let dir = root.join(format!(
        "{}-{label}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// ---------------------------------------------------------------- journeys

/// One journey: the real app on a fresh database, the people's browsers, the clock.
pub struct Journey {
    pub name: &'static str,
    pub app: TestApp,
    port: u16,
    chromium: &'static Path,
    files: PathBuf,
    steps: AtomicU32,
    started: Instant,
    _slot: SemaphorePermit<'static>,
}

impl Journey {
    /// `None` when the browser tools are missing (outside CI): the journey then returns.
    pub async fn start(name: &'static str) -> Option<Journey> {
        let tools = tools()?;
        let slot = SLOTS
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let prefix = format!("{name}-");
        for entry in std::fs::read_dir(screenshot_dir())
            .into_iter()
            .flatten()
            .flatten()
        {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        let started = Instant::now();
        let app = TestApp::spawn().await;
        Some(Journey {
            name,
            app,
            port: tools.port,
            chromium: &tools.chromium,
            files: scratch_dir("files"),
            steps: AtomicU32::new(0),
            started,
            _slot: slot,
        })
    }

    /// Writes a file the people of this journey can attach; its absolute path.
    pub fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.files.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// A new browser (own profile, own cookies) for `who`, at 1440 × 900.
    pub async fn open(&self, who: &'static str) -> Tab<'_> {
        let profile = scratch_dir("profile");
        let caps = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": self.chromium,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-dev-shm-usage",
                    "--hide-scrollbars",
                    format!("--window-size={},{}", WIDE.0, WIDE.1),
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
        });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!()
        };
        let client = ClientBuilder::native()
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .unwrap_or_else(|e| panic!("could not open a Chromium session: {e}"));
        let id = client
            .session_id()
            .await
            .ok()
            .flatten()
            .expect("a session id");
        let tab = Tab {
            c: client,
            j: self,
            who,
            guard: SessionGuard {
                port: self.port,
                id,
                profile,
                failure_shot: screenshot_dir().join(format!("{}-FAILED-{who}.png", self.name)),
                closed: false,
            },
            chrome: (0, 0),
        };
        tab.size(WIDE).await
    }
}

impl Drop for Journey {
    fn drop(&mut self) {
        let outcome = if std::thread::panicking() {
            "FAILED"
        } else {
            "passed"
        };
        say(&format!(
            "browser journey {}: {outcome} in {:.1} s",
            self.name,
            self.started.elapsed().as_secs_f64()
        ));
        let _ = std::fs::remove_dir_all(&self.files);
    }
}

/// Ends a browser session that was not closed (a failed journey), first photographing
/// what the person saw; removes the profile.
struct SessionGuard {
    port: u16,
    id: String,
    profile: PathBuf,
    failure_shot: PathBuf,
    closed: bool,
}

impl Drop for SessionGuard {
    fn drop(&mut self) {
        if !self.closed {
            if std::thread::panicking() {
                let answer = driver_http(
                    self.port,
                    "GET",
                    &format!("/session/{}/screenshot", self.id),
                    "",
                );
                if let Some(png) = answer.ok().and_then(|a| screenshot_from_answer(&a)) {
                    let _ = std::fs::write(&self.failure_shot, png);
                    say(&format!(
                        "browser: the page at the failure: {}",
                        self.failure_shot.display()
                    ));
                }
            }
            let _ = driver_http(self.port, "DELETE", &format!("/session/{}", self.id), "");
        }
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn screenshot_from_answer(answer: &str) -> Option<Vec<u8>> {
    let json: serde_json::Value = serde_json::from_str(answer.split_once("\r\n\r\n")?.1).ok()?;
    base64::engine::general_purpose::STANDARD
        .decode(json.get("value")?.as_str()?)
        .ok()
}

/// One person's browser.
pub struct Tab<'j> {
    pub c: Client,
    j: &'j Journey,
    who: &'static str,
    guard: SessionGuard,
    /// Window size minus viewport size (browser chrome), measured at start.
    chrome: (u32, u32),
}

impl<'j> Tab<'j> {
    /// Sizes the viewport (not the window) to `size`, measuring the browser chrome once.
    async fn size(mut self, size: (u32, u32)) -> Self {
        self.resize(size).await;
        let inner = self
            .c
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await
            .expect("viewport size");
        let w = inner[0].as_u64().unwrap_or(size.0 as u64) as u32;
        let h = inner[1].as_u64().unwrap_or(size.1 as u64) as u32;
        self.chrome = (size.0.saturating_sub(w), size.1.saturating_sub(h));
        if self.chrome != (0, 0) {
            self.resize(size).await;
        }
        self
    }

    /// Sizes the viewport to `size` (e.g. [`NARROW`], a phone), until [`Tab::shot`] or another call.
    pub async fn viewport(&self, size: (u32, u32)) {
        self.resize(size).await;
    }

    async fn resize(&self, (w, h): (u32, u32)) {
        self.c
            .set_window_size(w + self.chrome.0, h + self.chrome.1)
            .await
            .unwrap_or_else(|e| panic!("resize to {w}×{h}: {e}"));
    }

    /// Closes the browser.
    pub async fn close(mut self) {
        let _ = self.c.clone().close().await;
        self.guard.closed = true;
    }

    pub fn url(&self, path: &str) -> String {
        self.j.app.url(path)
    }

    /// Types `path` into the address bar.
    pub async fn go(&self, path: &str) {
        self.c
            .goto(&self.url(path))
            .await
            .unwrap_or_else(|e| panic!("{}: open {path}: {e}", self.who));
    }

    /// Reloads the page (F5).
    pub async fn reload(&self) {
        self.c.refresh().await.expect("reload");
    }

    /// Saves the page as `<journey>-<NN>-<who>-<step>-<width>.png` at both sizes.
    pub async fn shot(&self, step: &str) {
        let n = self.j.steps.fetch_add(1, Ordering::Relaxed) + 1;
        let base = format!("{}-{n:02}-{}-{step}", self.j.name, self.who);
        for size in [WIDE, NARROW] {
            if size != WIDE {
                self.resize(size).await;
            }
            let png = self.c.screenshot().await.expect("screenshot");
            let path = screenshot_dir().join(format!("{base}-{}.png", size.0));
            std::fs::write(&path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        }
        self.resize(WIDE).await;
    }

    async fn context(&self) -> String {
        match self.c.current_url().await {
            Ok(url) => format!("{} on {url}", self.who),
            Err(_) => self.who.to_string(),
        }
    }

    /// The first element matching `css`, once it is there.
    pub async fn wait(&self, css: &str) -> Element {
        match self
            .c
            .wait()
            .at_most(WAIT)
            .every(POLL)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(el) => el,
            Err(e) => panic!("{}: no `{css}` within {WAIT:?}: {e}", self.context().await),
        }
    }

    /// Every element matching `css` now (no waiting).
    pub async fn all(&self, css: &str) -> Vec<Element> {
        self.c.find_all(Locator::Css(css)).await.expect("find_all")
    }

    pub async fn count(&self, css: &str) -> usize {
        self.all(css).await.len()
    }

    pub async fn click(&self, css: &str) {
        let el = self.wait(css).await;
        if let Err(e) = el.click().await {
            panic!("{}: click `{css}`: {e}", self.context().await);
        }
    }

    /// Clears the field and types `text` into it.
    pub async fn fill(&self, css: &str, text: &str) {
        let el = self.wait(css).await;
        el.clear().await.expect("clear");
        el.send_keys(text).await.expect("type");
    }

    /// Chooses the option with `value` in the select.
    pub async fn choose(&self, css: &str, value: &str) {
        self.wait(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("{}: choose {value} in `{css}`: {e}", self.who));
    }

    /// Attaches files to a file input (as the file picker would).
    pub async fn attach(&self, css: &str, files: &[&Path]) {
        let paths: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
        self.wait(css)
            .await
            .send_keys(&paths.join("\n"))
            .await
            .expect("attach files");
    }

    pub async fn text(&self, css: &str) -> String {
        self.wait(css).await.text().await.expect("text")
    }

    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.wait(css).await.attr(name).await.expect("attribute")
    }

    /// The current value of a form field (what the person sees in it).
    pub async fn value(&self, css: &str) -> String {
        self.wait(css)
            .await
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default()
    }

    pub async fn enabled(&self, css: &str) -> bool {
        self.wait(css).await.is_enabled().await.expect("enabled")
    }

    pub async fn selected(&self, css: &str) -> bool {
        self.wait(css).await.is_selected().await.expect("selected")
    }

    /// The element's box in CSS pixels: (x, y, width, height).
    pub async fn rect(&self, css: &str) -> (f64, f64, f64, f64) {
        self.wait(css).await.rectangle().await.expect("rectangle")
    }

    /// Runs a script in the page (for measuring layout); its result.
    pub async fn script(&self, js: &str) -> serde_json::Value {
        self.c
            .execute(js, vec![])
            .await
            .unwrap_or_else(|e| panic!("script {js}: {e}"))
    }

    pub async fn source(&self) -> String {
        self.c.source().await.expect("page source")
    }

    /// Waits until the first `css` element's attribute `name` is `expected`.
    pub async fn wait_attr(&self, css: &str, name: &str, expected: &str) {
        let deadline = Instant::now() + WAIT;
        let mut seen = None;
        loop {
            if let Ok(el) = self.c.find(Locator::Css(css)).await
                && let Ok(value) = el.attr(name).await
            {
                if value.as_deref() == Some(expected) {
                    return;
                }
                seen = value;
            }
            if Instant::now() > deadline {
                panic!(
                    "{}: `{css}` {name}={seen:?}, expected {expected:?} within {WAIT:?}",
                    self.context().await
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the first `css` element's text contains `needle`; that text.
    pub async fn wait_text(&self, css: &str, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        let mut seen = None;
        loop {
            if let Ok(el) = self.c.find(Locator::Css(css)).await
                && let Ok(text) = el.text().await
            {
                if text.contains(needle) {
                    return text;
                }
                seen = Some(text);
            }
            if Instant::now() > deadline {
                panic!(
                    "{}: `{css}` says {seen:?}, expected it to contain {needle:?} within {WAIT:?}",
                    self.context().await
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }
}
