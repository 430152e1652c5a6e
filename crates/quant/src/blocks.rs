//! Block-quantized dot products for the GPT's linear layers.
//!
//! The blocks are GGML's idea (Q8_0 / Q4_0: 32 values and one scale, the activations
//! quantized to 8 bits per block so the inner loop is an integer dot product) in a layout of
//! our own, written by scripts/xtts_quantize.py: each weight matrix is stored transposed,
//! one row per output, with an f32 scale per block of 32 inputs.
//!
//! - `q8`: `i8` in −127..=127, value = q × scale (scale = max|w| / 127).
//! - `q4`: two 4-bit values a byte, `u` in 0..=15, value = (u − 8) × scale; byte `j` of a
//!   block holds element `j` (low nibble) and element `j + 16` (high nibble).
//! - Activations: −127..=127 per block of 32 (held as `i16`), scale = max|x| / 127, rounded
//!   half away from zero.
//!
//! The integer sums are exact, and the float work is done in the same order on every target
//! (four lanes, as the simd128 and SSE2 kernels hold them), so native and wasm builds give the
//! same bits.

pub const BLOCK: usize = 32;

/// `rows` activation rows quantized per block of 32.
#[derive(Default)]
pub struct QuantizedRows {
    /// Values in −127..=127, widened to `i16` for the multiply-add kernels.
    pub q: Vec<i16>,
    pub scales: Vec<f32>,
    pub n_in: usize,
}

impl QuantizedRows {
    /// Quantizes the rows of `x` (`[rows][n_in]`, `n_in` a multiple of 32).
    pub fn quantize(&mut self, x: &[f32], n_in: usize) {
        debug_assert!(n_in.is_multiple_of(BLOCK) && x.len().is_multiple_of(n_in));
        self.n_in = n_in;
        self.q.clear();
        self.scales.clear();
        for block in x.chunks_exact(BLOCK) {
            let amax = block.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            let d = amax / 127.0;
            let id = if d > 0.0 { 1.0 / d } else { 0.0 };
            self.scales.push(d);
            self.q.extend(block.iter().map(|v| (v * id).round() as i16));
        }
    }

    pub fn rows(&self) -> usize {
        self.q.len().checked_div(self.n_in).unwrap_or(0)
    }

    pub fn row(&self, t: usize) -> (&[i16], &[f32]) {
        let nb = self.n_in / BLOCK;
        (
            &self.q[t * self.n_in..(t + 1) * self.n_in],
            &self.scales[t * nb..(t + 1) * nb],
        )
    }
}

/// A block's integer sum in the four lanes the SIMD kernels hold it in: a pairwise
/// multiply-add of eight `i16` pairs (`i32x4.dot_i16x8_s`, SSE2 `pmaddwd`) puts the elements
/// with `(e mod 8) / 2 == l` in lane `l`. Summed by `e mod 8` first (eight independent sums),
/// exact in integers either way.
#[inline(always)]
fn lanes_of(s8: [i32; 8]) -> [i32; 4] {
    [s8[0] + s8[1], s8[2] + s8[3], s8[4] + s8[5], s8[6] + s8[7]]
}

#[inline(always)]
fn reduce(acc: [f32; 4]) -> f32 {
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

#[inline(always)]
fn accumulate(acc: &mut [f32; 4], s: [i32; 4], d: f32) {
    for l in 0..4 {
        acc[l] += s[l] as f32 * d;
    }
}

/// One output: `Σ_b scale_w[b] · scale_x[b] · Σ_{e in b} w[e] · x[e]` over `q8` weights
/// (portable; the SIMD kernels compute the same bits).
pub fn dot_q8_portable(w: &[i8], ws: &[f32], x: &[i16], xs: &[f32]) -> f32 {
    let nb = xs.len();
    let (w, ws, x) = (&w[..nb * BLOCK], &ws[..nb], &x[..nb * BLOCK]);
    let mut acc = [0.0f32; 4];
    for b in 0..nb {
        let mut s8 = [0i32; 8];
        let (wb, xb) = (&w[b * BLOCK..][..BLOCK], &x[b * BLOCK..][..BLOCK]);
        for c in 0..BLOCK / 8 {
            for k in 0..8 {
                s8[k] += i32::from(wb[c * 8 + k]) * i32::from(xb[c * 8 + k]);
            }
        }
        accumulate(&mut acc, lanes_of(s8), ws[b] * xs[b]);
    }
    reduce(acc)
}

/// As [`dot_q8_portable`] over `q4` weights (16 bytes a block).
pub fn dot_q4_portable(w: &[u8], ws: &[f32], x: &[i16], xs: &[f32]) -> f32 {
    let nb = xs.len();
    let (w, ws, x) = (&w[..nb * BLOCK / 2], &ws[..nb], &x[..nb * BLOCK]);
    let mut acc = [0.0f32; 4];
    for b in 0..nb {
        let mut s8 = [0i32; 8];
        let (wb, xb) = (&w[b * BLOCK / 2..][..BLOCK / 2], &x[b * BLOCK..][..BLOCK]);
        // Element j (low nibble) and j + 16 (high) share j mod 8.
        for c in 0..2 {
            for (k, s) in s8.iter_mut().enumerate() {
                let j = c * 8 + k;
                let lo = i32::from(wb[j] & 0x0F) - 8;
                let hi = i32::from(wb[j] >> 4) - 8;
                *s += lo * i32::from(xb[j]) + hi * i32::from(xb[j + 16]);
            }
        }
        accumulate(&mut acc, lanes_of(s8), ws[b] * xs[b]);
    }
    reduce(acc)
}

/// Four outputs of [`dot_q8_portable`] over one activation row.
pub fn dot4_q8_portable(w: [&[i8]; 4], ws: [&[f32]; 4], x: &[i16], xs: &[f32]) -> [f32; 4] {
    [0, 1, 2, 3].map(|r| dot_q8_portable(w[r], ws[r], x, xs))
}

#[cfg(not(any(
    all(target_arch = "wasm32", target_feature = "simd128"),
    target_arch = "x86_64"
)))]
pub use {dot4_q8_portable as dot4_q8, dot_q4_portable as dot_q4, dot_q8_portable as dot_q8};

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub use wasm::{dot4_q8, dot_q4, dot_q8};

#[cfg(target_arch = "x86_64")]
pub use x86::{dot4_q8, dot_q4, dot_q8};

/// simd128: weights widened to `i16`, `i32x4.dot_i16x8_s` against the widened activations.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm {
    use core::arch::wasm32::*;

    use super::{reduce, BLOCK};

    #[inline(always)]
    fn lanes(v: v128) -> [f32; 4] {
        [
            f32x4_extract_lane::<0>(v),
            f32x4_extract_lane::<1>(v),
            f32x4_extract_lane::<2>(v),
            f32x4_extract_lane::<3>(v),
        ]
    }

    /// `Σ w·x` of 16 `i8` weights and 16 `i16` activations (at `x`) as four `i32` lanes.
    ///
    /// SAFETY: `x` must point at 16 readable `i16`.
    #[inline(always)]
    unsafe fn dot16(w: v128, x: *const i16) -> v128 {
        let (x0, x1) = unsafe {
            (
                v128_load(x as *const v128),
                v128_load(x.add(8) as *const v128),
            )
        };
        i32x4_add(
            i32x4_dot_i16x8(i16x8_extend_low_i8x16(w), x0),
            i32x4_dot_i16x8(i16x8_extend_high_i8x16(w), x1),
        )
    }

    pub fn dot_q8(w: &[i8], ws: &[f32], x: &[i16], xs: &[f32]) -> f32 {
        let nb = xs.len();
        let (w, ws, x) = (&w[..nb * BLOCK], &ws[..nb], &x[..nb * BLOCK]);
        let mut acc = f32x4_splat(0.0);
        for b in 0..nb {
            // SAFETY: the slices above hold `nb` whole blocks; v128 loads may be unaligned.
            let s = unsafe {
                let wp = w.as_ptr().add(b * BLOCK) as *const v128;
                let xp = x.as_ptr().add(b * BLOCK);
                i32x4_add(
                    dot16(v128_load(wp), xp),
                    dot16(v128_load(wp.add(1)), xp.add(16)),
                )
            };
            let d = f32x4_splat(ws[b] * xs[b]);
            acc = f32x4_add(acc, f32x4_mul(f32x4_convert_i32x4(s), d));
        }
        reduce(lanes(acc))
    }

    /// Four outputs one at a time: a four-row tile (as on x86) measured slower under
    /// wasmtime (81.6 vs 54 ms a GPT step), its registers spilled.
    pub fn dot4_q8(w: [&[i8]; 4], ws: [&[f32]; 4], x: &[i16], xs: &[f32]) -> [f32; 4] {
        [0, 1, 2, 3].map(|r| dot_q8(w[r], ws[r], x, xs))
    }

    pub fn dot_q4(w: &[u8], ws: &[f32], x: &[i16], xs: &[f32]) -> f32 {
        let nb = xs.len();
        let (w, ws, x) = (&w[..nb * BLOCK / 2], &ws[..nb], &x[..nb * BLOCK]);
        let mut acc = f32x4_splat(0.0);
        let mask = u8x16_splat(0x0F);
        let eight = i8x16_splat(8);
        for b in 0..nb {
            // SAFETY: as in dot_q8 (16 weight bytes and 32 activations a block).
            let s = unsafe {
                let packed = v128_load(w.as_ptr().add(b * BLOCK / 2) as *const v128);
                let lo = i8x16_sub(v128_and(packed, mask), eight);
                let hi = i8x16_sub(u8x16_shr(packed, 4), eight);
                let xp = x.as_ptr().add(b * BLOCK);
                i32x4_add(dot16(lo, xp), dot16(hi, xp.add(16)))
            };
            let d = f32x4_splat(ws[b] * xs[b]);
            acc = f32x4_add(acc, f32x4_mul(f32x4_convert_i32x4(s), d));
        }
        reduce(lanes(acc))
    }
}

/// SSE2 (every x86-64): the same lanes with `pmaddwd`, so native runs give wasm's bits.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use core::arch::x86_64::*;

    use super::{reduce, BLOCK};

    /// `Σ w·x` of 16 `i8` weights and 16 `i16` activations (at `x`) as four `i32` lanes.
    ///
    /// SAFETY: `x` must point at 16 readable `i16`.
    #[inline(always)]
    unsafe fn dot16(w: __m128i, x: *const i16) -> __m128i {
        unsafe {
            let x0 = _mm_loadu_si128(x as *const __m128i);
            let x1 = _mm_loadu_si128(x.add(8) as *const __m128i);
            // Sign-extend the bytes: each byte in an i16's high half, shifted down.
            let lo = _mm_srai_epi16(_mm_unpacklo_epi8(w, w), 8);
            let hi = _mm_srai_epi16(_mm_unpackhi_epi8(w, w), 8);
            _mm_add_epi32(_mm_madd_epi16(lo, x0), _mm_madd_epi16(hi, x1))
        }
    }

    #[inline(always)]
    fn step(acc: __m128, s: __m128i, d: f32) -> __m128 {
        unsafe { _mm_add_ps(acc, _mm_mul_ps(_mm_cvtepi32_ps(s), _mm_set1_ps(d))) }
    }

    fn finish(acc: __m128) -> f32 {
        let mut out = [0.0f32; 4];
        // SAFETY: `out` holds four f32.
        unsafe { _mm_storeu_ps(out.as_mut_ptr(), acc) };
        reduce(out)
    }

    pub fn dot_q8(w: &[i8], ws: &[f32], x: &[i16], xs: &[f32]) -> f32 {
        let nb = xs.len();
        let (w, ws, x) = (&w[..nb * BLOCK], &ws[..nb], &x[..nb * BLOCK]);
        let mut acc = unsafe { _mm_setzero_ps() };
        for b in 0..nb {
            // SAFETY: the slices above hold `nb` whole blocks; the loads are unaligned ones.
            let s = unsafe {
                let wp = w.as_ptr().add(b * BLOCK) as *const __m128i;
                let xp = x.as_ptr().add(b * BLOCK);
                _mm_add_epi32(
                    dot16(_mm_loadu_si128(wp), xp),
                    dot16(_mm_loadu_si128(wp.add(1)), xp.add(16)),
                )
            };
            acc = step(acc, s, ws[b] * xs[b]);
        }
        finish(acc)
    }

    /// Four output rows against one activation row: each activation block loaded once.
    pub fn dot4_q8(w: [&[i8]; 4], ws: [&[f32]; 4], x: &[i16], xs: &[f32]) -> [f32; 4] {
        let nb = xs.len();
        let x = &x[..nb * BLOCK];
        let (w, ws) = (w.map(|r| &r[..nb * BLOCK]), ws.map(|r| &r[..nb]));
        let mut acc = [unsafe { _mm_setzero_ps() }; 4];
        for b in 0..nb {
            let xp = unsafe { x.as_ptr().add(b * BLOCK) };
            for r in 0..4 {
                // SAFETY: every slice above holds `nb` whole blocks; unaligned loads.
                let s = unsafe {
                    let wp = w[r].as_ptr().add(b * BLOCK) as *const __m128i;
                    _mm_add_epi32(
                        dot16(_mm_loadu_si128(wp), xp),
                        dot16(_mm_loadu_si128(wp.add(1)), xp.add(16)),
                    )
                };
                acc[r] = step(acc[r], s, ws[r][b] * xs[b]);
            }
        }
        acc.map(finish)
    }

    pub fn dot_q4(w: &[u8], ws: &[f32], x: &[i16], xs: &[f32]) -> f32 {
        let nb = xs.len();
        let (w, ws, x) = (&w[..nb * BLOCK / 2], &ws[..nb], &x[..nb * BLOCK]);
        let mut acc = unsafe { _mm_setzero_ps() };
        for b in 0..nb {
            // SAFETY: as in dot_q8 (16 weight bytes and 32 activations a block).
            let s = unsafe {
                let mask = _mm_set1_epi8(0x0F);
                let eight = _mm_set1_epi8(8);
                let packed = _mm_loadu_si128(w.as_ptr().add(b * BLOCK / 2) as *const __m128i);
                let lo = _mm_sub_epi8(_mm_and_si128(packed, mask), eight);
                let hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(packed, 4), mask), eight);
                let xp = x.as_ptr().add(b * BLOCK);
                _mm_add_epi32(dot16(lo, xp), dot16(hi, xp.add(16)))
            };
            acc = step(acc, s, ws[b] * xs[b]);
        }
        finish(acc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator for test data.
    fn data(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (s >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn activations_round_to_the_block_scale() {
        let mut x = data(64, 1);
        x[5] = 0.0;
        x[40] = -2.0; // the second block's largest magnitude
        let mut q = QuantizedRows::default();
        q.quantize(&x, 64);
        assert_eq!(q.rows(), 1);
        assert_eq!(q.q[40], -127);
        assert_eq!(q.q[5], 0);
        assert!((q.scales[1] - 2.0 / 127.0).abs() < 1e-9);
        for (i, v) in x.iter().enumerate() {
            let back = f32::from(q.q[i]) * q.scales[i / 32];
            assert!(
                (back - v).abs() <= q.scales[i / 32] / 2.0 + 1e-7,
                "index {i}"
            );
        }
        let zero = vec![0.0; 32];
        q.quantize(&zero, 32);
        assert_eq!((q.q[0], q.scales[0]), (0, 0.0));
    }

    /// The kernels against the dot product of the dequantized values in f64.
    #[test]
    fn dot_products_equal_the_dequantized_dot() {
        let n = 256;
        let nb = n / BLOCK;
        let x = data(n, 7);
        let mut xq = QuantizedRows::default();
        xq.quantize(&x, n);
        let (xi, xs) = xq.row(0);
        let raw = data(n, 9);
        let w8: Vec<i8> = raw.iter().map(|v| (v * 127.0).round() as i8).collect();
        let w4: Vec<u8> = (0..n / 2)
            .map(|j| {
                let (b, k) = (j / 16, j % 16);
                let lo = (raw[b * 32 + k] * 7.0).round() as i32 + 8;
                let hi = (raw[b * 32 + k + 16] * 7.0).round() as i32 + 8;
                (lo | (hi << 4)) as u8
            })
            .collect();
        let ws: Vec<f32> = (0..nb).map(|b| 0.01 * (b + 1) as f32).collect();
        let x_at = |e: usize| f64::from(xi[e]) * f64::from(xs[e / 32]);
        let want8: f64 = (0..n)
            .map(|e| f64::from(w8[e]) * f64::from(ws[e / 32]) * x_at(e))
            .sum();
        let w4_at = |e: usize| {
            let (b, k) = (e / 32, e % 32);
            let byte = w4[b * 16 + k % 16];
            let u = if k < 16 { byte & 0x0F } else { byte >> 4 };
            (f64::from(u) - 8.0) * f64::from(ws[b])
        };
        let want4: f64 = (0..n).map(|e| w4_at(e) * x_at(e)).sum();
        let got8 = f64::from(dot_q8(&w8, &ws, xi, xs));
        let got4 = f64::from(dot_q4(&w4, &ws, xi, xs));
        assert!(
            (got8 - want8).abs() < 1e-5 * want8.abs().max(1.0),
            "q8 {got8} vs {want8}"
        );
        assert!(
            (got4 - want4).abs() < 1e-5 * want4.abs().max(1.0),
            "q4 {got4} vs {want4}"
        );
    }

    /// The target's kernels (SSE2 natively, simd128 in wasm) give the portable kernels' bits,
    /// the extremes of both ranges included.
    #[test]
    fn simd_kernels_equal_the_portable_ones_bit_for_bit() {
        for (n, seed) in [(32, 1), (64, 2), (1024, 3), (4096, 4)] {
            let mut x = data(n, seed);
            x[0] = 1.0; // activations at ±127
            x[1] = -1.0;
            let mut xq = QuantizedRows::default();
            xq.quantize(&x, n);
            let (xi, xs) = xq.row(0);
            let raw = data(n, seed + 100);
            let mut w8: Vec<i8> = raw.iter().map(|v| (v * 127.0).round() as i8).collect();
            w8[0] = 127;
            w8[1] = -127;
            let w4: Vec<u8> = raw[..n / 2]
                .iter()
                .enumerate()
                .map(|(j, v)| {
                    if j == 0 {
                        0xF0
                    } else {
                        ((v + 1.0) * 127.9) as u8
                    }
                })
                .collect();
            let ws = data(n / BLOCK, seed + 200);
            assert_eq!(
                dot_q8(&w8, &ws, xi, xs).to_bits(),
                dot_q8_portable(&w8, &ws, xi, xs).to_bits(),
                "q8, {n} inputs"
            );
            let rows: [Vec<i8>; 4] = [0u32, 1, 2, 3].map(|r| {
                let mut v: Vec<i8> = data(n, seed + 300 + r)
                    .iter()
                    .map(|v| (v * 127.0) as i8)
                    .collect();
                v[r as usize] = -127;
                v
            });
            let scales: [Vec<f32>; 4] = [0u32, 1, 2, 3].map(|r| data(n / BLOCK, seed + 400 + r));
            let (rw, rs) = (
                [0, 1, 2, 3].map(|r| &rows[r][..]),
                [0, 1, 2, 3].map(|r| &scales[r][..]),
            );
            assert_eq!(
                dot4_q8(rw, rs, xi, xs).map(f32::to_bits),
                dot4_q8_portable(rw, rs, xi, xs).map(f32::to_bits),
                "q8 four rows, {n} inputs"
            );
            assert_eq!(
                dot_q4(&w4, &ws, xi, xs).to_bits(),
                dot_q4_portable(&w4, &ws, xi, xs).to_bits(),
                "q4, {n} inputs"
            );
        }
    }
}
