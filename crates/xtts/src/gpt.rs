//! XTTS's GPT-2 in plain Rust (linear layers f32 or block-quantized: crate::linear), with its
//! key/value cache.
//!
//! What coqui runs (coqui-tts v0.27.2): `GPT2InferenceModel` (TTS/tts/layers/xtts/gpt_inference.py)
//! over Hugging Face's `GPT2Model` (transformers 4.55: `modeling_gpt2.py`, pre-LN blocks,
//! `gelu_new`, LayerNorm eps 1e-5) whose own position embedding `wpe` is replaced by zeros
//! (`null_position_embeddings` in TTS/tts/layers/tortoise/autoregressive.py). The prefix is
//! `[conditioning latents (no position embedding), text embedding + text position, start code +
//! mel position 0]`; each generated code gets `mel_embedding + mel_pos_embedding(i + 1)`.
//! The latent the vocoder gets is `final_norm(ln_f(h))`, the logits `mel_head` of it.

use std::ops::Range;

use crate::config::XttsConfig;
use crate::linear::{Linear, WeightFormat};
use crate::weights::Weights;
use crate::XttsError;

const LN_EPS: f32 = 1e-5;

/// One step's result: the latent (what HiFi-GAN vocodes) and the audio-code logits.
pub struct StepOutput {
    pub latent: Vec<f32>,
    pub logits: Vec<f32>,
}

/// The GPT as the code loop sees it: prefill the prompt, then one code at a time.
pub trait CodeModel {
    fn num_codes(&self) -> usize;
    /// Runs the prompt (conditioning latents `[32 × width]` row-major and the text tokens)
    /// and the start code; returns the start code's output.
    fn prefill(&mut self, cond: &[f32], text: &[u32]) -> Result<StepOutput, XttsError>;
    /// Feeds the code just chosen; returns its output.
    fn step(&mut self, code: u32) -> Result<StepOutput, XttsError>;
}

struct Layer {
    ln1_w: Range<usize>,
    ln1_b: Range<usize>,
    attn: Linear,
    proj: Linear,
    ln2_w: Range<usize>,
    ln2_b: Range<usize>,
    fc: Linear,
    out: Linear,
}

/// The weights of the GPT, as ranges into one safetensors file read in place.
pub struct GptWeights {
    weights: Weights,
    width: usize,
    heads: usize,
    num_codes: usize,
    text_tokens: usize,
    text_positions: usize,
    mel_positions: usize,
    layers: Vec<Layer>,
    format: WeightFormat,
    ln_f: (Range<usize>, Range<usize>),
    final_norm: (Range<usize>, Range<usize>),
    head_w: Range<usize>,
    head_b: Range<usize>,
    mel_emb: Range<usize>,
    mel_pos: Range<usize>,
    text_emb: Range<usize>,
    text_pos: Range<usize>,
    start_text: u32,
    stop_text: u32,
    start_code: u32,
}

impl GptWeights {
    pub fn new(weights: Weights, config: &XttsConfig) -> Result<Self, XttsError> {
        let a = &config.model_args;
        let d = a.gpt_n_model_channels;
        let inner = 4 * d; // GPT2Config's n_inner = None → 4 × n_embd
        let range = |name: &str, shape: &[usize]| weights.range(name, shape);
        let (_, text_shape) = weights.get_any("gpt.text_embedding.weight")?;
        let text_tokens = text_shape.first().copied().unwrap_or(0);
        if let Some(n) = a.gpt_number_text_tokens {
            if n != text_tokens {
                return Err(XttsError::Config(format!(
                    "gpt_number_text_tokens is {n}, the text embedding has {text_tokens} rows"
                )));
            }
        }
        let rows = |name: &str| -> Result<usize, XttsError> {
            Ok(weights.get_any(name)?.1.first().copied().unwrap_or(0))
        };
        let text_positions = rows("gpt.text_pos_embedding.emb.weight")?;
        let mel_positions = rows("gpt.mel_pos_embedding.emb.weight")?;
        let mut layers = Vec::with_capacity(a.gpt_layers);
        let mut formats = Vec::new();
        for i in 0..a.gpt_layers {
            let p = |s: &str| format!("gpt.gpt.h.{i}.{s}");
            let mut linear = |name: &str, n_in: usize, n_out: usize| {
                let (l, f) = Linear::load(&weights, &p(name), n_in, n_out)?;
                formats.push(f);
                Ok::<_, XttsError>(l)
            };
            let (attn, proj) = (
                linear("attn.c_attn", d, 3 * d)?,
                linear("attn.c_proj", d, d)?,
            );
            let (fc, out) = (
                linear("mlp.c_fc", d, inner)?,
                linear("mlp.c_proj", inner, d)?,
            );
            layers.push(Layer {
                ln1_w: range(&p("ln_1.weight"), &[d])?,
                ln1_b: range(&p("ln_1.bias"), &[d])?,
                attn,
                proj,
                ln2_w: range(&p("ln_2.weight"), &[d])?,
                ln2_b: range(&p("ln_2.bias"), &[d])?,
                fc,
                out,
            });
        }
        // One format for the whole GPT: a half-quantized file is a broken export.
        let format = formats.first().copied().unwrap_or(WeightFormat::F32);
        if formats.iter().any(|f| *f != format) {
            return Err(XttsError::Weights(
                "the GPT's linear layers are stored in more than one format".into(),
            ));
        }
        if weights.contains(&format!("gpt.gpt.h.{}.ln_1.weight", a.gpt_layers)) {
            return Err(XttsError::Config(format!(
                "the weights have more than gpt_layers = {} blocks",
                a.gpt_layers
            )));
        }
        let n = a.gpt_num_audio_tokens;
        let start_text = a
            .gpt_start_text_token
            .ok_or_else(|| XttsError::Config("gpt_start_text_token is not set".into()))?;
        let stop_text = a
            .gpt_stop_text_token
            .ok_or_else(|| XttsError::Config("gpt_stop_text_token is not set".into()))?;
        if start_text as usize >= text_tokens || stop_text as usize >= text_tokens {
            return Err(XttsError::Config(
                "text start/stop tokens outside the vocabulary".into(),
            ));
        }
        let me = Self {
            width: d,
            heads: a.gpt_n_heads,
            num_codes: n,
            text_tokens,
            text_positions,
            mel_positions,
            format,
            ln_f: (
                range("gpt.gpt.ln_f.weight", &[d])?,
                range("gpt.gpt.ln_f.bias", &[d])?,
            ),
            final_norm: (
                range("gpt.final_norm.weight", &[d])?,
                range("gpt.final_norm.bias", &[d])?,
            ),
            head_w: range("gpt.mel_head.weight", &[n, d])?,
            head_b: range("gpt.mel_head.bias", &[n])?,
            mel_emb: range("gpt.mel_embedding.weight", &[n, d])?,
            mel_pos: range("gpt.mel_pos_embedding.emb.weight", &[mel_positions, d])?,
            text_emb: range("gpt.text_embedding.weight", &[text_tokens, d])?,
            text_pos: range("gpt.text_pos_embedding.emb.weight", &[text_positions, d])?,
            layers,
            start_text,
            stop_text,
            start_code: a.gpt_start_audio_token,
            weights,
        };
        if me.mel_positions < config.max_codes() + 1 {
            return Err(XttsError::Config(
                "the mel position embedding is shorter than the code budget".into(),
            ));
        }
        Ok(me)
    }

    fn w(&self, r: &Range<usize>) -> &[f32] {
        &self.weights.all()[r.clone()]
    }

    pub fn width(&self) -> usize {
        self.width
    }

    /// How the linear layers are stored (f32, or quantized by scripts/xtts_quantize.py).
    pub fn format(&self) -> WeightFormat {
        self.format
    }

    /// The most text tokens a sentence may have (the text position embedding's rows, less
    /// the start and stop tokens).
    pub fn max_text_tokens(&self) -> usize {
        self.text_positions.saturating_sub(2)
    }

    pub fn session(&self) -> GptSession<'_> {
        GptSession {
            gpt: self,
            keys: vec![Vec::new(); self.layers.len()],
            values: vec![Vec::new(); self.layers.len()],
            len: 0,
            codes: 0,
        }
    }
}

/// One synthesis: the key/value cache over the weights.
pub struct GptSession<'a> {
    gpt: &'a GptWeights,
    /// Per layer, `[position][width]` row-major.
    keys: Vec<Vec<f32>>,
    values: Vec<Vec<f32>>,
    len: usize,
    /// Codes fed so far (the start code counts), i.e. the next mel position.
    codes: usize,
}

fn layer_norm(x: &[f32], w: &[f32], b: &[f32], out: &mut [f32]) {
    let n = x.len() as f32;
    let mean = x.iter().sum::<f32>() / n;
    let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
    let inv = 1.0 / (var + LN_EPS).sqrt();
    for i in 0..x.len() {
        out[i] = (x[i] - mean) * inv * w[i] + b[i];
    }
}

/// Hugging Face's `gelu_new` (the tanh approximation GPT-2 uses).
fn gelu_new(x: f32) -> f32 {
    const C: f32 = 0.797_884_6; // sqrt(2 / pi)
    0.5 * x * (1.0 + (C * (x + 0.044_715 * x * x * x)).tanh())
}

impl GptSession<'_> {
    /// Runs `rows` new positions (`x`: `[rows][width]`) through the blocks, appending to the
    /// cache; returns the hidden states after `ln_f`.
    fn forward(&mut self, mut x: Vec<f32>) -> Vec<f32> {
        let g = self.gpt;
        let d = g.width;
        let rows = x.len() / d;
        let heads = g.heads;
        let hd = d / heads;
        let scale = 1.0 / (hd as f32).sqrt();
        let mut normed = vec![0.0; x.len()];
        let mut qkv = Vec::new();
        let mut proj = Vec::new();
        let mut hidden = Vec::new();
        let mut attn = vec![0.0; x.len()];
        for (li, l) in g.layers.iter().enumerate() {
            for t in 0..rows {
                let r = t * d..(t + 1) * d;
                layer_norm(&x[r.clone()], g.w(&l.ln1_w), g.w(&l.ln1_b), &mut normed[r]);
            }
            l.attn.apply(&g.weights, &normed, &mut qkv);
            let keys = &mut self.keys[li];
            let values = &mut self.values[li];
            for t in 0..rows {
                let row = &qkv[t * 3 * d..(t + 1) * 3 * d];
                keys.extend_from_slice(&row[d..2 * d]);
                values.extend_from_slice(&row[2 * d..]);
            }
            let mut scores = Vec::new();
            for t in 0..rows {
                let pos = self.len + t; // causal: attends to 0..=pos
                let q = &qkv[t * 3 * d..t * 3 * d + d];
                let out = &mut attn[t * d..(t + 1) * d];
                for h in 0..heads {
                    let qh = &q[h * hd..(h + 1) * hd];
                    scores.clear();
                    let mut max = f32::NEG_INFINITY;
                    for p in 0..=pos {
                        let k = &keys[p * d + h * hd..p * d + (h + 1) * hd];
                        let s = qh.iter().zip(k).map(|(a, b)| a * b).sum::<f32>() * scale;
                        max = max.max(s);
                        scores.push(s);
                    }
                    let mut sum = 0.0;
                    for s in scores.iter_mut() {
                        *s = (*s - max).exp();
                        sum += *s;
                    }
                    let oh = &mut out[h * hd..(h + 1) * hd];
                    oh.fill(0.0);
                    for (p, s) in scores.iter().enumerate() {
                        let wgt = s / sum;
                        let v = &values[p * d + h * hd..p * d + (h + 1) * hd];
                        for (o, vv) in oh.iter_mut().zip(v) {
                            *o += wgt * vv;
                        }
                    }
                }
            }
            l.proj.apply(&g.weights, &attn, &mut proj);
            for (xv, pv) in x.iter_mut().zip(&proj) {
                *xv += pv;
            }
            for t in 0..rows {
                let r = t * d..(t + 1) * d;
                layer_norm(&x[r.clone()], g.w(&l.ln2_w), g.w(&l.ln2_b), &mut normed[r]);
            }
            l.fc.apply(&g.weights, &normed, &mut hidden);
            for v in hidden.iter_mut() {
                *v = gelu_new(*v);
            }
            l.out.apply(&g.weights, &hidden, &mut proj);
            for (xv, pv) in x.iter_mut().zip(&proj) {
                *xv += pv;
            }
        }
        self.len += rows;
        let (w, b) = &g.ln_f;
        for t in 0..rows {
            let r = t * d..(t + 1) * d;
            layer_norm(&x[r.clone()], g.w(w), g.w(b), &mut normed[r]);
        }
        normed
    }

    /// `final_norm` of the last row, and the mel head over it.
    fn output(&self, h: &[f32]) -> StepOutput {
        let g = self.gpt;
        let d = g.width;
        let last = &h[h.len() - d..];
        let mut latent = vec![0.0; d];
        layer_norm(
            last,
            g.w(&g.final_norm.0),
            g.w(&g.final_norm.1),
            &mut latent,
        );
        let w = g.w(&g.head_w);
        let logits = g
            .w(&g.head_b)
            .iter()
            .enumerate()
            .map(|(c, b)| {
                b + w[c * d..(c + 1) * d]
                    .iter()
                    .zip(&latent)
                    .map(|(a, b)| a * b)
                    .sum::<f32>()
            })
            .collect();
        StepOutput { latent, logits }
    }

    fn code_input(&self, code: u32, x: &mut Vec<f32>) -> Result<(), XttsError> {
        let g = self.gpt;
        let d = g.width;
        if code as usize >= g.num_codes || self.codes >= g.mel_positions {
            return Err(XttsError::Inference(
                "audio code or position out of range".into(),
            ));
        }
        let e = &g.w(&g.mel_emb)[code as usize * d..(code as usize + 1) * d];
        let p = &g.w(&g.mel_pos)[self.codes * d..(self.codes + 1) * d];
        x.extend(e.iter().zip(p).map(|(a, b)| a + b));
        Ok(())
    }
}

impl CodeModel for GptSession<'_> {
    fn num_codes(&self) -> usize {
        self.gpt.num_codes
    }

    fn prefill(&mut self, cond: &[f32], text: &[u32]) -> Result<StepOutput, XttsError> {
        let g = self.gpt;
        let d = g.width;
        if !cond.len().is_multiple_of(d) || cond.is_empty() {
            return Err(XttsError::Inference(
                "conditioning latents have the wrong width".into(),
            ));
        }
        // GPT.compute_embeddings: [START] text [STOP], each with its text position.
        let mut ids = Vec::with_capacity(text.len() + 2);
        ids.push(g.start_text);
        ids.extend_from_slice(text);
        ids.push(g.stop_text);
        if ids.len() > g.text_positions {
            return Err(XttsError::Text(format!(
                "{} text tokens; the model takes at most {}",
                text.len(),
                g.max_text_tokens()
            )));
        }
        let mut x = Vec::with_capacity(cond.len() + (ids.len() + 1) * d);
        x.extend_from_slice(cond);
        for (pos, &id) in ids.iter().enumerate() {
            if id as usize >= g.text_tokens {
                return Err(XttsError::Text(format!(
                    "text token {id} outside the vocabulary"
                )));
            }
            let e = &g.w(&g.text_emb)[id as usize * d..(id as usize + 1) * d];
            let p = &g.w(&g.text_pos)[pos * d..(pos + 1) * d];
            x.extend(e.iter().zip(p).map(|(a, b)| a + b));
        }
        self.codes = 0;
        self.code_input(g.start_code, &mut x)?;
        self.codes = 1;
        let h = self.forward(x);
        Ok(self.output(&h))
    }

    fn step(&mut self, code: u32) -> Result<StepOutput, XttsError> {
        let mut x = Vec::with_capacity(self.gpt.width);
        self.code_input(code, &mut x)?;
        self.codes += 1;
        let h = self.forward(x);
        Ok(self.output(&h))
    }
}
