//! The decoding loop driven by a scripted fake engine (no model): timestamp rules, segment
//! splitting and seeking, temperature fallback, the no-speech gate.

use sawt_whisper::config::ModelConfig;
use sawt_whisper::decode::{decode_window, prepare, DecodeOptions, Rng};
use sawt_whisper::{transcribe, Engine, Tokenizer, TranscribeOptions, WhisperError};

fn fixture_config() -> (ModelConfig, Tokenizer) {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/whisper/model");
    let cfg = ModelConfig::from_json(&std::fs::read(dir.join("config.json")).unwrap()).unwrap();
    let tok =
        Tokenizer::from_tiktoken(&std::fs::read(dir.join(&cfg.tokenizer)).unwrap(), &cfg).unwrap();
    (cfg, tok)
}

const TB: u32 = 50364; // <|0.00|>
const EOT: u32 = 50257;
const SOT: u32 = 50258;
const NO_SPEECH: u32 = 50362;

/// Prefers `script[k]` for the k-th sampled token of every window (EOT after the script), with
/// a margin of `margin` logits; `no_speech_logit` is what it says at <|startoftranscript|>.
struct Fake {
    script: Vec<u32>,
    margin: f32,
    no_speech_logit: f32,
    fed: Vec<u32>,
    encodes: usize,
    sample_begin: usize,
}

impl Fake {
    fn new(script: Vec<u32>, sample_begin: usize) -> Self {
        Fake {
            script,
            margin: 20.0,
            no_speech_logit: 0.0,
            fed: Vec::new(),
            encodes: 0,
            sample_begin,
        }
    }
}

impl Engine for Fake {
    fn n_vocab(&self) -> usize {
        51865
    }
    fn n_text_ctx(&self) -> usize {
        448
    }
    fn encode(&mut self, mel: &[f32]) -> Result<(), WhisperError> {
        assert_eq!(mel.len(), 80 * 3000);
        self.encodes += 1;
        self.fed.clear();
        Ok(())
    }
    fn reset(&mut self) {
        self.fed.clear();
    }
    fn step(&mut self, token: u32) -> Result<Vec<f32>, WhisperError> {
        self.fed.push(token);
        let mut logits = vec![0.0f32; 51865];
        if token == SOT {
            logits[NO_SPEECH as usize] = self.no_speech_logit;
        }
        // Position of the token this step predicts, counted from the first sampled one.
        let k = self.fed.len().saturating_sub(self.sample_begin);
        let want = self.script.get(k).copied().unwrap_or(EOT);
        logits[want as usize] = self.margin;
        Ok(logits)
    }
}

fn greedy() -> TranscribeOptions {
    TranscribeOptions {
        temperatures: vec![0.0],
        ..TranscribeOptions::default()
    }
}

#[test]
fn first_token_is_a_timestamp_within_one_second() {
    let (cfg, tok) = fixture_config();
    // The model wants a timestamp at 5 s first: max_initial_timestamp (1.0 s) masks every
    // timestamp after <|1.00|>, so the first token is one of <|0.00|>..<|1.00|>.
    let p = prepare(&cfg, &DecodeOptions::default(), &[]).unwrap();
    let mut fake = Fake::new(vec![TB + 250, 1000, 2000], p.sample_begin);
    fake.encode(&vec![0.0; 240_000]).unwrap();
    let r = decode_window(&mut fake, &tok, &p, 0.0, &mut Rng::new(1)).unwrap();
    assert!(
        r.tokens[0] >= TB && r.tokens[0] <= TB + 50,
        "{:?}",
        r.tokens
    );
}

#[test]
fn timestamps_pair_and_never_decrease() {
    let (cfg, tok) = fixture_config();
    let p = prepare(&cfg, &DecodeOptions::default(), &[]).unwrap();
    // Wants: <|0.00|> a <|2.00|> <|1.00|> ... : the decreasing <|1.00|> must be refused.
    let mut fake = Fake::new(vec![TB, 1000, TB + 100, TB + 50, 2000], p.sample_begin);
    fake.encode(&vec![0.0; 240_000]).unwrap();
    let r = decode_window(&mut fake, &tok, &p, 0.0, &mut Rng::new(1)).unwrap();
    assert_eq!(&r.tokens[..3], &[TB, 1000, TB + 100]);
    assert!(
        r.tokens[3] >= TB + 100,
        "timestamp went back: {:?}",
        r.tokens
    );
}

#[test]
fn segments_split_on_consecutive_timestamps_and_seek_by_last() {
    let (cfg, tok) = fixture_config();
    let p = prepare(&cfg, &DecodeOptions::default(), &[]).unwrap();
    // <|0.00|> a b <|2.00|><|2.00|> c <|3.00|> : not a single-timestamp ending after c? It is
    // (text then one timestamp), so both segments are kept and seek moves a whole window.
    let script = vec![TB, 1000, 1001, TB + 100, TB + 100, 1002, TB + 150];
    let mut fake = Fake::new(script, p.sample_begin);
    let audio = vec![0.0f32; 16_000 * 40];
    let r = transcribe(&mut fake, &cfg, &tok, &audio, &greedy()).unwrap();
    assert_eq!(r.segments[0].start, 0.0);
    assert_eq!(r.segments[0].end, 2.0);
    assert_eq!(r.segments[0].tokens, vec![TB, 1000, 1001, TB + 100]);
    assert_eq!(r.segments[1].start, 2.0);
    assert_eq!(r.segments[1].end, 3.0);
    // Second window starts at 30 s (whole-window seek).
    assert_eq!(r.segments[2].seek, 3000);
    assert!((r.segments[2].start - 30.0).abs() < 1e-9);
    assert_eq!(fake.encodes, 2);
    // The second window is prompted with the first one's tokens.
    assert!(
        fake.fed.contains(&50361),
        "no <|startofprev|>: {:?}",
        &fake.fed[..5]
    );
}

#[test]
fn seek_follows_last_timestamp_pair() {
    let (cfg, tok) = fixture_config();
    let p = prepare(&cfg, &DecodeOptions::default(), &[]).unwrap();
    // <|0.00|> a <|2.00|><|2.00|> b  (ends in text): seek = 2.00 s = 200 frames.
    let script = vec![TB, 1000, TB + 100, TB + 100, 1001];
    let mut fake = Fake::new(script, p.sample_begin);
    let audio = vec![0.0f32; 16_000 * 10];
    let r = transcribe(&mut fake, &cfg, &tok, &audio, &greedy()).unwrap();
    assert_eq!(r.segments[0].seek, 0);
    assert_eq!(r.segments[1].seek, 200, "{:?}", r.segments);
}

#[test]
fn fallback_raises_temperature_on_repetition() {
    let (cfg, tok) = fixture_config();
    let p = prepare(&cfg, &DecodeOptions::default(), &[]).unwrap();
    // A window of the same word 100 times: compression ratio ≫ 2.4, so every temperature is
    // tried; with a sharp distribution sampling keeps the same tokens, so the last (1.0) wins.
    let mut script = vec![TB];
    script.extend(std::iter::repeat_n(1000, 100));
    script.push(TB + 200);
    let mut fake = Fake::new(script, p.sample_begin);
    let audio = vec![0.0f32; 16_000 * 5];
    let r = transcribe(&mut fake, &cfg, &tok, &audio, &TranscribeOptions::default()).unwrap();
    assert_eq!(r.segments[0].temperature, 1.0);
    assert!(r.segments[0].compression_ratio > 2.4);
    // Without fallback the greedy result is kept.
    let mut fake = Fake::new(fake.script.clone(), p.sample_begin);
    let r = transcribe(&mut fake, &cfg, &tok, &audio, &greedy()).unwrap();
    assert_eq!(r.segments[0].temperature, 0.0);
}

#[test]
fn no_speech_window_is_skipped() {
    let (cfg, tok) = fixture_config();
    let p = prepare(&cfg, &DecodeOptions::default(), &[]).unwrap();
    let mut fake = Fake::new(vec![TB, 1000, TB + 100], p.sample_begin);
    // Likely silence (p(no_speech) ≈ 1) and an unlikely text (margin 0 → avg logprob ≪ -1).
    fake.no_speech_logit = 40.0;
    fake.margin = 0.0;
    let audio = vec![0.0f32; 16_000 * 5];
    let r = transcribe(&mut fake, &cfg, &tok, &audio, &greedy()).unwrap();
    assert!(r.segments.is_empty(), "{:?}", r.segments);
    assert_eq!(r.text, "");
    // A confident text is kept even when no_speech is high.
    let mut fake = Fake::new(vec![TB, 1000, TB + 100], p.sample_begin);
    fake.no_speech_logit = 40.0;
    let r = transcribe(&mut fake, &cfg, &tok, &audio, &greedy()).unwrap();
    assert_eq!(r.segments.len(), 1);
}

#[test]
fn language_is_forced_and_unknown_language_rejected() {
    let (cfg, _tok) = fixture_config();
    let p = prepare(&cfg, &DecodeOptions::default(), &[]).unwrap();
    assert_eq!(p.initial_tokens, vec![SOT, 50272, 50359]); // <|ar|> <|transcribe|>
    let bad = DecodeOptions {
        language: "xx".into(),
        ..DecodeOptions::default()
    };
    assert!(matches!(
        prepare(&cfg, &bad, &[]),
        Err(WhisperError::Language(_))
    ));
}

#[test]
fn prompt_encoding_matches_tiktoken() {
    let (_cfg, tok) = fixture_config();
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/whisper/reference/tokenizer.json");
    let cases: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    for c in cases.as_array().unwrap() {
        let text = c["text"].as_str().unwrap();
        let want: Vec<u32> = c["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u32)
            .collect();
        let got = tok.encode(text);
        if let Some(i) = (0..got.len().max(want.len())).find(|&i| got.get(i) != want.get(i)) {
            panic!(
                "{text:?}: first mismatch at token {i}: got {:?} want {:?}",
                got.get(i),
                want.get(i)
            );
        }
        assert_eq!(tok.decode(&got), text);
    }
}

/// An engine that claims `n_vocab` tokens and returns `logits` values per step: a graph that
/// does not belong to the config, or to the tokenizer.
struct WrongVocab {
    n_vocab: usize,
    logits: usize,
}

impl Engine for WrongVocab {
    fn n_vocab(&self) -> usize {
        self.n_vocab
    }
    fn n_text_ctx(&self) -> usize {
        448
    }
    fn encode(&mut self, _: &[f32]) -> Result<(), WhisperError> {
        Ok(())
    }
    fn reset(&mut self) {}
    fn step(&mut self, _: u32) -> Result<Vec<f32>, WhisperError> {
        Ok(vec![0.0; self.logits])
    }
}

fn vocab_error(n_vocab: usize, logits: usize) -> (usize, usize) {
    let (cfg, tok) = fixture_config();
    let task = prepare(&cfg, &DecodeOptions::default(), &[]).unwrap();
    let mut engine = WrongVocab { n_vocab, logits };
    match decode_window(&mut engine, &tok, &task, 0.0, &mut Rng::new(0)) {
        Err(WhisperError::VocabMismatch { config, graph }) => (config, graph),
        Err(e) => panic!("expected VocabMismatch, got {e}"),
        Ok(r) => panic!("decoded {:?} over a wrong vocabulary", r.tokens),
    }
}

/// Logits narrower than the vocabulary: a typed error instead of an out-of-bounds index.
#[test]
fn logits_narrower_than_the_vocabulary_are_a_typed_error() {
    assert_eq!(vocab_error(51865, 50257), (51865, 50257));
}

/// An engine over a smaller vocabulary than the tokenizer's (its logits agree with its own
/// `n_vocab`): refused before the first step, since the tokenizer's ids would index past it.
#[test]
fn an_engine_over_another_vocabulary_is_a_typed_error() {
    assert_eq!(vocab_error(1000, 1000), (51865, 1000));
}
