//! Model and decoding constants, named as openai-whisper names them, each linked to its line at
//! the pinned tag v20250625 (commit 31243bad24cc746f07d4c8bfdd2d974872cb1803). Where upstream
//! computes a value from the model's dimensions, sawt fixes it and `ModelConfig::from_json`
//! refuses models that disagree (every released Whisper has the same audio front-end).

/// The mel front-end's constants live in sawt-audio, once: `SAMPLE_RATE`, `N_FFT`,
/// `HOP_LENGTH`, `N_MELS`.
pub use sawt_audio::{HOP_LENGTH, N_FFT, N_MELS, SAMPLE_RATE};

/// `CHUNK_LENGTH`: seconds of audio per window.
/// <https://github.com/openai/whisper/blob/v20250625/whisper/audio.py#L16>
pub const CHUNK_LENGTH: usize = 30;

/// `N_SAMPLES`: samples in a 30 s window (480,000).
/// <https://github.com/openai/whisper/blob/v20250625/whisper/audio.py#L17>
pub const N_SAMPLES: usize = CHUNK_LENGTH * SAMPLE_RATE as usize;

/// `N_FRAMES`: mel frames in a 30 s window (3,000), the encoder's input width.
/// <https://github.com/openai/whisper/blob/v20250625/whisper/audio.py#L18>
pub const N_FRAMES: usize = N_SAMPLES / HOP_LENGTH;

/// `N_SAMPLES_PER_TOKEN`: samples per encoder output position (the convolutions' stride 2).
/// <https://github.com/openai/whisper/blob/v20250625/whisper/audio.py#L20>
pub const N_SAMPLES_PER_TOKEN: usize = HOP_LENGTH * 2;

/// `FRAMES_PER_SECOND`: mel frames per second (100, i.e. 10 ms per frame).
/// <https://github.com/openai/whisper/blob/v20250625/whisper/audio.py#L21>
pub const FRAMES_PER_SECOND: usize = SAMPLE_RATE as usize / HOP_LENGTH;

/// `TOKENS_PER_SECOND`: encoder positions per second (50, i.e. 20 ms per position).
/// <https://github.com/openai/whisper/blob/v20250625/whisper/audio.py#L22>
pub const TOKENS_PER_SECOND: usize = SAMPLE_RATE as usize / N_SAMPLES_PER_TOKEN;

/// `input_stride`: mel frames per decoder timestamp step (2). Deviation: upstream computes
/// `N_FRAMES // n_audio_ctx` per model; sawt fixes it and requires `n_audio_ctx` = 1500.
/// <https://github.com/openai/whisper/blob/v20250625/whisper/transcribe.py#L228>
pub const INPUT_STRIDE: usize = N_SAMPLES_PER_TOKEN / HOP_LENGTH;

/// `time_precision`: seconds per timestamp token (0.02). decoding.py computes the same value
/// as `precision = CHUNK_LENGTH / n_audio_ctx` for `max_initial_timestamp`, and the tokenizer
/// names the timestamp tokens in steps of 0.02; sawt uses this one constant for all three.
/// <https://github.com/openai/whisper/blob/v20250625/whisper/transcribe.py#L231>
/// <https://github.com/openai/whisper/blob/v20250625/whisper/decoding.py#L560>
pub const TIME_PRECISION: f64 = (INPUT_STRIDE * HOP_LENGTH) as f64 / SAMPLE_RATE as f64;

/// Timestamp tokens `<|0.00|>` … `<|30.00|>` at the end of the vocabulary (1,501; unnamed
/// upstream: `range(1501)` in `get_encoding`).
/// <https://github.com/openai/whisper/blob/v20250625/whisper/tokenizer.py#L350>
pub const N_TIMESTAMP_TOKENS: usize = N_FRAMES / INPUT_STRIDE + 1;

/// `temperature`, the default schedule of `transcribe()`: tried in order while a result fails
/// the thresholds below.
/// <https://github.com/openai/whisper/blob/v20250625/whisper/transcribe.py#L43>
pub const TEMPERATURE: [f32; 6] = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0];

/// `compression_ratio_threshold`: a gzip ratio above it is a repetitive (failed) decoding.
/// <https://github.com/openai/whisper/blob/v20250625/whisper/transcribe.py#L44>
pub const COMPRESSION_RATIO_THRESHOLD: f64 = 2.4;

/// `logprob_threshold`: an average log probability below it is a failed decoding.
/// <https://github.com/openai/whisper/blob/v20250625/whisper/transcribe.py#L45>
pub const LOGPROB_THRESHOLD: f64 = -1.0;

/// `no_speech_threshold`: p(<|nospeech|>) above it, with a failed logprob, is silence.
/// <https://github.com/openai/whisper/blob/v20250625/whisper/transcribe.py#L46>
pub const NO_SPEECH_THRESHOLD: f64 = 0.6;

/// Above this temperature the window's text does not prompt the next one (unnamed upstream:
/// `result.temperature > 0.5`).
/// <https://github.com/openai/whisper/blob/v20250625/whisper/transcribe.py#L503>
pub const PROMPT_RESET_TEMPERATURE: f32 = 0.5;

/// `max_initial_timestamp`, the default of `DecodingOptions`: the first timestamp is at most
/// 1.00 s.
/// <https://github.com/openai/whisper/blob/v20250625/whisper/decoding.py#L111>
pub const MAX_INITIAL_TIMESTAMP: f64 = 1.0;

// `exact_div` in audio.py: these divisions must not round.
const _: () = assert!(N_SAMPLES.is_multiple_of(HOP_LENGTH));
const _: () = assert!((SAMPLE_RATE as usize).is_multiple_of(HOP_LENGTH));
const _: () = assert!((SAMPLE_RATE as usize).is_multiple_of(N_SAMPLES_PER_TOKEN));

#[cfg(test)]
mod tests {
    use super::*;

    /// The derived constants have upstream's values (as its comments state them).
    #[test]
    fn derived_constants_have_upstream_values() {
        assert_eq!(
            (N_SAMPLES, N_FRAMES, N_SAMPLES_PER_TOKEN),
            (480_000, 3_000, 320)
        );
        assert_eq!((FRAMES_PER_SECOND, TOKENS_PER_SECOND), (100, 50));
        assert_eq!((INPUT_STRIDE, N_TIMESTAMP_TOKENS), (2, 1501));
        // Bit-equal to Python's `2 * 160 / 16000` and `30 / 1500`.
        assert_eq!(TIME_PRECISION, 0.02);
        assert_eq!(TIME_PRECISION, CHUNK_LENGTH as f64 / 1500.0);
    }
}
