//! The test harness: one PostgreSQL per test run, a template database migrated
//! once, and for each test its own database cloned from it (milliseconds) and
//! the real app on port 0 against it. Both are dropped when the test ends.
//!
//! With `DATABASE_URL` set, that server is used instead of a private cluster.

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{OnceLock, mpsc};

use diesel::{Connection, PgConnection, RunQueryDsl};
use supportdesk::config::Settings;
use supportdesk::db;
use supportdesk::db::embedded::{Durability, PrivateCluster};
use supportdesk::web::{self, AppState};

/// The PostgreSQL server the tests use.
pub struct TestServer {
    /// URL of a database on that server without the database name: `{base}/{db}`.
    base: String,
    template: String,
    /// Folder for per-test files (data dirs of CLI tests), traversable by `postgres`.
    pub scratch: PathBuf,
}

impl TestServer {
    pub fn url(&self, database: &str) -> String {
        format!("{}/{}", self.base, database)
    }

    pub fn admin(&self) -> PgConnection {
        PgConnection::establish(&self.url("postgres")).expect("connect to the test server")
    }

    /// A new database cloned from the migrated template.
    pub fn create_database(&self) -> String {
        let name = unique_name("t");
        execute(
            &mut self.admin(),
            &format!("CREATE DATABASE {name} TEMPLATE {}", self.template),
        );
        name
    }

    /// A new empty database (no migrations).
    pub fn create_empty_database(&self) -> String {
        let name = unique_name("e");
        execute(&mut self.admin(), &format!("CREATE DATABASE {name}"));
        name
    }

    pub fn drop_database(&self, name: &str) {
        execute(
            &mut self.admin(),
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        );
    }
}

pub fn execute(conn: &mut PgConnection, sql: &str) {
    diesel::sql_query(sql)
        .execute(conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

fn unique_name(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "sd_{prefix}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

pub fn server() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let root = std::env::temp_dir().join("supportdesk-tests");
        std::fs::create_dir_all(&root).unwrap();
        remove_stale_runs(&root);
        let scratch = root.join(std::process::id().to_string());
        std::fs::create_dir_all(&scratch).unwrap();
        set_mode(&root, 0o755);
        set_mode(&scratch, 0o755);
        let base = match std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            Some(url) => url
                .rsplit_once('/')
                .map(|(b, _)| b.to_string())
                .expect("DATABASE_URL with a database name"),
            None => start_private_cluster(scratch.join("pg")),
        };
        let server = TestServer {
            base,
            template: format!("sd_template_{}", std::process::id()),
            scratch,
        };
        let mut admin = server.admin();
        execute(
            &mut admin,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", server.template),
        );
        execute(&mut admin, &format!("CREATE DATABASE {}", server.template));
        // Migrate once; the connection closes here, as CREATE DATABASE … TEMPLATE requires.
        db::migrate_url(&server.url(&server.template)).expect("migrate the template database");
        server
    })
}

/// The cluster shuts down when the thread that started it ends (PR_SET_PDEATHSIG):
/// a thread that parks forever ties it to the life of the test process.
fn start_private_cluster(dir: PathBuf) -> String {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("test-postgres".into())
        .spawn(
            move || match PrivateCluster::start_attached(&dir, Durability::Throwaway) {
                Ok(cluster) => {
                    let url = cluster.url("postgres");
                    tx.send(Ok(url.rsplit_once('/').unwrap().0.to_string()))
                        .unwrap();
                    loop {
                        std::thread::park();
                    }
                }
                Err(e) => tx.send(Err(e.to_string())).unwrap(),
            },
        )
        .unwrap();
    rx.recv()
        .unwrap()
        .unwrap_or_else(|e| panic!("could not start the test PostgreSQL: {e}"))
}

/// Folders of earlier runs whose process is gone.
fn remove_stale_runs(root: &std::path::Path) {
    for entry in std::fs::read_dir(root).into_iter().flatten().flatten() {
        if let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>()
            && !PathBuf::from(format!("/proc/{pid}")).exists()
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

pub fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Settings as a fresh install would have them, with overrides.
pub fn test_settings(overrides: &[(&str, &str)]) -> Settings {
    let data_dir = server().scratch.join(unique_name("data"));
    let data_dir = data_dir.to_string_lossy().to_string();
    let mut vars: Vec<(String, String)> = vec![("SUPPORTDESK_DATA_DIR".into(), data_dir)];
    vars.extend(
        overrides
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    Settings::from_lookup(|name| {
        vars.iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    })
    .unwrap()
}

/// The real app, in this process, on its own database and port.
pub struct TestApp {
    pub addr: String,
    pub db_name: String,
    pub client: reqwest::Client,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
    owns_db: bool,
    /// Its settings' data folder (the session key's file).
    data_dir: PathBuf,
    /// The server's ticket queues (shared with it), for what they counted.
    pub turns: supportdesk::web::turns::TicketTurns,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(test_settings(&[])).await
    }

    pub async fn spawn_with(settings: Settings) -> TestApp {
        Self::start(server().create_database(), settings, true).await
    }

    /// A second server on this app's database, as another process behind the same balancer:
    /// its own pool and memory, the same session key. The first app drops the database.
    pub async fn beside(&self) -> TestApp {
        let same_key = self.data_dir.to_string_lossy().to_string();
        let settings = test_settings(&[("SUPPORTDESK_DATA_DIR", &same_key)]);
        Self::start(self.db_name.clone(), settings, false).await
    }

    async fn start(db_name: String, settings: Settings, owns_db: bool) -> TestApp {
        let server = server();
        let data_dir = settings.data_dir.clone();
        let pool = db::build_pool(&server.url(&db_name), 4).expect("pool");
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = format!("http://{}", listener.local_addr().unwrap());
        let state = AppState::new(pool, settings).expect("app state");
        let turns = state.turns.clone();
        // The server runs on its own thread and actix system, so dropping the test
        // runtime cannot strand it and Drop can stop it synchronously.
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = web::build_server(state, listener, Some(1)).expect("build server");
                tx.send(server.handle()).unwrap();
                server.await.expect("server");
            })
        });
        let handle = rx.recv().unwrap();
        let client = new_client();
        TestApp {
            addr,
            db_name,
            client,
            handle,
            thread: Some(thread),
            owns_db,
            data_dir,
            turns,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// A second browser: its own cookie jar, same server.
    pub fn new_browser(&self) -> Browser {
        Browser {
            addr: self.addr.clone(),
            client: new_client(),
        }
    }

    /// The default browser of this app.
    pub fn browser(&self) -> Browser {
        Browser {
            addr: self.addr.clone(),
            client: self.client.clone(),
        }
    }

    /// A small pool on this test's database (for calling library code such as the jobs).
    pub fn pool(&self) -> supportdesk::db::PgPool {
        db::build_pool(&server().url(&self.db_name), 4).expect("pool")
    }

    /// A connection to this test's database, for arranging and checking data.
    pub fn conn(&self) -> PgConnection {
        PgConnection::establish(&server().url(&self.db_name)).expect("connect to the test database")
    }

    /// Creates a staff user directly (the CLI's `user add` path) and returns its id.
    pub fn add_staff(&self, role: &str, email: &str, password: &str) -> i64 {
        use supportdesk::services::{passwords, staff};
        let input = staff::NewStaffInput {
            name: format!("Staff {email}"),
            email: email.into(),
            password: password.into(),
            role: role.into(),
        };
        let valid = staff::validate(&input).expect("valid staff");
        staff::create(&mut self.conn(), &valid, &passwords::hash(password)).expect("create staff")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        let _ =
            std::thread::spawn(move || actix_web::rt::System::new().block_on(handle.stop(false)))
                .join();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        if self.owns_db {
            server().drop_database(&self.db_name);
        }
    }
}

fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// One person's browser: a cookie jar that follows no redirects (tests assert them).
#[derive(Clone)]
pub struct Browser {
    pub addr: String,
    pub client: reqwest::Client,
}

impl Browser {
    /// This browser (its cookies) talking to `app`'s server instead.
    pub fn on(&self, app: &TestApp) -> Browser {
        Browser {
            addr: app.addr.clone(),
            client: self.client.clone(),
        }
    }
}

/// A response read whole: status, `Location`, body.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

/// `303 See Other` to `to`, or a readable failure with the page.
#[track_caller]
pub fn assert_see_other(page: &Page, to: &str) {
    assert_eq!(
        (page.status, page.location.as_deref()),
        (303, Some(to)),
        "{}",
        page.body
    );
}

/// A response read whole (for requests built by hand).
pub async fn read(r: reqwest::Response) -> Page {
    Page::read(r).await
}

impl Page {
    async fn read(r: reqwest::Response) -> Page {
        Page {
            status: r.status().as_u16(),
            location: r
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_string()),
            body: r.text().await.unwrap(),
        }
    }

    /// The value of the first hidden `csrf_token` input on the page.
    pub fn csrf(&self) -> String {
        let marker = "name=\"csrf_token\" value=\"";
        let start = self
            .body
            .find(marker)
            .unwrap_or_else(|| panic!("no csrf_token on the page:\n{}", self.body))
            + marker.len();
        let end = self.body[start..].find('"').unwrap();
        self.body[start..start + end].to_string()
    }
}

impl Browser {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> Page {
        Page::read(self.client.get(self.url(path)).send().await.expect("GET")).await
    }

    /// POSTs a form exactly as given (no token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        Page::read(
            self.client
                .post(self.url(path))
                .form(fields)
                .send()
                .await
                .expect("POST"),
        )
        .await
    }

    /// POSTs a form with the session's CSRF token taken from `form_page` (a GET of that page first).
    pub async fn post_from(&self, form_page: &str, path: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.get(form_page).await.csrf();
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// POSTs a form with the CSRF token from `/login` (any page with a form works; the token is per session).
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.post_from("/login", path, fields).await
    }

    /// POSTs multipart/form-data as the forms do: the CSRF token (from `form_page`) first,
    /// then `fields`, then each file as an `attachments` part.
    pub async fn post_multipart_from(
        &self,
        form_page: &str,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, Vec<u8>)],
    ) -> Page {
        let token = self.get(form_page).await.csrf();
        self.post_multipart_with(&token, path, fields, files).await
    }

    /// POSTs multipart/form-data with a token fetched earlier (no page load first:
    /// requests that must leave together, as in the race tests).
    pub async fn post_multipart_with(
        &self,
        token: &str,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, Vec<u8>)],
    ) -> Page {
        let mut form = reqwest::multipart::Form::new().text("csrf_token", token.to_string());
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        for (name, bytes) in files {
            form = form.part(
                "attachments",
                reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.to_string()),
            );
        }
        Page::read(
            self.client
                .post(self.url(path))
                .multipart(form)
                .send()
                .await
                .expect("POST multipart"),
        )
        .await
    }

    pub async fn signup(&self, org_key: &str, email: &str, password: &str) -> Page {
        self.post(
            "/signup",
            &[
                ("organization", &format!("Org {org_key}")),
                ("organization_key", org_key),
                ("name", &format!("Person {email}")),
                ("email", email),
                ("password", password),
            ],
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Page {
        self.post("/login", &[("email", email), ("password", password)])
            .await
    }
}
