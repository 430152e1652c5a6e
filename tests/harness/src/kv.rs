//! Spin's key-value store ("default" only, as `spin up` provides without runtime config), kept
//! in memory and shared by every instance of one harness, with the platform limits sawt must
//! live within.
//!
//! The storage and its limit checks are `sawt_store::MemKv`, the same in-memory store the
//! native tests use, so a limit is enforced by one piece of code whichever way sawt is tested.
//! This module adds what only a host has: labels, grants and the interface's error variants.

use std::collections::BTreeMap;
use std::sync::Arc;

use sawt_store::{Kv, MemKv, HOST_MAX_KEY, HOST_MAX_VALUE};

/// Size limits enforced on `set`. Open-source `spin up` (SQLite) enforces none; Fermyon Cloud
/// documents key ≤ 255 bytes, value ≤ 1 MB and ≤ 1,024 keys, and Akamai Functions value ≤ 1 MB.
/// "1 MB" is not pinned to 10^6 or 2^20 in those docs, so the harness enforces the stricter
/// 1,000,000 bytes: whatever passes here passes on every platform sawt targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KvLimits {
    pub max_key_bytes: Option<usize>,
    pub max_value_bytes: Option<usize>,
    pub max_keys: Option<usize>,
}

/// Fermyon Cloud's documented key count per store.
const PLATFORM_MAX_KEYS: usize = 1_024;

impl KvLimits {
    /// The strictest published platform limits (Fermyon Cloud / Akamai Functions).
    pub const PLATFORM: Self = Self {
        max_key_bytes: Some(HOST_MAX_KEY),
        max_value_bytes: Some(HOST_MAX_VALUE),
        max_keys: Some(PLATFORM_MAX_KEYS),
    };
    /// What `spin up` with its SQLite store enforces: nothing.
    pub const UNLIMITED: Self = Self {
        max_key_bytes: None,
        max_value_bytes: None,
        max_keys: None,
    };

    /// An empty store enforcing these limits.
    fn new_store(self) -> MemKv {
        let mut kv = MemKv::new().without_limits();
        if let Some(max) = self.max_key_bytes {
            kv = kv.with_max_key(max);
        }
        if let Some(max) = self.max_value_bytes {
            kv = kv.with_max_value(max);
        }
        if let Some(max) = self.max_keys {
            kv = kv.with_max_keys(max);
        }
        kv
    }
}

impl Default for KvLimits {
    fn default() -> Self {
        Self::PLATFORM
    }
}

/// The errors of `fermyon:spin/key-value@2.0.0`, mirrored so this module stays free of
/// generated bindings.
///
/// A full store (value too large, too many keys) is `Other`: Spin's own size limit answers
/// `Error::Other("query result exceeds limit of … bytes")` and every Spin backend maps its
/// failures to `Other`, while `StoreTableFull` means something else, too many stores open at
/// once in one instance (see [`MAX_OPEN_STORES`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KvError {
    StoreTableFull,
    NoSuchStore,
    AccessDenied,
    Other(String),
}

/// Open `store` handles one instance may hold before `open` answers `StoreTableFull`: Spin's
/// `DEFAULT_STORE_TABLE_CAPACITY`, spinframework/spin@94a8fc8a7804ec2519bb8d12df70ab77ad2e4f60
/// crates/factor-key-value/src/host.rs (the table refuses a push at `len == capacity`,
/// crates/table/src/lib.rs).
pub const MAX_OPEN_STORES: usize = 256;

/// All stores of one harness. Only the label "default" exists, as under `spin up` without a
/// runtime config; components still need it in `key_value_stores` to open it.
#[derive(Debug, Clone)]
pub struct KvBackend {
    stores: Arc<BTreeMap<String, Arc<MemKv>>>,
}

impl KvBackend {
    pub fn new(limits: KvLimits) -> Self {
        let stores = BTreeMap::from([("default".to_owned(), Arc::new(limits.new_store()))]);
        Self {
            stores: Arc::new(stores),
        }
    }

    /// Spin checks the component's grant before it checks that the store exists
    /// (`KeyValueDispatch::open`, same file as [`MAX_OPEN_STORES`]). `open_now` is how many
    /// handles the calling instance holds.
    pub fn open(
        &self,
        label: &str,
        granted: &[String],
        open_now: usize,
    ) -> Result<KvStore, KvError> {
        if !granted.iter().any(|g| g == label) {
            return Err(KvError::AccessDenied);
        }
        let data = self.stores.get(label).ok_or(KvError::NoSuchStore)?.clone();
        if open_now >= MAX_OPEN_STORES {
            return Err(KvError::StoreTableFull);
        }
        Ok(KvStore { data })
    }

    /// Direct access for tests (seeding, inspecting), bypassing component grants.
    pub fn store(&self, label: &str) -> Option<KvStore> {
        self.stores
            .get(label)
            .map(|data| KvStore { data: data.clone() })
    }
}

/// An open store: the value behind a guest's `store` resource.
#[derive(Debug, Clone)]
pub struct KvStore {
    data: Arc<MemKv>,
}

// `MemKv` answers errors only from `set` (limits) and its test-only fault injection, which the
// harness never turns on; reads are infallible here, so they map its errors to "absent".
impl KvStore {
    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.data.get(key).ok().flatten()
    }

    /// Fails with `Other` naming the limit, as a platform store that is full does.
    pub fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.data
            .set(key, value)
            .map_err(|e| KvError::Other(e.to_string()))
    }

    pub fn delete(&self, key: &str) {
        // Infallible for `MemKv` (deleting an absent key is not an error in Spin either).
        let _ = self.data.delete(key);
    }

    pub fn exists(&self, key: &str) -> bool {
        self.data.exists(key).unwrap_or(false)
    }

    /// Every key, sorted.
    pub fn keys(&self) -> Vec<String> {
        self.data.list_keys().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_and_labels() {
        let kv = KvBackend::new(KvLimits::PLATFORM);
        let granted = ["default".to_owned()];
        assert_eq!(
            kv.open("default", &[], 0).unwrap_err(),
            KvError::AccessDenied
        );
        assert_eq!(
            kv.open("models", &[], 0).unwrap_err(),
            KvError::AccessDenied
        );
        assert_eq!(
            kv.open("models", &["models".to_owned()], 0).unwrap_err(),
            KvError::NoSuchStore
        );
        let a = kv.open("default", &granted, 0).unwrap();
        a.set("k", b"v").unwrap();
        // Shared across opens (and so across instances of one harness).
        assert_eq!(
            kv.open("default", &granted, 1).unwrap().get("k").unwrap(),
            b"v"
        );
        assert_eq!(
            kv.open("default", &granted, MAX_OPEN_STORES).unwrap_err(),
            KvError::StoreTableFull
        );
    }

    #[test]
    fn platform_limits() {
        let kv = KvBackend::new(KvLimits::PLATFORM);
        let s = kv.store("default").unwrap();
        s.set("big", &vec![0; 1_000_000]).unwrap();
        assert_eq!(
            s.set("bigger", &vec![0; 1_000_001]),
            Err(KvError::Other(
                "value for key bigger is 1000001 bytes, over the store's 1000000-byte limit".into()
            ))
        );
        assert_eq!(
            s.set(&"k".repeat(256), b""),
            Err(KvError::Other(
                "key of 256 bytes is over the store's 255-byte limit".into()
            ))
        );
        for i in 0..1_023 {
            s.set(&format!("key-{i}"), b"").unwrap();
        }
        assert_eq!(s.keys().len(), 1_024);
        assert_eq!(
            s.set("one-too-many", b""),
            Err(KvError::Other(
                "the key-value store is full (1024 keys)".into()
            ))
        );
        // Overwriting an existing key is not a new key.
        s.set("key-7", b"again").unwrap();
        let unlimited = KvBackend::new(KvLimits::UNLIMITED)
            .store("default")
            .unwrap();
        unlimited.set("big", &vec![0; 1_048_577]).unwrap();
        unlimited.set(&"k".repeat(1_000), b"").unwrap();
    }
}
