//! Long-form transcription: `whisper/transcribe.py::transcribe` (openai/whisper@v20250625)
//! without word timestamps, clip_timestamps or the hallucination filter: 30 s windows, seek by
//! the last timestamp, previous text as prompt, temperature fallback, no-speech skip.

use crate::config::ModelConfig;
use crate::consts::{
    COMPRESSION_RATIO_THRESHOLD, LOGPROB_THRESHOLD, NO_SPEECH_THRESHOLD, PROMPT_RESET_TEMPERATURE,
    TEMPERATURE,
};
use crate::decode::{decode_window, prepare, DecodeOptions, DecodingResult, Rng};
use crate::engine::Engine;
use crate::tokenizer::Tokenizer;
use crate::{
    WhisperError, HOP_LENGTH, INPUT_STRIDE, N_FRAMES, N_SAMPLES, SAMPLE_RATE, TIME_PRECISION,
};

#[derive(Debug, Clone)]
pub struct TranscribeOptions {
    pub decode: DecodeOptions,
    /// Tried in order while a result fails the thresholds (default [`TEMPERATURE`]:
    /// 0.0, 0.2, …, 1.0). A single entry disables the fallback.
    pub temperatures: Vec<f32>,
    pub compression_ratio_threshold: Option<f64>,
    pub logprob_threshold: Option<f64>,
    pub no_speech_threshold: Option<f64>,
    pub condition_on_previous_text: bool,
    /// Already-encoded initial prompt tokens.
    pub initial_prompt: Vec<u32>,
    /// Seed of the sampler used at temperatures above zero.
    pub seed: u64,
}

impl Default for TranscribeOptions {
    fn default() -> Self {
        TranscribeOptions {
            decode: DecodeOptions::default(),
            temperatures: TEMPERATURE.to_vec(),
            compression_ratio_threshold: Some(COMPRESSION_RATIO_THRESHOLD),
            logprob_threshold: Some(LOGPROB_THRESHOLD),
            no_speech_threshold: Some(NO_SPEECH_THRESHOLD),
            condition_on_previous_text: true,
            initial_prompt: Vec::new(),
            seed: 0x5A_57_7E,
        }
    }
}

/// A segment as `transcribe()` returns it; the fields and their names are also OpenAI's
/// verbose_json segment, so the API serialises this type as it is.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Segment {
    pub id: usize,
    pub seek: usize,
    pub start: f64,
    pub end: f64,
    pub text: String,
    pub tokens: Vec<u32>,
    pub temperature: f32,
    pub avg_logprob: f64,
    pub compression_ratio: f64,
    pub no_speech_prob: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Transcript {
    pub text: String,
    pub segments: Vec<Segment>,
    pub language: String,
    /// Seconds of audio (before padding).
    pub duration: f64,
    /// How each 30 s window was decided: the attempts of the temperature fallback and the
    /// no-speech skip (compared with the reference's own decisions; logged, never served).
    pub windows: Vec<Window>,
}

/// One decoding attempt of a window: the statistics the fallback thresholds look at.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub temperature: f32,
    pub compression_ratio: f64,
    pub avg_logprob: f64,
    pub no_speech_prob: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// Start of the window in mel frames.
    pub seek: usize,
    /// In order; all but the last needed a fallback.
    pub attempts: Vec<Attempt>,
    /// Skipped as no speech (no segment came from it).
    pub skipped: bool,
}

/// Transcribes 16 kHz mono samples.
pub fn transcribe<E: Engine + ?Sized>(
    engine: &mut E,
    cfg: &ModelConfig,
    tok: &Tokenizer,
    samples: &[f32],
    opts: &TranscribeOptions,
) -> Result<Transcript, WhisperError> {
    let mel = sawt_audio::log_mel_spectrogram(samples, N_SAMPLES);
    let content_frames = mel.n_frames.saturating_sub(N_FRAMES);
    let mut rng = Rng::new(opts.seed);
    let mut seek = 0usize;
    let mut all_tokens: Vec<u32> = opts.initial_prompt.clone();
    let mut all_segments: Vec<Segment> = Vec::new();
    let mut prompt_reset_since = 0usize;
    let mut windows: Vec<Window> = Vec::new();
    let tb = tok.timestamp_begin;

    while seek < content_frames {
        let time_offset = (seek * HOP_LENGTH) as f64 / f64::from(SAMPLE_RATE);
        let segment_size = N_FRAMES.min(content_frames - seek);
        let segment_duration = (segment_size * HOP_LENGTH) as f64 / f64::from(SAMPLE_RATE);
        engine.encode(&mel.window(seek, segment_size, N_FRAMES))?;
        let prompt = &all_tokens[prompt_reset_since..];
        let mut attempts = Vec::new();
        let result = decode_with_fallback(engine, cfg, tok, opts, prompt, &mut rng, &mut attempts)?;
        let tokens = &result.tokens;

        if let Some(nst) = opts.no_speech_threshold {
            let mut should_skip = result.no_speech_prob > nst;
            if opts
                .logprob_threshold
                .is_some_and(|lt| result.avg_logprob > lt)
            {
                should_skip = false;
            }
            if should_skip {
                windows.push(Window {
                    seek,
                    attempts,
                    skipped: true,
                });
                seek += segment_size;
                continue;
            }
        }
        windows.push(Window {
            seek,
            attempts,
            skipped: false,
        });

        let previous_seek = seek;
        let mut current: Vec<Segment> = Vec::new();
        let mut new_segment = |start: f64, end: f64, toks: &[u32]| {
            let text_tokens: Vec<u32> = toks.iter().copied().filter(|&t| t < tok.eot).collect();
            current.push(Segment {
                id: 0,
                seek: previous_seek,
                start,
                end,
                text: tok.decode(&text_tokens),
                tokens: toks.to_vec(),
                temperature: result.temperature,
                avg_logprob: result.avg_logprob,
                compression_ratio: result.compression_ratio,
                no_speech_prob: result.no_speech_prob,
            });
        };
        let is_ts: Vec<bool> = tokens.iter().map(|&t| t >= tb).collect();
        let n = tokens.len();
        let single_timestamp_ending = n >= 2 && !is_ts[n - 2] && is_ts[n - 1];
        let consecutive: Vec<usize> = (0..n.saturating_sub(1))
            .filter(|&i| is_ts[i] && is_ts[i + 1])
            .map(|i| i + 1)
            .collect();
        let pos = |t: u32| f64::from(t) - f64::from(tb);
        if !consecutive.is_empty() {
            let mut slices = consecutive;
            if single_timestamp_ending {
                slices.push(n);
            }
            let mut last_slice = 0;
            for &cur in &slices {
                let sliced = &tokens[last_slice..cur];
                let start = time_offset + pos(sliced[0]) * TIME_PRECISION;
                let end = time_offset + pos(sliced[sliced.len() - 1]) * TIME_PRECISION;
                new_segment(start, end, sliced);
                last_slice = cur;
            }
            if single_timestamp_ending {
                seek += segment_size;
            } else {
                let last_timestamp_pos = (tokens[last_slice - 1] - tb) as usize;
                let step = last_timestamp_pos * INPUT_STRIDE;
                // Deviation: the reference would loop forever on a zero step (possible only
                // without the timestamp rules); move on to the next window instead.
                seek += if step == 0 { segment_size } else { step };
            }
        } else {
            let mut duration = segment_duration;
            if let Some(&last) = tokens.iter().rev().find(|&&t| t >= tb) {
                if last != tb {
                    duration = pos(last) * TIME_PRECISION;
                }
            }
            new_segment(time_offset, time_offset + duration, tokens);
            seek += segment_size;
        }

        for s in current.iter_mut() {
            if s.start == s.end || crate::text::py_strip(&s.text).is_empty() {
                s.text.clear();
                s.tokens.clear();
            }
        }
        for mut s in current {
            s.id = all_segments.len();
            all_tokens.extend_from_slice(&s.tokens);
            all_segments.push(s);
        }
        if !opts.condition_on_previous_text || result.temperature > PROMPT_RESET_TEMPERATURE {
            prompt_reset_since = all_tokens.len();
        }
    }

    Ok(Transcript {
        text: tok.decode(&all_tokens[opts.initial_prompt.len()..]),
        segments: all_segments,
        language: opts.decode.language.clone(),
        duration: samples.len() as f64 / f64::from(SAMPLE_RATE),
        windows,
    })
}

/// `decode_with_fallback` of transcribe(): retry at the next temperature while the result is
/// too repetitive or too unlikely, unless it is silence.
fn decode_with_fallback<E: Engine + ?Sized>(
    engine: &mut E,
    cfg: &ModelConfig,
    tok: &Tokenizer,
    opts: &TranscribeOptions,
    prompt: &[u32],
    rng: &mut Rng,
    attempts: &mut Vec<Attempt>,
) -> Result<DecodingResult, WhisperError> {
    let task = prepare(cfg, &opts.decode, prompt)?;
    let temps: &[f32] = if opts.temperatures.is_empty() {
        &[0.0]
    } else {
        &opts.temperatures
    };
    let mut result = None;
    for &t in temps {
        let r = decode_window(engine, tok, &task, t, rng)?;
        attempts.push(Attempt {
            temperature: t,
            compression_ratio: r.compression_ratio,
            avg_logprob: r.avg_logprob,
            no_speech_prob: r.no_speech_prob,
        });
        let mut needs_fallback = false;
        if opts
            .compression_ratio_threshold
            .is_some_and(|c| r.compression_ratio > c)
        {
            needs_fallback = true;
        }
        if opts.logprob_threshold.is_some_and(|l| r.avg_logprob < l) {
            needs_fallback = true;
        }
        if let (Some(ns), Some(l)) = (opts.no_speech_threshold, opts.logprob_threshold) {
            if r.no_speech_prob > ns && r.avg_logprob < l {
                needs_fallback = false;
            }
        }
        result = Some(r);
        if !needs_fallback {
            break;
        }
    }
    result.ok_or_else(|| WhisperError::Inference("no temperature to decode with".into()))
}
