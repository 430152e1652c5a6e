//! What the store holds: models, their live manifests, key usage against the budget.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::Result;
use crate::kv::Kv;
use crate::manifest::{keys, Manifest};
use crate::read::{read_manifest, read_pointer};
use crate::upload::StoreConfig;

/// One model as seen in the store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelInfo {
    pub name: String,
    /// The live manifest, if the model has a readable one.
    pub current: Option<Manifest>,
    /// Why the live manifest could not be read.
    pub error: Option<String>,
    /// Keys under this model, including superseded versions and uploads.
    pub keys: usize,
    /// Ids of uploads in progress.
    pub uploads: Vec<String>,
}

/// Key usage of the whole store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoreUsage {
    pub keys_total: usize,
    pub key_budget: usize,
    pub models: Vec<ModelInfo>,
}

pub fn list_models(kv: &dyn Kv, cfg: &StoreConfig) -> Result<StoreUsage> {
    let all = kv.list_keys()?;
    let mut by_model: BTreeMap<&str, (usize, Vec<String>)> = BTreeMap::new();
    for k in &all {
        if let Some(m) = keys::model_of(k) {
            let e = by_model.entry(m).or_default();
            e.0 += 1;
            if let Some(v) = k.strip_suffix("/upload").and_then(|r| r.rsplit('/').next()) {
                e.1.push(v.to_string());
            }
        }
    }
    let mut models = Vec::with_capacity(by_model.len());
    for (name, (count, uploads)) in by_model {
        let (current, error) = match read_pointer(kv, name) {
            Ok(Some(p)) => match read_manifest(kv, name, &p) {
                Ok(m) => (Some(m), None),
                Err(e) => (None, Some(e.to_string())),
            },
            Ok(None) => (None, None),
            Err(e) => (None, Some(e.to_string())),
        };
        models.push(ModelInfo {
            name: name.to_string(),
            current,
            error,
            keys: count,
            uploads,
        });
    }
    Ok(StoreUsage {
        keys_total: all.len(),
        key_budget: cfg.key_budget,
        models,
    })
}
