//! Log-mel parity with openai-whisper on every 16 kHz fixture (tests/fixtures/whisper).

use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/whisper")
}

fn read_f32(path: &std::path::Path) -> Vec<f32> {
    let b = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

#[test]
fn log_mel_matches_reference() {
    let dir = fixtures();
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("reference/index.json")).unwrap()).unwrap();
    let arrays = index["arrays"].as_object().unwrap();
    let mut checked = 0;
    for (key, shape) in arrays {
        let Some(stem) = key.strip_suffix(".mel") else {
            continue;
        };
        let wav = std::fs::read(dir.join("audio").join(format!("{stem}.wav"))).unwrap();
        let audio = sawt_audio::decode_wav(&wav, None).unwrap();
        assert_eq!(audio.sample_rate, 16_000);
        let mel = sawt_audio::log_mel_spectrogram(&audio.samples, 0);
        let want = read_f32(&dir.join(format!("reference/{key}.f32")));
        assert_eq!(
            [80, mel.n_frames as u64],
            [shape[0].as_u64().unwrap(), shape[1].as_u64().unwrap()],
            "{key}"
        );
        let mut worst = (0.0f32, 0usize);
        for (i, (a, b)) in mel.data.iter().zip(&want).enumerate() {
            let d = (a - b).abs();
            if d > worst.0 {
                worst = (d, i);
            }
        }
        assert!(
            worst.0 <= 1e-4,
            "{key}: max |Δ| {} at index {} (band {}, frame {}): got {} want {}",
            worst.0,
            worst.1,
            worst.1 / mel.n_frames,
            worst.1 % mel.n_frames,
            mel.data[worst.1],
            want[worst.1]
        );
        eprintln!("{key}: max |Δ| = {:.2e}", worst.0);
        checked += 1;
    }
    assert!(checked >= 6, "only {checked} mel references found");
}
