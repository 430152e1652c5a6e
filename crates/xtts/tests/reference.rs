//! Parity with coqui-tts 0.27.2 on the random-weight fixture (scripts/xtts_fixtures.py):
//! voices from the reference clips, greedy codes, GPT latents, the waveform and the streamed
//! waveform, each against coqui's own output (sawt_xtts::parity; the wasm probe runs the same).

use std::path::{Path, PathBuf};

use sawt_xtts::parity::{check_fixture, load_model, run_fixture, Fixture};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/xtts")
}

#[test]
fn voices_codes_latents_and_waveforms_equal_coquis() {
    let dir = fixtures();
    let fx = Fixture::load(&dir).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        fx.meta.voices.len() >= 3,
        "the fixture must cover three clip formats"
    );
    assert!(
        fx.meta.cases.iter().any(|c| c.stopped),
        "a case must end on the stop code"
    );
    assert!(
        fx.meta.cases.iter().any(|c| !c.stopped),
        "a case must run to the code limit"
    );
    let model = load_model(&dir.join("model")).unwrap_or_else(|e| panic!("{e}"));
    let lines = run_fixture(&model, &dir, &fx).unwrap_or_else(|e| panic!("{e}"));
    for line in check_fixture(&lines, &fx).unwrap_or_else(|e| panic!("{e}")) {
        println!("{line}");
    }
}

#[test]
fn text_tokens_equal_coquis() {
    let dir = fixtures();
    let fx = Fixture::load(&dir).unwrap_or_else(|e| panic!("{e}"));
    let model = load_model(&dir.join("model")).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        fx.meta
            .cases
            .iter()
            .any(|c| c.text.chars().any(|ch| ch.is_ascii_digit())),
        "a case must have digits (coqui's number expansion)"
    );
    for (i, case) in fx.meta.cases.iter().enumerate() {
        let sentences = model
            .sentences(&case.text, &case.language, true)
            .unwrap_or_else(|e| panic!("case {i}: {e}"));
        assert_eq!(sentences.len(), 1, "case {i}: one sentence under the limit");
        let got = &sentences[0].tokens;
        if let Some(k) =
            (0..got.len().max(case.tokens.len())).find(|&k| got.get(k) != case.tokens.get(k))
        {
            panic!(
                "case {i}: first token mismatch at index {k}: sawt {:?}, coqui {:?}",
                got.get(k),
                case.tokens.get(k)
            );
        }
    }
}
