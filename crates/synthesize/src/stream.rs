//! A streamed answer's bytes: the audio format's encoder, and for `stream_format: "sse"` the
//! server-sent events OpenAI sends (`speech.audio.delta` with base64 audio, then
//! `speech.audio.done` with usage; `error` if synthesis fails midway).

use base64::Engine;
use sawt_api::ApiError;
use serde_json::json;

use crate::flac::FlacEncoder;
use crate::formats::{pcm16_samples, AudioFormat};
use crate::mp3::Mp3Encoder;
use crate::opus::OpusEncoder;
use crate::params::StreamFormat;
use crate::Output;

/// Encodes samples as they come, in one format.
pub(crate) enum Encoder {
    Pcm,
    Wav,
    Flac(FlacEncoder),
    Mp3(Box<Mp3Encoder>),
    Opus(Box<OpusEncoder>),
}

impl Encoder {
    /// `Err`: the format cannot carry the model's rate (said before anything is sent).
    pub fn new(format: AudioFormat, rate: u32) -> Result<Self, String> {
        Ok(match format {
            AudioFormat::Pcm => Self::Pcm,
            AudioFormat::Wav => Self::Wav,
            AudioFormat::Flac => Self::Flac(FlacEncoder::new(rate)),
            AudioFormat::Mp3 => {
                Self::Mp3(Box::new(Mp3Encoder::new(rate).map_err(|e| e.to_string())?))
            }
            AudioFormat::Opus => {
                Self::Opus(Box::new(OpusEncoder::new(rate).map_err(|e| e.to_string())?))
            }
        })
    }

    pub fn header(&self, format: AudioFormat, rate: u32) -> Vec<u8> {
        match self {
            Self::Flac(f) => f.header(None),
            Self::Mp3(m) => m.header(),
            Self::Opus(o) => o.header(),
            Self::Pcm | Self::Wav => format.stream_header(rate),
        }
    }

    pub fn push(&mut self, samples: &[f32]) -> Result<Vec<u8>, String> {
        Ok(match self {
            Self::Pcm | Self::Wav => crate::formats::pcm16(samples),
            Self::Flac(f) => f.push(&pcm16_samples(samples)),
            Self::Mp3(m) => m.push(&pcm16_samples(samples)).map_err(|e| e.to_string())?,
            Self::Opus(o) => o.push(&pcm16_samples(samples)).map_err(|e| e.to_string())?,
        })
    }

    pub fn finish(self) -> Result<Vec<u8>, String> {
        Ok(match self {
            Self::Pcm | Self::Wav => Vec::new(),
            Self::Flac(f) => f.finish(),
            Self::Mp3(m) => m.finish(),
            Self::Opus(o) => o.finish().map_err(|e| e.to_string())?,
        })
    }
}

/// The body of a streamed answer, in the client's stream format. Counts what was written;
/// `false` from a write means the client is gone.
pub(crate) struct Body<'o> {
    out: &'o mut dyn Output,
    sse: bool,
    pub written: usize,
}

impl<'o> Body<'o> {
    pub fn new(out: &'o mut dyn Output, stream: StreamFormat) -> Self {
        Self {
            out,
            sse: stream == StreamFormat::Sse,
            written: 0,
        }
    }

    /// Audio bytes (nothing is written for an empty piece).
    pub fn audio(&mut self, bytes: &[u8]) -> bool {
        if bytes.is_empty() {
            return true;
        }
        self.written += bytes.len();
        if self.sse {
            let event = json!({
                "type": "speech.audio.delta",
                "audio": base64::engine::general_purpose::STANDARD.encode(bytes),
            });
            self.out.write(format!("data: {event}\n\n").as_bytes())
        } else {
            self.out.write(bytes)
        }
    }

    /// The end of a successful answer: OpenAI's done event with usage (input tokens: the
    /// text tokens; output tokens: the audio codes).
    pub fn done(&mut self, input_tokens: usize, output_tokens: usize) -> bool {
        if !self.sse {
            return true;
        }
        let event = json!({
            "type": "speech.audio.done",
            "usage": {
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "total_tokens": input_tokens + output_tokens,
            }
        });
        self.out.write(format!("data: {event}\n\n").as_bytes())
    }

    /// A failure after the head was sent: an SSE `error` event in the envelope's shape; an
    /// audio body just ends (truncated), the log line says why.
    pub fn error(&mut self, e: &ApiError) {
        if self.sse {
            let event = json!({"type": "error", "error": e.envelope().error});
            let _ = self
                .out
                .write(format!("event: error\ndata: {event}\n\n").as_bytes());
        }
    }
}
