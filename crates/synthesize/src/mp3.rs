//! Mono MP3 (MPEG-1/2/2.5 Layer III) through the pure-Rust `rusty_mp3` crate (no C, no LAME;
//! builds for wasm32-wasip1), constant bitrate [`BITRATE_KBPS`].
//!
//! A whole file starts with a LAME-style Info tag frame that records the encoder delay and end
//! padding, so decoders that read it (ffmpeg, browsers) return exactly the samples encoded.
//! That tag's counts are known only at the end, so a stream leaves it out: it is plain
//! frames, as any MP3 stream is, and decodes with the codec's delay (~50 ms of silence) first.
//! At 24 kHz (MPEG-2) frames leave as they are encoded; at 32–48 kHz (MPEG-1) the crate holds
//! them for its bit reservoir until `finish`.

/// CBR kb/s: 64 is the crate's MPEG-2 default and ample for mono speech at 24 kHz.
pub const BITRATE_KBPS: u32 = 64;
/// The nine Layer III sample rates (MPEG-1, 2 and 2.5).
pub const RATES: [u32; 9] = [
    8_000, 11_025, 12_000, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000,
];

/// Why an MP3 stream could not be produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mp3Error {
    /// Layer III has nine sample rates ([`RATES`]).
    UnsupportedRate(u32),
    /// The codec refused (not expected for valid input; kept rather than a panic).
    Codec(String),
}

impl std::fmt::Display for Mp3Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::UnsupportedRate(rate) => write!(f, "mp3 encodes {RATES:?} Hz, not {rate} Hz"),
            Self::Codec(e) => write!(f, "mp3 encoder: {e}"),
        }
    }
}

impl std::error::Error for Mp3Error {}

/// Mono 16-bit PCM to MP3, streamable.
pub struct Mp3Encoder {
    inner: rusty_mp3::Mp3Encoder,
    sample_rate: u32,
    /// The Info tag frame (the crate's first packet) was passed over: streams leave it out.
    tag_skipped: bool,
}

impl Mp3Encoder {
    pub fn new(sample_rate: u32) -> Result<Self, Mp3Error> {
        if !RATES.contains(&sample_rate) {
            return Err(Mp3Error::UnsupportedRate(sample_rate));
        }
        let mut inner = rusty_mp3::Mp3Encoder::new(rusty_mp3::Mp3EncoderConfig {
            bitrate_kbps: BITRATE_KBPS,
            vbr_quality: None,
        });
        // The first push fixes the stream format, so that an empty input still ends as a
        // valid file (the crate emits nothing for a stream that never had a format).
        inner
            .push_pcm_s16(&[], 1, sample_rate)
            .map_err(|e| Mp3Error::Codec(e.to_string()))?;
        Ok(Self {
            inner,
            sample_rate,
            tag_skipped: false,
        })
    }

    /// MP3 has no stream header: empty, for the same shape as the other formats.
    pub fn header(&self) -> Vec<u8> {
        Vec::new()
    }

    /// Buffers samples and returns every frame now encoded (without the Info tag frame).
    pub fn push(&mut self, samples: &[i16]) -> Result<Vec<u8>, Mp3Error> {
        self.inner
            .push_pcm_s16(samples, 1, self.sample_rate)
            .map_err(|e| Mp3Error::Codec(e.to_string()))?;
        Ok(self.drain())
    }

    /// The last frames: the input's tail and the codec delay, flushed.
    pub fn finish(mut self) -> Vec<u8> {
        self.inner.finish();
        self.drain()
    }

    fn drain(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        while let Ok(packet) = self.inner.next_packet() {
            if self.tag_skipped {
                out.extend(packet);
            } else {
                self.tag_skipped = true;
            }
        }
        out
    }
}

/// The whole file at once, led by the completed Info tag frame (gapless).
pub fn encode(samples: &[i16], sample_rate: u32) -> Result<Vec<u8>, Mp3Error> {
    let mut encoder = Mp3Encoder::new(sample_rate)?;
    let codec = |e: rusty_mp3::Error| Mp3Error::Codec(e.to_string());
    encoder
        .inner
        .push_pcm_s16(samples, 1, sample_rate)
        .map_err(codec)?;
    // Drained only after `finish`, the crate's first packet is the tag with its final counts.
    encoder.inner.finish();
    let mut out = Vec::new();
    while let Ok(packet) = encoder.inner.next_packet() {
        out.extend(packet);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_signal::tone_and_chirp;

    /// ffmpeg's decode; a missing ffmpeg fails the test, never skips it.
    fn ffmpeg_decode(bytes: &[u8], name: &str) -> Vec<i16> {
        let path = std::env::temp_dir().join(format!("sawt-{}-{name}.mp3", std::process::id()));
        std::fs::write(&path, bytes).expect("write");
        let out = std::process::Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(&path)
            .args(["-ac", "1", "-f", "s16le", "-"])
            .output()
            .unwrap_or_else(|e| panic!("ffmpeg could not run ({e}): apt-get install -y ffmpeg"));
        std::fs::remove_file(&path).ok();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stderr.is_empty(),
            "ffmpeg: {stderr}"
        );
        out.stdout
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect()
    }

    /// Signal-to-noise ratio in dB over the middle half, with the decode `lag` samples late.
    fn snr_db(reference: &[i16], decoded: &[i16], lag: usize) -> f64 {
        let mid = reference.len() / 4..reference.len() * 3 / 4;
        let (mut signal, mut noise) = (0.0, 0.0);
        for i in mid {
            let r = f64::from(reference[i]);
            let d = decoded.get(i + lag).map_or(0.0, |&d| f64::from(d));
            signal += r * r;
            noise += (d - r) * (d - r);
        }
        10.0 * (signal / noise.max(1.0)).log10()
    }

    #[test]
    fn ffmpeg_decodes_exactly_the_samples_encoded_at_every_rate() {
        for rate in RATES {
            let samples = tone_and_chirp(3 * rate as usize, rate);
            let decoded = ffmpeg_decode(&encode(&samples, rate).expect("encodes"), "rate");
            assert_eq!(decoded.len(), samples.len(), "{rate} Hz: gapless length");
            let snr = snr_db(&samples, &decoded, 0);
            eprintln!("mp3 {rate} Hz: SNR {snr:.1} dB");
            // Lossy: a broken stream or a misaligned tag is ≤ 0 dB.
            assert!(snr > 20.0, "{rate} Hz: SNR {snr:.1} dB");
        }
    }

    #[test]
    fn any_length_gives_a_valid_file_of_that_length() {
        for n in [0, 1, 575, 576, 577, 10_000] {
            let samples = tone_and_chirp(n, 24_000);
            let decoded = ffmpeg_decode(&encode(&samples, 24_000).expect("encodes"), "len");
            assert_eq!(decoded.len(), n, "{n} samples");
        }
    }

    #[test]
    fn a_stream_is_the_file_without_its_tag_frame() {
        let samples = tone_and_chirp(24_000 * 2, 24_000);
        let whole = encode(&samples, 24_000).expect("encodes");
        let mut encoder = Mp3Encoder::new(24_000).expect("24 kHz");
        let mut streamed = encoder.header();
        let mut rest = &samples[..];
        for size in [1, 333, 5000, 0, 7, 576, 575, 9000].iter().cycle() {
            let (piece, tail) = rest.split_at((*size).min(rest.len()));
            streamed.extend(encoder.push(piece).expect("encodes"));
            rest = tail;
            if rest.is_empty() {
                break;
            }
        }
        let before_finish = streamed.len();
        streamed.extend(encoder.finish());
        // 64 kb/s at 24 kHz: 192-byte frames of 576 samples; the tag frame is one of them.
        assert!(streamed == whole[192..], "streamed frames differ");
        assert!(
            before_finish > streamed.len() * 9 / 10,
            "frames left before finish"
        );
        // Without the tag the decode carries the codec delay; the audio is intact behind it.
        let decoded = ffmpeg_decode(&streamed, "stream");
        let (lag, snr) = (0..3000)
            .map(|lag| (lag, snr_db(&samples, &decoded, lag)))
            .fold((0, f64::MIN), |best, x| if x.1 > best.1 { x } else { best });
        eprintln!("mp3 stream: delay {lag} samples, SNR {snr:.1} dB");
        assert!(snr > 20.0 && lag > 0, "lag {lag}, SNR {snr:.1} dB");
    }

    #[test]
    fn rates_layer_three_cannot_code_are_refused() {
        for rate in [0, 96_000, 12_345] {
            assert_eq!(
                encode(&[0; 10], rate).err(),
                Some(Mp3Error::UnsupportedRate(rate))
            );
        }
    }
}
