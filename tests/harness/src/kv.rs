//! Spin's key-value store ("default" only, as `spin up` provides without runtime config), kept
//! in memory and shared by every instance of one harness, with the platform limits sawt must
//! live within.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

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

impl KvLimits {
    /// The strictest published platform limits (Fermyon Cloud / Akamai Functions).
    pub const PLATFORM: Self = Self {
        max_key_bytes: Some(255),
        max_value_bytes: Some(1_000_000),
        max_keys: Some(1_024),
    };
    /// What `spin up` with its SQLite store enforces: nothing.
    pub const UNLIMITED: Self = Self {
        max_key_bytes: None,
        max_value_bytes: None,
        max_keys: None,
    };
}

impl Default for KvLimits {
    fn default() -> Self {
        Self::PLATFORM
    }
}

/// The errors of `fermyon:spin/key-value@2.0.0`, mirrored so this module stays free of
/// generated bindings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KvError {
    NoSuchStore,
    AccessDenied,
    Other(String),
}

/// The contents of one store, shared by every instance that opens it.
type StoreData = Arc<Mutex<BTreeMap<String, Vec<u8>>>>;

/// All stores of one harness. Only the label "default" exists, as under `spin up` without a
/// runtime config; components still need it in `key_value_stores` to open it.
#[derive(Debug, Clone)]
pub struct KvBackend {
    stores: Arc<BTreeMap<String, StoreData>>,
    limits: KvLimits,
}

impl KvBackend {
    pub fn new(limits: KvLimits) -> Self {
        let stores = BTreeMap::from([("default".to_owned(), Arc::default())]);
        Self {
            stores: Arc::new(stores),
            limits,
        }
    }

    /// Spin checks the component's grant before it checks that the store exists.
    pub fn open(&self, label: &str, granted: &[String]) -> Result<KvStore, KvError> {
        if !granted.iter().any(|g| g == label) {
            return Err(KvError::AccessDenied);
        }
        let data = self.stores.get(label).ok_or(KvError::NoSuchStore)?.clone();
        Ok(KvStore {
            data,
            limits: self.limits,
        })
    }

    /// Direct access for tests (seeding, inspecting), bypassing component grants.
    pub fn store(&self, label: &str) -> Option<KvStore> {
        self.stores.get(label).map(|data| KvStore {
            data: data.clone(),
            limits: self.limits,
        })
    }
}

/// An open store: the value behind a guest's `store` resource.
#[derive(Debug, Clone)]
pub struct KvStore {
    data: StoreData,
    limits: KvLimits,
}

impl KvStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Vec<u8>>> {
        // A poisoned lock only means another request panicked mid-call; the map is intact.
        self.data.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.lock().get(key).cloned()
    }

    pub fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        let limits = self.limits;
        if let Some(max) = limits.max_key_bytes {
            if key.len() > max {
                return Err(KvError::Other(format!(
                    "key of {} bytes exceeds the {max}-byte key limit",
                    key.len()
                )));
            }
        }
        if let Some(max) = limits.max_value_bytes {
            if value.len() > max {
                return Err(KvError::Other(format!(
                    "value of {} bytes exceeds the {max}-byte value limit",
                    value.len()
                )));
            }
        }
        let mut map = self.lock();
        if let Some(max) = limits.max_keys {
            if !map.contains_key(key) && map.len() >= max {
                return Err(KvError::Other(format!(
                    "the store already holds the maximum of {max} keys"
                )));
            }
        }
        map.insert(key.to_owned(), value.to_vec());
        Ok(())
    }

    pub fn delete(&self, key: &str) {
        self.lock().remove(key);
    }

    pub fn exists(&self, key: &str) -> bool {
        self.lock().contains_key(key)
    }

    pub fn keys(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_and_labels() {
        let kv = KvBackend::new(KvLimits::PLATFORM);
        let granted = ["default".to_owned()];
        assert_eq!(kv.open("default", &[]).unwrap_err(), KvError::AccessDenied);
        assert_eq!(kv.open("models", &[]).unwrap_err(), KvError::AccessDenied);
        assert_eq!(
            kv.open("models", &["models".to_owned()]).unwrap_err(),
            KvError::NoSuchStore
        );
        let a = kv.open("default", &granted).unwrap();
        a.set("k", b"v").unwrap();
        // Shared across opens (and so across instances of one harness).
        assert_eq!(
            kv.open("default", &granted).unwrap().get("k").unwrap(),
            b"v"
        );
    }

    #[test]
    fn platform_limits() {
        let kv = KvBackend::new(KvLimits::PLATFORM);
        let s = kv.store("default").unwrap();
        s.set("big", &vec![0; 1_000_000]).unwrap();
        assert!(matches!(
            s.set("bigger", &vec![0; 1_000_001]),
            Err(KvError::Other(_))
        ));
        assert!(matches!(
            s.set(&"k".repeat(256), b""),
            Err(KvError::Other(_))
        ));
        for i in 0..1_023 {
            s.set(&format!("key-{i}"), b"").unwrap();
        }
        assert_eq!(s.keys().len(), 1_024);
        assert!(matches!(s.set("one-too-many", b""), Err(KvError::Other(_))));
        // Overwriting an existing key is not a new key.
        s.set("key-7", b"again").unwrap();
        let unlimited = KvBackend::new(KvLimits::UNLIMITED)
            .store("default")
            .unwrap();
        unlimited.set("big", &vec![0; 1_048_577]).unwrap();
    }
}
