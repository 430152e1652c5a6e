//! The upload's bytes to 16 kHz mono samples, and what to tell a client whose file is not
//! audio we decode.

use sawt_api::{ApiError, ErrorType};
use sawt_audio::AudioError;

const SEND_WAV: &str = "send WAV (PCM 8/16/24/32-bit or float)";

/// What the bytes look like when they are not WAV, for the 415 message.
pub(crate) fn sniff_format(b: &[u8]) -> Option<&'static str> {
    let at = |i: usize, sig: &[u8]| b.get(i..i + sig.len()) == Some(sig);
    if at(0, b"RIFF") && at(8, b"WAVE") {
        return None;
    }
    Some(
        if at(0, b"ID3") || (b.len() > 1 && b[0] == 0xFF && b[1] & 0xE0 == 0xE0) {
            "MP3"
        } else if at(0, b"OggS") {
            "Ogg (Opus/Vorbis)"
        } else if at(0, b"fLaC") {
            "FLAC"
        } else if at(4, b"ftyp") {
            "MP4/M4A"
        } else if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
            "WebM/Matroska"
        } else if at(0, b"RIFF") || at(0, b"RIFX") || at(0, b"RF64") {
            "RIFF, but not a plain WAVE"
        } else {
            "an unknown format"
        },
    )
}

/// Decodes the upload to 16 kHz mono. Format is decided by the bytes, not the part's
/// Content-Type, which clients often leave at application/octet-stream.
pub(crate) fn decode_audio(file: &[u8], max_seconds: f64) -> Result<Vec<f32>, ApiError> {
    if let Some(kind) = sniff_format(file) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_names_common_formats() {
        assert_eq!(sniff_format(b"RIFF\0\0\0\0WAVEfmt "), None);
        assert_eq!(sniff_format(b"ID3\x04"), Some("MP3"));
        assert_eq!(sniff_format(&[0xFF, 0xFB, 0x90]), Some("MP3"));
        assert_eq!(sniff_format(b"OggS\0"), Some("Ogg (Opus/Vorbis)"));
        assert_eq!(sniff_format(b"fLaC"), Some("FLAC"));
        assert_eq!(sniff_format(b"\0\0\0\x20ftypM4A "), Some("MP4/M4A"));
        assert_eq!(
            sniff_format(&[0x1A, 0x45, 0xDF, 0xA3]),
            Some("WebM/Matroska")
        );
        assert_eq!(
            sniff_format(b"RIFF\0\0\0\0AVI "),
            Some("RIFF, but not a plain WAVE")
        );
        assert_eq!(sniff_format(b"hello"), Some("an unknown format"));
        assert_eq!(sniff_format(b""), Some("an unknown format"));
    }
}
