//! The admin HTTP API for models, as a pure function of the request and the store.
//! The protocol is documented in `crates/admin/ADMIN_API.md`; `sawt models push` is its client.
//!
//! Errors are `sawt_api::ApiError`s in the OpenAI envelope; store errors go through the one
//! `From<StoreError> for ApiError` mapping that every component shares.
//!
//! The adapter first calls [`admit`] with the request head alone (token, route, the body limit
//! of that route) and reads the body only when it is admitted, so an unauthenticated client
//! never makes an instance buffer anything.

mod routes;

use sawt_api::{constant_time_eq, ApiError, RequestHead, Response};
use sawt_store::{Kv, StoreConfig};

/// Route prefix the admin component is mounted on.
pub const ADMIN_PREFIX: &str = "/admin";
/// Largest JSON body (upload declarations); parts have their own limit.
pub const MAX_JSON_BODY: usize = 1024 * 1024;
/// Name of the secret variable holding the admin token.
pub const ADMIN_TOKEN_VAR: &str = "admin_token";

/// The response, and for failures the cause for the log line (may name store keys; never
/// sent to the client).
#[derive(Debug, Clone)]
pub struct Outcome {
    pub response: Response,
    pub detail: Option<String>,
}

/// Checks `Authorization: Bearer <admin_token>` in constant time. An unset or empty token
/// disables the API (503), so a deployment without one exposes nothing.
pub fn authorize(head: &RequestHead, admin_token: Option<&str>) -> Result<(), ApiError> {
    let Some(expected) = admin_token.filter(|t| !t.is_empty()) else {
        return Err(ApiError::service_unavailable(
            "model uploads are disabled: set the secret variable admin_token to enable /admin",
        )
        .with_code("admin_disabled"));
    };
    let presented = sawt_api::http::bearer_token(head.header("authorization"));
    // Same answer for a missing and a wrong token.
    if !presented.is_empty() && constant_time_eq(presented.as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::new(
            401,
            "missing or invalid admin token: send `Authorization: Bearer <admin_token>`",
        )
        .with_code("invalid_admin_token"))
    }
}

/// Decides from the head alone whether a body may follow, and how long it may be: the token
/// first, then the route's limit (a part: `max_part_size`; anything else: [`MAX_JSON_BODY`]),
/// and a declared `Content-Length` over it is 413 at once.
pub fn admit(
    head: &RequestHead,
    admin_token: Option<&str>,
    cfg: &StoreConfig,
) -> Result<usize, ApiError> {
    authorize(head, admin_token)?;
    let limit = if head.method.eq_ignore_ascii_case("PUT") {
        cfg.max_part_size
    } else {
        MAX_JSON_BODY
    };
    if head.content_length().is_some_and(|n| n > limit as u64) {
        return Err(too_large(&head.method, limit));
    }
    Ok(limit)
}

pub(crate) fn too_large(method: &str, limit: usize) -> ApiError {
    if method.eq_ignore_ascii_case("PUT") {
        ApiError::payload_too_large(format!(
            "part over the {limit}-byte part limit; send parts of the upload's part_size"
        ))
        .with_code("part_too_large")
    } else {
        ApiError::payload_too_large(format!("request body over {limit} bytes"))
            .with_code("body_too_large")
    }
}

/// Handles a request under `/admin` with the default limits. Never panics.
pub fn handle(head: &RequestHead, body: &[u8], kv: &dyn Kv, admin_token: Option<&str>) -> Outcome {
    handle_with(&StoreConfig::default(), head, body, kv, admin_token)
}

/// [`handle`] with explicit limits.
pub fn handle_with(
    cfg: &StoreConfig,
    head: &RequestHead,
    body: &[u8],
    kv: &dyn Kv,
    admin_token: Option<&str>,
) -> Outcome {
    let mut detail = None;
    let response = match admit(head, admin_token, cfg)
        .and_then(|_| routes::route(cfg, head, body, kv, &mut detail))
    {
        Ok(r) => r,
        Err(e) => {
            let mut r = e.to_response();
            if e.status == 401 {
                r.headers.push((
                    "www-authenticate".into(),
                    "Bearer realm=\"sawt-admin\"".into(),
                ));
            }
            r
        }
    };
    Outcome { response, detail }
}
