//! The audio formats `/v1/audio/speech` answers in. `pcm` is OpenAI's: raw 16-bit signed
//! little-endian mono at the model's rate (24 kHz for XTTS v2, as OpenAI's). `wav` is the same
//! samples behind a RIFF header; sawt's default (lossless, and no encoder to run), where
//! OpenAI's is mp3. `flac`: the same 16-bit samples, lossless ([`crate::flac`]); `mp3` (64 kb/s
//! CBR, [`crate::mp3`]) and `opus` (Ogg Opus at 64 kb/s, [`crate::opus`]) from pure-Rust
//! encoders whose output ffmpeg decodes in the tests.

/// A response format this build produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioFormat {
    Wav,
    Pcm,
    Flac,
    Mp3,
    Opus,
}

impl AudioFormat {
    /// When the client names none: WAV (OpenAI defaults to mp3).
    pub const DEFAULT: Self = Self::Wav;
    const ALL: [Self; 5] = [Self::Wav, Self::Pcm, Self::Flac, Self::Mp3, Self::Opus];

    pub fn name(self) -> &'static str {
        match self {
            Self::Wav => "wav",
            Self::Pcm => "pcm",
            Self::Flac => "flac",
            Self::Mp3 => "mp3",
            Self::Opus => "opus",
        }
    }

    /// The names this build accepts, for error messages.
    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|f| f.name()).collect()
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }

    /// The `Content-Type` OpenAI sends for the format.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Wav => "audio/wav",
            Self::Pcm => "audio/pcm",
            Self::Flac => "audio/flac",
            Self::Mp3 => "audio/mpeg",
            // An Ogg Opus file (RFC 7845's media type).
            Self::Opus => "audio/ogg",
        }
    }

    /// The whole answer at once; `Err` when the format cannot carry `rate` (Opus takes 8,
    /// 12, 16, 24 or 48 kHz; MP3 the MPEG rates).
    pub fn encode(self, samples: &[f32], rate: u32) -> Result<Vec<u8>, String> {
        let pcm = pcm16(samples);
        Ok(match self {
            Self::Pcm => pcm,
            Self::Wav => {
                let mut out = wav_header(rate, Some(pcm.len()));
                out.extend_from_slice(&pcm);
                out
            }
            Self::Flac => crate::flac::encode(&pcm16_samples(samples), rate),
            Self::Mp3 => {
                crate::mp3::encode(&pcm16_samples(samples), rate).map_err(|e| e.to_string())?
            }
            Self::Opus => {
                crate::opus::encode(&pcm16_samples(samples), rate).map_err(|e| e.to_string())?
            }
        })
    }

    /// What a streamed WAV or PCM answer starts with, before any sample: a WAV header whose
    /// sizes say "unknown" (0xFFFFFFFF; decoders read to the end). FLAC's is the encoder's.
    pub fn stream_header(self, rate: u32) -> Vec<u8> {
        match self {
            Self::Wav => wav_header(rate, None),
            Self::Pcm | Self::Flac | Self::Mp3 | Self::Opus => Vec::new(),
        }
    }

    /// A streamed WAV/PCM piece: the samples as 16-bit PCM (both formats carry the same bytes).
    pub fn stream_piece(self, samples: &[f32]) -> Vec<u8> {
        pcm16(samples)
    }
}

/// A sample in [-1, 1] (clamped; NaN is 0) as 16-bit, as `sawt_audio::encode_wav_pcm16`
/// rounds it.
fn to_i16(s: f32) -> i16 {
    let s = if s.is_nan() { 0.0 } else { s };
    (s.clamp(-1.0, 1.0) * 32767.0).round() as i16
}

/// Samples to 16-bit values.
pub fn pcm16_samples(samples: &[f32]) -> Vec<i16> {
    samples.iter().map(|&s| to_i16(s)).collect()
}

/// Samples to 16-bit little-endian bytes.
pub fn pcm16(samples: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(samples.len() * 2);
    for &s in samples {
        out.extend_from_slice(&to_i16(s).to_le_bytes());
    }
    out
}

/// A 44-byte canonical header for mono 16-bit PCM; `data_len` unknown when streaming.
fn wav_header(rate: u32, data_len: Option<usize>) -> Vec<u8> {
    let data = data_len.map_or(u32::MAX, |n| u32::try_from(n).unwrap_or(u32::MAX));
    let riff = data_len.map_or(u32::MAX, |_| data.saturating_add(36));
    let mut h = Vec::with_capacity(44);
    h.extend_from_slice(b"RIFF");
    h.extend_from_slice(&riff.to_le_bytes());
    h.extend_from_slice(b"WAVEfmt ");
    h.extend_from_slice(&16u32.to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes()); // PCM
    h.extend_from_slice(&1u16.to_le_bytes()); // mono
    h.extend_from_slice(&rate.to_le_bytes());
    h.extend_from_slice(&(rate * 2).to_le_bytes()); // bytes a second
    h.extend_from_slice(&2u16.to_le_bytes()); // block align
    h.extend_from_slice(&16u16.to_le_bytes());
    h.extend_from_slice(b"data");
    h.extend_from_slice(&data.to_le_bytes());
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wave(n: usize) -> Vec<f32> {
        (0..n).map(|i| (i as f32 * 0.01).sin() * 0.8).collect()
    }

    #[test]
    fn wav_decodes_back_to_the_same_samples_as_the_reference_encoder() {
        let samples = wave(2400);
        let ours = AudioFormat::Wav.encode(&samples, 24_000).unwrap();
        assert_eq!(ours, sawt_audio::encode_wav_pcm16(&samples, 24_000));
        let back = sawt_audio::decode_wav(&ours, None).expect("decodes");
        assert_eq!(back.sample_rate, 24_000);
        assert_eq!(back.samples.len(), samples.len());
    }

    #[test]
    fn pcm_is_the_wav_data_and_clamps() {
        let samples = [0.0, 1.0, -1.0, 2.0, -3.0, 0.5, f32::NAN];
        let pcm = AudioFormat::Pcm.encode(&samples, 24_000).unwrap();
        let values: Vec<i16> = pcm
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect();
        assert_eq!(values, [0, 32767, -32767, 32767, -32767, 16384, 0]);
        assert_eq!(
            &AudioFormat::Wav.encode(&samples, 24_000).unwrap()[44..],
            &pcm[..]
        );
    }

    #[test]
    fn a_streamed_wav_is_its_header_then_the_pieces() {
        let samples = wave(1000);
        let mut streamed = AudioFormat::Wav.stream_header(24_000);
        for part in samples.chunks(333) {
            streamed.extend(AudioFormat::Wav.stream_piece(part));
        }
        assert_eq!(&streamed[4..8], &u32::MAX.to_le_bytes());
        assert_eq!(&streamed[40..44], &u32::MAX.to_le_bytes());
        let whole = AudioFormat::Wav.encode(&samples, 24_000).unwrap();
        assert_eq!(streamed[44..], whole[44..]);
        assert_eq!(streamed[8..40], whole[8..40]);
        assert!(AudioFormat::Pcm.stream_header(24_000).is_empty());
    }

    #[test]
    fn names_and_content_types() {
        assert_eq!(AudioFormat::parse("WAV"), Some(AudioFormat::Wav));
        assert_eq!(AudioFormat::parse("aac"), None);
        assert_eq!(AudioFormat::parse("flac"), Some(AudioFormat::Flac));
        assert_eq!(AudioFormat::parse("MP3"), Some(AudioFormat::Mp3));
        assert_eq!(AudioFormat::names(), ["wav", "pcm", "flac", "mp3", "opus"]);
        assert_eq!(AudioFormat::Pcm.content_type(), "audio/pcm");
    }
}
