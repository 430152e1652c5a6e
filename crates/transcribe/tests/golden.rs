//! Golden end to end: what the transcription handler answers equals openai-whisper's own
//! `transcribe()` output saved in the reference index (scripts/make_fixtures.py), for a request
//! without `temperature` (the default fallback schedule) and with `temperature=0`, in json,
//! text, verbose_json, srt and vtt (sawt_whisper::parity::check_api_answer). Never compared
//! with another run of our code.

mod common;

use common::*;
use sawt_whisper::parity;
use serde_json::Value;

#[test]
fn handler_answers_the_reference_transcript() {
    let index: Value =
        serde_json::from_slice(&std::fs::read(fixtures().join("reference/index.json")).unwrap())
            .unwrap();
    let cases = parity::golden_cases(&index).unwrap_or_else(|e| panic!("{e}"));
    let kv = store();
    for case in &cases {
        assert_eq!(
            case["task"], "transcribe",
            "golden cases are transcriptions"
        );
        let wav = audio(case["audio"].as_str().unwrap());
        for format in parity::GOLDEN_FORMATS {
            let mut fields = vec![
                Field::Text("model", "whisper-1"),
                Field::Text("response_format", format),
                Field::File("file", "clip.wav", "audio/wav", &wav),
            ];
            // No `language`: the service is forced to Arabic, as the reference ran.
            if case["schedule"] == "greedy" {
                fields.push(Field::Text("temperature", "0"));
            }
            let o = transcribe(&fields, &kv);
            let label = parity::case_label(case);
            assert_eq!(
                o.response.status,
                200,
                "{label} {format}: {}",
                String::from_utf8_lossy(&o.response.body)
            );
            parity::check_api_answer(case, format, &o.response.body)
                .unwrap_or_else(|e| panic!("{e}"));
        }
        eprintln!(
            "{}: {} equal the reference",
            parity::case_label(case),
            parity::GOLDEN_FORMATS.join(", ")
        );
    }
}
