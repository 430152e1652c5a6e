//! Model files in a key-value store with 1 MB values and ~1,000 keys (Fermyon Cloud,
//! Akamai Functions): chunked, checksummed, published atomically behind one pointer key.
//!
//! Runtime-neutral: the Spin adapter implements [`Kv`] over the host's store, tests use
//! [`MemKv`]. The HTTP upload protocol built on these functions is crates/admin.

mod error;
mod hash;
mod kv;
mod lifecycle;
mod listing;
mod manifest;
mod read;
mod upload;

pub use error::{Result, StoreError};
pub use hash::{blake3_hex, hex, is_sha256_hex, sha256_hex, ResumableSha256};
pub use kv::{FailingKv, Kv, KvError, MemKv, HOST_MAX_KEY, HOST_MAX_VALUE};
pub use lifecycle::{abort_upload, collect_garbage, delete_model};
pub use listing::{list_models, ModelInfo, StoreUsage};
pub use manifest::{
    chunk_len, chunks_for, validate_file_name, validate_model_name, version_id, FileEntry,
    FileSpec, Manifest, Pointer, CHUNK_SIZE, FORMAT_VERSION, MAX_FILES, MAX_METADATA_BYTES,
};
pub use read::{load_model, load_model_with, read_pointer, LoadedModel, ModelReader, ReadOptions};
pub use upload::{
    begin_upload, commit_upload, publish, put_part, upload_status, Begin, Committed, FileStatus,
    StoreConfig, UploadSpec, UploadStatus, DEFAULT_KEY_BUDGET, DEFAULT_MAX_PART_SIZE,
};
