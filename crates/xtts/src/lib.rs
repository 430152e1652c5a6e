//! XTTS v2 speech synthesis, runtime-neutral: coqui-tts 0.27.2's inference path (voice
//! cloning, the GPT code loop, HiFi-GAN) over the model layout of scripts/xtts_export.py.

pub mod cloning;
pub mod config;
mod error;
pub mod generate;
pub mod gpt;
pub mod linear;
pub mod model;
pub mod onnx;
#[cfg(feature = "test-support")]
pub mod parity;
pub mod vocoder;

// The weights and kernels moved to sawt-quant (Whisper uses them too); the old paths stay.
pub use sawt_quant::{blocks as quant, weights};

pub use cloning::Voice;
pub use config::XttsConfig;
pub use error::XttsError;
pub use model::{ModelFiles, VoiceCloner, Xtts};
