//! The private PostgreSQL cluster used when `DATABASE_URL` is unset (DESIGN.md section 7).
//!
//! It lives in `SUPPORTDESK_DATA_DIR/postgres`, is created on first use with the
//! machine's own PostgreSQL server binaries, and listens only on a Unix socket
//! inside that folder, so it never clashes with another PostgreSQL. PostgreSQL
//! refuses to run as root: when we are root, its processes run as the `postgres`
//! system user, which then owns the folder.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The database name the application uses inside its private cluster.
pub const APP_DATABASE: &str = "supportdesk";
/// Unix socket paths are limited to 107 bytes.
const MAX_SOCKET_PATH: usize = 107;
const SOCKET_NAME: &str = ".s.PGSQL.5432";
const SETTINGS_FILE: &str = "supportdesk.conf";

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "no PostgreSQL server binaries found (looked on PATH, in `pg_config --bindir` and under /usr/lib/postgresql/*/bin). \
         Install them (Debian/Ubuntu: `apt-get install postgresql`) or set DATABASE_URL to an existing database."
    )]
    NoBinaries,
    #[error(
        "running as root, but there is no `postgres` system user for PostgreSQL to run as \
         (PostgreSQL refuses to run as root). Create one (`useradd --system postgres`) or set DATABASE_URL."
    )]
    NoPostgresUser,
    #[error(
        "the `postgres` user cannot reach {0}: every parent folder of the data folder must be traversable \
         (e.g. `chmod o+x {0}`), or choose another SUPPORTDESK_DATA_DIR"
    )]
    NotTraversable(PathBuf),
    #[error(
        "the socket path {0} is too long for a Unix socket; choose a shorter SUPPORTDESK_DATA_DIR"
    )]
    PathTooLong(PathBuf),
    #[error("{what} failed: {detail}")]
    Command { what: String, detail: String },
    #[error("PostgreSQL in {dir} did not become ready within {secs} s; see {dir}/server.log")]
    NotReady { dir: PathBuf, secs: u64 },
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> ClusterError {
    let context = context.into();
    move |source| ClusterError::Io { context, source }
}

/// Tuning of a cluster: durable for real data, fast for throwaway test databases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    Durable,
    /// `fsync=off` and friends: only for data that may be lost (tests).
    Throwaway,
}

/// The uid/gid PostgreSQL runs as when we are root.
#[derive(Debug, Clone, Copy)]
struct Owner {
    uid: u32,
    gid: u32,
}

#[derive(Debug)]
pub struct PrivateCluster {
    dir: PathBuf,
    bin_dir: PathBuf,
    owner: Option<Owner>,
    /// Stop the cluster when this handle is stopped or dropped: true only when we started it.
    started_here: bool,
    /// The postmaster, when started attached to this process (see [`PrivateCluster::start_attached`]).
    child: Option<Child>,
}

impl PrivateCluster {
    /// Uses the cluster in `dir` if it is running; otherwise creates it (first time)
    /// and starts it in the background with `pg_ctl`. Only a cluster started by this
    /// call is stopped by [`PrivateCluster::stop`] or on drop.
    pub fn open(dir: &Path, durability: Durability) -> Result<Self, ClusterError> {
        let mut cluster = Self::prepare(dir, durability)?;
        if cluster.is_running() {
            tracing::info!(dir = %cluster.dir.display(), "using the running private PostgreSQL");
            return Ok(cluster);
        }
        let log = cluster.dir.join("server.log");
        let out = cluster
            .command("pg_ctl")
            .arg("-D")
            .arg(&cluster.dir)
            .arg("-l")
            .arg(&log)
            .args(["-w", "-t", "60", "start"])
            .output()
            .map_err(io("could not run pg_ctl"))?;
        if !out.status.success() {
            // Another command may have started it at the same moment: that is fine.
            if cluster.is_running() {
                return Ok(cluster);
            }
            return Err(command_failed("pg_ctl start", &out, Some(&log)));
        }
        cluster.started_here = true;
        tracing::info!(dir = %cluster.dir.display(), "started the private PostgreSQL");
        Ok(cluster)
    }

    /// Starts the postmaster as a child of this process that PostgreSQL shuts down
    /// (fast) when the calling thread ends: for test runs, which have no teardown.
    /// Call it from a thread that lives as long as the process.
    pub fn start_attached(dir: &Path, durability: Durability) -> Result<Self, ClusterError> {
        let mut cluster = Self::prepare(dir, durability)?;
        let log = fs::File::create(cluster.dir.join("server.log"))
            .map_err(io("could not create server.log"))?;
        if let Some(owner) = cluster.owner {
            chown(&cluster.dir.join("server.log"), owner)?;
        }
        let mut cmd = cluster.command("postgres");
        cmd.arg("-D")
            .arg(&cluster.dir)
            .stdout(Stdio::null())
            .stderr(log);
        // SAFETY: prctl is async-signal-safe; it runs in the forked child before exec.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGINT) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        cluster.child = Some(cmd.spawn().map_err(io("could not start postgres"))?);
        cluster.started_here = true;
        cluster.wait_ready(Duration::from_secs(60))?;
        Ok(cluster)
    }

    /// Finds the binaries, checks the folder, runs `initdb` the first time and writes our settings.
    fn prepare(dir: &Path, durability: Durability) -> Result<Self, ClusterError> {
        let bin_dir = find_bin_dir().ok_or(ClusterError::NoBinaries)?;
        let owner = if unsafe { libc::geteuid() } == 0 {
            Some(postgres_user().ok_or(ClusterError::NoPostgresUser)?)
        } else {
            None
        };
        fs::create_dir_all(dir).map_err(io(format!("could not create {}", dir.display())))?;
        let dir =
            fs::canonicalize(dir).map_err(io(format!("could not resolve {}", dir.display())))?;
        let socket = dir.join(SOCKET_NAME);
        if socket.as_os_str().len() > MAX_SOCKET_PATH {
            return Err(ClusterError::PathTooLong(socket));
        }
        if let Some(owner) = owner {
            check_traversable(&dir, owner)?;
            chown(&dir, owner)?;
        }
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))
            .map_err(io("could not set the folder's mode"))?;
        let cluster = PrivateCluster {
            dir,
            bin_dir,
            owner,
            started_here: false,
            child: None,
        };
        if !cluster.dir.join("PG_VERSION").exists() {
            cluster.initdb()?;
        }
        cluster.write_settings(durability)?;
        Ok(cluster)
    }

    fn initdb(&self) -> Result<(), ClusterError> {
        tracing::info!(dir = %self.dir.display(), "creating the private PostgreSQL cluster");
        let out = self
            .command("initdb")
            .arg("-D")
            .arg(&self.dir)
            .args([
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-instructions",
            ])
            .output()
            .map_err(io("could not run initdb"))?;
        if !out.status.success() {
            return Err(command_failed("initdb", &out, None));
        }
        let conf = self.dir.join("postgresql.conf");
        let mut text = fs::read_to_string(&conf).map_err(io("could not read postgresql.conf"))?;
        text.push_str(&format!(
            "\n# Written by supportdesk on every start.\ninclude_if_exists = '{SETTINGS_FILE}'\n"
        ));
        fs::write(&conf, text).map_err(io("could not write postgresql.conf"))
    }

    /// Rewritten at every start so the socket follows the folder if it moves.
    fn write_settings(&self, durability: Durability) -> Result<(), ClusterError> {
        let mut text = format!(
            "listen_addresses = ''\nunix_socket_directories = '{}'\n",
            self.dir.display().to_string().replace('\'', "''")
        );
        if durability == Durability::Throwaway {
            text.push_str("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 300\n");
        }
        let path = self.dir.join(SETTINGS_FILE);
        fs::write(&path, text).map_err(io("could not write supportdesk.conf"))?;
        if let Some(owner) = self.owner {
            chown(&path, owner)?;
        }
        Ok(())
    }

    fn wait_ready(&mut self, limit: Duration) -> Result<(), ClusterError> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            // PostgreSQL ≥ 10 writes "ready" on the 8th line of postmaster.pid once it accepts connections.
            if let Ok(pid_file) = fs::read_to_string(self.dir.join("postmaster.pid"))
                && pid_file.lines().nth(7).is_some_and(|l| l.trim() == "ready")
                && self.dir.join(SOCKET_NAME).exists()
            {
                return Ok(());
            }
            if let Some(child) = &mut self.child
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(ClusterError::Command {
                    what: "postgres".into(),
                    detail: format!(
                        "exited with {status}; {}",
                        log_tail(&self.dir.join("server.log"))
                    ),
                });
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        Err(ClusterError::NotReady {
            dir: self.dir.clone(),
            secs: limit.as_secs(),
        })
    }

    pub fn is_running(&self) -> bool {
        self.command("pg_ctl")
            .arg("-D")
            .arg(&self.dir)
            .arg("status")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// A libpq URL for `database` over the cluster's socket.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://postgres@{}/{}",
            percent_encode(&self.dir.to_string_lossy()),
            database
        )
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn started_here(&self) -> bool {
        self.started_here
    }

    /// Stops the cluster (fast shutdown) if this handle started it.
    pub fn stop(&mut self) {
        if !self.started_here {
            return;
        }
        self.started_here = false;
        let out = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.dir)
            .args(["-m", "fast", "-w", "-t", "60", "stop"])
            .output();
        match out {
            Ok(out) if out.status.success() => {
                tracing::info!(dir = %self.dir.display(), "stopped the private PostgreSQL")
            }
            Ok(out) => tracing::error!("{}", command_failed("pg_ctl stop", &out, None)),
            Err(e) => tracing::error!("could not run pg_ctl stop: {e}"),
        }
        if let Some(mut child) = self.child.take() {
            let _ = child.wait();
        }
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.bin_dir.join(program));
        // Its own process group: a Ctrl-C in the terminal must reach only us, so the
        // database stays up until the HTTP server has drained.
        cmd.process_group(0).current_dir("/").env_remove("PGDATA");
        if let Some(owner) = self.owner {
            cmd.uid(owner.uid)
                .gid(owner.gid)
                .env("HOME", &self.dir)
                .env("USER", "postgres");
        }
        cmd
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The folder holding `initdb`, `pg_ctl` and `postgres`.
pub fn find_bin_dir() -> Option<PathBuf> {
    let has_all = |d: &Path| {
        ["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|b| d.join(b).is_file())
    };
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        // A PATH entry may hold symlinks into the real bin dir (Debian's /usr/local/bin/initdb):
        // resolve through pg_ctl so the three come from one installation.
        .filter_map(|d| {
            fs::canonicalize(d.join("pg_ctl"))
                .ok()
                .and_then(|p| p.parent().map(Path::to_path_buf))
        })
        .find(|d| has_all(d));
    if on_path.is_some() {
        return on_path;
    }
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .filter(|d| has_all(d));
    if from_pg_config.is_some() {
        return from_pg_config;
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            has_all(&bin).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn postgres_user() -> Option<Owner> {
    let passwd = fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() > 3 && fields[0] == "postgres" {
            Some(Owner {
                uid: fields[2].parse().ok()?,
                gid: fields[3].parse().ok()?,
            })
        } else {
            None
        }
    })
}

fn check_traversable(dir: &Path, owner: Owner) -> Result<(), ClusterError> {
    for ancestor in dir.ancestors().skip(1) {
        let Ok(meta) = fs::metadata(ancestor) else {
            continue;
        };
        let mode = meta.mode();
        let ok = mode & 0o001 != 0
            || (meta.uid() == owner.uid && mode & 0o100 != 0)
            || (meta.gid() == owner.gid && mode & 0o010 != 0);
        if !ok {
            return Err(ClusterError::NotTraversable(ancestor.to_path_buf()));
        }
    }
    Ok(())
}

fn chown(path: &Path, owner: Owner) -> Result<(), ClusterError> {
    std::os::unix::fs::chown(path, Some(owner.uid), Some(owner.gid))
        .map_err(io(format!("could not chown {}", path.display())))
}

fn command_failed(what: &str, out: &Output, log: Option<&Path>) -> ClusterError {
    let mut detail = String::from_utf8_lossy(&out.stderr).trim().to_string();
    if detail.is_empty() {
        detail = String::from_utf8_lossy(&out.stdout).trim().to_string();
    }
    if let Some(log) = log {
        detail.push_str("; ");
        detail.push_str(&log_tail(log));
    }
    ClusterError::Command {
        what: what.into(),
        detail,
    }
}

fn log_tail(log: &Path) -> String {
    let text = fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    format!(
        "server log: {}",
        lines[lines.len().saturating_sub(5)..].join(" | ")
    )
}

/// Percent-encodes everything but unreserved characters, so a socket folder can be a URL host.
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_folder_becomes_an_encoded_host() {
        assert_eq!(percent_encode("/work/my var/pg"), "%2Fwork%2Fmy%20var%2Fpg");
    }
}
