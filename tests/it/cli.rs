//! The binary as a user runs it: zero configuration, the private PostgreSQL, signals.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{server, set_mode};

const BIN: &str = env!("CARGO_BIN_EXE_supportdesk");

/// `supportdesk` with no DATABASE_URL and a data folder of its own.
fn command(data_dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_remove("DATABASE_URL")
        .env("SUPPORTDESK_DATA_DIR", data_dir)
        .env("RUST_LOG", "warn")
        .current_dir(data_dir.parent().unwrap());
    cmd
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn signal(child: &Child, sig: i32) {
    unsafe {
        libc::kill(child.id() as i32, sig);
    }
}

fn wait_exit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

async fn wait_healthy(port: u16, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let url = format!("http://127.0.0.1:{port}/healthz");
    loop {
        if let Ok(r) = reqwest::get(&url).await
            && r.status() == 200
        {
            assert_eq!(r.text().await.unwrap(), "ok");
            return;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the server exited early with {status}");
        }
        assert!(
            Instant::now() < deadline,
            "the server did not become healthy within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn cluster_running(data_dir: &Path) -> bool {
    data_dir.join("postgres/postmaster.pid").exists()
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{:?} failed: {}{}",
        cmd,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = server().scratch.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    set_mode(&dir, 0o755);
    dir.join("var")
}

#[tokio::test]
async fn zero_config_serve_starts_and_stops_its_own_postgres_and_reuses_the_data() {
    let data_dir = scratch_dir("zero-config");
    let port = free_port();

    // First start: creates the cluster, migrates, serves.
    let mut serve = command(&data_dir)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    wait_healthy(port, &mut serve).await;
    assert!(cluster_running(&data_dir));
    let pg_version = std::fs::metadata(data_dir.join("postgres/PG_VERSION"))
        .unwrap()
        .modified()
        .unwrap();
    let key = std::fs::read(data_dir.join("secret_key")).unwrap();

    // A command while the server runs joins its cluster and leaves it running.
    let out = run(command(&data_dir).arg("migrate"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("up to date"));
    assert!(cluster_running(&data_dir));
    wait_healthy(port, &mut serve).await;

    // SIGTERM: drains, then stops PostgreSQL.
    signal(&serve, libc::SIGTERM);
    assert!(wait_exit(&mut serve, Duration::from_secs(30)).success());
    assert!(
        !cluster_running(&data_dir),
        "PostgreSQL still running after the server stopped"
    );

    // Second start reuses the data and the key; Ctrl-C (SIGINT) stops both too.
    let mut serve = command(&data_dir)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    wait_healthy(port, &mut serve).await;
    assert_eq!(
        std::fs::metadata(data_dir.join("postgres/PG_VERSION"))
            .unwrap()
            .modified()
            .unwrap(),
        pg_version
    );
    assert_eq!(std::fs::read(data_dir.join("secret_key")).unwrap(), key);
    signal(&serve, libc::SIGINT);
    assert!(wait_exit(&mut serve, Duration::from_secs(30)).success());
    assert!(!cluster_running(&data_dir));

    // Without a server, a command starts the cluster for its own duration.
    let out = run(command(&data_dir).args(["jobs", "run", "--at", "2026-12-01T10:00:00Z"]));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("auto_close: closed 0 tickets"),
        "{out:?}"
    );
    assert!(!cluster_running(&data_dir));

    std::fs::remove_dir_all(data_dir.parent().unwrap()).unwrap();
}

#[test]
fn migrate_with_database_url_is_a_no_op_the_second_time() {
    let server = server();
    let name = server.create_empty_database();
    let data_dir = scratch_dir("migrate-url");
    let migrate = || {
        command(&data_dir)
            .env("DATABASE_URL", server.url(&name))
            .arg("migrate")
            .output()
            .unwrap()
    };
    let first = migrate();
    assert!(first.status.success(), "{first:?}");
    assert!(String::from_utf8_lossy(&first.stdout).contains("applied"));
    let second = migrate();
    assert!(
        String::from_utf8_lossy(&second.stdout).contains("up to date"),
        "{second:?}"
    );
    server.drop_database(&name);
}

#[test]
fn bad_configuration_is_reported_without_a_panic() {
    let data_dir = scratch_dir("bad-config");
    let out = command(&data_dir)
        .env("SUPPORTDESK_JOBS", "sometimes")
        .arg("migrate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("SUPPORTDESK_JOBS") && !err.contains("panicked"),
        "{err}"
    );
}
