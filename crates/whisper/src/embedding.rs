//! The tied token embedding, held once and outside tract: the decoder's input is a token's row,
//! and the logits are the final hidden state against every row (whisper/model.py
//! `TextDecoder.forward`: `x @ self.token_embedding.weight.T`, openai/whisper@v20250625).
//!
//! In the graph, this 51,865 × d projection was the largest tensor of the model, and tract kept a
//! packed copy of it beside the stored one (2 × 80 MB for tiny in f32). Here the stored bytes are
//! used in place: f32 rows, or the Q8 blocks of `sawt_quant::blocks` (a quarter of the size and
//! an integer dot product per block).

use sawt_quant::blocks::{dot4_q8, dot_q8, QuantizedRows, BLOCK};
use sawt_quant::{Dtype, Weights};

use crate::WhisperError;

enum Rows {
    F32,
    /// `weight.q8` `[n_vocab, padded]` and `weight.scale` `[n_vocab, padded / 32]`; rows are
    /// padded with zeros to whole blocks.
    Q8 {
        padded: usize,
    },
}

pub struct TokenEmbedding {
    weights: Weights,
    rows: Rows,
    n_vocab: usize,
    width: usize,
    /// The hidden state quantized per block, reused between steps.
    hidden_q: QuantizedRows,
}

fn bad(what: String) -> WhisperError {
    WhisperError::Load(format!("token embedding: {what}"))
}

impl TokenEmbedding {
    /// Reads the embedding file written by scripts/whisper_export.py: `weight` (F32
    /// `[n_vocab, width]`) or `weight.q8` + `weight.scale`. The row count is checked against the
    /// config by the caller; the width must be the decoder's.
    pub fn from_bytes(bytes: Vec<u8>, width: usize) -> Result<Self, WhisperError> {
        let weights = Weights::from_bytes(bytes).map_err(|e| bad(e.0))?;
        let (rows, n_vocab) = if weights.dtype("weight") == Some(Dtype::F32) {
            let n_vocab = match weights.shape("weight") {
                Some(&[n, w]) if w == width => n,
                other => return Err(bad(format!("weight has shape {other:?}, rows of {width}"))),
            };
            (Rows::F32, n_vocab)
        } else if weights.contains("weight.q8") {
            let padded = width.div_ceil(BLOCK) * BLOCK;
            let n_vocab = match weights.shape("weight.q8") {
                Some(&[n, w]) if w == padded => n,
                other => {
                    return Err(bad(format!(
                        "weight.q8 has shape {other:?}, rows of {padded} (width {width} in \
                         blocks of {BLOCK})"
                    )))
                }
            };
            weights
                .byte_range("weight.q8", Dtype::I8, &[n_vocab, padded])
                .and_then(|_| weights.range("weight.scale", &[n_vocab, padded / BLOCK]))
                .map_err(|e| bad(e.0))?;
            (Rows::Q8 { padded }, n_vocab)
        } else {
            return Err(bad(
                "neither an F32 `weight` nor `weight.q8` with `weight.scale`".into(),
            ));
        };
        Ok(Self {
            weights,
            rows,
            n_vocab,
            width,
            hidden_q: QuantizedRows::default(),
        })
    }

    pub fn n_vocab(&self) -> usize {
        self.n_vocab
    }

    /// `"f32"` or `"q8"`.
    pub fn format(&self) -> &'static str {
        match self.rows {
            Rows::F32 => "f32",
            Rows::Q8 { .. } => "q8",
        }
    }

    fn q8(&self, padded: usize) -> (&[i8], &[f32]) {
        let q = self
            .weights
            .byte_range("weight.q8", Dtype::I8, &[self.n_vocab, padded])
            .map(|r| bytemuck::cast_slice(&self.weights.bytes()[r]))
            .unwrap_or_default();
        let s = self
            .weights
            .get("weight.scale", &[self.n_vocab, padded / BLOCK])
            .unwrap_or_default();
        (q, s)
    }

    fn f32_rows(&self) -> &[f32] {
        self.weights
            .get("weight", &[self.n_vocab, self.width])
            .unwrap_or_default()
    }

    /// The embedding of `token` (dequantized for Q8).
    pub fn row(&self, token: u32) -> Result<Vec<f32>, WhisperError> {
        let t = token as usize;
        if t >= self.n_vocab {
            return Err(WhisperError::Inference(format!(
                "token {token} is outside the vocabulary of {}",
                self.n_vocab
            )));
        }
        let w = self.width;
        Ok(match self.rows {
            Rows::F32 => self.f32_rows()[t * w..(t + 1) * w].to_vec(),
            Rows::Q8 { padded } => {
                let (q, s) = self.q8(padded);
                let (q, s) = (&q[t * padded..][..w], &s[t * (padded / BLOCK)..]);
                q.iter()
                    .enumerate()
                    .map(|(j, &v)| f32::from(v) * s[j / BLOCK])
                    .collect()
            }
        })
    }

    /// `logits[v] = hidden · row(v)` for every token.
    pub fn logits(&mut self, hidden: &[f32]) -> Result<Vec<f32>, WhisperError> {
        if hidden.len() != self.width {
            return Err(WhisperError::Inference(format!(
                "hidden state has {} values, the embedding {}",
                hidden.len(),
                self.width
            )));
        }
        let w = self.width;
        let mut out = vec![0f32; self.n_vocab];
        match self.rows {
            Rows::F32 => {
                for (o, row) in out.iter_mut().zip(self.f32_rows().chunks_exact(w)) {
                    *o = dot_f32(row, hidden);
                }
            }
            Rows::Q8 { padded } => {
                let mut h = hidden.to_vec();
                h.resize(padded, 0.0);
                let mut hq = std::mem::take(&mut self.hidden_q);
                hq.quantize(&h, padded);
                let (xq, xs) = hq.row(0);
                let (q, s) = self.q8(padded);
                let nb = padded / BLOCK;
                let row = |v: usize| &q[v * padded..(v + 1) * padded];
                let scale = |v: usize| &s[v * nb..(v + 1) * nb];
                // Four rows a call (each row read once, the activations kept in registers).
                let whole = self.n_vocab / 4 * 4;
                for v in (0..whole).step_by(4) {
                    let vs = [v, v + 1, v + 2, v + 3];
                    out[v..v + 4].copy_from_slice(&dot4_q8(vs.map(row), vs.map(scale), xq, xs));
                }
                for (v, o) in out.iter_mut().enumerate().skip(whole) {
                    *o = dot_q8(row(v), scale(v), xq, xs);
                }
                self.hidden_q = hq;
            }
        }
        Ok(out)
    }
}

/// A dot product in eight independent sums, which the compiler keeps in SIMD registers
/// (one running sum cannot be vectorised: float addition is not associative).
fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A safetensors file of the given F32 / I8 tensors (header padded to 8 bytes).
    fn file(tensors: &[(&str, &str, Vec<usize>, Vec<u8>)]) -> Vec<u8> {
        let mut header = serde_json::Map::new();
        let mut data = Vec::new();
        for (name, dtype, shape, bytes) in tensors {
            header.insert(
                name.to_string(),
                serde_json::json!({"dtype": dtype, "shape": shape,
                                   "data_offsets": [data.len(), data.len() + bytes.len()]}),
            );
            data.extend_from_slice(bytes);
        }
        let mut h = serde_json::to_vec(&header).unwrap_or_default();
        while !(8 + h.len()).is_multiple_of(8) {
            h.push(b' ');
        }
        let mut out = (h.len() as u64).to_le_bytes().to_vec();
        out.extend(h);
        out.extend(data);
        out
    }

    fn f32_bytes(v: &[f32]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    #[test]
    fn f32_rows_and_logits() {
        // 3 tokens of width 5: row v is (v, v + 1, ...).
        let w: Vec<f32> = (0..15).map(|i| (i / 5 + i % 5) as f32).collect();
        let mut e =
            TokenEmbedding::from_bytes(file(&[("weight", "F32", vec![3, 5], f32_bytes(&w))]), 5)
                .unwrap();
        assert_eq!((e.n_vocab(), e.format()), (3, "f32"));
        assert_eq!(e.row(2).unwrap(), vec![2.0, 3.0, 4.0, 5.0, 6.0]);
        let h = [1.0, 0.0, 0.0, 0.0, 2.0];
        assert_eq!(e.logits(&h).unwrap(), vec![8.0, 11.0, 14.0]);
        assert!(e.row(3).is_err());
        assert!(e.logits(&[1.0]).is_err());
    }

    #[test]
    fn q8_rows_padded_to_a_block_and_logits() {
        // 5 tokens of width 20, padded to one block of 32; scale 0.5, q[v][j] = v - j % 3.
        let (n, width) = (5usize, 20usize);
        let mut q = vec![0u8; n * 32];
        for v in 0..n {
            for j in 0..width {
                q[v * 32 + j] = (v as i8 - (j % 3) as i8) as u8;
            }
        }
        let bytes = file(&[
            ("weight.scale", "F32", vec![n, 1], f32_bytes(&[0.5; 5])),
            ("weight.q8", "I8", vec![n, 32], q),
        ]);
        let mut e = TokenEmbedding::from_bytes(bytes, width).unwrap();
        assert_eq!(e.format(), "q8");
        let r = e.row(4).unwrap();
        assert_eq!(r.len(), width);
        assert_eq!(&r[..4], &[2.0, 1.5, 1.0, 2.0]);
        // hidden = e_0 (one-hot on the first element, exact in 8 bits): logits = row[v][0].
        let mut h = vec![0.0; width];
        h[0] = 1.0;
        assert_eq!(e.logits(&h).unwrap(), vec![0.0, 0.5, 1.0, 1.5, 2.0]);
        // A width that is not the stored one is refused at load.
        let bad = file(&[
            ("weight.scale", "F32", vec![n, 1], f32_bytes(&[0.5; 5])),
            ("weight.q8", "I8", vec![n, 32], vec![0; n * 32]),
        ]);
        assert!(TokenEmbedding::from_bytes(bad, 40).is_err());
    }
}
