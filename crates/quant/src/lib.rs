//! Model weights shared by the engines: a safetensors file read in place ([`weights`]) and
//! GGML-style block-quantized dot products ([`blocks`]) whose SIMD kernels (wasm simd128,
//! x86 SSE2) and portable fallback give the same bits. XTTS's GPT runs on them, and so does
//! Whisper's output projection (the tied token embedding), outside tract.

pub mod blocks;
pub mod weights;

pub use weights::{Dtype, Weights};

/// A weights file that cannot be read as declared. Messages never contain model bytes.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct WeightsError(pub String);
