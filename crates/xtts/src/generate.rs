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

use crate::gpt::CodeModel;
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

fn argmax(scores: &[f32]) -> usize {
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
