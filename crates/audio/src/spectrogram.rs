//! torchaudio's mel spectrogram, for XTTS voice cloning: coqui-tts v0.27.2
//! `TTS/tts/models/xtts.py::wav_to_mel_cloning` builds `torchaudio.transforms.MelSpectrogram(
//! n_fft=2048, hop_length=256, win_length=1024, power=2, normalized=False, sample_rate=22050,
//! f_min=0, f_max=8000, n_mels=80, norm="slaney")` (mel_scale keeps its default, "htk") and takes
//! `torch.log(torch.clamp(mel, min=1e-5))`.
//!
//! Ported from torchaudio 2.8.0: `torchaudio/transforms/_transforms.py` (`MelSpectrogram`,
//! `Spectrogram`, `MelScale`) and `torchaudio/functional/functional.py` (`spectrogram`,
//! `melscale_fbanks`, `_hz_to_mel`, `_mel_to_hz`, `_create_triangular_filterbank`), with
//! `torch.stft` (torch 2.8.0, `torch/functional.py::stft`: center=True, reflect padding of
//! n_fft/2; window `torch.hann_window(win_length)`, periodic, zero-padded to n_fft centred).
//!
//! The window and filter bank repeat torch's float32 arithmetic op by op (so they match torch's
//! to about an ulp). The FFT, |X|^power and the mel projection run in f64 on those float32
//! inputs: torch does them in float32, so ours is the exact value and torch's differs by its
//! own rounding (relative ~1e-7 of the frame's largest bins).

use std::sync::Arc;

use realfft::{RealFftPlanner, RealToComplex};

/// `norm` of `melscale_fbanks`: `None` or `"slaney"` (divide each triangle by its width).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MelNorm {
    Slaney,
}

/// `mel_scale` of `melscale_fbanks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MelScale {
    /// torchaudio's default: `2595 · log10(1 + f / 700)`.
    Htk,
    /// Slaney's Auditory Toolbox: linear below 1 kHz, logarithmic above.
    Slaney,
}

/// The parameters of `torchaudio.transforms.MelSpectrogram` that sawt supports; the others keep
/// torchaudio's defaults (`pad=0`, `window_fn=torch.hann_window`, `center=True`,
/// `pad_mode="reflect"`, onesided).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MelConfig {
    pub sample_rate: u32,
    pub n_fft: usize,
    pub win_length: usize,
    pub hop_length: usize,
    pub f_min: f64,
    /// `None`: `sample_rate // 2`, as torchaudio.
    pub f_max: Option<f64>,
    pub n_mels: usize,
    /// Exponent of the magnitude (2: power, 1: magnitude).
    pub power: f32,
    /// `normalized=True`: divide the STFT by the window's L2 norm (torchaudio's "window").
    pub normalized: bool,
    pub norm: Option<MelNorm>,
    pub mel_scale: MelScale,
}

impl MelConfig {
    /// What XTTS v2 (`gpt_use_perceiver_resampler`) passes in `get_gpt_cond_latents`.
    pub const XTTS_CLONING: MelConfig = MelConfig {
        sample_rate: 22_050,
        n_fft: 2048,
        win_length: 1024,
        hop_length: 256,
        f_min: 0.0,
        f_max: Some(8000.0),
        n_mels: 80,
        power: 2.0,
        normalized: false,
        norm: Some(MelNorm::Slaney),
        mel_scale: MelScale::Htk,
    };
}

/// Why a mel spectrogram cannot be computed. Messages are safe to show to a client.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum SpectrogramError {
    /// torch's reflect padding needs more samples than the pad (n_fft / 2).
    #[error("the audio has {len} samples; at least {min} are needed for the mel spectrogram")]
    TooShort { len: usize, min: usize },
    #[error("invalid mel spectrogram parameters: {0}")]
    Config(String),
}

/// A mel spectrogram, row-major `[n_mels][n_frames]` like torchaudio's `(n_mels, time)`.
#[derive(Debug, Clone, PartialEq)]
pub struct MelSpec {
    pub n_mels: usize,
    pub n_frames: usize,
    pub data: Vec<f32>,
}

impl MelSpec {
    pub fn row(&self, m: usize) -> &[f32] {
        &self.data[m * self.n_frames..(m + 1) * self.n_frames]
    }

    /// `torch.log(torch.clamp(mel, min=min))`.
    pub fn log_clamped(&self, min: f32) -> MelSpec {
        MelSpec {
            n_mels: self.n_mels,
            n_frames: self.n_frames,
            data: self
                .data
                .iter()
                .map(|&v| (f64::from(v.max(min))).ln() as f32)
                .collect(),
        }
    }
}

/// A mel filter: its first non-zero STFT bin and the weights from there on.
#[derive(Debug, Clone)]
struct Band {
    first: usize,
    weights: Vec<f32>,
}

/// `torchaudio.transforms.MelSpectrogram` for one configuration: window, filter bank and FFT
/// plan are built once.
#[derive(Clone)]
pub struct MelSpectrogram {
    config: MelConfig,
    /// `torch.hann_window(win_length)`, periodic.
    window: Vec<f32>,
    /// Offset of the window inside the n_fft frame: torch.stft's `(n_fft - win_length) / 2`.
    left: usize,
    /// Divides |X|: the window's L2 norm if `normalized`, else 1.
    window_norm: f64,
    bands: Vec<Band>,
    fft: Arc<dyn RealToComplex<f64>>,
}

impl std::fmt::Debug for MelSpectrogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MelSpectrogram")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl MelSpectrogram {
    pub fn new(config: MelConfig) -> Result<Self, SpectrogramError> {
        let bad = |m: String| Err(SpectrogramError::Config(m));
        let c = &config;
        if c.n_fft < 2 || c.n_fft > 1 << 16 {
            return bad(format!("n_fft {} (2 to 65536)", c.n_fft));
        }
        if c.win_length == 0 || c.win_length > c.n_fft {
            return bad(format!("win_length {} (1 to n_fft)", c.win_length));
        }
        if c.hop_length == 0 {
            return bad("hop_length 0".into());
        }
        if c.n_mels == 0 || c.sample_rate == 0 {
            return bad("n_mels and sample_rate must be positive".into());
        }
        if !(c.power.is_finite() && c.power > 0.0) {
            return bad(format!("power {}", c.power));
        }
        let f_max = c.f_max.unwrap_or(f64::from(c.sample_rate / 2));
        // `MelScale.__init__`: "Require f_min <= f_max".
        if !(c.f_min >= 0.0 && c.f_min <= f_max && f_max.is_finite()) {
            return bad(format!("f_min {} and f_max {f_max}", c.f_min));
        }
        let window = hann_window(c.win_length);
        let window_norm = if c.normalized {
            // `window.pow(2.0).sum().sqrt()` (float32 result).
            f64::from(window.iter().map(|&w| f64::from(w * w)).sum::<f64>().sqrt() as f32)
        } else {
            1.0
        };
        let n_freqs = c.n_fft / 2 + 1;
        let fb = melscale_fbanks(
            n_freqs,
            c.f_min,
            f_max,
            c.n_mels,
            c.sample_rate,
            c.norm,
            c.mel_scale,
        );
        let bands = (0..c.n_mels)
            .map(|m| {
                let col: Vec<f32> = (0..n_freqs).map(|k| fb[k * c.n_mels + m]).collect();
                let first = col.iter().position(|&w| w != 0.0).unwrap_or(0);
                let last = col.iter().rposition(|&w| w != 0.0).map_or(first, |l| l + 1);
                Band {
                    first,
                    weights: col[first..last].to_vec(),
                }
            })
            .collect();
        let fft = RealFftPlanner::<f64>::new().plan_fft_forward(c.n_fft);
        Ok(Self {
            left: (c.n_fft - c.win_length) / 2,
            config,
            window,
            window_norm,
            bands,
            fft,
        })
    }

    pub fn config(&self) -> &MelConfig {
        &self.config
    }

    /// The analysis window (`win_length` samples, before torch.stft zero-pads it to n_fft).
    pub fn window(&self) -> &[f32] {
        &self.window
    }

    /// Mel filter `m` as (first non-zero STFT bin, weights from there on): column `m` of
    /// `melscale_fbanks`, whose other entries are zero.
    pub fn filter(&self, m: usize) -> Option<(usize, &[f32])> {
        self.bands.get(m).map(|b| (b.first, b.weights.as_slice()))
    }

    fn pad(&self) -> usize {
        self.config.n_fft / 2
    }

    /// Frames torch.stft(center=True) yields: `1 + (len + 2·(n_fft/2) − n_fft) / hop`, i.e.
    /// `1 + len / hop` for even n_fft. Errors for inputs reflect padding cannot take.
    pub fn n_frames(&self, len: usize) -> Result<usize, SpectrogramError> {
        let pad = self.pad();
        // torch: "Padding size should be less than the corresponding input dimension".
        if len <= pad {
            return Err(SpectrogramError::TooShort { len, min: pad + 1 });
        }
        Ok(1 + (len + 2 * pad - self.config.n_fft) / self.config.hop_length)
    }

    /// `MelSpectrogram(...)(samples)` for one mono signal at `config.sample_rate`.
    pub fn compute(&self, samples: &[f32]) -> Result<MelSpec, SpectrogramError> {
        let n_frames = self.n_frames(samples.len())?;
        let c = &self.config;
        let pad = self.pad() as isize;
        let len = samples.len() as isize;
        // Reflect padding (`F.pad(mode="reflect")`, edge not repeated); valid as pad < len.
        let at = |i: isize| -> f32 {
            let j = if i < 0 {
                -i
            } else if i >= len {
                2 * (len - 1) - i
            } else {
                i
            };
            samples[j as usize]
        };
        let mut frame = self.fft.make_input_vec();
        let mut spec = self.fft.make_output_vec();
        let mut scratch = self.fft.make_scratch_vec();
        let mut mag = vec![0f64; c.n_fft / 2 + 1];
        let mut out = vec![0f32; c.n_mels * n_frames];
        let norm2 = self.window_norm * self.window_norm;
        for t in 0..n_frames {
            frame.iter_mut().for_each(|v| *v = 0.0);
            // Frame t starts at padded position t·hop, i.e. signal index t·hop − pad.
            let start = (t * c.hop_length + self.left) as isize - pad;
            for (k, &w) in self.window.iter().enumerate() {
                // torch multiplies frame and window in float32.
                frame[self.left + k] = f64::from(at(start + k as isize) * w);
            }
            // Lengths come from the plan itself, so process cannot fail.
            if self
                .fft
                .process_with_scratch(&mut frame, &mut spec, &mut scratch)
                .is_err()
            {
                return Err(SpectrogramError::Config("FFT length".into()));
            }
            for (m, z) in mag.iter_mut().zip(&spec) {
                let p = (z.re * z.re + z.im * z.im) / norm2;
                *m = if c.power == 2.0 {
                    p
                } else if c.power == 1.0 {
                    p.sqrt()
                } else {
                    p.sqrt().powf(f64::from(c.power))
                };
            }
            // `torch.matmul(specgram.transpose(-1, -2), fb)`.
            for (m, b) in self.bands.iter().enumerate() {
                let s: f64 = b
                    .weights
                    .iter()
                    .zip(&mag[b.first..])
                    .map(|(&w, &x)| f64::from(w) * x)
                    .sum();
                out[m * n_frames + t] = s as f32;
            }
        }
        Ok(MelSpec {
            n_mels: c.n_mels,
            n_frames,
            data: out,
        })
    }
}

/// `torch.hann_window(n)` (periodic, float32): torch's `hamming_window(alpha=0.5, beta=0.5)`
/// computes `arange(n + 1) * (2π / n)`, then `cos`, `* -0.5`, `+ 0.5`, in float32, and drops
/// the last point.
fn hann_window(n: usize) -> Vec<f32> {
    if n == 1 {
        return vec![1.0];
    }
    let step = (2.0 * std::f64::consts::PI / n as f64) as f32;
    (0..n)
        .map(|i| {
            let c = f64::from(i as f32 * step).cos() as f32;
            c * -0.5 + 0.5
        })
        .collect()
}

/// `torch.linspace(start, end, steps)` on CPU in float32: start and end cast to float32, then
/// `start + step·i` for the first half and `end − step·(steps − 1 − i)` for the second, each a
/// fused multiply-add (torch's vectorised kernel is built with FMA; measured: a plain multiply
/// then add differs by an ulp at some points, fused matches torch 2.8.0 everywhere).
fn linspace_f32(start: f64, end: f64, steps: usize) -> Vec<f32> {
    let (s, e) = (start as f32, end as f32);
    if steps == 1 {
        return vec![s];
    }
    let step = (e - s) / (steps - 1) as f32;
    let half = steps / 2;
    (0..steps)
        .map(|i| {
            if i < half {
                step.mul_add(i as f32, s)
            } else {
                (-step).mul_add((steps - 1 - i) as f32, e)
            }
        })
        .collect()
}

/// `_hz_to_mel(freq, mel_scale)`: Python floats.
fn hz_to_mel(freq: f64, scale: MelScale) -> f64 {
    match scale {
        MelScale::Htk => 2595.0 * (1.0 + freq / 700.0).log10(),
        MelScale::Slaney => {
            let f_sp = 200.0 / 3.0;
            let min_log_hz = 1000.0;
            let min_log_mel = min_log_hz / f_sp;
            let logstep = 6.4f64.ln() / 27.0;
            if freq >= min_log_hz {
                min_log_mel + (freq / min_log_hz).ln() / logstep
            } else {
                freq / f_sp
            }
        }
    }
}

/// `_mel_to_hz(mels, mel_scale)` on a float32 tensor: float32 ops, Python scalars cast to
/// float32; `pow`/`exp` correctly rounded (torch's are within an ulp of that).
fn mel_to_hz(mels: &[f32], scale: MelScale) -> Vec<f32> {
    match scale {
        // `700.0 * (10.0 ** (mels / 2595.0) - 1.0)`
        MelScale::Htk => mels
            .iter()
            .map(|&m| {
                let p = 10f64.powf(f64::from(m / 2595.0)) as f32;
                700.0 * (p - 1.0)
            })
            .collect(),
        MelScale::Slaney => {
            let f_sp = (200.0f64 / 3.0) as f32;
            let min_log_hz = 1000.0f32;
            let min_log_mel = (1000.0f64 / (200.0 / 3.0)) as f32;
            let logstep = (6.4f64.ln() / 27.0) as f32;
            mels.iter()
                .map(|&m| {
                    if m >= min_log_mel {
                        min_log_hz * (f64::from(logstep * (m - min_log_mel)).exp() as f32)
                    } else {
                        0.0 + f_sp * m
                    }
                })
                .collect()
        }
    }
}

/// `melscale_fbanks(n_freqs, f_min, f_max, n_mels, sample_rate, norm, mel_scale)` with
/// `_create_triangular_filterbank`: row-major `[n_freqs][n_mels]`, float32 as torch computes it.
fn melscale_fbanks(
    n_freqs: usize,
    f_min: f64,
    f_max: f64,
    n_mels: usize,
    sample_rate: u32,
    norm: Option<MelNorm>,
    scale: MelScale,
) -> Vec<f32> {
    // `torch.linspace(0, sample_rate // 2, n_freqs)`
    let all_freqs = linspace_f32(0.0, f64::from(sample_rate / 2), n_freqs);
    let m_pts = linspace_f32(hz_to_mel(f_min, scale), hz_to_mel(f_max, scale), n_mels + 2);
    let f_pts = mel_to_hz(&m_pts, scale);
    let f_diff: Vec<f32> = f_pts.windows(2).map(|p| p[1] - p[0]).collect();
    let enorm: Vec<f32> = (0..n_mels)
        .map(|m| 2.0 / (f_pts[m + 2] - f_pts[m]))
        .collect();
    let mut fb = vec![0f32; n_freqs * n_mels];
    for (k, &f) in all_freqs.iter().enumerate() {
        for m in 0..n_mels {
            // `slopes = f_pts - all_freqs`; down = -slopes[:, :-2] / f_diff[:-1];
            // up = slopes[:, 2:] / f_diff[1:]; `max(0, min(down, up))`.
            let down = -(f_pts[m] - f) / f_diff[m];
            let up = (f_pts[m + 2] - f) / f_diff[m + 1];
            let mut w = down.min(up).max(0.0);
            if norm == Some(MelNorm::Slaney) {
                w *= enorm[m];
            }
            fb[k * n_mels + m] = w;
        }
    }
    fb
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_follow_torch_stft() {
        let mel = MelSpectrogram::new(MelConfig::XTTS_CLONING).unwrap();
        assert_eq!(mel.n_frames(6656), Ok(27));
        assert_eq!(mel.n_frames(6655), Ok(26));
        assert_eq!(mel.n_frames(1025), Ok(5));
        assert_eq!(
            mel.n_frames(1024),
            Err(SpectrogramError::TooShort {
                len: 1024,
                min: 1025
            })
        );
        assert!(mel.compute(&[]).is_err());
    }

    #[test]
    fn bad_configs_are_errors() {
        let mut c = MelConfig::XTTS_CLONING;
        c.win_length = 4096;
        assert!(matches!(
            MelSpectrogram::new(c),
            Err(SpectrogramError::Config(_))
        ));
        let mut c = MelConfig::XTTS_CLONING;
        c.f_min = 9000.0;
        assert!(MelSpectrogram::new(c).is_err());
        let mut c = MelConfig::XTTS_CLONING;
        c.hop_length = 0;
        assert!(MelSpectrogram::new(c).is_err());
    }

    #[test]
    fn silence_is_clamped() {
        let mel = MelSpectrogram::new(MelConfig::XTTS_CLONING).unwrap();
        let log = mel.compute(&vec![0.0; 4000]).unwrap().log_clamped(1e-5);
        assert!(log.data.iter().all(|&v| v == (1e-5f32 as f64).ln() as f32));
        assert_eq!(log.row(79).len(), log.n_frames);
    }

    #[test]
    fn linspace_ends_exactly() {
        let v = linspace_f32(0.0, 11025.0, 1025);
        assert_eq!((v[0], v[1024]), (0.0, 11025.0));
        assert_eq!(v[512], 11025.0 * 512.0 / 1024.0);
    }
}
