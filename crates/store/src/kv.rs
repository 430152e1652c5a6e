//! The small key-value interface the store is written against, and an in-memory
//! implementation with the real host's limits and fault injection for tests.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

/// Largest value Fermyon Cloud and Akamai Functions accept (1 MB).
pub const HOST_MAX_VALUE: usize = 1_000_000;
/// Longest key the Spin key-value interface promises to accept.
pub const HOST_MAX_KEY: usize = 255;

/// An error from a key-value backend.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KvError {
    #[error("value for key {key} is {size} bytes, over the store's {max}-byte limit")]
    ValueTooLarge {
        key: String,
        size: usize,
        max: usize,
    },
    #[error("key of {len} bytes is over the store's {max}-byte limit")]
    KeyTooLong { len: usize, max: usize },
    #[error("the key-value store is full ({max} keys)")]
    StoreFull { max: usize },
    /// The store cannot be opened or used at all (no such store, access denied).
    #[error("key-value store unavailable: {0}")]
    Unavailable(String),
    #[error("key-value store error: {0}")]
    Other(String),
}

/// A key-value store with string keys and byte values, as Spin's `key-value` interface.
///
/// Methods take `&self` because the real backends are handles to a host resource.
pub trait Kv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError>;
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError>;
    /// Deleting a key that does not exist is not an error.
    fn delete(&self, key: &str) -> Result<(), KvError>;
    fn exists(&self, key: &str) -> Result<bool, KvError> {
        Ok(self.get(key)?.is_some())
    }
    /// Every key in the store (Spin has no prefix listing; callers filter).
    fn list_keys(&self) -> Result<Vec<String>, KvError>;
    /// Appends the value to `out` and returns its length. Readers assemble a file in one
    /// preallocated buffer this way; backends that own their bytes can skip a temporary.
    fn get_into(&self, key: &str, out: &mut Vec<u8>) -> Result<Option<usize>, KvError> {
        Ok(self.get(key)?.map(|v| {
            out.extend_from_slice(&v);
            v.len()
        }))
    }
}

impl<T: Kv + ?Sized> Kv for &T {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        (**self).get(key)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        (**self).set(key, value)
    }
    fn delete(&self, key: &str) -> Result<(), KvError> {
        (**self).delete(key)
    }
    fn exists(&self, key: &str) -> Result<bool, KvError> {
        (**self).exists(key)
    }
    fn list_keys(&self) -> Result<Vec<String>, KvError> {
        (**self).list_keys()
    }
    fn get_into(&self, key: &str, out: &mut Vec<u8>) -> Result<Option<usize>, KvError> {
        (**self).get_into(key, out)
    }
}

/// A store whose every call fails with one error: what an adapter hands the handler when the
/// host store cannot be opened (so it answers its 503 envelope instead of trapping), and what
/// tests use to drive the error mapping.
#[derive(Debug, Clone)]
pub struct FailingKv(pub KvError);

impl Kv for FailingKv {
    fn get(&self, _: &str) -> Result<Option<Vec<u8>>, KvError> {
        Err(self.0.clone())
    }
    fn set(&self, _: &str, _: &[u8]) -> Result<(), KvError> {
        Err(self.0.clone())
    }
    fn delete(&self, _: &str) -> Result<(), KvError> {
        Err(self.0.clone())
    }
    fn list_keys(&self) -> Result<Vec<String>, KvError> {
        Err(self.0.clone())
    }
}

/// In-memory store for tests and native tools. By default it enforces the hosted limits
/// (1 MB values, 255-byte keys) so tests fail where production would.
///
/// Thread-safe (`Sync`): the wasm test harness shares one behind an `Arc` between the
/// concurrent instances of an app, so its limits are checked in exactly one place.
#[derive(Debug)]
pub struct MemKv {
    inner: Mutex<MemInner>,
}

#[derive(Debug, Default)]
struct MemInner {
    map: BTreeMap<String, Vec<u8>>,
    /// `None`: no limit (as `spin up`'s SQLite store).
    max_value: Option<usize>,
    max_key: Option<usize>,
    max_keys: Option<usize>,
    /// Sets allowed before every further set fails (simulates a dropped connection).
    sets_left: Option<usize>,
    sets: usize,
    gets: usize,
    deletes: usize,
}

impl Default for MemKv {
    fn default() -> Self {
        Self::new()
    }
}

impl MemKv {
    pub fn new() -> Self {
        Self {
            inner: Mutex::new(MemInner {
                max_value: Some(HOST_MAX_VALUE),
                max_key: Some(HOST_MAX_KEY),
                ..MemInner::default()
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, MemInner> {
        // A panicking test thread must not take the other tests' store down with it.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Per-value limit (default 1,000,000 bytes).
    pub fn with_max_value(self, max: usize) -> Self {
        self.lock().max_value = Some(max);
        self
    }

    /// Key-length limit (default 255 bytes).
    pub fn with_max_key(self, max: usize) -> Self {
        self.lock().max_key = Some(max);
        self
    }

    /// No key, value or key-count limit, as open-source `spin up` (SQLite) enforces none;
    /// `with_*` calls after this one set limits again.
    pub fn without_limits(self) -> Self {
        {
            let mut g = self.lock();
            g.max_value = None;
            g.max_key = None;
            g.max_keys = None;
        }
        self
    }

    /// Total key limit, like Fermyon Cloud's 1,024 (default: unlimited).
    pub fn with_max_keys(self, max: usize) -> Self {
        self.lock().max_keys = Some(max);
        self
    }

    /// After `n` more successful sets, every set fails until [`MemKv::clear_faults`].
    pub fn fail_sets_after(&self, n: usize) {
        self.lock().sets_left = Some(n);
    }

    pub fn clear_faults(&self) {
        self.lock().sets_left = None;
    }

    /// Flips the bits of one byte of a stored value; false if there is no such byte.
    pub fn flip_byte(&self, key: &str, index: usize) -> bool {
        match self.lock().map.get_mut(key).and_then(|v| v.get_mut(index)) {
            Some(b) => {
                *b ^= 0xff;
                true
            }
            None => false,
        }
    }

    /// Replaces a value without any limit checks (to plant bad data in tests).
    pub fn put_raw(&self, key: &str, value: Vec<u8>) {
        self.lock().map.insert(key.to_string(), value);
    }

    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sum of all value sizes.
    pub fn total_bytes(&self) -> usize {
        self.lock().map.values().map(Vec::len).sum()
    }

    /// (sets, gets, deletes) performed so far.
    pub fn op_counts(&self) -> (usize, usize, usize) {
        let g = self.lock();
        (g.sets, g.gets, g.deletes)
    }
}

impl Kv for MemKv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        let mut g = self.lock();
        g.gets += 1;
        Ok(g.map.get(key).cloned())
    }

    fn get_into(&self, key: &str, out: &mut Vec<u8>) -> Result<Option<usize>, KvError> {
        let mut g = self.lock();
        g.gets += 1;
        Ok(g.map.get(key).map(|v| {
            out.extend_from_slice(v);
            v.len()
        }))
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        let mut g = self.lock();
        if let Some(max) = g.max_key.filter(|&max| key.len() > max) {
            return Err(KvError::KeyTooLong {
                len: key.len(),
                max,
            });
        }
        if let Some(max) = g.max_value.filter(|&max| value.len() > max) {
            return Err(KvError::ValueTooLarge {
                key: key.to_string(),
                size: value.len(),
                max,
            });
        }
        match g.sets_left {
            Some(0) => return Err(KvError::Other("injected fault: connection lost".into())),
            Some(n) => g.sets_left = Some(n - 1),
            None => {}
        }
        if let Some(max) = g.max_keys {
            if g.map.len() >= max && !g.map.contains_key(key) {
                return Err(KvError::StoreFull { max });
            }
        }
        g.sets += 1;
        g.map.insert(key.to_string(), value.to_vec());
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), KvError> {
        let mut g = self.lock();
        g.deletes += 1;
        g.map.remove(key);
        Ok(())
    }

    fn exists(&self, key: &str) -> Result<bool, KvError> {
        Ok(self.lock().map.contains_key(key))
    }

    fn list_keys(&self) -> Result<Vec<String>, KvError> {
        Ok(self.lock().map.keys().cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_limits_are_the_hosted_ones() {
        let kv = MemKv::new();
        kv.set(&"k".repeat(HOST_MAX_KEY), &vec![0; HOST_MAX_VALUE])
            .unwrap();
        assert_eq!(
            kv.set(&"k".repeat(HOST_MAX_KEY + 1), b""),
            Err(KvError::KeyTooLong {
                len: HOST_MAX_KEY + 1,
                max: HOST_MAX_KEY
            })
        );
        assert_eq!(
            kv.set("v", &vec![0; HOST_MAX_VALUE + 1]),
            Err(KvError::ValueTooLarge {
                key: "v".into(),
                size: HOST_MAX_VALUE + 1,
                max: HOST_MAX_VALUE
            })
        );
        // No key-count limit unless asked for.
        for i in 0..2_000 {
            kv.set(&i.to_string(), b"").unwrap();
        }
    }

    #[test]
    fn limits_can_be_lifted_and_set_again() {
        let kv = MemKv::new().without_limits();
        kv.set(&"k".repeat(4_096), &vec![0; HOST_MAX_VALUE + 1])
            .unwrap();
        let kv = MemKv::new()
            .without_limits()
            .with_max_key(4)
            .with_max_keys(2);
        assert_eq!(
            kv.set("12345", b""),
            Err(KvError::KeyTooLong { len: 5, max: 4 })
        );
        kv.set("a", &vec![0; 2 * HOST_MAX_VALUE]).unwrap();
        kv.set("b", b"").unwrap();
        assert_eq!(kv.set("c", b""), Err(KvError::StoreFull { max: 2 }));
        // Overwriting an existing key is not a new key.
        kv.set("a", b"again").unwrap();
    }
}
