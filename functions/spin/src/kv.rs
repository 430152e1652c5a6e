//! Spin's key-value store as the [`Kv`] the model store is written against, for every
//! component that reads or writes models (admin, transcribe, synthesize).

use sawt_store::{FailingKv, Kv, KvError};
use spin_sdk::key_value::{Error as SpinKvError, Store};

/// The app's "default" store.
pub struct SpinKv(pub Store);

fn kv_err(e: SpinKvError) -> KvError {
    match e {
        SpinKvError::NoSuchStore | SpinKvError::AccessDenied | SpinKvError::StoreTableFull => {
            KvError::Unavailable(e.to_string())
        }
        SpinKvError::Other(m) => KvError::Other(m),
    }
}

impl Kv for SpinKv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.0.get(key).map_err(kv_err)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.0.set(key, value).map_err(kv_err)
    }
    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.0.delete(key).map_err(kv_err)
    }
    fn exists(&self, key: &str) -> Result<bool, KvError> {
        self.0.exists(key).map_err(kv_err)
    }
    fn list_keys(&self) -> Result<Vec<String>, KvError> {
        self.0.get_keys().map_err(kv_err)
    }
}

/// The app's `default` store, or a [`Kv`] that answers every call with the error opening it
/// gave (the handler then replies with its 503 envelope instead of trapping).
pub fn open_default() -> Box<dyn Kv> {
    match Store::open_default() {
        Ok(store) => Box::new(SpinKv(store)),
        Err(e) => Box::new(FailingKv(KvError::Unavailable(e.to_string()))),
    }
}
