//! The stored format: key layout, manifest, pointer and names.
//!
//! ```text
//! m/<model>/current                    pointer  {"version","manifest_sha256"}
//! m/<model>/<version>/manifest         manifest (JSON)
//! m/<model>/<version>/<file>/<chunk>   chunk <chunk> of file number <file>, ≤ 1,000,000 bytes
//! m/<model>/<version>/upload           staged upload: declared files (deleted on commit)
//! m/<model>/<version>/<file>/state     staged upload: progress of one file (deleted on commit)
//! ```
//! `<version>` is the first 12 hex digits of a digest over the model name, the files'
//! names, sizes and sha256, and the metadata, so identical content maps to one version.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::hash::{is_sha256_hex, sha256_hex};

/// Bump when the layout changes incompatibly; readers refuse formats they do not know.
pub const FORMAT_VERSION: u32 = 1;
/// Chunk size: Fermyon Cloud and Akamai cap values at 1 MB. A multiple of 64 so the
/// resumable whole-file digest pauses on block boundaries.
pub const CHUNK_SIZE: usize = 1_000_000;
const _: () = assert!(CHUNK_SIZE % 64 == 0);
/// Files per model; keeps manifests and key counts bounded.
pub const MAX_FILES: usize = 64;
/// Largest accepted manifest metadata (serialised), so a manifest stays one small value.
pub const MAX_METADATA_BYTES: usize = 64 * 1024;

/// One file of a model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub name: String,
    pub size: u64,
    pub sha256: String,
    pub chunks: u32,
    pub chunk_sha256: Vec<String>,
    /// BLAKE3 of each chunk, what loads check: sha256 alone takes most of a request's load
    /// budget in wasm. Empty in manifests written before it existed; loads then check the
    /// sha256.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chunk_blake3: Vec<String>,
}

/// The description of one published model version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub model: String,
    pub version: String,
    pub chunk_size: u64,
    pub files: Vec<FileEntry>,
    /// Free-form, e.g. `{"config": {...}}` for the runner.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, serde_json::Value>,
}

impl Manifest {
    pub fn file(&self, name: &str) -> Option<(usize, &FileEntry)> {
        self.files.iter().enumerate().find(|(_, f)| f.name == name)
    }

    pub fn total_size(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }

    /// Keys a committed version occupies (chunks + manifest; the pointer is per model).
    pub fn key_count(&self) -> usize {
        self.files.iter().map(|f| f.chunks as usize).sum::<usize>() + 1
    }

    /// Checks internal consistency; `key` names the manifest in errors.
    pub fn validate(&self, key: &str) -> Result<()> {
        let bad = |reason: String| StoreError::Corrupt {
            key: key.to_string(),
            reason,
        };
        if self.format != FORMAT_VERSION {
            return Err(bad(format!(
                "manifest format {} is not supported (this build reads {FORMAT_VERSION})",
                self.format
            )));
        }
        if self.chunk_size == 0 || self.chunk_size > CHUNK_SIZE as u64 {
            return Err(bad(format!("chunk size {} out of range", self.chunk_size)));
        }
        let mut seen = std::collections::BTreeSet::new();
        for f in &self.files {
            validate_file_name(&f.name).map_err(|e| bad(e.to_string()))?;
            if !seen.insert(f.name.as_str()) {
                return Err(bad(format!("file {:?} listed twice", f.name)));
            }
            let want = chunks_for(f.size, self.chunk_size);
            if u64::from(f.chunks) != want || f.chunk_sha256.len() as u64 != want {
                return Err(bad(format!(
                    "file {:?}: {} bytes need {want} chunks, manifest lists {} ({} digests)",
                    f.name,
                    f.size,
                    f.chunks,
                    f.chunk_sha256.len()
                )));
            }
            if !is_sha256_hex(&f.sha256) || !f.chunk_sha256.iter().all(|d| is_sha256_hex(d)) {
                return Err(bad(format!("file {:?}: malformed sha256", f.name)));
            }
            // Absent is allowed (older manifests); present, it must cover every chunk, or a
            // reader would check some chunks against nothing.
            if !f.chunk_blake3.is_empty() && f.chunk_blake3.len() as u64 != want {
                return Err(bad(format!(
                    "file {:?}: {want} chunks but {} blake3 digests",
                    f.name,
                    f.chunk_blake3.len()
                )));
            }
            if !f.chunk_blake3.iter().all(|d| is_sha256_hex(d)) {
                return Err(bad(format!("file {:?}: malformed blake3", f.name)));
            }
        }
        Ok(())
    }
}

/// The value of `m/<model>/current`: which version is live, and the digest of its
/// manifest so a reader trusts nothing it has not checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pointer {
    pub version: String,
    pub manifest_sha256: String,
}

/// A file as declared before upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSpec {
    pub name: String,
    pub size: u64,
    pub sha256: String,
}

pub fn chunks_for(size: u64, chunk_size: u64) -> u64 {
    size.div_ceil(chunk_size.max(1))
}

/// Length of chunk `i` of a file of `size` bytes.
pub fn chunk_len(size: u64, chunk_size: u64, i: u64) -> u64 {
    size.saturating_sub(i * chunk_size).min(chunk_size)
}

/// The content-derived version id (12 hex digits).
pub fn version_id(
    model: &str,
    files: &[FileSpec],
    metadata: &BTreeMap<String, serde_json::Value>,
) -> String {
    #[derive(Serialize)]
    struct Seed<'a> {
        format: u32,
        model: &'a str,
        chunk_size: usize,
        files: &'a [FileSpec],
        metadata: &'a BTreeMap<String, serde_json::Value>,
    }
    let seed = Seed {
        format: FORMAT_VERSION,
        model,
        chunk_size: CHUNK_SIZE,
        files,
        metadata,
    };
    // Serialising plain structs and a BTreeMap cannot fail; an empty seed would still be
    // a stable id.
    let bytes = serde_json::to_vec(&seed).unwrap_or_default();
    sha256_hex(&bytes)[..12].to_string()
}

/// Model names: 1–64 of `[a-z0-9._-]`, starting with a letter or digit.
pub fn validate_model_name(name: &str) -> Result<()> {
    validate_name("model name", name, 64, |b| {
        b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b)
    })
}

/// File names: 1–128 of `[A-Za-z0-9._-]`, starting with a letter, digit or `_`.
pub fn validate_file_name(name: &str) -> Result<()> {
    validate_name("file name", name, 128, |b| {
        b.is_ascii_alphanumeric() || b"._-".contains(&b)
    })
}

fn validate_name(
    what: &'static str,
    name: &str,
    max: usize,
    ok: impl Fn(u8) -> bool,
) -> Result<()> {
    let invalid = |reason: &str| StoreError::Invalid {
        what,
        value: name.chars().take(80).collect(),
        reason: reason.to_string(),
    };
    if name.is_empty() || name.len() > max {
        return Err(invalid(&format!("must be 1 to {max} characters")));
    }
    if name.starts_with(['.', '-']) {
        return Err(invalid("must not start with '.' or '-'"));
    }
    if !name.bytes().all(ok) {
        return Err(invalid("contains a character outside [A-Za-z0-9._-]"));
    }
    Ok(())
}

pub(crate) mod keys {
    pub fn model_prefix(model: &str) -> String {
        format!("m/{model}/")
    }
    pub fn pointer(model: &str) -> String {
        format!("m/{model}/current")
    }
    pub fn version_prefix(model: &str, version: &str) -> String {
        format!("m/{model}/{version}/")
    }
    pub fn manifest(model: &str, version: &str) -> String {
        format!("m/{model}/{version}/manifest")
    }
    pub fn chunk(model: &str, version: &str, file: usize, chunk: u64) -> String {
        format!("m/{model}/{version}/{file}/{chunk}")
    }
    pub fn upload(model: &str, version: &str) -> String {
        format!("m/{model}/{version}/upload")
    }
    pub fn file_state(model: &str, version: &str, file: usize) -> String {
        format!("m/{model}/{version}/{file}/state")
    }
    /// The model a store key belongs to, if it is one of ours.
    pub fn model_of(key: &str) -> Option<&str> {
        key.strip_prefix("m/")?.split('/').next()
    }
    /// The version segment of a key under `m/<model>/`, `None` for the pointer.
    pub fn version_of<'a>(key: &'a str, model: &str) -> Option<&'a str> {
        let rest = key
            .strip_prefix("m/")?
            .strip_prefix(model)?
            .strip_prefix('/')?;
        let (version, _) = rest.split_once('/')?;
        Some(version)
    }
}
