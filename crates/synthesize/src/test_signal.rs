//! The signal the lossy encoders' tests encode and decode.

/// 0.3 × 440 Hz + 0.2 × a chirp 100 Hz → 4 kHz over 3 s: tonal and broadband, and no
/// lag looks like another (a pure sine would match itself every period).
pub(crate) fn tone_and_chirp(n: usize, rate: u32) -> Vec<i16> {
    let tau = 2.0 * std::f64::consts::PI;
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(rate);
            let chirp = (tau * (100.0 * t + 650.0 * t * t)).sin();
            (32767.0 * (0.3 * (tau * 440.0 * t).sin() + 0.2 * chirp)).round() as i16
        })
        .collect()
}
