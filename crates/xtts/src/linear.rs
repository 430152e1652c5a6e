//! The GPT's linear layers (Hugging Face `Conv1D`: `y = x · W + b`), f32 or block-quantized.
//!
//! An f32 weight is the checkpoint's `[n_in, n_out]` tensor `NAME`; a quantized one is stored
//! by scripts/xtts_quantize.py as `NAME.q8` (`I8 [n_out, n_in]`) or `NAME.q4`
//! (`U8 [n_out, n_in / 2]`) with `NAME.scale` (`F32 [n_out, n_in / 32]`), see crate::quant.

use std::ops::Range;

use crate::quant::{dot4_q8, dot_q4, dot_q8, QuantizedRows, BLOCK};
use crate::weights::{Dtype, Weights};
use crate::XttsError;

/// How a GPT's linear weights are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeightFormat {
    F32,
    Q8,
    Q4,
}

impl WeightFormat {
    pub fn name(self) -> &'static str {
        match self {
            Self::F32 => "f32",
            Self::Q8 => "q8",
            Self::Q4 => "q4",
        }
    }
}

/// Ranges into the weights: f32 words for `F32` and the scales, bytes for the blocks.
enum Matrix {
    F32(Range<usize>),
    Q8 { q: Range<usize>, s: Range<usize> },
    Q4 { q: Range<usize>, s: Range<usize> },
}

pub(crate) struct Linear {
    w: Matrix,
    b: Range<usize>,
    n_in: usize,
}

impl Linear {
    /// The layer `name` (`.weight` / `.bias`) of `n_in` inputs and `n_out` outputs, in
    /// whichever of the formats the file holds.
    pub fn load(
        weights: &Weights,
        name: &str,
        n_in: usize,
        n_out: usize,
    ) -> Result<(Self, WeightFormat), XttsError> {
        let wname = format!("{name}.weight");
        let b = weights.range(&format!("{name}.bias"), &[n_out])?;
        let (q8, q4) = (format!("{wname}.q8"), format!("{wname}.q4"));
        let quantized = weights.contains(&q8) || weights.contains(&q4);
        if quantized && !n_in.is_multiple_of(BLOCK) {
            return Err(XttsError::Weights(format!(
                "{wname}: {n_in} inputs is not a whole number of {BLOCK}-value blocks"
            )));
        }
        let scales = || weights.range(&format!("{wname}.scale"), &[n_out, n_in / BLOCK]);
        let (w, format) = if weights.contains(&q8) {
            let q = weights.byte_range(&q8, Dtype::I8, &[n_out, n_in])?;
            (Matrix::Q8 { q, s: scales()? }, WeightFormat::Q8)
        } else if weights.contains(&q4) {
            let q = weights.byte_range(&q4, Dtype::U8, &[n_out, n_in / 2])?;
            (Matrix::Q4 { q, s: scales()? }, WeightFormat::Q4)
        } else {
            let w = weights.range(&wname, &[n_in, n_out])?;
            (Matrix::F32(w), WeightFormat::F32)
        };
        Ok((Self { w, b, n_in }, format))
    }

    /// `y[t] = x[t] · W + b` for the rows of `x`.
    pub fn apply(&self, weights: &Weights, x: &[f32], y: &mut Vec<f32>) {
        let all = weights.all();
        let b = &all[self.b.clone()];
        match &self.w {
            Matrix::F32(w) => linear_in_out(x, self.n_in, &all[w.clone()], b, y),
            Matrix::Q8 { q, s } => {
                let q: &[i8] = bytemuck::cast_slice(&weights.bytes()[q.clone()]);
                let (n_in, nb) = (self.n_in, self.n_in / BLOCK);
                let row = |o: usize| &q[o * n_in..(o + 1) * n_in];
                let scale = |o: usize| &all[s.start + o * nb..s.start + (o + 1) * nb];
                // Four outputs at a time where they divide evenly (every XTTS size does); the
                // same bits as one at a time.
                if b.len().is_multiple_of(4) {
                    quantized(x, n_in, b, y, |o, xq, xs| {
                        let os = [o, o + 1, o + 2, o + 3];
                        dot4_q8(os.map(row), os.map(scale), xq, xs)
                    });
                } else {
                    quantized(x, n_in, b, y, |o, xq, xs| {
                        [dot_q8(row(o), scale(o), xq, xs)]
                    });
                }
            }
            Matrix::Q4 { q, s } => {
                let q = &weights.bytes()[q.clone()];
                quantized(x, self.n_in, b, y, |o, xq, xs| {
                    let nb = self.n_in / BLOCK;
                    let ws = &all[s.start + o * nb..s.start + (o + 1) * nb];
                    [dot_q4(
                        &q[o * self.n_in / 2..(o + 1) * self.n_in / 2],
                        ws,
                        xq,
                        xs,
                    )]
                })
            }
        }
    }
}

/// The rows of `x` quantized once, then each tile of `N` outputs' weight rows (read from
/// memory once) against every row; `dot(o, …)` gives outputs `o..o + N`.
fn quantized<const N: usize>(
    x: &[f32],
    n_in: usize,
    b: &[f32],
    y: &mut Vec<f32>,
    dot: impl Fn(usize, &[i16], &[f32]) -> [f32; N],
) {
    let n_out = b.len();
    let mut xq = QuantizedRows::default();
    xq.quantize(x, n_in);
    let rows = xq.rows();
    y.clear();
    y.resize(rows * n_out, 0.0);
    for o in (0..n_out).step_by(N) {
        for t in 0..rows {
            let (xr, xs) = xq.row(t);
            let v = dot(o, xr, xs);
            for r in 0..N {
                y[t * n_out + o + r] = b[o + r] + v[r];
            }
        }
    }
}

/// `y[t] = x[t] · W + b` for rows `x` of width `n_in`, `W` stored `[n_in, n_out]` (HF Conv1D).
fn linear_in_out(x: &[f32], n_in: usize, w: &[f32], b: &[f32], y: &mut Vec<f32>) {
    let n_out = b.len();
    let rows = x.len() / n_in;
    y.clear();
    for _ in 0..rows {
        y.extend_from_slice(b);
    }
    for i in 0..n_in {
        let wr = &w[i * n_out..(i + 1) * n_out];
        for t in 0..rows {
            let xi = x[t * n_in + i];
            let yr = &mut y[t * n_out..(t + 1) * n_out];
            for (yo, wo) in yr.iter_mut().zip(wr) {
                *yo += xi * wo;
            }
        }
    }
}
