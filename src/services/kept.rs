//! Values read from the database and kept in memory for a short while, so that busy pages
//! do not read them on every request.

use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rustc_hash::FxHashMap;

/// Values kept for at most `ttl` each, by key. A change followed by [`Kept::forget`] shows at
/// once (a value read before it is never kept after it); any other change (another
/// process's, the scheduled jobs', one made in the database by hand) shows within the TTL.
pub struct Kept<K, V> {
    ttl: Duration,
    /// At most this many values: past it, the stale ones go, and if that is not enough, all.
    cap: usize,
    inner: Arc<Mutex<Inner<K, V>>>,
}

impl<K, V> Clone for Kept<K, V> {
    fn clone(&self) -> Self {
        Kept {
            ttl: self.ttl,
            cap: self.cap,
            inner: self.inner.clone(),
        }
    }
}

struct Inner<K, V> {
    /// Moves on at every [`Kept::forget`].
    generation: u64,
    values: FxHashMap<K, (Instant, V)>,
}

/// A value about to be read because none was kept: give it to [`Kept::keep`] with what was read.
#[derive(Debug)]
pub struct Reading {
    generation: u64,
    started: Instant,
}

impl<K: Eq + Hash + Clone, V: Clone> Kept<K, V> {
    pub fn new(ttl: Duration) -> Self {
        Self::with_cap(ttl, usize::MAX)
    }

    /// For keys without a natural bound (every organization there is): at most `cap` values.
    pub fn with_cap(ttl: Duration, cap: usize) -> Self {
        Kept {
            ttl,
            cap,
            inner: Arc::new(Mutex::new(Inner {
                generation: 0,
                values: FxHashMap::default(),
            })),
        }
    }

    /// The value kept for `key` if it is fresh; otherwise the reading to keep a new one with.
    /// Take the reading before reading the database.
    pub fn get(&self, key: &K) -> Result<V, Reading> {
        let inner = self.lock();
        match inner.values.get(key) {
            Some((read_at, value)) if read_at.elapsed() <= self.ttl => Ok(value.clone()),
            _ => Err(Reading {
                generation: inner.generation,
                started: Instant::now(),
            }),
        }
    }

    /// Keeps `value` for `key`, unless something was forgotten since `reading` began. Its
    /// age counts from the reading's start.
    pub fn keep(&self, reading: Reading, key: K, value: V) {
        self.keep_all(reading, [(key, value)]);
    }

    fn keep_all(&self, reading: Reading, values: impl IntoIterator<Item = (K, V)>) {
        let mut inner = self.lock();
        if inner.generation != reading.generation {
            return;
        }
        for (key, value) in values {
            if inner.values.len() >= self.cap && !inner.values.contains_key(&key) {
                let ttl = self.ttl;
                inner
                    .values
                    .retain(|_, (read_at, _)| read_at.elapsed() <= ttl);
                if inner.values.len() >= self.cap {
                    inner.values.clear();
                }
            }
            inner.values.insert(key, (reading.started, value));
        }
    }

    /// The values for `keys`: those kept and fresh, and the others read with `read` in one go
    /// (given the missing keys; what it returns is kept). A key `read` finds nothing for is
    /// left out.
    pub fn get_many<E>(
        &self,
        keys: impl IntoIterator<Item = K>,
        read: impl FnOnce(&[K]) -> Result<Vec<(K, V)>, E>,
    ) -> Result<FxHashMap<K, V>, E> {
        let mut found = FxHashMap::default();
        let mut missing = Vec::new();
        let reading = {
            let inner = self.lock();
            for key in keys {
                if found.contains_key(&key) || missing.contains(&key) {
                    continue;
                }
                match inner.values.get(&key) {
                    Some((read_at, value)) if read_at.elapsed() <= self.ttl => {
                        found.insert(key, value.clone());
                    }
                    _ => missing.push(key),
                }
            }
            Reading {
                generation: inner.generation,
                started: Instant::now(),
            }
        };
        if missing.is_empty() {
            return Ok(found);
        }
        let read = read(&missing)?;
        found.extend(read.iter().cloned());
        self.keep_all(reading, read);
        Ok(found)
    }

    /// The value for `key`, kept or read with `read` (and then kept).
    pub fn get_or_read<E>(&self, key: K, read: impl FnOnce() -> Result<V, E>) -> Result<V, E> {
        match self.get(&key) {
            Ok(value) => Ok(value),
            Err(reading) => {
                let value = read()?;
                self.keep(reading, key, value.clone());
                Ok(value)
            }
        }
    }

    /// After a change in this process: every value is read afresh.
    pub fn forget(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.values.clear();
    }

    fn lock(&self) -> MutexGuard<'_, Inner<K, V>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_kept_until_its_ttl_or_a_change() {
        let kept: Kept<i64, &str> = Kept::new(Duration::from_secs(60));
        let reading = kept.get(&1).unwrap_err();
        kept.keep(reading, 1, "first");
        assert_eq!(kept.get(&1).unwrap(), "first");
        assert!(kept.get(&2).is_err(), "keys are kept apart");
        kept.forget();
        assert!(kept.get(&1).is_err(), "a change forgets every value");

        let expired: Kept<i64, &str> = Kept::new(Duration::ZERO);
        let reading = expired.get(&1).unwrap_err();
        expired.keep(reading, 1, "old");
        std::thread::sleep(Duration::from_millis(2));
        assert!(
            expired.get(&1).is_err(),
            "a value older than the TTL is read again"
        );
    }

    #[test]
    fn many_values_are_read_once_in_one_go_and_kept_under_the_cap() {
        let kept: Kept<i64, String> = Kept::with_cap(Duration::from_secs(60), 3);
        let asked = std::cell::RefCell::new(Vec::new());
        let read = |keys: &[i64]| {
            asked.borrow_mut().push(keys.to_vec());
            // Key 9 exists nowhere.
            Ok::<_, ()>(
                keys.iter()
                    .filter(|k| **k != 9)
                    .map(|k| (*k, format!("v{k}")))
                    .collect(),
            )
        };
        let got = kept.get_many([1, 2, 1, 9], read).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[&1], "v1");
        assert!(!got.contains_key(&9));
        let got = kept.get_many([2, 3], read).unwrap();
        assert_eq!((got[&2].as_str(), got[&3].as_str()), ("v2", "v3"));
        assert_eq!(
            *asked.borrow(),
            [vec![1, 2, 9], vec![3]],
            "each missing key read once, in one go"
        );
        // A fourth value is past the cap of three fresh ones: the book starts afresh.
        kept.get_many([4], read).unwrap();
        assert!(kept.get(&4).is_ok());
        assert!(kept.get(&1).is_err() && kept.get(&3).is_err());
        kept.forget();
        assert!(kept.get(&4).is_err());
    }

    #[test]
    fn a_value_read_before_a_change_is_not_kept() {
        let kept: Kept<i64, &str> = Kept::new(Duration::from_secs(60));
        let reading = kept.get(&1).unwrap_err();
        // Another request changes something while this one reads.
        kept.forget();
        kept.keep(reading, 1, "stale");
        assert!(kept.get(&1).is_err());
        assert_eq!(kept.get_or_read(1, || Ok::<_, ()>("fresh")), Ok("fresh"));
        assert_eq!(kept.get(&1).unwrap(), "fresh");
    }
}
