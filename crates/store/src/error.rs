use crate::kv::KvError;

/// Everything that can go wrong reading, publishing or uploading a model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Kv(#[from] KvError),
    /// No pointer key: the model was never uploaded (or was deleted).
    #[error("model {model:?} is not in the store")]
    NotFound { model: String },
    #[error("model {model:?} has no file {file:?}")]
    FileNotFound { model: String, file: String },
    /// A key the manifest promises is absent (interrupted delete, concurrent replace).
    #[error("stored model is incomplete: key {key} is missing")]
    Missing { key: String },
    /// A value is present but wrong: digest, size or format.
    #[error("stored model is corrupt at key {key}: {reason}")]
    Corrupt { key: String, reason: String },
    #[error("invalid {what} {value:?}: {reason}")]
    Invalid {
        what: &'static str,
        value: String,
        reason: String,
    },
    #[error(
        "the upload needs {needed} more keys but only {available} of the {budget}-key budget \
         are free ({used} in use{})",
        if *.superseded > 0 { format!("; the current version holds {} of them until the new one is committed, delete it first to make room", .superseded) } else { String::new() }
    )]
    KeyBudgetExceeded {
        needed: usize,
        available: usize,
        budget: usize,
        used: usize,
        /// Keys of the version this upload would replace.
        superseded: usize,
    },
    #[error("no upload {upload:?} for model {model:?} (never begun, aborted, replaced by a newer upload, or already committed)")]
    UploadNotFound { model: String, upload: String },
    #[error("file {file:?} is not part of this upload")]
    UnknownFile { file: String },
    #[error("part of {size} bytes is over the {max}-byte part limit")]
    PartTooLarge { size: usize, max: usize },
    #[error("bad part for {file:?}: {reason}")]
    BadPart { file: String, reason: String },
    /// The client skipped ahead: parts of a file are taken in order.
    #[error("file {file:?} continues at offset {expected}, not {got}")]
    OffsetMismatch {
        file: String,
        expected: u64,
        got: u64,
    },
    #[error("file {file:?} has sha256 {actual}, but the upload declared {expected}; its parts were discarded, send the file again")]
    DigestMismatch {
        file: String,
        expected: String,
        actual: String,
    },
    #[error("file {file:?} is incomplete: {received} of {size} bytes received")]
    Incomplete {
        file: String,
        received: u64,
        size: u64,
    },
    #[error("cannot allocate {bytes} bytes for {file:?}")]
    OutOfMemory { file: String, bytes: u64 },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
