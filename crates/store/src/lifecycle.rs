//! Removing things: superseded versions (garbage collection), aborted uploads, whole
//! models. Every delete removes the keys that make a version visible first, so an
//! interrupted delete never leaves something that looks servable.

use crate::error::{Result, StoreError};
use crate::kv::Kv;
use crate::manifest::{keys, validate_model_name};
use crate::upload::{current_pointer, read_decl};

/// Deletes keys, declarations and manifests first so a half-deleted version is visibly
/// dead. Returns how many were deleted.
pub(crate) fn delete_in_order<'k>(
    kv: &dyn Kv,
    keys: impl Iterator<Item = &'k String>,
) -> Result<usize> {
    let (heads, rest): (Vec<_>, Vec<_>) =
        keys.partition(|k| k.ends_with("/upload") || k.ends_with("/manifest"));
    let mut n = 0;
    for k in heads.into_iter().chain(rest) {
        kv.delete(k)?;
        n += 1;
    }
    Ok(n)
}

/// Deletes every key of `model` that is not the current version or its pointer
/// (superseded versions, abandoned uploads). Does nothing for a model without a pointer,
/// whose keys may be an upload in progress. Safe to interrupt and repeat.
pub fn collect_garbage(kv: &dyn Kv, model: &str) -> Result<usize> {
    validate_model_name(model)?;
    let Some(p) = current_pointer(kv, model)? else {
        return Ok(0);
    };
    let doomed: Vec<String> = kv
        .list_keys()?
        .into_iter()
        .filter(|k| matches!(keys::version_of(k, model), Some(v) if v != p.version))
        .collect();
    delete_in_order(kv, doomed.iter())
}

/// Abandons an upload and deletes what it stored.
pub fn abort_upload(kv: &dyn Kv, model: &str, id: &str) -> Result<usize> {
    read_decl(kv, model, id)?;
    if current_pointer(kv, model)?.is_some_and(|p| p.version == id) {
        // Unreachable in practice (commit deletes the declaration); never delete live data.
        return Err(StoreError::UploadNotFound {
            model: model.to_string(),
            upload: id.to_string(),
        });
    }
    let prefix = keys::version_prefix(model, id);
    let doomed: Vec<String> = kv
        .list_keys()?
        .into_iter()
        .filter(|k| k.starts_with(&prefix))
        .collect();
    delete_in_order(kv, doomed.iter())
}

/// Deletes a model: the pointer first (it stops being served), then every key.
pub fn delete_model(kv: &dyn Kv, model: &str) -> Result<usize> {
    validate_model_name(model)?;
    let prefix = keys::model_prefix(model);
    let pointer = keys::pointer(model);
    let all: Vec<String> = kv
        .list_keys()?
        .into_iter()
        .filter(|k| k.starts_with(&prefix))
        .collect();
    if all.is_empty() {
        return Err(StoreError::NotFound {
            model: model.to_string(),
        });
    }
    kv.delete(&pointer)?;
    let rest: Vec<String> = all.into_iter().filter(|k| *k != pointer).collect();
    Ok(delete_in_order(kv, rest.iter())? + 1)
}
