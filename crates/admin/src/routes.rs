//! The admin routes over sawt-store's upload, listing and lifecycle functions.

use serde::Serialize;

use sawt_api::{ApiError, RequestHead, Response};
use sawt_store::{
    abort_upload, begin_upload, commit_upload, delete_model, list_models, put_part, upload_status,
    validate_model_name, Begin, Kv, Manifest, ModelInfo, ModelReader, StoreConfig, StoreError,
    UploadSpec, UploadStatus,
};

use crate::{too_large, ADMIN_PREFIX, MAX_JSON_BODY};

#[derive(Serialize)]
struct ModelList {
    object: &'static str,
    keys_total: usize,
    key_budget: usize,
    data: Vec<ModelInfo>,
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

fn query_param<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn method_not_allowed(allow: &'static str) -> ApiError {
    ApiError::method_not_allowed(allow)
}

fn not_found(message: &str) -> ApiError {
    ApiError::not_found(message).with_code("not_found")
}

fn bad_request(code: &str, message: &str, param: &str) -> ApiError {
    ApiError::bad_request(message)
        .with_code(code)
        .with_param(param)
}

/// Routes an admitted request (the token is already checked).
pub(crate) fn route(
    cfg: &StoreConfig,
    head: &RequestHead,
    body: &[u8],
    kv: &dyn Kv,
    detail: &mut Option<String>,
) -> Result<Response, ApiError> {
    // Every store error is logged with its cause (keys, digests) and answered without it.
    let mut log = |e: StoreError| -> ApiError {
        *detail = Some(e.to_string());
        e.into()
    };
    let query = head.query();
    let rest = head
        .route()
        .strip_prefix(ADMIN_PREFIX)
        .ok_or_else(|| not_found("no such admin route"))?;
    let segs: Vec<&str> = rest.trim_matches('/').split('/').collect();
    let m = head.method.to_ascii_uppercase();
    let model_ok = |name: &str| validate_model_name(name).map_err(ApiError::from);
    match segs.as_slice() {
        ["models"] => match m.as_str() {
            "GET" => {
                let u = list_models(kv, cfg).map_err(&mut log)?;
                Ok(Response::json(
                    200,
                    &ModelList {
                        object: "list",
                        keys_total: u.keys_total,
                        key_budget: u.key_budget,
                        data: u.models,
                    },
                ))
            }
            _ => Err(method_not_allowed("GET")),
        },
        ["models", model] => {
            model_ok(model)?;
            match m.as_str() {
                "GET" => get_model(kv, cfg, model, query_param(query, "verify")).map_err(log),
                "DELETE" => {
                    let n = delete_model(kv, model).map_err(log)?;
                    Ok(Response::json(
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
                return Err(too_large(&m, MAX_JSON_BODY));
            }
            let spec: UploadSpec = serde_json::from_slice(body).map_err(|e| {
                ApiError::bad_request(format!("invalid upload declaration: {e}"))
                    .with_code("invalid_json")
            })?;
            Ok(match begin_upload(kv, model, &spec, cfg).map_err(log)? {
                Begin::Current(manifest) => Response::json(
                    200,
                    &BeginBody {
                        status: "current",
                        upload: None,
                        manifest: Some(manifest),
                    },
                ),
                Begin::Staging(st) => Response::json(
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
                "GET" => Ok(Response::json(
                    200,
                    &upload_status(kv, model, id, cfg).map_err(log)?,
                )),
                "DELETE" => {
                    let n = abort_upload(kv, model, id).map_err(log)?;
                    Ok(Response::json(
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
            let c = commit_upload(kv, model, id).map_err(log)?;
            Ok(Response::json(
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
                    bad_request(
                        "missing_offset",
                        "query parameter offset is required",
                        "offset",
                    )
                })?
                .parse::<u64>()
                .map_err(|_| {
                    bad_request(
                        "invalid_offset",
                        "offset must be a non-negative integer",
                        "offset",
                    )
                })?;
            let st = put_part(kv, model, id, file, offset, body, cfg).map_err(log)?;
            Ok(Response::json(200, &st))
        }
        _ => Err(not_found("no such admin route; see ADMIN_API.md")),
    }
}

fn get_model(
    kv: &dyn Kv,
    cfg: &StoreConfig,
    model: &str,
    verify: Option<&str>,
) -> Result<Response, StoreError> {
    let usage = list_models(kv, cfg)?;
    let info = usage
        .models
        .into_iter()
        .find(|i| i.name == model)
        .ok_or_else(|| StoreError::NotFound {
            model: model.to_string(),
        })?;
    let mut value = serde_json::to_value(&info).unwrap_or(serde_json::Value::Null);
    if matches!(verify, Some("1" | "true")) {
        let reader = ModelReader::open(kv, model)?;
        for f in &reader.manifest().files {
            reader.verify_file(&f.name)?;
        }
        value["verified"] = serde_json::Value::Bool(true);
    }
    Ok(Response::json(200, &value))
}
