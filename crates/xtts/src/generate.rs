//! The code loop: what `GPT.generate` asks of Hugging Face's `generate` (coqui-tts v0.27.2,
//! TTS/tts/layers/xtts/gpt.py; transformers 4.55 `GenerationMixin._sample`).
//!
//! - The ids the repetition penalty sees are *all* input ids, and coqui's inputs are a fake
//!   prefix: `prefix_len` ones and the start code (`GPT.compute_embeddings`), so code 1 and the
//!   start code are penalised from the first step.
//! - `RepetitionPenaltyLogitsProcessor`: a seen code's score is divided by the penalty when
//!   positive, multiplied when negative.
//! - Greedy (`do_sample=False`) ignores temperature, top-k and top-p: argmax, first index on ties
//!   (`torch.argmax`).
//! - Sampling applies, in HF's order, temperature, top-k, top-p (keeping at least one code), then
//!   draws from the softmax. torch's generator cannot be reproduced, so draws come from a seeded
//!   generator of our own: the same seed gives the same codes natively and in wasm.
//! - At most `max_codes` new codes; the stop code ends the loop and is kept as the last code.
//! - The latents the vocoder gets are the start code's and each code's but the last, one per
//!   code (`GPT.forward(return_latent=True)` over the codes returns exactly these).

use crate::gpt::{CodeModel, StepOutput};
use crate::XttsError;

/// How codes are chosen.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoding {
    Greedy,
    Sample {
        temperature: f32,
        top_k: usize,
        top_p: f32,
        seed: u64,
    },
}

#[derive(Debug, Clone)]
pub struct CodeOptions {
    pub decoding: Decoding,
    pub repetition_penalty: f32,
    pub max_codes: usize,
    pub start_code: u32,
    pub stop_code: u32,
}

/// A sentence's codes and the latents to vocode (`latents.len() == codes.len() * width`).
#[derive(Debug, Clone, Default)]
pub struct Codes {
    pub codes: Vec<u32>,
    pub latents: Vec<f32>,
    pub stopped: bool,
}

/// SplitMix64: tiny, fast, and the same sequence on every target.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 bits.
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn repetition_penalty(scores: &mut [f32], seen: &[bool], penalty: f32) {
    if penalty == 1.0 {
        return;
    }
    for (s, &was) in scores.iter_mut().zip(seen) {
        if was {
            *s = if *s < 0.0 { *s * penalty } else { *s / penalty };
        }
    }
}

/// The first index of the largest score (`torch.argmax`).
pub fn argmax(scores: &[f32]) -> usize {
    let mut best = 0;
    for (i, &s) in scores.iter().enumerate() {
        if s > scores[best] {
            best = i;
        }
    }
    best
}

/// Temperature, top-k, top-p as HF's warpers do, then one draw.
fn sample(scores: &mut [f32], temperature: f32, top_k: usize, top_p: f32, rng: &mut Rng) -> usize {
    if temperature > 0.0 && temperature != 1.0 {
        for s in scores.iter_mut() {
            *s /= temperature;
        }
    }
    let n = scores.len();
    let mut order: Vec<usize> = (0..n).collect();
    // Descending by score; stable, so ties keep index order.
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut keep = n;
    if top_k > 0 && top_k < n {
        // TopKLogitsWarper keeps every score >= the k-th largest.
        let kth = scores[order[top_k - 1]];
        keep = order.iter().take_while(|&&i| scores[i] >= kth).count();
    }
    let max = scores[order[0]];
    let probs: Vec<f64> = order[..keep]
        .iter()
        .map(|&i| ((scores[i] - max) as f64).exp())
        .collect();
    let total: f64 = probs.iter().sum();
    if top_p < 1.0 {
        // TopPLogitsWarper: drop the tail whose mass is <= 1 - top_p (ascending cumulative
        // sum), keeping at least one code.
        let mut tail = 0.0;
        let mut k = keep;
        while k > 1 {
            let p = probs[k - 1] / total;
            if tail + p > 1.0 - top_p as f64 {
                break;
            }
            tail += p;
            k -= 1;
        }
        keep = k;
    }
    let mass: f64 = probs[..keep].iter().sum();
    let mut u = rng.next_f64() * mass;
    for (j, p) in probs[..keep].iter().enumerate() {
        if u < *p {
            return order[j];
        }
        u -= p;
    }
    order[keep - 1]
}

/// Runs the loop for one sentence.
pub fn generate(
    model: &mut dyn CodeModel,
    cond: &[f32],
    text: &[u32],
    options: &CodeOptions,
) -> Result<Codes, XttsError> {
    generate_observed(model, cond, text, options, &mut |_| Ok(()))
}

/// [`generate`], calling `on_latent` with each latent the vocoder will get, in order, as soon
/// as it is computed (before its code is chosen: the latent does not depend on the choice).
/// An error from `on_latent` ends the loop with that error.
pub fn generate_observed(
    model: &mut dyn CodeModel,
    cond: &[f32],
    text: &[u32],
    options: &CodeOptions,
    on_latent: &mut dyn FnMut(&[f32]) -> Result<(), XttsError>,
) -> Result<Codes, XttsError> {
    let n = model.num_codes();
    if options.stop_code as usize >= n || options.start_code as usize >= n || n < 2 {
        return Err(XttsError::Config(
            "start/stop code outside the code vocabulary".into(),
        ));
    }
    // The fake prefix ids (ones) and the start code count as seen.
    let mut seen = vec![false; n];
    seen[1] = true;
    seen[options.start_code as usize] = true;
    let mut out = model.prefill(cond, text)?;
    let width = out.latent.len();
    let mut rng = match options.decoding {
        Decoding::Sample { seed, .. } => Rng(seed),
        Decoding::Greedy => Rng(0),
    };
    let mut result = Codes::default();
    for _ in 0..options.max_codes {
        if out.logits.len() != n {
            return Err(XttsError::Inference(
                "the model returned the wrong number of logits".into(),
            ));
        }
        result.latents.extend_from_slice(&out.latent);
        on_latent(&out.latent)?;
        let mut scores = out.logits;
        repetition_penalty(&mut scores, &seen, options.repetition_penalty);
        let code = match options.decoding {
            Decoding::Greedy => argmax(&scores),
            Decoding::Sample {
                temperature,
                top_k,
                top_p,
                ..
            } => sample(&mut scores, temperature, top_k, top_p, &mut rng),
        } as u32;
        result.codes.push(code);
        seen[code as usize] = true;
        if code == options.stop_code {
            result.stopped = true;
            break;
        }
        if result.codes.len() == options.max_codes {
            break;
        }
        out = model.step(code)?;
        if out.latent.len() != width {
            return Err(XttsError::Inference(
                "the model's latent width changed".into(),
            ));
        }
    }
    Ok(result)
}

/// The model fed the given `codes` (teacher forcing, no choice made): one output per code,
/// the start code's first — the logits that chose each code and the latents the vocoder gets.
/// How a quantized GPT is measured against the f32 one on the same codes.
pub fn teacher_forced(
    model: &mut dyn CodeModel,
    cond: &[f32],
    text: &[u32],
    codes: &[u32],
) -> Result<Vec<StepOutput>, XttsError> {
    let mut outs = Vec::with_capacity(codes.len());
    if codes.is_empty() {
        return Ok(outs);
    }
    outs.push(model.prefill(cond, text)?);
    for &code in &codes[..codes.len() - 1] {
        outs.push(model.step(code)?);
    }
    Ok(outs)
}

/// The code greedy decoding picks after each of `codes`' teacher-forced outputs (the
/// repetition penalty over the codes before it, as in [`generate`]): where a model's choices
/// agree with the reference's codes.
pub fn greedy_choices(outs: &[StepOutput], codes: &[u32], options: &CodeOptions) -> Vec<u32> {
    let mut seen = Vec::new();
    let mut choices = Vec::with_capacity(outs.len());
    for (k, out) in outs.iter().enumerate() {
        let n = out.logits.len();
        if seen.len() != n {
            seen = vec![false; n];
            for &c in [1, options.start_code].iter().chain(&codes[..k]) {
                if let Some(s) = seen.get_mut(c as usize) {
                    *s = true;
                }
            }
        }
        let mut scores = out.logits.clone();
        repetition_penalty(&mut scores, &seen, options.repetition_penalty);
        choices.push(argmax(&scores) as u32);
        if let Some(s) = codes.get(k).and_then(|&c| seen.get_mut(c as usize)) {
            *s = true;
        }
    }
    choices
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scripted model: the logits of each call in turn, latents numbering the calls.
    struct Fake {
        script: Vec<Vec<f32>>,
        calls: usize,
        fed: Vec<u32>,
    }

    impl Fake {
        fn new(script: Vec<Vec<f32>>) -> Self {
            Self {
                script,
                calls: 0,
                fed: Vec::new(),
            }
        }
        fn next(&mut self) -> Result<StepOutput, XttsError> {
            let logits = self.script[self.calls.min(self.script.len() - 1)].clone();
            self.calls += 1;
            Ok(StepOutput {
                latent: vec![self.calls as f32; 2],
                logits,
            })
        }
    }

    impl CodeModel for Fake {
        fn num_codes(&self) -> usize {
            6
        }
        fn prefill(&mut self, _cond: &[f32], _text: &[u32]) -> Result<StepOutput, XttsError> {
            self.next()
        }
        fn step(&mut self, code: u32) -> Result<StepOutput, XttsError> {
            self.fed.push(code);
            self.next()
        }
    }

    fn options(decoding: Decoding) -> CodeOptions {
        CodeOptions {
            decoding,
            repetition_penalty: 2.0,
            max_codes: 4,
            start_code: 4,
            stop_code: 5,
        }
    }

    #[test]
    fn greedy_penalises_the_fake_prefix_and_start_code_and_keeps_the_stop_code() {
        // Code 1 (prefix ids) and 4 (start) lead at 5 but are seen from the start: 5 / 2 = 2.5
        // after the penalty, below code 2's 2.9.
        let mut m = Fake::new(vec![
            vec![0.0, 5.0, 2.9, 1.0, 5.0, -1.0],
            vec![0.0, 5.0, 2.9, 2.8, 5.0, -1.0], // 2 is now penalised: 1.45; 3 wins
            vec![-4.0, 0.5, 0.4, 0.3, 0.2, 0.6], // stop wins
        ]);
        let out = generate(&mut m, &[0.0; 2], &[1, 2], &options(Decoding::Greedy)).unwrap();
        assert_eq!(out.codes, vec![2, 3, 5]);
        assert!(out.stopped);
        assert_eq!(m.fed, vec![2, 3], "the stop code is not fed back");
        // One latent per code: the prefill's and each fed code's.
        assert_eq!(out.latents, vec![1.0, 1.0, 2.0, 2.0, 3.0, 3.0]);
    }

    #[test]
    fn the_observer_sees_each_latent_in_order_and_can_end_the_loop() {
        let script = vec![
            vec![0.0, 0.0, 2.9, 1.0, 0.0, -1.0],
            vec![0.0, 0.0, 0.0, 2.8, 0.0, -1.0],
            vec![-4.0, 0.5, 0.4, 0.3, 0.2, 0.6],
        ];
        let mut seen = Vec::new();
        let out = generate_observed(
            &mut Fake::new(script.clone()),
            &[0.0; 2],
            &[1],
            &options(Decoding::Greedy),
            &mut |l| {
                seen.extend_from_slice(l);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(seen, out.latents);
        assert_eq!(seen, vec![1.0, 1.0, 2.0, 2.0, 3.0, 3.0]);

        let mut m = Fake::new(script);
        let mut calls = 0;
        let err = generate_observed(
            &mut m,
            &[0.0; 2],
            &[1],
            &options(Decoding::Greedy),
            &mut |_| {
                calls += 1;
                if calls == 2 {
                    Err(XttsError::Inference("client gone".into()))
                } else {
                    Ok(())
                }
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("client gone"), "{err}");
        assert_eq!(m.fed, vec![2], "no step after the observer's error");
    }

    #[test]
    fn negative_scores_of_seen_codes_are_multiplied() {
        // Code 0 at -0.2 vs code 2 at -0.15: once 2 is seen it drops to -0.3, so 0 wins.
        let mut m = Fake::new(vec![vec![-0.2, -9.0, -0.15, -9.0, -9.0, -9.0]; 2]);
        let out = generate(&mut m, &[0.0; 2], &[], &options(Decoding::Greedy)).unwrap();
        assert_eq!(&out.codes[..2], &[2, 0]);
    }

    #[test]
    fn the_code_budget_ends_a_sentence_without_a_stop_code() {
        let mut m = Fake::new(vec![
            vec![9.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            vec![0.0, 0.0, 9.0, 0.0, 0.0, 0.0],
            vec![0.0, 0.0, 0.0, 9.0, 0.0, 0.0],
            vec![0.0, 0.0, 0.0, 0.0, 0.0, -9.0],
        ]);
        let out = generate(&mut m, &[0.0; 2], &[], &options(Decoding::Greedy)).unwrap();
        assert_eq!(out.codes.len(), 4);
        assert!(!out.stopped);
        assert_eq!(out.latents.len(), 4 * 2);
        assert_eq!(
            m.fed.len(),
            3,
            "the last code of the budget is not fed back"
        );
    }

    fn draws(top_k: usize, top_p: f32, n: usize) -> [usize; 6] {
        let mut counts = [0; 6];
        let mut rng = Rng(7);
        let base = [
            0.5f32.ln(),
            0.3f32.ln(),
            0.2f32.ln(),
            f32::NEG_INFINITY,
            f32::NEG_INFINITY,
            f32::NEG_INFINITY,
        ];
        for _ in 0..n {
            let mut s = base.to_vec();
            counts[sample(&mut s, 1.0, top_k, top_p, &mut rng)] += 1;
        }
        counts
    }

    #[test]
    fn sampling_follows_the_softmax_after_top_k_and_top_p() {
        let n = 20_000;
        let c = draws(0, 1.0, n);
        for (i, p) in [0.5, 0.3, 0.2].iter().enumerate() {
            let f = c[i] as f64 / n as f64;
            assert!((f - p).abs() < 0.015, "code {i}: {f} vs {p}");
        }
        // top-k 2 renormalises over {0, 1}: 5/8, 3/8.
        let c = draws(2, 1.0, n);
        assert_eq!(c[2], 0);
        assert!((c[0] as f64 / n as f64 - 0.625).abs() < 0.015);
        // top-p 0.6: the tail 0.2 ≤ 0.4 goes, 0.3 + 0.2 > 0.4 stays.
        let c = draws(0, 0.6, n);
        assert_eq!(c[2], 0);
        assert!((c[1] as f64 / n as f64 - 0.375).abs() < 0.015);
        // top-p below the top code's mass keeps the top code alone.
        assert_eq!(draws(0, 0.1, 100)[0], 100);
    }

    #[test]
    fn temperature_sharpens_and_seeds_reproduce() {
        let mut rng = Rng(1);
        let mut hot = 0;
        for _ in 0..2000 {
            let mut s = vec![1.0, 0.0, -1.0, -1.0, -1.0, -1.0];
            hot += usize::from(sample(&mut s, 0.1, 0, 1.0, &mut rng) == 0);
        }
        assert!(
            hot > 1990,
            "temperature 0.1 should almost always pick the top code: {hot}"
        );
        let script = vec![vec![0.1, 0.2, 0.3, 0.25, 0.0, -5.0]; 5];
        let run = |seed| {
            let mut m = Fake::new(script.clone());
            let o = options(Decoding::Sample {
                temperature: 1.0,
                top_k: 0,
                top_p: 1.0,
                seed,
            });
            generate(&mut m, &[0.0; 2], &[], &o).unwrap().codes
        };
        assert_eq!(run(42), run(42));
        assert!(
            (0..20).any(|s| run(s) != run(42)),
            "different seeds must give different codes"
        );
    }
}
