//! Whisper's log-mel spectrogram, ported from `whisper/audio.py::log_mel_spectrogram`
//! (openai/whisper@v20250625): STFT with n_fft 400, hop 160, periodic Hann window, centre
//! reflect padding (torch.stft defaults), last frame dropped, |X|², 80 mel filters
//! (whisper's own `mel_filters.npz`, embedded), log10 clamped at 1e-10, floor at max − 8,
//! then (x + 4) / 4.

use std::sync::Arc;

use realfft::{RealFftPlanner, RealToComplex};

// The front-end's model constants, defined here once; sawt-whisper re-exports them.

/// `SAMPLE_RATE`: the only rate the mel (and so the model) accepts; uploads are resampled to it.
/// <https://github.com/openai/whisper/blob/v20250625/whisper/audio.py#L13>
pub const SAMPLE_RATE: u32 = 16_000;
/// `N_FFT`: STFT window, 25 ms at 16 kHz.
/// <https://github.com/openai/whisper/blob/v20250625/whisper/audio.py#L14>
pub const N_FFT: usize = 400;
/// `HOP_LENGTH`: STFT hop, 10 ms at 16 kHz (one mel frame).
/// <https://github.com/openai/whisper/blob/v20250625/whisper/audio.py#L15>
pub const HOP_LENGTH: usize = 160;
/// `n_mels`, the default of `log_mel_spectrogram`. Deviation: upstream also has 128 bands
/// (large-v3); sawt embeds the 80-band filters only, and sawt-whisper refuses other models.
/// <https://github.com/openai/whisper/blob/v20250625/whisper/audio.py#L112>
pub const N_MELS: usize = 80;
const N_BINS: usize = N_FFT / 2 + 1;

/// `librosa.filters.mel(sr=16000, n_fft=400, n_mels=80)` as float32, row-major [80][201],
/// extracted from openai-whisper's assets/mel_filters.npz ("mel_80").
static MEL_FILTERS: &[u8; N_MELS * N_BINS * 4] = include_bytes!("../assets/mel_filters_80.f32");

/// A log-mel spectrogram, row-major `[n_mels][n_frames]` like the reference tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct Mel {
    pub n_frames: usize,
    pub data: Vec<f32>,
}

impl Mel {
    pub fn row(&self, m: usize) -> &[f32] {
        &self.data[m * self.n_frames..(m + 1) * self.n_frames]
    }

    /// Frames `[start, start + len)`, zero-padded (in log-mel units: the reference pads the
    /// mel tensor itself with zeros) to exactly `len` frames: `pad_or_trim(mel[:, s:s+n], len)`.
    pub fn window(&self, start: usize, take: usize, len: usize) -> Vec<f32> {
        let mut out = vec![0.0f32; N_MELS * len];
        let end = (start + take.min(len)).min(self.n_frames);
        if start < end {
            for m in 0..N_MELS {
                let row = self.row(m);
                out[m * len..m * len + (end - start)].copy_from_slice(&row[start..end]);
            }
        }
        out
    }
}

struct Filters {
    /// Per mel band: first non-zero bin and the non-zero weights.
    bands: Vec<(usize, Vec<f32>)>,
}

fn filters() -> Filters {
    let mut bands = Vec::with_capacity(N_MELS);
    for m in 0..N_MELS {
        let row: Vec<f32> = (0..N_BINS)
            .map(|k| {
                let o = (m * N_BINS + k) * 4;
                f32::from_le_bytes([
                    MEL_FILTERS[o],
                    MEL_FILTERS[o + 1],
                    MEL_FILTERS[o + 2],
                    MEL_FILTERS[o + 3],
                ])
            })
            .collect();
        let first = row.iter().position(|&w| w != 0.0).unwrap_or(0);
        let last = row.iter().rposition(|&w| w != 0.0).map_or(first, |l| l + 1);
        bands.push((first, row[first..last.max(first)].to_vec()));
    }
    Filters { bands }
}

fn hann_periodic() -> Vec<f32> {
    (0..N_FFT)
        .map(|n| {
            let x = 2.0 * std::f64::consts::PI * n as f64 / N_FFT as f64;
            (0.5 - 0.5 * x.cos()) as f32
        })
        .collect()
}

/// Reflect-pads like `torch.nn.functional.pad(mode="reflect")`: the edge sample is not repeated.
/// Inputs shorter than the pad fall back to repeated reflection (torch would refuse them).
fn reflect(x: &[f32], i: isize) -> f32 {
    let n = x.len() as isize;
    if n == 1 {
        return x[0];
    }
    let period = 2 * (n - 1);
    let mut j = i.rem_euclid(period);
    if j >= n {
        j = period - j;
    }
    x[j as usize]
}

/// `log_mel_spectrogram(audio, n_mels=80, padding=padding)` for 16 kHz mono audio.
pub fn log_mel_spectrogram(samples: &[f32], padding: usize) -> Mel {
    let total = samples.len() + padding;
    let at = |i: usize| if i < samples.len() { samples[i] } else { 0.0 };
    // torch.stft(center=True) yields 1 + total/hop frames; whisper drops the last one.
    let n_frames = total / HOP_LENGTH;
    if total == 0 || n_frames == 0 {
        return Mel {
            n_frames: 0,
            data: Vec::new(),
        };
    }
    let padded_len = total;
    let window = hann_periodic();
    let fb = filters();
    let mut planner = RealFftPlanner::<f32>::new();
    let fft: Arc<dyn RealToComplex<f32>> = planner.plan_fft_forward(N_FFT);
    let mut frame = fft.make_input_vec();
    let mut spec = fft.make_output_vec();
    let mut scratch = fft.make_scratch_vec();
    let mut power = vec![0f32; N_BINS];
    let mut mel = vec![0f32; N_MELS * n_frames];
    let half = (N_FFT / 2) as isize;
    // The signal reflect-padded is `samples ++ zeros(padding)`; materialise only the edges.
    let signal: Vec<f32> = if padded_len <= 4 * N_FFT {
        (0..padded_len).map(at).collect()
    } else {
        Vec::new()
    };
    for t in 0..n_frames {
        let start = (t * HOP_LENGTH) as isize - half;
        for (k, slot) in frame.iter_mut().enumerate() {
            let i = start + k as isize;
            let v = if i >= 0 && (i as usize) < padded_len {
                at(i as usize)
            } else if !signal.is_empty() {
                reflect(&signal, i)
            } else if i < 0 {
                at((-i) as usize)
            } else {
                at((2 * (padded_len as isize - 1) - i) as usize)
            };
            *slot = v * window[k];
        }
        // Lengths are fixed by construction, so process cannot fail.
        if fft
            .process_with_scratch(&mut frame, &mut spec, &mut scratch)
            .is_err()
        {
            continue;
        }
        for (p, c) in power.iter_mut().zip(&spec) {
            *p = c.re * c.re + c.im * c.im;
        }
        for (m, (first, w)) in fb.bands.iter().enumerate() {
            let s: f32 = w.iter().zip(&power[*first..]).map(|(a, b)| a * b).sum();
            mel[m * n_frames + t] = s;
        }
    }
    let mut max = f32::NEG_INFINITY;
    for v in mel.iter_mut() {
        *v = v.max(1e-10).log10();
        max = max.max(*v);
    }
    let floor = max - 8.0;
    for v in mel.iter_mut() {
        *v = (v.max(floor) + 4.0) / 4.0;
    }
    Mel {
        n_frames,
        data: mel,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_follow_torch_stft() {
        assert_eq!(log_mel_spectrogram(&vec![0.1; 480_000], 0).n_frames, 3000);
        assert_eq!(
            log_mel_spectrogram(&vec![0.1; 16_000], 480_000).n_frames,
            3100
        );
        assert_eq!(log_mel_spectrogram(&[0.1; 100], 0).n_frames, 0);
    }

    #[test]
    fn silence_is_floor() {
        // All-zero input: log10(1e-10) = -10 everywhere → (-10 + 4) / 4.
        let m = log_mel_spectrogram(&vec![0.0; 16_000], 0);
        assert!(m.data.iter().all(|&v| (v - (-1.5)).abs() < 1e-6));
    }

    #[test]
    fn reflect_matches_numpy() {
        let x = [1.0, 2.0, 3.0, 4.0];
        let got: Vec<f32> = (-3..7).map(|i| reflect(&x, i)).collect();
        assert_eq!(got, vec![4.0, 3.0, 2.0, 1.0, 2.0, 3.0, 4.0, 3.0, 2.0, 1.0]);
    }
}
