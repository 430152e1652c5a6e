//! One 30 s window: `DecodingTask.run` of whisper/decoding.py (openai/whisper@v20250625) for a
//! single audio and group (greedy or sampling; beam search is not ported).

use crate::config::ModelConfig;
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
            max_initial_timestamp: Some(1.0),
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
        let precision = 30.0 / cfg.dims.n_audio_ctx as f64;
        let max_initial_timestamp_index = opts
            .max_initial_timestamp
            .filter(|&m| m > 0.0)
            .map(|m| (m / precision).round_ties_even() as usize);
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

fn sample(logits: &[f32], temperature: f32, rng: &mut Rng) -> usize {
    let t = f64::from(temperature);
    let scaled: Vec<f64> = logits.iter().map(|&l| f64::from(l) / t).collect();
    let max = scaled.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let total: f64 = scaled.iter().map(|&x| (x - max).exp()).sum();
    let mut u = rng.next_f64() * total;
    for (i, &x) in scaled.iter().enumerate() {
        let p = (x - max).exp();
        if u < p && p > 0.0 {
            return i;
        }
        u -= p;
    }
    argmax(logits)
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
    engine.reset();
    let mut tokens = task.initial_tokens.clone();
    let mut logits = Vec::new();
    let mut no_speech_prob = f64::NAN;
    for (i, &t) in task.initial_tokens.iter().enumerate() {
        logits = engine.step(t)?;
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
        logits = engine.step(next as u32)?;
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
