//! The admin HTTP API for models, as a pure function of the request and the store.
//! The protocol is documented in `crates/store/ADMIN_API.md`.
//!
//! Errors use the OpenAI envelope `{"error":{"message","type","param","code"}}`; the
//! shape is produced here with serde (same JSON as `sawt-api`'s `ErrorEnvelope`) so this
//! crate stays free of other crates' churn.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::StoreError;
use crate::kv::{Kv, KvError};
use crate::manifest::{validate_model_name, Manifest};
use crate::read::ModelReader;
use crate::upload::{
    abort_upload, begin_upload, commit_upload, delete_model, list_models, put_part, upload_status,
    Begin, StoreConfig, UploadSpec, UploadStatus,
};

/// Route prefix the admin component is mounted on.
pub const ADMIN_PREFIX: &str = "/admin";
/// Largest JSON body (upload declarations); parts have their own limit.
pub const MAX_JSON_BODY: usize = 1024 * 1024;

/// A finished response, independent of any runtime's types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminResponse {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// Extra headers (`www-authenticate`, `allow`), names lower-case.
    pub headers: Vec<(String, String)>,
}

impl AdminResponse {
    fn json<T: Serialize>(status: u16, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => Self {
                status,
                content_type: "application/json",
                body,
                headers: Vec::new(),
            },
            Err(_) => ApiErr::new(500, "server_error", "internal_error", "internal error").into(),
        }
    }

    /// The body as text (tests, logs).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// `{"error": {...}}`, as OpenAI and `sawt-api` write it.
#[derive(Serialize)]
struct Envelope<'a> {
    error: ErrorBody<'a>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    message: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    param: Option<&'a str>,
    code: Option<&'a str>,
}

struct ApiErr {
    status: u16,
    kind: &'static str,
    code: &'static str,
    param: Option<String>,
    message: String,
    headers: Vec<(String, String)>,
}

impl ApiErr {
    fn new(
        status: u16,
        kind: &'static str,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            kind,
            code,
            param: None,
            message: message.into(),
            headers: Vec::new(),
        }
    }

    fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(400, "invalid_request_error", code, message)
    }

    fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, "not_found_error", "not_found", message)
    }

    fn param(mut self, p: &str) -> Self {
        self.param = Some(p.to_string());
        self
    }
}

impl From<ApiErr> for AdminResponse {
    fn from(e: ApiErr) -> Self {
        let env = Envelope {
            error: ErrorBody {
                message: &e.message,
                kind: e.kind,
                param: e.param.as_deref(),
                code: Some(e.code),
            },
        };
        Self {
            status: e.status,
            content_type: "application/json",
            body: serde_json::to_vec(&env).unwrap_or_default(),
            headers: e.headers,
        }
    }
}

/// The one mapping from store errors to HTTP statuses.
impl From<StoreError> for ApiErr {
    fn from(e: StoreError) -> Self {
        let msg = e.to_string();
        let (status, kind, code) = match &e {
            StoreError::Kv(KvError::StoreFull { .. }) => (507, "server_error", "store_full"),
            StoreError::Kv(KvError::ValueTooLarge { .. } | KvError::KeyTooLong { .. }) => {
                (500, "server_error", "kv_limit")
            }
            StoreError::Kv(_) => (503, "service_unavailable", "kv_unavailable"),
            StoreError::NotFound { .. } => (404, "not_found_error", "model_not_found"),
            StoreError::FileNotFound { .. } | StoreError::UnknownFile { .. } => {
                (404, "not_found_error", "file_not_found")
            }
            StoreError::UploadNotFound { .. } => (404, "not_found_error", "upload_not_found"),
            StoreError::Missing { .. } => (500, "server_error", "model_incomplete"),
            StoreError::Corrupt { .. } => (500, "server_error", "model_corrupt"),
            StoreError::OutOfMemory { .. } => (500, "server_error", "out_of_memory"),
            StoreError::Invalid { .. } => (400, "invalid_request_error", "invalid_value"),
            StoreError::KeyBudgetExceeded { .. } => {
                (507, "invalid_request_error", "key_budget_exceeded")
            }
            StoreError::PartTooLarge { .. } => (413, "invalid_request_error", "part_too_large"),
            StoreError::BadPart { .. } => (400, "invalid_request_error", "bad_part"),
            StoreError::OffsetMismatch { .. } => (409, "invalid_request_error", "offset_mismatch"),
            StoreError::Incomplete { .. } => (409, "invalid_request_error", "upload_incomplete"),
            StoreError::DigestMismatch { .. } => (422, "invalid_request_error", "digest_mismatch"),
        };
        let mut err = ApiErr::new(status, kind, code, msg);
        if let StoreError::Invalid { what, .. } = e {
            err = err.param(what);
        }
        err
    }
}

/// Constant-time token check. Both sides are hashed first so the comparison runs over
/// 32 bytes whatever the lengths, and no byte position leaks through timing.
pub fn token_matches(presented: &str, expected: &str) -> bool {
    let a = Sha256::digest(presented.as_bytes());
    let b = Sha256::digest(expected.as_bytes());
    let diff = a
        .iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // black_box: keep the optimiser from turning the fold into an early-exit compare.
    std::hint::black_box(diff) == 0
}

fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn authorize(headers: &[(String, String)], admin_token: Option<&str>) -> Result<(), ApiErr> {
    let Some(expected) = admin_token.filter(|t| !t.is_empty()) else {
        return Err(ApiErr::new(
            503,
            "service_unavailable",
            "admin_disabled",
            "model uploads are disabled: set the secret variable admin_token to enable /admin",
        ));
    };
    let presented = header(headers, "authorization")
        .map(str::trim)
        .and_then(|h| {
            let (scheme, rest) = h.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
        .unwrap_or("");
    // Same answer for a missing and a wrong token.
    if token_matches(presented, expected) && !presented.is_empty() {
        Ok(())
    } else {
        let mut e = ApiErr::new(
            401,
            "authentication_error",
            "invalid_admin_token",
            "missing or invalid admin token: send `Authorization: Bearer <admin_token>`",
        );
        e.headers.push((
            "www-authenticate".into(),
            "Bearer realm=\"sawt-admin\"".into(),
        ));
        Err(e)
    }
}

fn query_param<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn method_not_allowed(allow: &'static str) -> ApiErr {
    let mut e = ApiErr::new(
        405,
        "invalid_request_error",
        "method_not_allowed",
        format!("method not allowed here; allowed: {allow}"),
    );
    e.headers.push(("allow".into(), allow.into()));
    e
}

#[derive(Serialize)]
struct ModelList {
    object: &'static str,
    keys_total: usize,
    key_budget: usize,
    data: Vec<crate::upload::ModelInfo>,
}

#[derive(Serialize)]
struct BeginBody {
    /// "staging": send parts; "current": this content is already live.
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    upload: Option<UploadStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    manifest: Option<Manifest>,
}

#[derive(Serialize)]
struct CommitBody {
    status: &'static str,
    manifest: Manifest,
    keys_deleted: usize,
    cleanup_error: Option<String>,
}

#[derive(Serialize)]
struct Deleted<'a> {
    id: &'a str,
    object: &'static str,
    deleted: bool,
    keys_deleted: usize,
}

/// Handles a request under `/admin`. `path` may carry a query string. Never panics.
pub fn handle_admin(
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
    kv: &dyn Kv,
    admin_token: Option<&str>,
) -> AdminResponse {
    handle_admin_with(
        &StoreConfig::default(),
        method,
        path,
        headers,
        body,
        kv,
        admin_token,
    )
}

/// [`handle_admin`] with explicit limits.
pub fn handle_admin_with(
    cfg: &StoreConfig,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
    kv: &dyn Kv,
    admin_token: Option<&str>,
) -> AdminResponse {
    match route(cfg, method, path, headers, body, kv, admin_token) {
        Ok(r) => r,
        Err(e) => e.into(),
    }
}

fn route(
    cfg: &StoreConfig,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
    kv: &dyn Kv,
    admin_token: Option<&str>,
) -> Result<AdminResponse, ApiErr> {
    // Authenticate before routing, so unauthenticated callers learn nothing about routes.
    authorize(headers, admin_token)?;
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let rest = path
        .strip_prefix(ADMIN_PREFIX)
        .ok_or_else(|| ApiErr::not_found("no such admin route"))?;
    let segs: Vec<&str> = rest.trim_matches('/').split('/').collect();
    let m = method.to_ascii_uppercase();
    let model_ok = |name: &str| validate_model_name(name).map_err(ApiErr::from);
    match segs.as_slice() {
        ["models"] => match m.as_str() {
            "GET" => Ok(AdminResponse::json(200, &{
                let u = list_models(kv, cfg)?;
                ModelList {
                    object: "list",
                    keys_total: u.keys_total,
                    key_budget: u.key_budget,
                    data: u.models,
                }
            })),
            _ => Err(method_not_allowed("GET")),
        },
        ["models", model] => {
            model_ok(model)?;
            match m.as_str() {
                "GET" => get_model(kv, cfg, model, query_param(query, "verify")),
                "DELETE" => {
                    let n = delete_model(kv, model)?;
                    Ok(AdminResponse::json(
                        200,
                        &Deleted {
                            id: model,
                            object: "model",
                            deleted: true,
                            keys_deleted: n,
                        },
                    ))
                }
                _ => Err(method_not_allowed("GET, DELETE")),
            }
        }
        ["models", model, "uploads"] => {
            model_ok(model)?;
            if m != "POST" {
                return Err(method_not_allowed("POST"));
            }
            if body.len() > MAX_JSON_BODY {
                return Err(ApiErr::new(
                    413,
                    "invalid_request_error",
                    "body_too_large",
                    format!("upload declaration over {MAX_JSON_BODY} bytes"),
                ));
            }
            let spec: UploadSpec = serde_json::from_slice(body).map_err(|e| {
                ApiErr::bad_request("invalid_json", format!("invalid upload declaration: {e}"))
            })?;
            Ok(match begin_upload(kv, model, &spec, cfg)? {
                Begin::Current(manifest) => AdminResponse::json(
                    200,
                    &BeginBody {
                        status: "current",
                        upload: None,
                        manifest: Some(manifest),
                    },
                ),
                Begin::Staging(st) => AdminResponse::json(
                    201,
                    &BeginBody {
                        status: "staging",
                        upload: Some(st),
                        manifest: None,
                    },
                ),
            })
        }
        ["models", model, "uploads", id] => {
            model_ok(model)?;
            match m.as_str() {
                "GET" => Ok(AdminResponse::json(
                    200,
                    &upload_status(kv, model, id, cfg)?,
                )),
                "DELETE" => {
                    let n = abort_upload(kv, model, id)?;
                    Ok(AdminResponse::json(
                        200,
                        &serde_json::json!({"status": "aborted", "id": id, "keys_deleted": n}),
                    ))
                }
                _ => Err(method_not_allowed("GET, DELETE")),
            }
        }
        ["models", model, "uploads", id, "commit"] => {
            model_ok(model)?;
            if m != "POST" {
                return Err(method_not_allowed("POST"));
            }
            let c = commit_upload(kv, model, id)?;
            Ok(AdminResponse::json(
                200,
                &CommitBody {
                    status: "committed",
                    manifest: c.manifest,
                    keys_deleted: c.keys_deleted,
                    cleanup_error: c.cleanup_error,
                },
            ))
        }
        ["models", model, "uploads", id, "files", file] => {
            model_ok(model)?;
            if m != "PUT" {
                return Err(method_not_allowed("PUT"));
            }
            let offset = query_param(query, "offset")
                .ok_or_else(|| {
                    ApiErr::bad_request("missing_offset", "query parameter offset is required")
                        .param("offset")
                })?
                .parse::<u64>()
                .map_err(|_| {
                    ApiErr::bad_request("invalid_offset", "offset must be a non-negative integer")
                        .param("offset")
                })?;
            let st = put_part(kv, model, id, file, offset, body, cfg)?;
            Ok(AdminResponse::json(200, &st))
        }
        _ => Err(ApiErr::not_found("no such admin route; see ADMIN_API.md")),
    }
}

fn get_model(
    kv: &dyn Kv,
    cfg: &StoreConfig,
    model: &str,
    verify: Option<&str>,
) -> Result<AdminResponse, ApiErr> {
    let usage = list_models(kv, cfg)?;
    let info = usage
        .models
        .into_iter()
        .find(|i| i.name == model)
        .ok_or_else(|| {
            ApiErr::from(StoreError::NotFound {
                model: model.to_string(),
            })
        })?;
    let mut value = serde_json::to_value(&info)
        .map_err(|_| ApiErr::new(500, "server_error", "internal_error", "internal error"))?;
    if matches!(verify, Some("1" | "true")) {
        let reader = ModelReader::open(kv, model)?;
        for f in &reader.manifest().files {
            reader.verify_file(&f.name)?;
        }
        value["verified"] = serde_json::Value::Bool(true);
    }
    Ok(AdminResponse::json(200, &value))
}
