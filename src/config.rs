//! Settings from the environment (DESIGN.md section 7). Secrets are wrapped so
//! they never end up in logs or `Debug` output.

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

/// A value that must never be printed.
#[derive(Clone)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Secret(value)
    }
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is not valid: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error("could not use the data folder {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: Option<Secret<String>>,
    pub bind: String,
    pub data_dir: PathBuf,
    /// `None`: generate one and keep it in the data folder (see [`Settings::secret_key`]).
    pub secret_key: Option<Secret<String>>,
    pub secure_cookies: bool,
    pub ticket_prefix: String,
    pub auto_close_hours: u32,
    pub jobs: bool,
    pub jobs_schedule: String,
    pub demo: bool,
    /// `None`: [`Settings::db_connections`] decides from the machine.
    pub db_connections: Option<u32>,
}

/// Length of the key material kept in the data folder (actix's cookie `Key` wants 64 bytes).
pub const SECRET_KEY_BYTES: usize = 64;
/// The processors this process may use (1 when the system cannot say).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The most `SUPPORTDESK_DB_CONNECTIONS` may ask for (PostgreSQL's default limit is 100).
pub const MAX_DB_CONNECTIONS: u32 = 1000;
/// Shortest `SUPPORTDESK_SECRET_KEY` we accept; shorter keys are guessable.
pub const MIN_SECRET_KEY_LEN: usize = 32;

impl Settings {
    /// Reads the process environment (after `.env`, which `cli` loads first).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Same as [`Settings::from_env`] over any source, so it can be tested without touching the environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let non_empty = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let secret_key = non_empty("SUPPORTDESK_SECRET_KEY");
        if let Some(key) = &secret_key
            && key.len() < MIN_SECRET_KEY_LEN
        {
            return Err(ConfigError::Invalid {
                name: "SUPPORTDESK_SECRET_KEY",
                reason: format!("use at least {MIN_SECRET_KEY_LEN} random characters"),
            });
        }
        Ok(Settings {
            database_url: non_empty("DATABASE_URL").map(Secret::new),
            bind: non_empty("SUPPORTDESK_BIND").unwrap_or_else(|| "127.0.0.1:8080".into()),
            data_dir: PathBuf::from(
                non_empty("SUPPORTDESK_DATA_DIR").unwrap_or_else(|| "./var".into()),
            ),
            secret_key: secret_key.map(Secret::new),
            secure_cookies: parse_bool(
                "SUPPORTDESK_SECURE_COOKIES",
                non_empty("SUPPORTDESK_SECURE_COOKIES"),
                false,
            )?,
            ticket_prefix: get("SUPPORTDESK_TICKET_PREFIX").unwrap_or_else(|| "T-".into()),
            auto_close_hours: match non_empty("SUPPORTDESK_AUTO_CLOSE_HOURS") {
                None => 48,
                Some(v) => v.trim().parse().map_err(|_| ConfigError::Invalid {
                    name: "SUPPORTDESK_AUTO_CLOSE_HOURS",
                    reason: format!("expected a whole number of hours, got {v:?}"),
                })?,
            },
            jobs: parse_bool("SUPPORTDESK_JOBS", non_empty("SUPPORTDESK_JOBS"), true)?,
            jobs_schedule: non_empty("SUPPORTDESK_JOBS_SCHEDULE")
                .unwrap_or_else(|| "0 * * * * *".into()),
            demo: parse_bool("SUPPORTDESK_DEMO", non_empty("SUPPORTDESK_DEMO"), false)?,
            db_connections: match non_empty("SUPPORTDESK_DB_CONNECTIONS") {
                None => None,
                Some(v) => Some(
                    v.trim()
                        .parse()
                        .ok()
                        .filter(|n| (1..=MAX_DB_CONNECTIONS).contains(n))
                        .ok_or_else(|| ConfigError::Invalid {
                            name: "SUPPORTDESK_DB_CONNECTIONS",
                            reason: format!(
                                "expected a whole number from 1 to {MAX_DB_CONNECTIONS}, got {v:?}"
                            ),
                        })?,
                ),
            },
        })
    }

    /// How many database connections a serving process keeps for its requests: the setting, or
    /// twice the processor count. More connections than PostgreSQL can keep busy do not make
    /// pages faster; they make every statement wait its turn for a processor (see `web::with_db`).
    pub fn db_connections(&self) -> u32 {
        self.db_connections.unwrap_or_else(|| {
            u32::try_from(cores() * 2)
                .unwrap_or(MAX_DB_CONNECTIONS)
                .min(MAX_DB_CONNECTIONS)
        })
    }

    /// The cookie signing/encryption key material: `SUPPORTDESK_SECRET_KEY` when set,
    /// otherwise random bytes generated once and kept in `DATA_DIR/secret_key` (mode 0600).
    pub fn secret_key_material(&self) -> Result<Vec<u8>, ConfigError> {
        match &self.secret_key {
            Some(key) => Ok(key.expose().as_bytes().to_vec()),
            None => load_or_create_key_file(&self.data_dir.join("secret_key")),
        }
    }
}

fn parse_bool(
    name: &'static str,
    value: Option<String>,
    default: bool,
) -> Result<bool, ConfigError> {
    match value.as_deref().map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(default),
        Some(v) => match v.as_str() {
            "1" | "true" | "on" | "yes" => Ok(true),
            "0" | "false" | "off" | "no" => Ok(false),
            _ => Err(ConfigError::Invalid {
                name,
                reason: format!("expected on/off or true/false, got {v:?}"),
            }),
        },
    }
}

fn load_or_create_key_file(path: &Path) -> Result<Vec<u8>, ConfigError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;

    let io_err = |source| ConfigError::DataDir {
        path: path.to_path_buf(),
        source,
    };
    if let Ok(text) = std::fs::read_to_string(path) {
        return match BASE64.decode(text.trim()) {
            Ok(bytes) if bytes.len() >= SECRET_KEY_BYTES => Ok(bytes),
            _ => Err(ConfigError::Invalid {
                name: "secret_key file",
                reason: format!(
                    "{} is damaged; delete it to generate a new key (all sessions end)",
                    path.display()
                ),
            }),
        };
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io_err)?;
    }
    let mut bytes = vec![0u8; SECRET_KEY_BYTES];
    rand::fill(&mut bytes[..]);
    // create_new: two processes racing on first start must not overwrite each other's key.
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(mut file) => {
            file.write_all(BASE64.encode(&bytes).as_bytes())
                .map_err(io_err)?;
            Ok(bytes)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => load_or_create_key_file(path),
        Err(e) => Err(io_err(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_match_the_design() {
        let s = settings(&[]).unwrap();
        assert!(s.database_url.is_none());
        assert_eq!(s.bind, "127.0.0.1:8080");
        assert_eq!(s.data_dir, PathBuf::from("./var"));
        assert!(!s.secure_cookies);
        assert_eq!(s.ticket_prefix, "T-");
        assert_eq!(s.auto_close_hours, 48);
        assert!(s.jobs);
        assert_eq!(s.jobs_schedule, "0 * * * * *");
        assert!(!s.demo);
        assert!(s.db_connections.is_none());
        assert_eq!(s.db_connections(), 2 * cores() as u32);
        let s = settings(&[("SUPPORTDESK_DB_CONNECTIONS", " 7 ")]).unwrap();
        assert_eq!(s.db_connections(), 7);
    }

    #[test]
    fn bad_values_are_refused_with_the_variable_name() {
        let err = settings(&[("SUPPORTDESK_JOBS", "maybe")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("SUPPORTDESK_JOBS"), "{err}");
        let err = settings(&[("SUPPORTDESK_AUTO_CLOSE_HOURS", "two")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("SUPPORTDESK_AUTO_CLOSE_HOURS"), "{err}");
        assert!(settings(&[("SUPPORTDESK_SECRET_KEY", "short")]).is_err());
        for bad in ["0", "-3", "many", "1001"] {
            let err = settings(&[("SUPPORTDESK_DB_CONNECTIONS", bad)])
                .unwrap_err()
                .to_string();
            assert!(err.contains("SUPPORTDESK_DB_CONNECTIONS"), "{err}");
        }
    }

    #[test]
    fn secrets_are_not_printed() {
        let s = settings(&[("DATABASE_URL", "postgres://u:hunter2@h/db")]).unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn generated_key_is_kept_private_and_reused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("sd-key-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let s = settings(&[("SUPPORTDESK_DATA_DIR", dir.to_str().unwrap())]).unwrap();
        let first = s.secret_key_material().unwrap();
        let second = s.secret_key_material().unwrap();
        assert_eq!(first, second);
        assert_eq!(first.len(), SECRET_KEY_BYTES);
        let mode = std::fs::metadata(dir.join("secret_key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
