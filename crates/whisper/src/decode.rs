//! One 30 s window: `DecodingTask.run` of whisper/decoding.py (openai/whisper@v20250625) for a
//! single audio and group (greedy or sampling; beam search is not ported).

use crate::config::ModelConfig;
use crate::consts::{MAX_INITIAL_TIMESTAMP, TIME_PRECISION};
use crate::engine::Engine;
use crate::filters::{
    log_sum_exp, ApplyTimestampRules, LogitFilter, SuppressBlank, SuppressTokens,
};
use crate::text::{compression_ratio, py_strip};
use crate::tokenizer::Tokenizer;
use crate::WhisperError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    Transcribe,
    Translate,
}

/// `DecodingOptions` (the fields sawt uses), with the reference defaults.
#[derive(Debug, Clone)]
pub struct DecodeOptions {
    pub task: Task,
    /// ISO code; sawt always forces it (no language detection): `whisper_language`, default ar.
    pub language: String,
    /// Maximum tokens sampled per window; `None` = n_text_ctx / 2.
    pub sample_len: Option<usize>,
    pub without_timestamps: bool,
    pub max_initial_timestamp: Option<f64>,
    /// Token ids to suppress; -1 stands for the tokenizer's non-speech symbols.
    pub suppress_tokens: Vec<i64>,
    pub suppress_blank: bool,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            task: Task::Transcribe,
            language: "ar".into(),
            sample_len: None,
            without_timestamps: false,
            max_initial_timestamp: Some(MAX_INITIAL_TIMESTAMP),
            suppress_tokens: vec![-1],
            suppress_blank: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DecodingResult {
    /// Sampled tokens, without the initial tokens and without EOT.
    pub tokens: Vec<u32>,
    pub text: String,
    pub avg_logprob: f64,
    pub no_speech_prob: f64,
    pub temperature: f32,
    pub compression_ratio: f64,
}

/// Deterministic generator for temperature sampling (splitmix64): the same request gives the
/// same transcript, natively and in wasm.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in the open interval (0, 1): safe under `ln`.
    pub fn next_open01(&mut self) -> f64 {
        (self.next_f64() * (1u64 << 53) as f64 + 0.5) / (1u64 << 53) as f64
    }
}

/// The prepared decoding task of one window: initial tokens and filters.
pub struct Prepared {
    pub initial_tokens: Vec<u32>,
    pub sample_begin: usize,
    pub sot_index: usize,
    pub sample_len: usize,
    pub filters: Vec<Box<dyn LogitFilter>>,
}

/// `DecodingTask.__init__`: sot sequence, optional previous-text prompt, logit filters.
pub fn prepare(
    cfg: &ModelConfig,
    opts: &DecodeOptions,
    prompt: &[u32],
) -> Result<Prepared, WhisperError> {
    let st = &cfg.special_tokens;
    let n_ctx = cfg.dims.n_text_ctx;
    let mut sot_sequence = vec![st.sot, cfg.language_token(&opts.language)?];
    sot_sequence.push(match opts.task {
        Task::Transcribe => st.transcribe,
        Task::Translate => st.translate,
    });
    if opts.without_timestamps {
        sot_sequence.push(st.no_timestamps);
    }
    let mut initial_tokens = Vec::new();
    if !prompt.is_empty() {
        initial_tokens.push(st.sot_prev);
        let keep = n_ctx / 2 - 1;
        initial_tokens.extend_from_slice(&prompt[prompt.len().saturating_sub(keep)..]);
    }
    let sot_index = initial_tokens.len();
    initial_tokens.extend_from_slice(&sot_sequence);
    let sample_begin = initial_tokens.len();

    let mut filters: Vec<Box<dyn LogitFilter>> = Vec::new();
    if opts.suppress_blank {
        let mut tokens = cfg.blank_tokens.clone();
        tokens.push(st.eot);
        filters.push(Box::new(SuppressBlank {
            sample_begin,
            tokens,
        }));
    }
    if !opts.suppress_tokens.is_empty() {
        let mut s: Vec<u32> = opts
            .suppress_tokens
            .iter()
            .filter(|&&t| t >= 0)
            .map(|&t| t as u32)
            .collect();
        if opts.suppress_tokens.contains(&-1) {
            s.extend_from_slice(&cfg.non_speech_tokens);
        }
        s.extend([
            st.transcribe,
            st.translate,
            st.sot,
            st.sot_prev,
            st.sot_lm,
            st.no_speech,
        ]);
        s.sort_unstable();
        s.dedup();
        filters.push(Box::new(SuppressTokens { tokens: s }));
    }
    if !opts.without_timestamps {
        // Upstream's `precision = CHUNK_LENGTH / n_audio_ctx`; the config pins n_audio_ctx.
        let max_initial_timestamp_index = opts
            .max_initial_timestamp
            .filter(|&m| m > 0.0)
            .map(|m| (m / TIME_PRECISION).round_ties_even() as usize);
        filters.push(Box::new(ApplyTimestampRules {
            sample_begin,
            eot: st.eot,
            no_timestamps: st.no_timestamps,
            timestamp_begin: st.timestamp_begin,
            max_initial_timestamp_index,
        }));
    }
    Ok(Prepared {
        initial_tokens,
        sample_begin,
        sot_index,
        sample_len: opts.sample_len.unwrap_or(n_ctx / 2),
        filters,
    })
}

fn log_softmax_at(logits: &[f32], i: usize) -> f64 {
    f64::from(logits[i]) - log_sum_exp(logits.iter().copied())
}

fn argmax(logits: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in logits.iter().enumerate() {
        if v > logits[best] {
            best = i;
        }
    }
    best
}

/// Draws from softmax(logits / temperature) by the Gumbel-max trick: the token with the
/// largest `logit / t + g`, `g` standard Gumbel noise. It is an exact sampler, like
/// inverse-CDF sampling, but its outcome is an argmax: the float differences between native
/// and wasm kernels (~1e-5 in the logits) change it only when the two best perturbed scores
/// are that close, as rare as a greedy near tie. An inverse-CDF walk over 51,865 flat
/// probabilities crosses a bucket boundary on such differences every few tokens.
fn sample(logits: &[f32], temperature: f32, rng: &mut Rng) -> usize {
    let t = f64::from(temperature);
    let mut best = 0;
    let mut best_score = f64::NEG_INFINITY;
    for (i, &l) in logits.iter().enumerate() {
        // One draw per token, also for suppressed ones, so the stream does not depend on
        // which tokens the filters removed.
        let u = rng.next_open01();
        if l == f32::NEG_INFINITY {
            continue;
        }
        let score = f64::from(l) / t - (-u.ln()).ln();
        if score > best_score {
            best_score = score;
            best = i;
        }
    }
    if best_score == f64::NEG_INFINITY {
        return argmax(logits);
    }
    best
}

/// One decoder step whose logits are checked against the vocabulary, so a wrong-sized
/// output is an error here instead of an out-of-bounds index in the filters.
fn step<E: Engine + ?Sized>(engine: &mut E, token: u32) -> Result<Vec<f32>, WhisperError> {
    let logits = engine.step(token)?;
    if logits.len() != engine.n_vocab() {
        return Err(WhisperError::VocabMismatch {
            config: engine.n_vocab(),
            graph: logits.len(),
        });
    }
    Ok(logits)
}

/// Decodes the window the engine has encoded (`engine.encode` was called), at one temperature:
/// `DecodingTask._main_loop` + the result assembly of `DecodingTask.run`.
pub fn decode_window<E: Engine + ?Sized>(
    engine: &mut E,
    tok: &Tokenizer,
    task: &Prepared,
    temperature: f32,
    rng: &mut Rng,
) -> Result<DecodingResult, WhisperError> {
    let eot = tok.eot;
    let n_ctx = engine.n_text_ctx();
    // The tokenizer's ids index the logits: an engine over another vocabulary would trap.
    if engine.n_vocab() != tok.n_vocab() {
        return Err(WhisperError::VocabMismatch {
            config: tok.n_vocab(),
            graph: engine.n_vocab(),
        });
    }
    engine.reset();
    let mut tokens = task.initial_tokens.clone();
    let mut logits = Vec::new();
    let mut no_speech_prob = f64::NAN;
    for (i, &t) in task.initial_tokens.iter().enumerate() {
        logits = step(engine, t)?;
        if i == task.sot_index {
            // Probability of <|nospeech|> right after <|startoftranscript|>, before filters.
            no_speech_prob = log_softmax_at(&logits, tok.no_speech as usize).exp();
        }
    }
    let mut sum_logprobs = 0f64;
    for _ in 0..task.sample_len {
        for f in &task.filters {
            f.apply(&mut logits, &tokens);
        }
        let next = if temperature == 0.0 {
            argmax(&logits)
        } else {
            sample(&logits, temperature, rng)
        };
        sum_logprobs += log_softmax_at(&logits, next);
        tokens.push(next as u32);
        if next as u32 == eot || tokens.len() > n_ctx {
            break;
        }
        logits = step(engine, next as u32)?;
    }
    let sampled = &tokens[task.sample_begin..];
    let end = sampled
        .iter()
        .position(|&t| t == eot)
        .unwrap_or(sampled.len());
    let out: Vec<u32> = sampled[..end].to_vec();
    let text = py_strip(&tok.decode(&out)).to_string();
    Ok(DecodingResult {
        avg_logprob: sum_logprobs / (out.len() + 1) as f64,
        compression_ratio: compression_ratio(&text),
        tokens: out,
        text,
        no_speech_prob,
        temperature,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Frequencies of `n` draws at temperature `t`.
    fn frequencies(logits: &[f32], t: f32, n: usize) -> Vec<f64> {
        let mut rng = Rng::new(7);
        let mut counts = vec![0usize; logits.len()];
        for _ in 0..n {
            counts[sample(logits, t, &mut rng)] += 1;
        }
        counts.iter().map(|&c| c as f64 / n as f64).collect()
    }

    #[test]
    fn gumbel_sampling_follows_the_tempered_softmax() {
        let p = [0.5f64, 0.3, 0.15, 0.05];
        let logits: Vec<f32> = p.iter().map(|x| x.ln() as f32).collect();
        let n = 40_000;
        for (t, expected) in [
            (1.0f32, p.to_vec()),
            // At t = 0.5 the weights are p²: 0.25, 0.09, 0.0225, 0.0025 over 0.365.
            (0.5, p.iter().map(|x| x * x / 0.365).collect()),
        ] {
            let got = frequencies(&logits, t, n);
            for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
                // Four standard errors of a binomial proportion.
                let tolerance = 4.0 * (e * (1.0 - e) / n as f64).sqrt() + 1e-9;
                assert!(
                    (g - e).abs() <= tolerance,
                    "t={t} token {i}: frequency {g:.4}, expected {e:.4} ± {tolerance:.4}"
                );
            }
        }
    }

    #[test]
    fn suppressed_tokens_are_never_sampled_and_the_stream_is_deterministic() {
        let logits = [0.0f32, f32::NEG_INFINITY, 0.0, f32::NEG_INFINITY];
        let got = frequencies(&logits, 1.0, 2_000);
        assert_eq!((got[1], got[3]), (0.0, 0.0));
        let run = || {
            let mut rng = Rng::new(42);
            (0..50)
                .map(|_| sample(&[0.1, 0.2, 0.3, 0.4], 0.7, &mut rng))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(), run());
    }
}
