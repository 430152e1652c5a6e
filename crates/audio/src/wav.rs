use std::io::Cursor;

use hound::{SampleFormat, WavReader, WavSpec, WavWriter};

use crate::AudioError;

/// Header facts, read without decoding the samples (so limits are checked before allocating).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WavInfo {
    pub sample_rate: u32,
    pub channels: u16,
    pub bits_per_sample: u16,
    pub float: bool,
    /// Frames (samples per channel) the data chunk holds.
    pub frames: u64,
}

impl WavInfo {
    pub fn duration_seconds(&self) -> f64 {
        self.frames as f64 / f64::from(self.sample_rate)
    }
}

/// Decoded audio: mono f32 in [-1, 1] at the file's own rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Audio {
    pub samples: Vec<f32>,
    pub sample_rate: u32,
    /// Channels of the source file (the samples are already mixed down).
    pub channels: u16,
}

impl Audio {
    pub fn duration_seconds(&self) -> f64 {
        self.samples.len() as f64 / f64::from(self.sample_rate)
    }
}

fn map_hound(e: hound::Error) -> AudioError {
    match e {
        hound::Error::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            AudioError::Truncated(io.to_string())
        }
        hound::Error::IoError(io) => AudioError::Corrupt(io.to_string()),
        hound::Error::FormatError(m) if m.contains("RIFF") || m.contains("WAVE") => {
            AudioError::NotWav
        }
        hound::Error::FormatError(m) => AudioError::Corrupt(m.to_string()),
        hound::Error::TooWide => AudioError::Unsupported("sample width".into()),
        hound::Error::UnfinishedSample => AudioError::Truncated("unfinished sample".into()),
        hound::Error::Unsupported => AudioError::Unsupported("format".into()),
        hound::Error::InvalidSampleFormat => AudioError::Unsupported("sample format".into()),
    }
}

fn reader(bytes: &[u8]) -> Result<WavReader<Cursor<&[u8]>>, AudioError> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(AudioError::NotWav);
    }
    WavReader::new(Cursor::new(bytes)).map_err(map_hound)
}

/// The most channels a WAV file can name: WAVE_FORMAT_EXTENSIBLE's channel mask has 18
/// speaker positions (SPEAKER_FRONT_LEFT … SPEAKER_TOP_BACK_RIGHT). More is a broken or
/// hostile header, and mixing it down would cost time for nothing.
pub const MAX_CHANNELS: u16 = 18;

fn check_spec(spec: &WavSpec) -> Result<(), AudioError> {
    if spec.channels == 0 {
        return Err(AudioError::Corrupt("zero channels".into()));
    }
    if spec.channels > MAX_CHANNELS {
        return Err(AudioError::TooManyChannels {
            channels: spec.channels,
            max: MAX_CHANNELS,
        });
    }
    // Real files stay far inside this; a larger value is a broken or hostile header.
    if spec.sample_rate < 1_000 || spec.sample_rate > 768_000 {
        return Err(AudioError::Unsupported(format!(
            "sample rate {} Hz",
            spec.sample_rate
        )));
    }
    match (spec.sample_format, spec.bits_per_sample) {
        (SampleFormat::Int, 8 | 16 | 24 | 32) | (SampleFormat::Float, 32) => Ok(()),
        (SampleFormat::Int, b) => Err(AudioError::Unsupported(format!("{b}-bit integer"))),
        (SampleFormat::Float, b) => Err(AudioError::Unsupported(format!("{b}-bit float"))),
    }
}

/// A streamed WAV (sawt's `/v1/audio/speech`, ffmpeg to a pipe) cannot know its length when
/// the header is written and says 0xFFFFFFFF, "unknown": its data runs to the end of the file.
/// Such a file is read as if the header gave that length (whole frames only); any other file
/// is read as it is.
fn unstream(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    use std::borrow::Cow;
    let u32_at = |i: usize| {
        bytes
            .get(i..i + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    if bytes.get(..4) != Some(b"RIFF") || bytes.get(8..12) != Some(b"WAVE") {
        return Cow::Borrowed(bytes);
    }
    let mut at = 12;
    let mut block = 0usize;
    while let (Some(id), Some(size)) = (bytes.get(at..at + 4), u32_at(at + 4)) {
        if id == b"fmt " {
            // nBlockAlign: bytes per frame.
            block = bytes
                .get(at + 20..at + 22)
                .map_or(0, |b| usize::from(u16::from_le_bytes([b[0], b[1]])));
        }
        if id == b"data" {
            if size != u32::MAX || block == 0 {
                break;
            }
            let data = (bytes.len() - (at + 8)) / block * block;
            let Ok(data) = u32::try_from(data) else { break };
            let mut owned = bytes[..at + 8 + data as usize].to_vec();
            owned[at + 4..at + 8].copy_from_slice(&data.to_le_bytes());
            let riff = (owned.len() - 8) as u32;
            owned[4..8].copy_from_slice(&riff.to_le_bytes());
            return Cow::Owned(owned);
        }
        // Chunks are padded to an even size.
        at += 8 + size as usize + (size as usize & 1);
    }
    Cow::Borrowed(bytes)
}

/// Reads the header only. The frame count is what the data chunk can actually hold, so a header
/// that claims more data than the file has is reported as truncated here, before decoding.
pub fn probe_wav(bytes: &[u8]) -> Result<WavInfo, AudioError> {
    let bytes = &*unstream(bytes);
    let r = reader(bytes)?;
    let spec = r.spec();
    check_spec(&spec)?;
    let frames = u64::from(r.duration());
    let block = u64::from(spec.channels) * u64::from(spec.bits_per_sample).div_ceil(8);
    let claimed = frames * block;
    if claimed > bytes.len() as u64 {
        return Err(AudioError::Truncated(format!(
            "header announces {claimed} bytes of samples, the file has {}",
            bytes.len()
        )));
    }
    Ok(WavInfo {
        sample_rate: spec.sample_rate,
        channels: spec.channels,
        bits_per_sample: spec.bits_per_sample,
        float: spec.sample_format == SampleFormat::Float,
        frames,
    })
}

/// Decodes a PCM or IEEE-float WAV (including WAVE_FORMAT_EXTENSIBLE) to mono f32, averaging
/// channels. Integers are scaled by 2^(bits-1), as whisper's reference loaders do.
/// `max_seconds` is checked from the header, before any sample is decoded.
pub fn decode_wav(bytes: &[u8], max_seconds: Option<f64>) -> Result<Audio, AudioError> {
    let bytes = &*unstream(bytes);
    let info = probe_wav(bytes)?;
    if let Some(limit) = max_seconds {
        let seconds = info.duration_seconds();
        if seconds > limit {
            return Err(AudioError::TooLong { seconds, limit });
        }
    }
    if info.frames == 0 {
        return Err(AudioError::Empty);
    }
    let mut r = reader(bytes)?;
    let ch = usize::from(info.channels);
    let frames = usize::try_from(info.frames).map_err(|_| AudioError::Corrupt("size".into()))?;
    let mut mono = Vec::with_capacity(frames);
    let mut acc = 0f32;
    let mut k = 0usize;
    let mut push = |v: f32| {
        acc += v;
        k += 1;
        if k == ch {
            mono.push(acc / ch as f32);
            acc = 0.0;
            k = 0;
        }
    };
    if info.float {
        for s in r.samples::<f32>() {
            push(s.map_err(map_hound)?);
        }
    } else {
        let scale = 1.0 / (1u64 << (info.bits_per_sample - 1)) as f32;
        for s in r.samples::<i32>() {
            push(s.map_err(map_hound)? as f32 * scale);
        }
    }
    if k != 0 {
        return Err(AudioError::Truncated("last frame is incomplete".into()));
    }
    if mono.is_empty() {
        return Err(AudioError::Empty);
    }
    Ok(Audio {
        samples: mono,
        sample_rate: info.sample_rate,
        channels: info.channels,
    })
}

/// Mono 16-bit PCM WAV, samples clamped to [-1, 1].
pub fn encode_wav_pcm16(samples: &[f32], sample_rate: u32) -> Vec<u8> {
    let spec = WavSpec {
        channels: 1,
        sample_rate,
        bits_per_sample: 16,
        sample_format: SampleFormat::Int,
    };
    let mut out = Cursor::new(Vec::with_capacity(44 + samples.len() * 2));
    // Writing to a Vec cannot fail except on > 4 GiB, which callers never produce.
    if let Ok(mut w) = WavWriter::new(&mut out, spec) {
        for &s in samples {
            let v = (s.clamp(-1.0, 1.0) * 32767.0).round() as i16;
            if w.write_sample(v).is_err() {
                break;
            }
        }
        let _ = w.finalize();
    }
    out.into_inner()
}

/// What the bytes look like when they are not WAV, for the 415 message.
pub fn sniff_non_wav(b: &[u8]) -> Option<&'static str> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn wav(spec: WavSpec, n: usize) -> Vec<u8> {
        let mut c = Cursor::new(Vec::new());
        let mut w = WavWriter::new(&mut c, spec).unwrap();
        for i in 0..n * spec.channels as usize {
            match spec.sample_format {
                SampleFormat::Float => w
                    .write_sample((i as f32 / (n * spec.channels as usize) as f32) - 0.5)
                    .unwrap(),
                SampleFormat::Int => w.write_sample((i % 100) as i32 - 50).unwrap(),
            }
        }
        w.finalize().unwrap();
        c.into_inner()
    }

    fn spec16() -> WavSpec {
        WavSpec {
            channels: 1,
            sample_rate: 16000,
            bits_per_sample: 16,
            sample_format: SampleFormat::Int,
        }
    }

    #[test]
    fn roundtrip_pcm16() {
        let x: Vec<f32> = (0..1000).map(|i| (i as f32 * 0.01).sin() * 0.5).collect();
        let bytes = encode_wav_pcm16(&x, 16000);
        let a = decode_wav(&bytes, None).unwrap();
        assert_eq!(a.samples.len(), 1000);
        for (i, (p, q)) in x.iter().zip(&a.samples).enumerate() {
            assert!((p - q).abs() < 1.0 / 32000.0, "sample {i}: {p} vs {q}");
        }
    }

    #[test]
    fn stereo_is_averaged() {
        let mut s = spec16();
        s.channels = 2;
        let mut c = Cursor::new(Vec::new());
        let mut w = WavWriter::new(&mut c, s).unwrap();
        for (l, r) in [(1000i16, 3000i16), (-2000, 0)] {
            w.write_sample(l).unwrap();
            w.write_sample(r).unwrap();
        }
        w.finalize().unwrap();
        let a = decode_wav(&c.into_inner(), None).unwrap();
        assert_eq!(a.samples, vec![2000.0 / 32768.0, -1000.0 / 32768.0]);
        assert_eq!(a.channels, 2);
    }

    #[test]
    fn errors_are_typed() {
        assert_eq!(decode_wav(b"", None), Err(AudioError::NotWav));
        assert_eq!(
            decode_wav(b"ID3\x03\x00\x00\x00\x00\x00\x00not a wav", None),
            Err(AudioError::NotWav)
        );
        let good = wav(spec16(), 1600);
        // Truncated in the middle of the data chunk.
        let cut = &good[..good.len() - 101];
        assert!(matches!(
            decode_wav(cut, None),
            Err(AudioError::Truncated(_))
        ));
        // Truncated inside the header.
        assert!(matches!(
            decode_wav(&good[..30], None),
            Err(AudioError::Truncated(_) | AudioError::Corrupt(_))
        ));
        // Zero samples.
        let empty = wav(spec16(), 0);
        assert_eq!(decode_wav(&empty, None), Err(AudioError::Empty));
        // Absurd header: 0 channels; 4 GB data chunk; 1 Hz sample rate.
        let mut zero_ch = good.clone();
        zero_ch[22] = 0;
        zero_ch[23] = 0;
        // hound refuses it first ("file contains zero channels"); check_spec is the backstop.
        assert!(
            matches!(decode_wav(&zero_ch, None), Err(AudioError::Corrupt(ref m)) if m.contains("zero channels"))
        );
        // A streamed WAV's "unknown" length (0xFFFFFFFF) reads to the end of the file, whole
        // frames only; any other over-long claim is truncation.
        let mut streamed = good.clone();
        streamed[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        streamed[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
        streamed.push(0x7F); // half a frame: dropped
        let whole = decode_wav(&good, None).unwrap();
        assert_eq!(decode_wav(&streamed, None).unwrap(), whole);
        assert_eq!(probe_wav(&streamed).unwrap().frames, 1600);
        let mut huge = good.clone();
        huge[40..44].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes());
        assert!(matches!(
            decode_wav(&huge, None),
            Err(AudioError::Truncated(_))
        ));
        let mut slow = good.clone();
        slow[24..28].copy_from_slice(&1u32.to_le_bytes());
        assert!(matches!(
            decode_wav(&slow, None),
            Err(AudioError::Unsupported(_) | AudioError::Corrupt(_))
        ));
        // Corrupt format chunk: 12-bit float.
        let mut odd = good.clone();
        odd[20] = 3; // IEEE float tag with 16 bits per sample
        assert!(decode_wav(&odd, None).is_err());
    }

    #[test]
    fn limit_checked_before_decoding() {
        let good = wav(spec16(), 16000 * 3);
        assert_eq!(
            decode_wav(&good, Some(2.0)),
            Err(AudioError::TooLong {
                seconds: 3.0,
                limit: 2.0
            })
        );
        assert!(decode_wav(&good, Some(3.0)).is_ok());
    }

    #[test]
    fn channel_counts_past_what_wav_can_name_are_refused() {
        let spec = |channels| WavSpec {
            channels,
            sample_rate: 16000,
            bits_per_sample: 16,
            sample_format: SampleFormat::Int,
        };
        assert_eq!(
            decode_wav(&wav(spec(18), 100), None).unwrap().samples.len(),
            100
        );
        let e = decode_wav(&wav(spec(200), 100), None).unwrap_err();
        assert_eq!(
            e,
            AudioError::TooManyChannels {
                channels: 200,
                max: 18
            }
        );
        assert_eq!(
            e.to_string(),
            "the WAV file has 200 channels; at most 18 are supported: send mono or stereo WAV"
        );
        // hound already refuses a zero-channel header; the spec check does not rely on it.
        assert_eq!(
            check_spec(&spec(0)),
            Err(AudioError::Corrupt("zero channels".into()))
        );
    }

    #[test]
    fn float_and_wide_ints() {
        for (fmt, bits) in [
            (SampleFormat::Float, 32),
            (SampleFormat::Int, 8),
            (SampleFormat::Int, 24),
            (SampleFormat::Int, 32),
        ] {
            let s = WavSpec {
                channels: 3,
                sample_rate: 22050,
                bits_per_sample: bits,
                sample_format: fmt,
            };
            let a = decode_wav(&wav(s, 500), None).unwrap();
            assert_eq!(a.samples.len(), 500, "{fmt:?} {bits}");
            assert!(a.samples.iter().all(|v| v.abs() <= 1.0));
        }
    }

    #[test]
    fn sniffing_names_common_formats() {
        assert_eq!(sniff_non_wav(b"RIFF\0\0\0\0WAVEfmt "), None);
        assert_eq!(sniff_non_wav(b"ID3\x04"), Some("MP3"));
        assert_eq!(sniff_non_wav(&[0xFF, 0xFB, 0x90]), Some("MP3"));
        assert_eq!(sniff_non_wav(b"OggS\0"), Some("Ogg (Opus/Vorbis)"));
        assert_eq!(sniff_non_wav(b"fLaC"), Some("FLAC"));
        assert_eq!(sniff_non_wav(b"\0\0\0\x20ftypM4A "), Some("MP4/M4A"));
        assert_eq!(
            sniff_non_wav(&[0x1A, 0x45, 0xDF, 0xA3]),
            Some("WebM/Matroska")
        );
        assert_eq!(
            sniff_non_wav(b"RIFF\0\0\0\0AVI "),
            Some("RIFF, but not a plain WAVE")
        );
        assert_eq!(sniff_non_wav(b"hello"), Some("an unknown format"));
        assert_eq!(sniff_non_wav(b""), Some("an unknown format"));
    }
}
