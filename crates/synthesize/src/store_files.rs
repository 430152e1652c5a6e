//! The model's files read from the store as the XTTS loader asks for them, one at a time (a
//! file's bytes are freed by the loader once built), with the time and bytes the reads took.

use std::time::{Duration, Instant};

use sawt_api::{model_load_error, ApiError};
use sawt_store::{Kv, ModelReader, ReadOptions, StoreError};
use sawt_xtts::{ModelFiles, XttsError};

use crate::config::push_command;

pub(crate) struct StoreFiles<'a> {
    reader: ModelReader<'a>,
    pub error: Option<StoreError>,
    pub read_time: Duration,
    pub bytes: u64,
}

impl<'a> StoreFiles<'a> {
    /// Opens the live version of `model` (pointer and manifest checked).
    pub fn open(kv: &'a dyn Kv, model: &str) -> Result<Self, ApiError> {
        let started = Instant::now();
        let reader = ModelReader::open_with(kv, model, ReadOptions::CHUNKS_ONLY)
            .map_err(|e| model_load_error(model, &push_command(model), e))?;
        Ok(Self {
            reader,
            error: None,
            read_time: started.elapsed(),
            bytes: 0,
        })
    }

    pub fn has(&self, name: &str) -> bool {
        self.reader.manifest().file(name).is_some()
    }

    /// The sha256 of a file of the model, "" if it has none of that name.
    pub fn sha256(&self, name: &str) -> &str {
        self.reader
            .manifest()
            .file(name)
            .map_or("", |(_, f)| f.sha256.as_str())
    }

    pub fn read(&mut self, name: &str) -> Result<Vec<u8>, StoreError> {
        let started = Instant::now();
        let bytes = self.reader.read_file(name);
        self.read_time += started.elapsed();
        if let Ok(b) = &bytes {
            self.bytes += b.len() as u64;
        }
        bytes
    }

    /// The answer for a failed load: the store's error if a read failed (missing or corrupt
    /// chunk), else the model's (`what` the loaded files are not).
    pub fn load_error(&mut self, model: &str, e: &XttsError) -> ApiError {
        match self.error.take() {
            Some(store) => model_load_error(model, &push_command(model), store),
            None => ApiError::new(
                500,
                format!(
                    "the stored model `{model}` cannot be loaded; push a sawt XTTS export \
                     (scripts/xtts_export.py) again: {}",
                    push_command(model)
                ),
            )
            .with_code(if matches!(e, XttsError::MissingFile(_)) {
                "model_incomplete"
            } else {
                "model_invalid"
            }),
        }
    }
}

impl ModelFiles for StoreFiles<'_> {
    fn take(&mut self, name: &str) -> Option<Vec<u8>> {
        match self.read(name) {
            Ok(bytes) => Some(bytes),
            Err(e) => {
                // The loader only sees "missing"; the cause is kept for the answer.
                self.error.get_or_insert(e);
                None
            }
        }
    }
}
