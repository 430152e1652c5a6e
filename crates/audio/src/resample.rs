use rubato::{FftFixedIn, Resampler};

use crate::AudioError;

const CHUNK: usize = 1024;

/// Band-limited resampling (rubato's synchronous FFT resampler). The output is aligned with the
/// input (the resampler's delay is removed) and has round(n · to / from) samples.
pub fn resample(samples: &[f32], from: u32, to: u32) -> Result<Vec<f32>, AudioError> {
    if from == to {
        return Ok(samples.to_vec());
    }
    let err = |e: &dyn std::fmt::Display| AudioError::Resample {
        from,
        to,
        reason: e.to_string(),
    };
    let mut r =
        FftFixedIn::<f32>::new(from as usize, to as usize, CHUNK, 2, 1).map_err(|e| err(&e))?;
    let n = samples.len();
    let expected = ((n as u64 * u64::from(to) + u64::from(from) / 2) / u64::from(from)) as usize;
    let delay = r.output_delay();
    let mut out = Vec::with_capacity(expected + delay + 2 * r.output_frames_max());
    let mut pos = 0;
    while pos + r.input_frames_next() <= n {
        let need = r.input_frames_next();
        let y = r
            .process(&[&samples[pos..pos + need]], None)
            .map_err(|e| err(&e))?;
        out.extend_from_slice(&y[0]);
        pos += need;
    }
    if pos < n {
        let y = r
            .process_partial(Some(&[&samples[pos..]]), None)
            .map_err(|e| err(&e))?;
        out.extend_from_slice(&y[0]);
    }
    // Flush the resampler's delay line with silence.
    while out.len() < delay + expected {
        let y = r
            .process_partial::<&[f32]>(None, None)
            .map_err(|e| err(&e))?;
        if y[0].is_empty() {
            break;
        }
        out.extend_from_slice(&y[0]);
    }
    out.drain(..delay.min(out.len()));
    out.resize(expected, 0.0);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Frequency of the strongest DFT bin, by brute force over 1 Hz steps near `hint`.
    fn peak_hz(x: &[f32], rate: f32, lo: f32, hi: f32) -> f32 {
        let mut best = (0.0, 0.0f32);
        let mut f = lo;
        while f <= hi {
            let (mut re, mut im) = (0.0f64, 0.0f64);
            for (i, &v) in x.iter().enumerate() {
                let ph = 2.0 * std::f64::consts::PI * f as f64 * i as f64 / rate as f64;
                re += v as f64 * ph.cos();
                im += v as f64 * ph.sin();
            }
            let p = re * re + im * im;
            if p > best.0 {
                best = (p, f);
            }
            f += 1.0;
        }
        best.1
    }

    #[test]
    fn sine_keeps_frequency_and_length() {
        for &from in &[8000u32, 22050, 44100, 48000] {
            let x: Vec<f32> = (0..from)
                .map(|i| (2.0 * std::f32::consts::PI * 440.0 * i as f32 / from as f32).sin() * 0.5)
                .collect();
            let y = resample(&x, from, 16000).unwrap();
            assert_eq!(y.len(), 16000, "from {from}");
            let f = peak_hz(&y[2000..14000], 16000.0, 400.0, 480.0);
            assert_eq!(f, 440.0, "from {from}");
            // Amplitude survives (no gain change in the pass band).
            let rms = (y[2000..14000].iter().map(|v| v * v).sum::<f32>() / 12000.0).sqrt();
            assert!(
                (rms - 0.5 / 2f32.sqrt()).abs() < 0.01,
                "from {from}: rms {rms}"
            );
        }
    }

    #[test]
    fn aligned_with_input() {
        // A click at 0.5 s must stay at 0.5 s after resampling (delay removed).
        let mut x = vec![0.0f32; 44100];
        x[22050] = 1.0;
        let y = resample(&x, 44100, 16000).unwrap();
        let (imax, _) =
            y.iter().enumerate().fold(
                (0, 0.0f32),
                |b, (i, &v)| if v.abs() > b.1 { (i, v.abs()) } else { b },
            );
        assert!((imax as i64 - 8000).abs() <= 1, "click at {imax}");
    }

    #[test]
    fn short_and_identity() {
        assert_eq!(resample(&[0.25; 10], 16000, 16000).unwrap(), vec![0.25; 10]);
        assert_eq!(resample(&[0.1; 5], 48000, 16000).unwrap().len(), 2);
        assert!(resample(&[], 48000, 16000).unwrap().is_empty());
    }
}
