//! Audio front-end for sawt: any PCM/float WAV → mono f32 → 16 kHz → Whisper log-mel, and WAV
//! encoding for synthesised speech. Runtime-neutral: no I/O beyond byte slices.

mod mel;
mod resample;
pub mod sinc_resample;
pub mod spectrogram;
mod wav;

pub use mel::{log_mel_spectrogram, Mel, HOP_LENGTH, N_FFT, N_MELS, SAMPLE_RATE};
pub use resample::resample;
pub use wav::{
    decode_wav, encode_wav_pcm16, probe_wav, sniff_non_wav, Audio, WavInfo, MAX_CHANNELS,
};

/// Everything that can be wrong with an audio upload. Messages are safe to show to a client.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AudioError {
    #[error("the file is not a WAV file (no RIFF/WAVE header)")]
    NotWav,
    #[error("the WAV file is truncated: {0}")]
    Truncated(String),
    #[error("the WAV file is corrupt: {0}")]
    Corrupt(String),
    #[error("unsupported WAV encoding: {0} (send PCM 8/16/24/32-bit integer or 32-bit float)")]
    Unsupported(String),
    #[error("the audio contains no samples")]
    Empty,
    #[error("the WAV file has {channels} channels; at most {max} are supported: send mono or stereo WAV")]
    TooManyChannels { channels: u16, max: u16 },
    #[error("the audio is {seconds:.1} s long; the limit is {limit:.0} s")]
    TooLong { seconds: f64, limit: f64 },
    #[error("cannot resample from {from} Hz to {to} Hz: {reason}")]
    Resample { from: u32, to: u32, reason: String },
}
