//! The one mapping from model-store errors to API errors, used by the admin API and by every
//! component that loads a model (transcribe, synthesize …).
//!
//! Messages never name store keys, digests or host error text: those go to the component's
//! log line (the `detail` of its outcome), not to the client.

use sawt_store::{KvError, StoreError};

use crate::{ApiError, ErrorType};

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        // Variants whose Display holds only what the client sent (names, sizes, offsets)
        // keep it as the message; the others get a fixed text.
        let own = e.to_string();
        let (status, code, message) = match &e {
            StoreError::Kv(KvError::StoreFull { .. }) => (507, "store_full", own),
            // The host refused a value or key our own format produced: a server-side limit
            // that retrying cannot fix, so 500 (not 503).
            StoreError::Kv(KvError::ValueTooLarge { .. } | KvError::KeyTooLong { .. }) => (
                500,
                "kv_limit",
                "the key-value store refused a value over its limits".to_owned(),
            ),
            StoreError::Kv(KvError::Unavailable(_) | KvError::Other(_)) => (
                503,
                "kv_unavailable",
                "the key-value store is unavailable; try again".to_owned(),
            ),
            StoreError::NotFound { .. } => (404, "model_not_found", own),
            StoreError::FileNotFound { .. } | StoreError::UnknownFile { .. } => {
                (404, "file_not_found", own)
            }
            StoreError::UploadNotFound { .. } => (404, "upload_not_found", own),
            StoreError::Missing { .. } => (
                500,
                "model_incomplete",
                "the stored model is incomplete (a chunk is missing); push it again".to_owned(),
            ),
            StoreError::Corrupt { .. } => (
                500,
                "model_corrupt",
                "the stored model is corrupt (a checksum does not match); push it again".to_owned(),
            ),
            StoreError::OutOfMemory { .. } => (
                500,
                "out_of_memory",
                "not enough memory to load the model".to_owned(),
            ),
            StoreError::Invalid { .. } => (400, "invalid_value", own),
            StoreError::KeyBudgetExceeded { .. } => (507, "key_budget_exceeded", own),
            StoreError::PartTooLarge { .. } => (413, "part_too_large", own),
            StoreError::BadPart { .. } => (400, "bad_part", own),
            StoreError::OffsetMismatch { .. } => (409, "offset_mismatch", own),
            StoreError::Incomplete { .. } => (409, "upload_incomplete", own),
            StoreError::DigestMismatch { .. } => (422, "digest_mismatch", own),
        };
        let mut err = ApiError::new(status, message).with_code(code);
        if status == 409 || status == 422 || status == 413 {
            err = err.with_type(ErrorType::InvalidRequestError);
        }
        if let StoreError::Invalid { what, .. } = e {
            err = err.with_param(what);
        }
        err
    }
}

/// For a component that needs the model `name` to answer: a model that was never pushed is
/// 503 `model_not_loaded` naming the command that loads it (the service is not ready, the
/// request was fine); a damaged one says to push it again with that command. Everything else
/// is the common mapping.
pub fn model_load_error(name: &str, push_command: &str, e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound { .. } => ApiError::service_unavailable(format!(
            "the model `{name}` is not loaded: this app's key-value store has no `{name}` yet. \
             Upload it once with `{push_command}` (see the README, \"Models\")"
        ))
        .with_code("model_not_loaded"),
        StoreError::Missing { .. } | StoreError::FileNotFound { .. } => ApiError::new(
            500,
            format!("the stored model `{name}` is incomplete; push it again: {push_command}"),
        )
        .with_code("model_incomplete"),
        StoreError::Corrupt { .. } => ApiError::new(
            500,
            format!("the stored model `{name}` is corrupt; push it again: {push_command}"),
        )
        .with_code("model_corrupt"),
        StoreError::OutOfMemory { .. } => {
            ApiError::new(500, format!("not enough memory to load the model `{name}`"))
                .with_code("out_of_memory")
        }
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corrupt() -> StoreError {
        StoreError::Corrupt {
            key: "m/whisper-tiny/abc/encoder.onnx/3".into(),
            reason: "sha256 0123 != 4567".into(),
        }
    }

    #[test]
    fn statuses_and_codes() {
        let cases: Vec<(StoreError, u16, &str)> = vec![
            (KvError::StoreFull { max: 1024 }.into(), 507, "store_full"),
            (
                KvError::ValueTooLarge {
                    key: "k".into(),
                    size: 2,
                    max: 1,
                }
                .into(),
                500,
                "kv_limit",
            ),
            (
                KvError::Unavailable("no such store".into()).into(),
                503,
                "kv_unavailable",
            ),
            (
                KvError::Other("sqlite busy".into()).into(),
                503,
                "kv_unavailable",
            ),
            (
                StoreError::NotFound { model: "m".into() },
                404,
                "model_not_found",
            ),
            (
                StoreError::Missing { key: "k/1".into() },
                500,
                "model_incomplete",
            ),
            (corrupt(), 500, "model_corrupt"),
            (
                StoreError::DigestMismatch {
                    file: "f".into(),
                    expected: "a".into(),
                    actual: "b".into(),
                },
                422,
                "digest_mismatch",
            ),
            (
                StoreError::PartTooLarge { size: 9, max: 4 },
                413,
                "part_too_large",
            ),
        ];
        for (e, status, code) in cases {
            let shown = e.to_string();
            let a = ApiError::from(e);
            assert_eq!(
                (a.status, a.code.as_deref()),
                (status, Some(code)),
                "{shown}"
            );
        }
    }

    #[test]
    fn messages_name_no_keys_or_host_errors() {
        for e in [
            corrupt(),
            StoreError::Missing {
                key: "m/whisper-tiny/abc/encoder.onnx/3".into(),
            },
            KvError::Other("redis://secret@host".into()).into(),
        ] {
            let body = String::from_utf8(ApiError::from(e.clone()).to_response().body).unwrap();
            assert!(
                !body.contains("m/whisper-tiny") && !body.contains("redis"),
                "{body}"
            );
            let body = String::from_utf8(
                model_load_error("whisper-tiny", "sawt models push …", e)
                    .to_response()
                    .body,
            )
            .unwrap();
            assert!(
                !body.contains("abc/encoder") && !body.contains("redis"),
                "{body}"
            );
        }
    }

    #[test]
    fn a_model_that_was_never_pushed_is_503_with_the_command() {
        let e = model_load_error(
            "whisper-tiny",
            "sawt models push X",
            StoreError::NotFound {
                model: "whisper-tiny".into(),
            },
        );
        assert_eq!(
            (e.status, e.code.as_deref()),
            (503, Some("model_not_loaded"))
        );
        assert!(e.message.contains("sawt models push X"));
        let e = model_load_error("whisper-tiny", "sawt models push X", corrupt());
        assert_eq!((e.status, e.code.as_deref()), (500, Some("model_corrupt")));
        assert!(e.message.contains("push it again: sawt models push X"));
    }
}
