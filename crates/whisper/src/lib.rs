//! Whisper speech-to-text, runtime-neutral: tokenizer, a tract-onnx engine that loads graphs
//! from bytes, the decoding loop (composable logit filters, greedy with temperature fallback)
//! and long-form transcription, ported from openai-whisper (openai/whisper@v20250625).

pub mod config;
pub mod consts;
pub mod decode;
pub mod embedding;
pub mod engine;
pub mod error;
pub mod filters;
pub mod model;
/// Comparing transcripts with the openai-whisper fixtures: test support, not production API.
#[cfg(feature = "test-support")]
pub mod parity;
pub mod text;
pub mod tokenizer;
pub mod transcribe;
pub mod zlib_len;

pub use config::ModelConfig;
pub use consts::{
    CHUNK_LENGTH, HOP_LENGTH, INPUT_STRIDE, N_FRAMES, N_SAMPLES, SAMPLE_RATE, TIME_PRECISION,
};
pub use decode::{DecodeOptions, DecodingResult, Task};
pub use engine::Engine;
pub use error::WhisperError;
pub use model::{ModelFiles, TractWhisper};
pub use tokenizer::Tokenizer;
pub use transcribe::{transcribe, Attempt, Segment, TranscribeOptions, Transcript, Window};
