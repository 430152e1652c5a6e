//! Mono Opus in Ogg (RFC 6716 packets, RFC 7845 encapsulation), written as the audio is
//! synthesised, through the pure-Rust `opus-pure` crate (no C, builds for wasm32-wasip1).
//!
//! 20 ms packets at [`BITRATE`]; the OpusHead pre-skip is the encoder's real delay and the
//! last page's granule trims the padding (RFC 7845 §4.4), so a decoder returns exactly the
//! samples pushed.

use opus_pure::{Application, OggOpusWriter, OpusHead, MAX_PACKET_BYTES};

/// Bits a second. On a tone-and-chirp test signal 64 kb/s scored ~40 dB SNR, as libopus does,
/// where 48 kb/s fell to ~22 dB; mono speech needs less, but this keeps the margin.
pub const BITRATE: i32 = 64_000;
/// Input rates Opus codes natively (RFC 6716 §2); others would need resampling first.
pub const RATES: [u32; 5] = [8_000, 12_000, 16_000, 24_000, 48_000];
/// Payload bytes per Ogg page before it is sent: ~0.15 s at [`BITRATE`], so a stream's
/// pages leave steadily while page headers (27 bytes + one per packet) stay ~3 % overhead.
const PAGE_BYTES: usize = 1200;
/// Granule positions count 48 kHz samples whatever the input rate (RFC 7845 §4).
const GRANULE_RATE: u32 = 48_000;

/// Why an Opus stream could not be produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpusError {
    /// Opus codes 8, 12, 16, 24 or 48 kHz only.
    UnsupportedRate(u32),
    /// The codec refused (not expected for valid input; kept rather than a panic).
    Codec(String),
}

impl std::fmt::Display for OpusError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::UnsupportedRate(rate) => {
                write!(f, "opus encodes {RATES:?} Hz, not {rate} Hz")
            }
            Self::Codec(e) => write!(f, "opus encoder: {e}"),
        }
    }
}

impl std::error::Error for OpusError {}

fn codec(e: opus_pure::Error) -> OpusError {
    OpusError::Codec(e.to_string())
}

/// Mono 16-bit PCM to Ogg Opus, streamable.
pub struct OpusEncoder {
    encoder: opus_pure::OpusEncoder,
    writer: OggOpusWriter<Vec<u8>>,
    /// The OpusHead and OpusTags pages (RFC 7845 §5), written once at the start.
    header: Vec<u8>,
    /// Samples per 20 ms packet.
    frame: usize,
    /// Samples of the packet not yet complete.
    pending: Vec<i16>,
    /// Samples pushed so far, for the end trim.
    total: u64,
    pre_skip: u16,
    /// 48 kHz granule ticks per input sample.
    ticks: u64,
    packet: Vec<u8>,
}

impl OpusEncoder {
    pub fn new(sample_rate: u32) -> Result<Self, OpusError> {
        if !RATES.contains(&sample_rate) {
            return Err(OpusError::UnsupportedRate(sample_rate));
        }
        let rate =
            i32::try_from(sample_rate).map_err(|_| OpusError::UnsupportedRate(sample_rate))?;
        let mut encoder =
            opus_pure::OpusEncoder::new(rate, 1, Application::Audio).map_err(codec)?;
        encoder.bitrate_bps = BITRATE;
        // The pre-skip is this encoder's own delay, not a constant (RFC 7845 §4.2).
        let head = OpusHead::for_encoder(&encoder, sample_rate);
        let pre_skip = head.pre_skip;
        let mut writer = OggOpusWriter::new(Vec::new(), head).map_err(codec)?;
        writer.set_page_target(PAGE_BYTES);
        let header = writer.get_mut().map(std::mem::take).unwrap_or_default();
        Ok(Self {
            encoder,
            writer,
            header,
            frame: sample_rate as usize / 50,
            pending: Vec::new(),
            total: 0,
            pre_skip,
            ticks: u64::from(GRANULE_RATE / sample_rate),
            packet: vec![0; MAX_PACKET_BYTES],
        })
    }

    /// The OpusHead and OpusTags pages: what a stream starts with, before any audio.
    pub fn header(&self) -> Vec<u8> {
        self.header.clone()
    }

    /// Buffers samples and returns the Ogg pages completed by the packets now encodable.
    pub fn push(&mut self, samples: &[i16]) -> Result<Vec<u8>, OpusError> {
        self.total += samples.len() as u64;
        self.pending.extend_from_slice(samples);
        let whole = self.pending.len() / self.frame * self.frame;
        let pending = std::mem::take(&mut self.pending);
        for block in pending[..whole].chunks_exact(self.frame) {
            self.encode_packet(block, None)?;
        }
        self.pending = pending[whole..].to_vec();
        Ok(self.drain())
    }

    /// Flushes the encoder's delay with silence and ends the stream: the last packet's
    /// granule says where the audio stops, and the last page carries the end-of-stream flag.
    pub fn finish(mut self) -> Result<Vec<u8>, OpusError> {
        let frame = self.frame as u64;
        // Input samples still inside the encoder: the pre-skip, in input samples, rounded up.
        let delay = u64::from(self.pre_skip).div_ceil(self.ticks);
        let packets = (self.total + delay).div_ceil(frame);
        let done = self.total / frame;
        let final_granule = u64::from(self.pre_skip) + self.total * self.ticks;
        let mut block = std::mem::take(&mut self.pending);
        for i in done..packets {
            block.resize(self.frame, 0); // silence past the audio
            let last = i + 1 == packets;
            let duration = last.then(|| {
                let written = u64::try_from(self.writer.granule()).unwrap_or(0);
                final_granule
                    .saturating_sub(written)
                    .min(frame * self.ticks)
            });
            self.encode_packet(&block, duration)?;
            block.clear();
        }
        let mut out = self.drain();
        out.extend(self.writer.finish().map_err(codec)?);
        Ok(out)
    }

    /// One 20 ms packet into the Ogg stream; `duration` (48 kHz samples) only to trim the end.
    fn encode_packet(&mut self, block: &[i16], duration: Option<u64>) -> Result<(), OpusError> {
        let n = self
            .encoder
            .encode_s16(block, self.frame, &mut self.packet)
            .map_err(codec)?;
        let packet = &self.packet[..n];
        match duration {
            None => self.writer.write_packet(packet),
            Some(d) => self
                .writer
                .write_packet_with_duration(packet, u32::try_from(d).unwrap_or(u32::MAX)),
        }
        .map_err(codec)
    }

    /// The pages the writer has completed since the last call.
    fn drain(&mut self) -> Vec<u8> {
        self.writer
            .get_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }
}

/// The whole file at once: header + every page.
pub fn encode(samples: &[i16], sample_rate: u32) -> Result<Vec<u8>, OpusError> {
    let mut encoder = OpusEncoder::new(sample_rate)?;
    let mut out = encoder.header();
    out.extend(encoder.push(samples)?);
    out.extend(encoder.finish()?);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_signal::tone_and_chirp;

    /// A decoder's raw output at `rate`: ffmpeg, or opusdec (the reference decoder, from
    /// opus-tools). A missing tool fails the test, never skips it.
    fn decode(tool: &str, bytes: &[u8], rate: u32, name: &str) -> Vec<i16> {
        let path = std::env::temp_dir().join(format!("sawt-{}-{name}.opus", std::process::id()));
        std::fs::write(&path, bytes).expect("write");
        let rate = rate.to_string();
        let mut command = std::process::Command::new(tool);
        if tool == "ffmpeg" {
            command.args(["-v", "error", "-i"]).arg(&path);
            command.args(["-ar", &rate, "-ac", "1", "-f", "s16le", "-"]);
        } else {
            command
                .args(["--quiet", "--no-dither", "--rate", &rate])
                .arg(&path)
                .arg("-");
        }
        let out = command.output().unwrap_or_else(|e| {
            panic!("{tool} could not run ({e}): apt-get install -y ffmpeg opus-tools")
        });
        std::fs::remove_file(&path).ok();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stderr.is_empty(),
            "{tool}: {stderr}"
        );
        out.stdout
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect()
    }

    /// Signal-to-noise ratio in dB over the middle half, at lag 0.
    fn snr_db(reference: &[i16], decoded: &[i16]) -> f64 {
        let mid = reference.len() / 4..reference.len() * 3 / 4;
        let (mut signal, mut noise) = (0.0, 0.0);
        for i in mid {
            let (r, d) = (f64::from(reference[i]), f64::from(decoded[i]));
            signal += r * r;
            noise += (d - r) * (d - r);
        }
        10.0 * (signal / noise.max(1.0)).log10()
    }

    #[test]
    fn decoders_return_exactly_the_samples_pushed_at_every_rate() {
        for rate in RATES {
            let samples = tone_and_chirp(3 * rate as usize, rate);
            let opus = encode(&samples, rate).expect("encodes");
            for tool in ["ffmpeg", "opusdec"] {
                let decoded = decode(tool, &opus, rate, "rate");
                assert_eq!(
                    decoded.len(),
                    samples.len(),
                    "{tool}, {rate} Hz: gapless length"
                );
                let snr = snr_db(&samples, &decoded);
                eprintln!("opus {rate} Hz, {tool}: SNR {snr:.1} dB");
                // Lossy: measured ~40 dB; a broken stream or a misaligned pre-skip is ≤ 0 dB.
                assert!(snr > 25.0, "{tool}, {rate} Hz: SNR {snr:.1} dB");
            }
        }
    }

    #[test]
    fn any_length_gives_a_valid_stream_of_that_length() {
        for n in [0, 1, 10, 100, 479, 480, 481, 10_000] {
            let opus = encode(&tone_and_chirp(n, 24_000), 24_000).expect("encodes");
            assert_eq!(
                decode("opusdec", &opus, 24_000, "len").len(),
                n,
                "{n} samples"
            );
            // ffmpeg drops a stream whose only audio page ends within a few ms of its
            // pre-skip (10 samples come back as 0); the reference decoder above does not.
            if n >= 100 {
                assert_eq!(
                    decode("ffmpeg", &opus, 24_000, "len").len(),
                    n,
                    "{n} samples"
                );
            }
        }
    }

    #[test]
    fn streaming_in_uneven_pieces_gives_the_same_bytes() {
        let samples = tone_and_chirp(24_000 * 2, 24_000);
        let whole = encode(&samples, 24_000).expect("encodes");
        let mut encoder = OpusEncoder::new(24_000).expect("24 kHz");
        let mut streamed = encoder.header();
        let mut rest = &samples[..];
        for size in [1, 333, 5000, 0, 7, 480, 479, 9000].iter().cycle() {
            let (piece, tail) = rest.split_at((*size).min(rest.len()));
            streamed.extend(encoder.push(piece).expect("encodes"));
            rest = tail;
            if rest.is_empty() {
                break;
            }
        }
        streamed.extend(encoder.finish().expect("encodes"));
        assert!(streamed == whole, "streamed bytes differ");
        assert_eq!(&streamed[..4], b"OggS");
        assert_eq!(&streamed[28..36], b"OpusHead");
    }

    #[test]
    fn pages_leave_while_the_audio_is_still_coming() {
        let mut encoder = OpusEncoder::new(24_000).expect("24 kHz");
        let samples = tone_and_chirp(24_000, 24_000);
        let first = encoder.push(&samples).expect("encodes");
        // 1 s at 48 kb/s is ~6 kB: most of it must be out before finish.
        assert!(first.len() > 4000, "{} bytes", first.len());
    }

    #[test]
    fn rates_opus_cannot_code_are_refused() {
        for rate in [0, 22_050, 44_100, 96_000] {
            assert_eq!(
                encode(&[0; 10], rate).err(),
                Some(OpusError::UnsupportedRate(rate))
            );
        }
    }
}
