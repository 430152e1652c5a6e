//! Reading a published model: pointer → manifest → verified chunks.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::error::{Result, StoreError};
use crate::hash::{blake3_hex, hex, sha256_hex};
use crate::kv::Kv;
use crate::manifest::{chunk_len, keys, validate_model_name, Manifest, Pointer};

/// How much to verify while reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOptions {
    /// Also hash each whole file (sha256). Every chunk is always checked against the
    /// manifest (BLAKE3, or sha256 in manifests without it), and the manifest against the
    /// pointer, and publishing checked that the chunks make up the file's digest; so this
    /// second pass only guards against a broken publisher. With chunk BLAKE3 it is most of
    /// the hashing time of a load.
    pub verify_files: bool,
}

impl ReadOptions {
    /// Chunk digests only: measured on 40 MB in wasm (examples/throughput.rs), ~1,600 vs
    /// ~330 MB/s with chunk BLAKE3, ~400 vs ~200 MB/s with chunk sha256 (older manifests);
    /// given the checks above, just as safe against corrupt or substituted bytes.
    pub const CHUNKS_ONLY: Self = Self {
        verify_files: false,
    };
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self { verify_files: true }
    }
}

/// A whole model in memory, every byte verified.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedModel {
    pub manifest: Manifest,
    pub files: BTreeMap<String, Vec<u8>>,
}

/// Reads the current pointer of `model`, `None` if it was never published.
pub fn read_pointer(kv: &dyn Kv, model: &str) -> Result<Option<Pointer>> {
    let key = keys::pointer(model);
    let Some(bytes) = kv.get(&key)? else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| StoreError::Corrupt {
            key,
            reason: format!("pointer is not valid JSON: {e}"),
        })
}

/// An open model version: the manifest is read and checked, files are read on demand.
pub struct ModelReader<'a> {
    kv: &'a dyn Kv,
    manifest: Manifest,
    options: ReadOptions,
}

impl<'a> ModelReader<'a> {
    pub fn open(kv: &'a dyn Kv, model: &str) -> Result<Self> {
        Self::open_with(kv, model, ReadOptions::default())
    }

    pub fn open_with(kv: &'a dyn Kv, model: &str, options: ReadOptions) -> Result<Self> {
        validate_model_name(model)?;
        let pointer = read_pointer(kv, model)?.ok_or_else(|| StoreError::NotFound {
            model: model.to_string(),
        })?;
        let manifest = read_manifest(kv, model, &pointer)?;
        Ok(Self {
            kv,
            manifest,
            options,
        })
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    pub fn into_manifest(self) -> Manifest {
        self.manifest
    }

    /// Reads one file into a buffer sized from the manifest, verifying as it goes.
    pub fn read_file(&self, name: &str) -> Result<Vec<u8>> {
        let (idx, entry) = self
            .manifest
            .file(name)
            .ok_or_else(|| StoreError::FileNotFound {
                model: self.manifest.model.clone(),
                file: name.to_string(),
            })?;
        let m = &self.manifest;
        let mut buf = Vec::new();
        // try_reserve: a failed allocation in wasm would otherwise abort the instance.
        let cap = usize::try_from(entry.size).map_err(|_| StoreError::OutOfMemory {
            file: name.to_string(),
            bytes: entry.size,
        })?;
        buf.try_reserve_exact(cap)
            .map_err(|_| StoreError::OutOfMemory {
                file: name.to_string(),
                bytes: entry.size,
            })?;
        let mut file_hash = self.options.verify_files.then(Sha256::new);
        // BLAKE3 where the manifest has it (several times faster in wasm); older manifests
        // have only sha256.
        let (digest, wants) = if entry.chunk_blake3.is_empty() {
            (ChunkDigest::Sha256, &entry.chunk_sha256)
        } else {
            (ChunkDigest::Blake3, &entry.chunk_blake3)
        };
        for (i, want) in wants.iter().enumerate() {
            let key = keys::chunk(&m.model, &m.version, idx, i as u64);
            let start = buf.len();
            let expected_len = chunk_len(entry.size, m.chunk_size, i as u64);
            // A chunk never exceeds the size the manifest says; a longer value is corrupt,
            // and reading it in anyway could push the buffer past its reservation.
            let got = self
                .kv
                .get_into(&key, &mut buf)?
                .ok_or_else(|| StoreError::Missing { key: key.clone() })?;
            if got as u64 != expected_len {
                return Err(StoreError::Corrupt {
                    key,
                    reason: format!("chunk is {got} bytes, manifest says {expected_len}"),
                });
            }
            let chunk = &buf[start..];
            digest.check(&key, chunk, want)?;
            if let Some(h) = file_hash.as_mut() {
                h.update(chunk);
            }
        }
        if let Some(h) = file_hash {
            let actual = hex(&h.finalize());
            if actual != entry.sha256 {
                return Err(StoreError::Corrupt {
                    key: keys::manifest(&m.model, &m.version),
                    reason: format!(
                        "file {name:?} has sha256 {actual}, manifest says {}",
                        entry.sha256
                    ),
                });
            }
        }
        Ok(buf)
    }

    /// Checks one file against the manifest without holding it: memory stays at one
    /// chunk, so an admin can verify a model larger than a request's memory. Every digest
    /// the manifest has is checked: chunk sha256 and BLAKE3, and the file's sha256.
    pub fn verify_file(&self, name: &str) -> Result<()> {
        let (idx, entry) = self
            .manifest
            .file(name)
            .ok_or_else(|| StoreError::FileNotFound {
                model: self.manifest.model.clone(),
                file: name.to_string(),
            })?;
        let m = &self.manifest;
        let mut file_hash = Sha256::new();
        let mut buf = Vec::with_capacity(m.chunk_size as usize);
        for (i, want) in entry.chunk_sha256.iter().enumerate() {
            let key = keys::chunk(&m.model, &m.version, idx, i as u64);
            buf.clear();
            self.kv
                .get_into(&key, &mut buf)?
                .ok_or_else(|| StoreError::Missing { key: key.clone() })?;
            let expected_len = chunk_len(entry.size, m.chunk_size, i as u64);
            if buf.len() as u64 != expected_len {
                return Err(StoreError::Corrupt {
                    key,
                    reason: format!("chunk is {} bytes, manifest says {expected_len}", buf.len()),
                });
            }
            ChunkDigest::Sha256.check(&key, &buf, want)?;
            // A wrong BLAKE3 over right bytes would fail every load; the admin's check
            // should say so.
            if let Some(want) = entry.chunk_blake3.get(i) {
                ChunkDigest::Blake3.check(&key, &buf, want)?;
            }
            file_hash.update(&buf);
        }
        let actual = hex(&file_hash.finalize());
        if actual != entry.sha256 {
            return Err(StoreError::Corrupt {
                key: keys::manifest(&m.model, &m.version),
                reason: format!(
                    "file {name:?} has sha256 {actual}, manifest says {}",
                    entry.sha256
                ),
            });
        }
        Ok(())
    }

    /// Reads every file.
    pub fn read_all(self) -> Result<LoadedModel> {
        let mut files = BTreeMap::new();
        for f in &self.manifest.files {
            files.insert(f.name.clone(), self.read_file(&f.name)?);
        }
        Ok(LoadedModel {
            manifest: self.manifest,
            files,
        })
    }
}

/// The digest a chunk is checked with.
#[derive(Debug, Clone, Copy)]
enum ChunkDigest {
    Sha256,
    Blake3,
}

impl ChunkDigest {
    /// `Corrupt` at `key`, naming the digest, unless `chunk` hashes to `want`.
    fn check(self, key: &str, chunk: &[u8], want: &str) -> Result<()> {
        let (name, actual) = match self {
            Self::Sha256 => ("sha256", sha256_hex(chunk)),
            Self::Blake3 => ("blake3", blake3_hex(chunk)),
        };
        if actual == want {
            Ok(())
        } else {
            Err(StoreError::Corrupt {
                key: key.to_string(),
                reason: format!("chunk {name} is {actual}, manifest says {want}"),
            })
        }
    }
}

pub(crate) fn read_manifest(kv: &dyn Kv, model: &str, pointer: &Pointer) -> Result<Manifest> {
    let key = keys::manifest(model, &pointer.version);
    let bytes = kv
        .get(&key)?
        .ok_or_else(|| StoreError::Missing { key: key.clone() })?;
    let actual = sha256_hex(&bytes);
    if actual != pointer.manifest_sha256 {
        return Err(StoreError::Corrupt {
            key,
            reason: format!(
                "manifest sha256 is {actual}, pointer says {}",
                pointer.manifest_sha256
            ),
        });
    }
    let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
        key: key.clone(),
        reason: format!("manifest is not valid JSON: {e}"),
    })?;
    manifest.validate(&key)?;
    if manifest.model != model || manifest.version != pointer.version {
        return Err(StoreError::Corrupt {
            key,
            reason: "manifest names another model or version".into(),
        });
    }
    Ok(manifest)
}

/// Loads and verifies a whole model.
///
/// If a chunk disappears mid-read because a new version was committed and the old one
/// collected, the load is retried once on the new version.
pub fn load_model(kv: &dyn Kv, model: &str) -> Result<LoadedModel> {
    load_model_with(kv, model, ReadOptions::default())
}

pub fn load_model_with(kv: &dyn Kv, model: &str, options: ReadOptions) -> Result<LoadedModel> {
    let reader = ModelReader::open_with(kv, model, options)?;
    let version = reader.manifest.version.clone();
    match reader.read_all() {
        Err(e @ (StoreError::Missing { .. } | StoreError::Corrupt { .. })) => {
            match read_pointer(kv, model)? {
                Some(p) if p.version != version => {
                    ModelReader::open_with(kv, model, options)?.read_all()
                }
                _ => Err(e),
            }
        }
        other => other,
    }
}
