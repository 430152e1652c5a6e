//! The upload's bytes to 16 kHz mono samples, and what to tell a client whose file is not
//! audio we decode.

use sawt_api::{ApiError, ErrorType};
use sawt_audio::AudioError;

const SEND_WAV: &str = "send WAV (PCM 8/16/24/32-bit or float)";

/// Decodes the upload to 16 kHz mono. Format is decided by the bytes, not the part's
/// Content-Type, which clients often leave at application/octet-stream.
pub(crate) fn decode_audio(file: &[u8], max_seconds: f64) -> Result<Vec<f32>, ApiError> {
    if let Some(kind) = sawt_audio::sniff_non_wav(file) {
        return Err(ApiError::new(
            415,
            format!("unsupported audio format: the file looks like {kind}; {SEND_WAV}"),
        )
        .with_type(ErrorType::InvalidRequestError)
        .with_param("file")
        .with_code("unsupported_audio_format"));
    }
    let audio = sawt_audio::decode_wav(file, Some(max_seconds)).map_err(|e| audio_error(&e))?;
    sawt_audio::resample(&audio.samples, audio.sample_rate, sawt_whisper::SAMPLE_RATE)
        .map_err(|e| audio_error(&e))
}

pub(crate) fn audio_error(e: &AudioError) -> ApiError {
    match e {
        AudioError::TooLong { .. } => {
            ApiError::payload_too_large(format!("{e} (max_audio_length)"))
                .with_code("audio_too_long")
        }
        AudioError::NotWav | AudioError::Unsupported(_) => {
            ApiError::new(415, format!("{e}; {SEND_WAV}"))
                .with_type(ErrorType::InvalidRequestError)
                .with_code("unsupported_audio_format")
        }
        AudioError::Truncated(_)
        | AudioError::Corrupt(_)
        | AudioError::Empty
        | AudioError::TooManyChannels { .. }
        | AudioError::Resample { .. } => {
            ApiError::bad_request(e.to_string()).with_code("invalid_audio")
        }
    }
    .with_param("file")
}
