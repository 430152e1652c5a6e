//! Whisper speech-to-text, runtime-neutral: tokenizer, a tract-onnx engine that loads graphs
//! from bytes, the decoding loop (composable logit filters, greedy with temperature fallback)
//! and long-form transcription, ported from openai-whisper (openai/whisper@v20250625).

pub mod config;
pub mod decode;
pub mod engine;
pub mod error;
pub mod filters;
pub mod model;
pub mod parity;
pub mod text;
pub mod tokenizer;
pub mod transcribe;

pub use config::ModelConfig;
pub use decode::{DecodeOptions, DecodingResult, Task};
pub use engine::Engine;
pub use error::WhisperError;
pub use model::{ModelFiles, TractWhisper};
pub use tokenizer::Tokenizer;
pub use transcribe::{transcribe, Segment, TranscribeOptions, Transcript};

/// Audio constants of whisper/audio.py.
pub const SAMPLE_RATE: u32 = 16_000;
pub const N_SAMPLES: usize = 480_000; // 30 s
pub const N_FRAMES: usize = 3_000; // mel frames in 30 s
pub const HOP_LENGTH: usize = 160;
/// Mel frames per decoder timestamp step (the encoder's conv stride): 2, i.e. 0.02 s.
pub const INPUT_STRIDE: usize = 2;
pub const TIME_PRECISION: f64 = 0.02;
