//! Parity with coqui-tts 0.27.2's sentence splitting (scripts/xtts_text_reference.py):
//! `split_sentence` and the `char_limits` coqui applies (tests/fixtures/xtts/text/split.json),
//! Python's `textwrap.wrap` with split_sentence's options (same file), and the tokens and
//! sentences of the spaCy 3.8.7 pipelines split_sentence builds, on hand-picked, pseudo-random
//! and special-case texts (spacy_tokens.json.gz).

use sawt_xtts_text::split::{char_limit, spacy, split_sentence, textwrap, SplitError};
use serde_json::Value;

mod common;
use common::{first_mismatch, fixture};

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("list")
        .iter()
        .map(|x| x.as_str().expect("string").to_owned())
        .collect()
}

#[test]
fn char_limits_match_coqui() {
    let reference = fixture("split.json");
    let table = reference["char_limits"].as_object().expect("char_limits");
    let applied = reference["check_input_length_limit"]
        .as_object()
        .expect("limits");
    assert!(table.len() >= 17 && applied.len() > table.len());
    for (lang, limit) in table.iter().chain(applied) {
        assert_eq!(
            Some(char_limit(lang) as u64),
            limit.as_u64(),
            "char_limit({lang:?})"
        );
    }
}

#[test]
fn split_sentence_matches_coqui() {
    let reference = fixture("split.json");
    let cases = reference["split"].as_array().expect("split");
    assert!(cases.len() >= 30, "only {} split cases", cases.len());
    for (i, case) in cases.iter().enumerate() {
        let text = case["text"].as_str().expect("text");
        let lang = case["lang"].as_str().expect("lang");
        let limit = case["limit"].as_u64().expect("limit") as usize;
        let got = split_sentence(text, lang, limit);
        match case.get("error").and_then(Value::as_str) {
            Some(error) => {
                let want = match error {
                    "ValueError" => SplitError::ZeroWidth,
                    "ImportError" => SplitError::UnsupportedLanguage(lang.to_owned()),
                    other => panic!("case {i}: unexpected reference error {other}"),
                };
                assert_eq!(got, Err(want), "split case {i} ({lang}, {limit}): {text:?}");
            }
            None => {
                let want = strings(&case["splits"]);
                let got = got.unwrap_or_else(|e| panic!("split case {i}: {e}"));
                assert!(
                    got == want,
                    "split case {i} ({lang}, {limit}): {}\ntext: {text:?}",
                    first_mismatch(&got, &want)
                );
            }
        }
    }
}

#[test]
fn textwrap_matches_python() {
    let reference = fixture("split.json");
    let cases = reference["wrap"].as_array().expect("wrap");
    assert!(cases.len() >= 10);
    for (i, case) in cases.iter().enumerate() {
        let text = case["text"].as_str().expect("text");
        let width = case["width"].as_u64().expect("width") as usize;
        let want = strings(&case["lines"]);
        let got = textwrap::wrap(text, width).unwrap_or_else(|e| panic!("wrap case {i}: {e}"));
        assert!(
            got == want,
            "wrap case {i} ({width}): {}\ntext: {text:?}",
            first_mismatch(&got, &want)
        );
    }
}

/// Byte ranges to the code-point offsets spaCy reports, flattened like the fixture.
fn code_point_offsets(text: &str, tokens: &[std::ops::Range<usize>]) -> Vec<u64> {
    let cp = |b: usize| text[..b].chars().count() as u64;
    tokens
        .iter()
        .flat_map(|r| [cp(r.start), cp(r.end)])
        .collect()
}

#[test]
fn spacy_tokens_and_sentences_match_spacy() {
    let reference = fixture("spacy_tokens.json.gz");
    let cases = reference["cases"].as_array().expect("cases");
    assert!(cases.len() >= 700, "only {} token cases", cases.len());
    for (i, case) in cases.iter().enumerate() {
        let text = case["text"].as_str().expect("text");
        let lang = case["lang"].as_str().expect("lang");
        let want: Vec<u64> = case["tokens"]
            .as_array()
            .expect("tokens")
            .iter()
            .map(|x| x.as_u64().expect("offset"))
            .collect();
        let tokens = spacy::tokens(text, lang).unwrap_or_else(|e| panic!("token case {i}: {e}"));
        let got = code_point_offsets(text, &tokens);
        assert!(
            got == want,
            "token case {i} ({lang}): offsets {}\ntext: {text:?}",
            first_mismatch(&got, &want)
        );
        let want = strings(&case["sentences"]);
        let got: Vec<String> = spacy::sentences(text, lang)
            .unwrap_or_else(|e| panic!("token case {i}: {e}"))
            .into_iter()
            .map(str::to_owned)
            .collect();
        assert!(
            got == want,
            "token case {i} ({lang}): sentences {}\ntext: {text:?}",
            first_mismatch(&got, &want)
        );
    }
}
