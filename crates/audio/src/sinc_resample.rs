//! torchaudio's band-limited sinc resampler, for XTTS voice cloning (coqui-tts v0.27.2 calls
//! `torchaudio.functional.resample(audio, sr, 22050)` in `load_audio` and `(audio, 22050, 16000)`
//! in `get_speaker_embedding`). Ported from torchaudio 2.8.0, `torchaudio/functional/functional.py`:
//! `resample`, `_get_sinc_resample_kernel` and `_apply_sinc_resample_kernel`, with the defaults
//! XTTS gets (`resampling_method="sinc_interp_hann"`, `lowpass_filter_width=6`, `rolloff=0.99`).
//!
//! torchaudio builds a dense kernel `[new][2·width + orig]` (rates reduced by their gcd) and runs
//! it as a strided conv1d. Here each of the `new` phases keeps only the taps inside the ±6
//! zero-crossing window: outside it torchaudio clamps `t` to ±6, where the Hann window is
//! `cos²(π/2)` in float32 (≈ 1.9e-15) times a sinc of ≈ 8e-9, so those taps are ≈ 1e-23 and are
//! dropped. That keeps memory linear in the reduced rates (about 12 · max(orig, new) taps) even
//! for co-prime rates such as 44101 → 22050, where the dense kernel would have 10⁹ entries.

use crate::AudioError;

/// `lowpass_filter_width`: zero crossings of the sinc kept on each side.
const LOWPASS_FILTER_WIDTH: f32 = 6.0;
/// `rolloff`: the cut-off as a fraction of the lower Nyquist frequency.
const ROLLOFF: f64 = 0.99;

/// One output phase: output `b·new + j` is `Σ taps[i] · x[b·orig + first + i − width]`.
#[derive(Debug, Clone)]
struct Phase {
    /// Column of the first kept tap in torchaudio's kernel row `j`.
    first: usize,
    taps: Vec<f32>,
}

/// A resampler for one pair of rates; build once, apply to any number of signals.
#[derive(Debug, Clone)]
pub struct SincResampler {
    from: u32,
    to: u32,
    /// Rates divided by their gcd.
    orig: usize,
    new: usize,
    /// torchaudio's `width`: zero padding on the left of the input, in input samples.
    width: usize,
    phases: Vec<Phase>,
}

/// Rounds an f64 evaluation of a float32 torch op back to float32. torch's vectorised CPU
/// `sin`/`cos` are within 1 ulp of the correctly rounded value; this is the correctly rounded one.
fn f32_of(x: f64) -> f32 {
    x as f32
}

impl SincResampler {
    /// `_get_sinc_resample_kernel(orig_freq, new_freq, gcd, dtype=float32)` (the waveform's dtype,
    /// which `resample` passes), with every float32 operation in torch's order so the taps match
    /// torch's to about 1 ulp.
    pub fn new(from: u32, to: u32) -> Result<Self, AudioError> {
        let err = |reason: &str| AudioError::Resample {
            from,
            to,
            reason: reason.into(),
        };
        if from == 0 || to == 0 {
            return Err(err("sample rates must be positive"));
        }
        let g = gcd(from, to);
        let orig = (from / g) as usize;
        let new = (to / g) as usize;
        if from == to {
            return Ok(Self {
                from,
                to,
                orig: 1,
                new: 1,
                width: 0,
                phases: Vec::new(),
            });
        }
        // Python floats: `base_freq = min(orig, new) * rolloff`, `width = ceil(6 * orig / base)`.
        let base = orig.min(new) as f64 * ROLLOFF;
        let width = (f64::from(LOWPASS_FILTER_WIDTH) * orig as f64 / base).ceil() as usize;
        let cols = 2 * width + orig;
        // float32 arithmetic from here on: torch casts Python scalars to the tensor's dtype.
        let orig_f = orig as f32;
        let new_f = new as f32;
        let base_f = base as f32;
        let pi = std::f64::consts::PI as f32;
        let scale = (base / orig as f64) as f32;
        // |t| < 6 ⇔ |(k − width)/orig − j/new| < 6/base: the kept columns, with one column
        // of margin each side for rounding (those evaluate to the clamped value, like torch).
        let reach = f64::from(LOWPASS_FILTER_WIDTH) * orig as f64 / base;
        let mut phases = Vec::with_capacity(new);
        for j in 0..new {
            let centre = width as f64 + orig as f64 * j as f64 / new as f64;
            let lo = ((centre - reach).floor() - 1.0).max(0.0) as usize;
            let hi = (((centre + reach).ceil() + 1.0) as usize).min(cols - 1);
            // `torch.arange(0, -new_freq, -1) / new_freq`
            let tj = -(j as f32) / new_f;
            let taps = (lo..=hi)
                .map(|k| {
                    // `idx = torch.arange(-width, width + orig_freq) / orig_freq`
                    let idx = (k as f32 - width as f32) / orig_f;
                    // `t = (tj + idx) * base_freq`, clamped to ±lowpass_filter_width
                    let t =
                        ((tj + idx) * base_f).clamp(-LOWPASS_FILTER_WIDTH, LOWPASS_FILTER_WIDTH);
                    // `window = torch.cos(t * math.pi / lowpass_filter_width / 2) ** 2`
                    let c = f32_of(f64::from(t * pi / LOWPASS_FILTER_WIDTH / 2.0).cos());
                    let window = c * c;
                    // `t *= math.pi`; `torch.where(t == 0, 1.0, t.sin() / t)`
                    let tp = t * pi;
                    let sinc = if tp == 0.0 {
                        1.0
                    } else {
                        f32_of(f64::from(tp).sin()) / tp
                    };
                    // `kernels *= window * scale`
                    sinc * (window * scale)
                })
                .collect();
            phases.push(Phase { first: lo, taps });
        }
        Ok(Self {
            from,
            to,
            orig,
            new,
            width,
            phases,
        })
    }

    /// torchaudio's kernel half-width (`width`) for these rates; 0 when the rates are equal.
    pub fn width(&self) -> usize {
        self.width
    }

    pub fn rates(&self) -> (u32, u32) {
        (self.from, self.to)
    }

    /// `ceil(new_freq * length / orig_freq)` on the gcd-reduced rates, as torchaudio truncates.
    pub fn output_len(&self, input_len: usize) -> usize {
        if self.from == self.to {
            return input_len;
        }
        // Exact in integers; torchaudio's f64 division then ceil agrees for any real length.
        ((self.new as u128 * input_len as u128).div_ceil(self.orig as u128)) as usize
    }

    /// `_apply_sinc_resample_kernel`: zero padding of `width` on the left and `width + orig` on
    /// the right, conv1d with stride `orig`, phases interleaved, truncated to
    /// [`Self::output_len`]. Sums are accumulated in f64 (torch accumulates in float32, so the
    /// two differ by torch's own rounding, ~1e-7). Empty input is refused, as torch 2.8 does
    /// (it cannot reshape an empty batch).
    pub fn process(&self, input: &[f32]) -> Result<Vec<f32>, AudioError> {
        if input.is_empty() {
            return Err(AudioError::Empty);
        }
        // `if orig_freq == new_freq: return waveform`
        if self.from == self.to {
            return Ok(input.to_vec());
        }
        let n_out = self.output_len(input.len());
        let len = input.len() as isize;
        let mut out = Vec::with_capacity(n_out);
        for m in 0..n_out {
            let (b, j) = (m / self.new, m % self.new);
            let phase = &self.phases[j];
            // Input index of the first kept tap (may be negative: left zero padding).
            let start = (b * self.orig + phase.first) as isize - self.width as isize;
            let end = start + phase.taps.len() as isize;
            let acc: f64 = if start >= 0 && end <= len {
                phase
                    .taps
                    .iter()
                    .zip(&input[start as usize..end as usize])
                    .map(|(&k, &x)| f64::from(k) * f64::from(x))
                    .sum()
            } else {
                let lo = start.max(0);
                let hi = end.min(len);
                (lo..hi.max(lo))
                    .map(|i| {
                        f64::from(phase.taps[(i - start) as usize]) * f64::from(input[i as usize])
                    })
                    .sum()
            };
            out.push(acc as f32);
        }
        Ok(out)
    }
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// `torchaudio.functional.resample(waveform, from, to)` (torchaudio 2.8.0, defaults) for one
/// mono signal. Build a [`SincResampler`] instead when resampling several signals at one rate.
pub fn sinc_resample(input: &[f32], from: u32, to: u32) -> Result<Vec<f32>, AudioError> {
    SincResampler::new(from, to)?.process(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_match_torchaudio() {
        // `width` printed by torchaudio 2.8.0's `_get_sinc_resample_kernel` for these pairs.
        for (from, to, width) in [(48000, 22050, 14), (22050, 16000, 9), (8000, 22050, 7)] {
            assert_eq!(SincResampler::new(from, to).unwrap().width(), width);
        }
    }

    #[test]
    fn output_length_is_ceil() {
        let r = SincResampler::new(44100, 22050).unwrap();
        assert_eq!(r.output_len(5), 3);
        assert_eq!(r.output_len(4), 2);
        assert_eq!(sinc_resample(&[0.5; 5], 44100, 22050).unwrap().len(), 3);
    }

    #[test]
    fn bad_rates_and_empty_input_are_errors() {
        assert!(matches!(
            SincResampler::new(0, 22050),
            Err(AudioError::Resample { from: 0, .. })
        ));
        assert_eq!(sinc_resample(&[], 48000, 22050), Err(AudioError::Empty));
        assert_eq!(sinc_resample(&[], 22050, 22050), Err(AudioError::Empty));
    }

    #[test]
    fn coprime_rates_stay_small() {
        // gcd 1: torchaudio's dense kernel would be 22050 × 44127 floats; the phases keep ~28 each.
        let r = SincResampler::new(44101, 22050).unwrap();
        let taps: usize = r.phases.iter().map(|p| p.taps.len()).sum();
        assert!(taps < 22050 * 32, "{taps}");
        let y = r.process(&vec![0.25; 4410]).unwrap();
        assert_eq!(y.len(), 2205);
        // DC passes with gain ≈ 1 away from the edges.
        assert!((y[1000] - 0.25).abs() < 1e-3, "{}", y[1000]);
    }
}
