//! Password hashing: argon2id with its parameters in one place. Hashing is slow on
//! purpose, so the web runs it on threads of its own (`web::off_the_pool`), never on an
//! async worker or on the blocking pool the database calls wait for.
//!
//! Each hash takes 19 MiB for its duration. At most one hash per core runs at a time
//! (the others wait their turn), so a burst of logins costs bounded memory and CPU, and
//! the memory goes back to the system afterwards (see [`return_large_blocks`]).

use std::sync::{Condvar, Mutex, OnceLock};

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};

/// OWASP's recommended argon2id settings: 19 MiB, 2 passes, 1 lane.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Runs `work` when fewer hashes than cores are running.
fn one_per_core<T>(work: impl FnOnce() -> T) -> T {
    static RUNNING: Mutex<usize> = Mutex::new(0);
    static TURN: Condvar = Condvar::new();
    let cores = crate::config::cores();
    {
        let mut running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
        while *running >= cores {
            running = TURN.wait(running).unwrap_or_else(|e| e.into_inner());
        }
        *running += 1;
    }
    struct Done;
    impl Drop for Done {
        fn drop(&mut self) {
            *RUNNING.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
            TURN.notify_one();
        }
    }
    let _done = Done;
    work()
}

/// glibc's malloc raises its mmap threshold to the size of the largest block freed, so
/// after the first hash every 19 MiB block would come from, and stay in, a per-thread
/// arena: a server with many blocking threads kept hundreds of MB after a burst of
/// logins. A fixed threshold keeps big blocks mmapped, returned to the system on free.
/// Call once at start, before threads exist.
pub fn return_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning; called before other threads start.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

pub fn hash(password: &str) -> String {
    one_per_core(|| {
        hasher()
            .hash_password(password.as_bytes())
            .expect("argon2 hashing with valid parameters cannot fail")
            .to_string()
    })
}

/// Checks `password` against `stored`; with no stored hash (unknown email) it
/// checks a dummy hash instead, so both cases take the same time.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("a password nobody has"));
    let ok = one_per_core(|| {
        hasher()
            .verify_password(password.as_bytes(), stored.unwrap_or(dummy))
            .is_ok()
    });
    ok && stored.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_are_argon2id() {
        let h = hash("correct horse battery");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", Some(&h)));
        assert!(!verify("wrong horse battery", Some(&h)));
        assert!(!verify("correct horse battery", None));
        assert!(!verify("x", Some("not a hash")));
    }

    #[test]
    fn no_more_hashes_run_at_once_than_there_are_cores() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NOW: AtomicUsize = AtomicUsize::new(0);
        static MOST: AtomicUsize = AtomicUsize::new(0);
        let cores = crate::config::cores();
        let threads: Vec<_> = (0..cores * 3)
            .map(|_| {
                std::thread::spawn(|| {
                    one_per_core(|| {
                        let now = NOW.fetch_add(1, Ordering::SeqCst) + 1;
                        MOST.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(30));
                        NOW.fetch_sub(1, Ordering::SeqCst);
                    })
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        // Other tests may hold a turn meanwhile, so "at most", not "exactly".
        let most = MOST.load(Ordering::SeqCst);
        assert!(
            (1..=cores).contains(&most),
            "{most} at once on {cores} cores"
        );
    }
}
