//! Publishing: staged, resumable uploads and the key budget (deleting and garbage
//! collection: lifecycle.rs; listing: listing.rs).
//!
//! An upload is declared first (file names, sizes, sha256), then each file arrives in
//! order as parts of whole chunks, then it is committed. Commit writes the manifest and
//! then the pointer; only the pointer write makes the version visible, so an interrupted
//! upload is never served. Superseded versions are deleted after the pointer moves.
//! The upload id is the version id, so beginning the same upload again resumes it.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::hash::{blake3_hex, hex, is_sha256_hex, sha256_hex, ResumableSha256};
use crate::kv::Kv;
use crate::lifecycle::{collect_garbage, delete_in_order};
use crate::manifest::{
    chunks_for, keys, validate_file_name, validate_model_name, version_id, FileEntry, FileSpec,
    Manifest, Pointer, CHUNK_SIZE, FORMAT_VERSION, MAX_FILES, MAX_METADATA_BYTES,
};
use crate::read::{read_manifest, read_pointer};

/// Fermyon Cloud allows 1,024 keys per store; leave a little for anything else.
pub const DEFAULT_KEY_BUDGET: usize = 1000;
/// 4 MiB parts keep a request far below the 10 MiB body limit.
pub const DEFAULT_MAX_PART_SIZE: usize = 4 * 1024 * 1024;

/// Limits for publishing.
///
/// There is no separate byte budget: every value is at most 1,000,000 bytes, so staying
/// within 1,000 keys also stays within Fermyon Cloud's 1 GB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreConfig {
    /// Keys all models (and uploads in progress) may use together.
    pub key_budget: usize,
    /// Largest part accepted by [`put_part`].
    pub max_part_size: usize,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            key_budget: DEFAULT_KEY_BUDGET,
            max_part_size: DEFAULT_MAX_PART_SIZE,
        }
    }
}

impl StoreConfig {
    /// The part size a client should send: the most whole chunks that fit the limit.
    pub fn part_size(&self) -> usize {
        (self.max_part_size / CHUNK_SIZE).max(1) * CHUNK_SIZE
    }
}

/// What a client declares before sending bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadSpec {
    pub files: Vec<FileSpec>,
    #[serde(default)]
    pub metadata: BTreeMap<String, serde_json::Value>,
}

impl UploadSpec {
    /// Declares in-memory files (computes their digests).
    pub fn from_files(files: &[(&str, &[u8])]) -> Self {
        Self {
            files: files
                .iter()
                .map(|(name, data)| FileSpec {
                    name: (*name).to_string(),
                    size: data.len() as u64,
                    sha256: sha256_hex(data),
                })
                .collect(),
            metadata: BTreeMap::new(),
        }
    }

    /// Keys the upload occupies at its peak (chunks, one state per file, the declaration,
    /// the manifest), not counting the model's pointer.
    pub fn peak_keys(&self) -> usize {
        // Saturating, in u64: declared sizes are untrusted and usize is 32 bits in wasm.
        let chunks = self.files.iter().fold(0u64, |acc, f| {
            acc.saturating_add(chunks_for(f.size, CHUNK_SIZE as u64))
        });
        let total = chunks.saturating_add(self.files.len() as u64 + 2);
        usize::try_from(total).unwrap_or(usize::MAX)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct UploadDecl {
    format: u32,
    model: String,
    version: String,
    files: Vec<FileSpec>,
    #[serde(default)]
    metadata: BTreeMap<String, serde_json::Value>,
}

/// Progress of one file, stored between part requests.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct FileState {
    received: u64,
    hash: ResumableSha256,
    chunk_sha256: Vec<String>,
    /// One per entry of `chunk_sha256`. A state saved before this field existed reads as
    /// empty and fails the consistency check, so that file restarts and its manifest entry
    /// is complete.
    #[serde(default)]
    chunk_blake3: Vec<String>,
    /// Set, and equal to the declared digest, once the last part arrived.
    sha256: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStatus {
    pub name: String,
    pub size: u64,
    pub received: u64,
    pub complete: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadStatus {
    pub model: String,
    /// Upload id, which is also the version id the commit will publish.
    pub id: String,
    pub chunk_size: usize,
    pub max_part_size: usize,
    /// Part size a client should use: whole chunks, within `max_part_size`.
    pub part_size: usize,
    pub files: Vec<FileStatus>,
}

/// Result of [`begin_upload`].
#[derive(Debug, Clone, PartialEq)]
pub enum Begin {
    /// This exact content is already the current version; nothing to send.
    Current(Manifest),
    /// Send the missing bytes (`received` tells where each file continues).
    Staging(UploadStatus),
}

/// Result of [`commit_upload`].
#[derive(Debug, Clone, PartialEq)]
pub struct Committed {
    pub manifest: Manifest,
    /// Keys of superseded versions and of the staging area that were deleted.
    pub keys_deleted: usize,
    /// The version is live, but cleaning up failed; the next upload retries it.
    pub cleanup_error: Option<String>,
}

fn validate_spec(model: &str, spec: &UploadSpec) -> Result<()> {
    validate_model_name(model)?;
    let invalid = |value: String, reason: &str| StoreError::Invalid {
        what: "upload",
        value,
        reason: reason.to_string(),
    };
    if spec.files.is_empty() || spec.files.len() > MAX_FILES {
        return Err(invalid(
            format!("{} files", spec.files.len()),
            &format!("a model has 1 to {MAX_FILES} files"),
        ));
    }
    let mut seen = BTreeSet::new();
    for f in &spec.files {
        validate_file_name(&f.name)?;
        if !seen.insert(f.name.as_str()) {
            return Err(invalid(f.name.clone(), "file listed twice"));
        }
        if !is_sha256_hex(&f.sha256) {
            return Err(invalid(
                f.sha256.chars().take(80).collect(),
                "sha256 must be 64 lower-case hex digits",
            ));
        }
    }
    let meta =
        serde_json::to_vec(&spec.metadata).map_err(|e| invalid(String::new(), &e.to_string()))?;
    if meta.len() > MAX_METADATA_BYTES {
        return Err(invalid(
            format!("{} bytes of metadata", meta.len()),
            &format!("metadata is limited to {MAX_METADATA_BYTES} bytes"),
        ));
    }
    Ok(())
}

fn validate_upload_id(model: &str, id: &str) -> Result<()> {
    if id.len() == 12
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(StoreError::UploadNotFound {
            model: model.to_string(),
            upload: id.chars().take(80).collect(),
        })
    }
}

/// The current pointer, treating an unreadable one as absent so an upload can repair it.
pub(crate) fn current_pointer(kv: &dyn Kv, model: &str) -> Result<Option<Pointer>> {
    match read_pointer(kv, model) {
        Err(StoreError::Corrupt { .. }) => Ok(None),
        other => other,
    }
}

/// Declares an upload, or resumes the same one. Abandoned uploads of the model and
/// leftovers of interrupted collections are deleted first; the key budget is checked.
pub fn begin_upload(
    kv: &dyn Kv,
    model: &str,
    spec: &UploadSpec,
    cfg: &StoreConfig,
) -> Result<Begin> {
    validate_spec(model, spec)?;
    let version = version_id(model, &spec.files, &spec.metadata);
    let mut pointer = current_pointer(kv, model)?;
    if let Some(p) = &pointer {
        if p.version == version {
            match read_manifest(kv, model, p) {
                Ok(m) => return Ok(Begin::Current(m)),
                // The live version is this content but broken: take it down and re-stage
                // it, rather than write over chunks a reader may be using.
                Err(StoreError::Missing { .. } | StoreError::Corrupt { .. }) => {
                    kv.delete(&keys::pointer(model))?;
                    pointer = None;
                }
                Err(e) => return Err(e),
            }
        }
    }
    let current = pointer.as_ref().map(|p| p.version.as_str());

    let decl_key = keys::upload(model, &version);
    let resuming = kv.exists(&decl_key)?;
    let mut all = kv.list_keys()?;
    let doomed: BTreeSet<String> = all
        .iter()
        .filter(|k| match keys::version_of(k, model) {
            Some(v) if Some(v) == current => false,
            // Without a declaration, keys of this version are leftovers of a collected
            // version; start from nothing rather than trust them.
            Some(v) if v == version => !resuming,
            Some(_) => true,
            None => false,
        })
        .cloned()
        .collect();
    delete_in_order(kv, doomed.iter())?;
    all.retain(|k| !doomed.contains(k));

    let this_prefix = keys::version_prefix(model, &version);
    let existing = all.iter().filter(|k| k.starts_with(&this_prefix)).count();
    let peak = spec.peak_keys() + usize::from(pointer.is_none());
    let needed = peak.saturating_sub(existing);
    let used = all.len();
    let available = cfg.key_budget.saturating_sub(used);
    if needed > available {
        let superseded = current
            .map(|v| {
                let p = keys::version_prefix(model, v);
                all.iter().filter(|k| k.starts_with(&p)).count() + 1
            })
            .unwrap_or(0);
        return Err(StoreError::KeyBudgetExceeded {
            needed,
            available,
            budget: cfg.key_budget,
            used,
            superseded,
        });
    }

    if !resuming {
        let decl = UploadDecl {
            format: FORMAT_VERSION,
            model: model.to_string(),
            version: version.clone(),
            files: spec.files.clone(),
            metadata: spec.metadata.clone(),
        };
        kv.set(&decl_key, &to_json(&decl))?;
    }
    upload_status(kv, model, &version, cfg).map(Begin::Staging)
}

fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    // Our state types are plain data and always serialise.
    serde_json::to_vec(value).unwrap_or_default()
}

pub(crate) fn read_decl(kv: &dyn Kv, model: &str, id: &str) -> Result<UploadDecl> {
    validate_upload_id(model, id)?;
    let key = keys::upload(model, id);
    let not_found = || StoreError::UploadNotFound {
        model: model.to_string(),
        upload: id.to_string(),
    };
    let bytes = kv.get(&key)?.ok_or_else(not_found)?;
    let decl: UploadDecl = serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
        key,
        reason: format!("upload declaration is not valid JSON: {e}"),
    })?;
    if decl.model != model || decl.version != id {
        return Err(not_found());
    }
    Ok(decl)
}

/// A file's progress; an unreadable or inconsistent record restarts the file.
fn read_state(kv: &dyn Kv, model: &str, id: &str, idx: usize, size: u64) -> Result<FileState> {
    let Some(bytes) = kv.get(&keys::file_state(model, id, idx))? else {
        return Ok(FileState::default());
    };
    let st: FileState = serde_json::from_slice(&bytes).unwrap_or_default();
    let whole_chunks = st.received / CHUNK_SIZE as u64;
    let consistent = st.received <= size
        && st.chunk_blake3.len() == st.chunk_sha256.len()
        && match &st.sha256 {
            Some(_) => {
                st.received == size
                    && st.chunk_sha256.len() as u64 == chunks_for(size, CHUNK_SIZE as u64)
            }
            None => {
                st.received % CHUNK_SIZE as u64 == 0
                    && st.chunk_sha256.len() as u64 == whole_chunks
                    && st.hash.bytes_hashed() == st.received
            }
        };
    Ok(if consistent { st } else { FileState::default() })
}

fn file_status(spec: &FileSpec, st: &FileState) -> FileStatus {
    FileStatus {
        name: spec.name.clone(),
        size: spec.size,
        received: st.received,
        complete: st.sha256.is_some() || spec.size == 0,
    }
}

/// Where each file of an upload stands.
pub fn upload_status(
    kv: &dyn Kv,
    model: &str,
    id: &str,
    cfg: &StoreConfig,
) -> Result<UploadStatus> {
    let decl = read_decl(kv, model, id)?;
    let mut files = Vec::with_capacity(decl.files.len());
    for (idx, f) in decl.files.iter().enumerate() {
        let st = read_state(kv, model, id, idx, f.size)?;
        files.push(file_status(f, &st));
    }
    Ok(UploadStatus {
        model: model.to_string(),
        id: id.to_string(),
        chunk_size: CHUNK_SIZE,
        max_part_size: cfg.max_part_size,
        part_size: cfg.part_size(),
        files,
    })
}

/// Stores one part of a file: `data` starts at byte `offset` of the file.
///
/// Parts are whole chunks (the last one may be shorter) and arrive in order; a part that
/// repeats bytes already received (a retry) is accepted and its repeated bytes ignored.
pub fn put_part(
    kv: &dyn Kv,
    model: &str,
    id: &str,
    file: &str,
    offset: u64,
    data: &[u8],
    cfg: &StoreConfig,
) -> Result<FileStatus> {
    if data.len() > cfg.max_part_size {
        return Err(StoreError::PartTooLarge {
            size: data.len(),
            max: cfg.max_part_size,
        });
    }
    let decl = read_decl(kv, model, id)?;
    let (idx, spec) = decl
        .files
        .iter()
        .enumerate()
        .find(|(_, f)| f.name == file)
        .ok_or_else(|| StoreError::UnknownFile {
            file: file.chars().take(128).collect(),
        })?;
    let bad = |reason: String| StoreError::BadPart {
        file: spec.name.clone(),
        reason,
    };
    let chunk = CHUNK_SIZE as u64;
    let len = data.len() as u64;
    let end = offset
        .checked_add(len)
        .filter(|&e| e <= spec.size)
        .ok_or_else(|| {
            bad(format!(
                "bytes {offset}+{len} run past the declared size {}",
                spec.size
            ))
        })?;
    if offset % chunk != 0 {
        return Err(bad(format!(
            "offset {offset} is not a multiple of the chunk size {chunk}"
        )));
    }
    if len % chunk != 0 && end != spec.size {
        return Err(bad(format!(
            "a part is a whole number of {chunk}-byte chunks unless it ends the file"
        )));
    }
    if len == 0 && spec.size != 0 {
        return Err(bad("empty part".into()));
    }

    let mut st = read_state(kv, model, id, idx, spec.size)?;
    if offset > st.received {
        return Err(StoreError::OffsetMismatch {
            file: spec.name.clone(),
            expected: st.received,
            got: offset,
        });
    }
    if end <= st.received {
        // A retry of bytes we already have.
        return Ok(file_status(spec, &st));
    }
    // Both are chunk-aligned here, so the skipped prefix is whole chunks.
    let new = &data[(st.received - offset) as usize..];
    for piece in new.chunks(CHUNK_SIZE) {
        let n = st.received / chunk;
        kv.set(&keys::chunk(model, id, idx, n), piece)?;
        st.chunk_sha256.push(sha256_hex(piece));
        st.chunk_blake3.push(blake3_hex(piece));
        if st.received + piece.len() as u64 == spec.size {
            let actual = hex(&st.hash.clone().finalize(piece));
            if actual != spec.sha256 {
                kv.delete(&keys::file_state(model, id, idx))?;
                return Err(StoreError::DigestMismatch {
                    file: spec.name.clone(),
                    expected: spec.sha256.clone(),
                    actual,
                });
            }
            st.sha256 = Some(actual);
        } else {
            st.hash.update_blocks(piece);
        }
        st.received += piece.len() as u64;
    }
    kv.set(&keys::file_state(model, id, idx), &to_json(&st))?;
    Ok(file_status(spec, &st))
}

/// Publishes a fully received upload: manifest, then pointer, then cleanup.
/// Committing again after success returns the live manifest.
pub fn commit_upload(kv: &dyn Kv, model: &str, id: &str) -> Result<Committed> {
    let decl = match read_decl(kv, model, id) {
        Ok(d) => d,
        Err(e @ StoreError::UploadNotFound { .. }) => {
            // A retried commit whose first response was lost.
            if let Some(p) = current_pointer(kv, model)? {
                if p.version == id {
                    return Ok(Committed {
                        manifest: read_manifest(kv, model, &p)?,
                        keys_deleted: 0,
                        cleanup_error: None,
                    });
                }
            }
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    let mut entries = Vec::with_capacity(decl.files.len());
    for (idx, f) in decl.files.iter().enumerate() {
        let st = read_state(kv, model, id, idx, f.size)?;
        let sha = if f.size == 0 {
            sha256_hex(b"")
        } else {
            st.sha256.clone().ok_or_else(|| StoreError::Incomplete {
                file: f.name.clone(),
                received: st.received,
                size: f.size,
            })?
        };
        if sha != f.sha256 {
            return Err(StoreError::DigestMismatch {
                file: f.name.clone(),
                expected: f.sha256.clone(),
                actual: sha,
            });
        }
        entries.push(FileEntry {
            name: f.name.clone(),
            size: f.size,
            sha256: sha,
            chunks: st.chunk_sha256.len() as u32,
            chunk_sha256: st.chunk_sha256,
            chunk_blake3: st.chunk_blake3,
        });
    }
    // One listing instead of a lookup per chunk: every chunk must really be there.
    let present: BTreeSet<String> = kv.list_keys()?.into_iter().collect();
    for (idx, e) in entries.iter().enumerate() {
        for n in 0..u64::from(e.chunks) {
            let key = keys::chunk(model, id, idx, n);
            if !present.contains(&key) {
                return Err(StoreError::Missing { key });
            }
        }
    }
    let manifest = Manifest {
        format: FORMAT_VERSION,
        model: model.to_string(),
        version: id.to_string(),
        chunk_size: CHUNK_SIZE as u64,
        files: entries,
        metadata: decl.metadata,
    };
    let bytes = to_json(&manifest);
    kv.set(&keys::manifest(model, id), &bytes)?;
    let pointer = Pointer {
        version: id.to_string(),
        manifest_sha256: sha256_hex(&bytes),
    };
    // The single write that makes the version live.
    kv.set(&keys::pointer(model), &to_json(&pointer))?;

    // From here on the commit has happened; cleanup failures are reported, not returned.
    let mut keys_deleted = 0;
    let mut staging = vec![keys::upload(model, id)];
    staging.extend((0..manifest.files.len()).map(|i| keys::file_state(model, id, i)));
    let cleanup = delete_in_order(kv, staging.iter())
        .map(|n| keys_deleted += n)
        .and_then(|()| collect_garbage(kv, model).map(|n| keys_deleted += n));
    Ok(Committed {
        manifest,
        keys_deleted,
        cleanup_error: cleanup.err().map(|e| e.to_string()),
    })
}

/// Publishes in-memory files in one go (tools, tests). Same path as the HTTP upload.
pub fn publish(
    kv: &dyn Kv,
    model: &str,
    files: &[(&str, &[u8])],
    metadata: BTreeMap<String, serde_json::Value>,
    cfg: &StoreConfig,
) -> Result<Committed> {
    let mut spec = UploadSpec::from_files(files);
    spec.metadata = metadata;
    let status = match begin_upload(kv, model, &spec, cfg)? {
        Begin::Current(manifest) => {
            return Ok(Committed {
                manifest,
                keys_deleted: 0,
                cleanup_error: None,
            })
        }
        Begin::Staging(s) => s,
    };
    let part = cfg.part_size();
    for (fs, (name, data)) in status.files.iter().zip(files) {
        let mut offset = fs.received as usize;
        while offset < data.len() {
            let end = (offset + part).min(data.len());
            put_part(
                kv,
                model,
                &status.id,
                name,
                offset as u64,
                &data[offset..end],
                cfg,
            )?;
            offset = end;
        }
    }
    commit_upload(kv, model, &status.id)
}
