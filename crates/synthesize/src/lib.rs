//! OpenAI-compatible `POST /v1/audio/speech` for sawt's XTTS core (issue 12, in progress):
//! the request body checked as OpenAI checks it ([`params`]) and the audio it is answered in
//! ([`formats`]). The handler over (request, env, key-value store) and its Spin component
//! come next.

pub mod formats;
pub mod params;

pub use formats::AudioFormat;
pub use params::{parse, SpeechParams, StreamFormat, MAX_INPUT_CHARS, MODEL_ALIASES};
