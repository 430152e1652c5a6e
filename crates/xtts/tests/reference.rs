//! Parity with coqui-tts 0.27.2 on the random-weight fixture (scripts/xtts_fixtures.py):
//! voices from the reference clips, greedy codes, GPT latents, the waveform and the streamed
//! waveform, each against coqui's own output (sawt_xtts::parity; the wasm probe runs the same).

use std::path::{Path, PathBuf};

use sawt_xtts::parity::{
    check_fixture, check_teacher_forced, load_model, load_model_with_gpt, run_fixture,
    run_teacher_forced, Fixture, QUANTIZED,
};

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

/// The quantized GPTs (scripts/xtts_quantize.py), teacher-forced on coqui's greedy codes:
/// latents against coqui's f32 latents, greedy choices against coqui's codes. The f32 GPT is
/// held to the same check (it must agree on every step), so the measure itself is tested.
#[test]
fn quantized_gpts_follow_coquis_f32_outputs() {
    let dir = fixtures();
    let fx = Fixture::load(&dir).unwrap_or_else(|e| panic!("{e}"));
    let f32_model = load_model(&dir.join("model")).unwrap_or_else(|e| panic!("{e}"));
    let lines = run_teacher_forced(&f32_model, &fx).unwrap_or_else(|e| panic!("{e}"));
    for line in check_teacher_forced(&lines, &fx, 1e-5, 1.0).unwrap_or_else(|e| panic!("f32: {e}"))
    {
        println!("f32 {line}");
    }
    for (format, max_rel, min_agree) in QUANTIZED {
        let gpt = dir.join(format!("model-{format}/gpt.safetensors"));
        let model = load_model_with_gpt(&dir.join("model"), &gpt).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(model.gpt.format().name(), format, "{}", gpt.display());
        let lines = run_teacher_forced(&model, &fx).unwrap_or_else(|e| panic!("{e}"));
        for line in check_teacher_forced(&lines, &fx, max_rel, min_agree)
            .unwrap_or_else(|e| panic!("{format}: {e}"))
        {
            println!("{format} {line}");
        }
    }
}
