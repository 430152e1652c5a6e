//! Spin component for `/admin/...`: the Spin key-value store "default" as a [`Kv`], the
//! secret variable `admin_token`, and `sawt_store::admin::handle_admin` for everything else.

use sawt_store::admin::handle_admin;
use sawt_store::{Kv, KvError};
use spin_sdk::http::{IntoResponse, Request, Response};
use spin_sdk::http_component;
use spin_sdk::key_value::{Error as SpinKvError, Store};

/// The app's key-value store.
struct SpinKv(Store);

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

#[http_component]
fn handle(req: Request) -> anyhow::Result<impl IntoResponse> {
    let method = req.method().to_string();
    let path = req.path_and_query().unwrap_or("/").to_string();
    let headers: Vec<(String, String)> = req
        .headers()
        .filter_map(|(name, value)| Some((name.to_string(), value.as_str()?.to_string())))
        .collect();
    // An unset or empty variable disables uploads (503), see ADMIN_API.md.
    let token = spin_sdk::variables::get("admin_token").ok();
    let response = match Store::open_default() {
        Ok(store) => handle_admin(
            &method,
            &path,
            &headers,
            req.body(),
            &SpinKv(store),
            token.as_deref(),
        ),
        Err(e) => handle_admin(
            &method,
            &path,
            &headers,
            req.body(),
            &Unavailable(e.to_string()),
            token.as_deref(),
        ),
    };
    // Log the route and status only: never headers (the token) or bodies.
    eprintln!(
        "admin: {method} {} -> {}",
        path.split('?').next().unwrap_or(""),
        response.status
    );
    let mut builder = Response::builder();
    builder
        .status(response.status)
        .header("content-type", response.content_type);
    for (k, v) in &response.headers {
        builder.header(k.as_str(), v.as_str());
    }
    Ok(builder.body(response.body).build())
}

/// Answers every call with the open error, so a missing store still gets a JSON 503
/// (after authentication) instead of a trap.
struct Unavailable(String);

impl Kv for Unavailable {
    fn get(&self, _: &str) -> Result<Option<Vec<u8>>, KvError> {
        Err(KvError::Unavailable(self.0.clone()))
    }
    fn set(&self, _: &str, _: &[u8]) -> Result<(), KvError> {
        Err(KvError::Unavailable(self.0.clone()))
    }
    fn delete(&self, _: &str) -> Result<(), KvError> {
        Err(KvError::Unavailable(self.0.clone()))
    }
    fn list_keys(&self) -> Result<Vec<String>, KvError> {
        Err(KvError::Unavailable(self.0.clone()))
    }
}
