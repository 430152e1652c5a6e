//! Parity with coqui-tts 0.27.2's `multilingual_cleaners(text, "ar")` and num2words 0.5.14 on
//! the committed reference outputs (scripts/xtts_text_cases.py): the hand-written cases
//! (tests/fixtures/xtts/text/cleaners.json) and the generated sweep with its num2words table
//! (cleaners_sweep.json.gz). Every output must be equal, every Python exception the same class.

use sawt_xtts_text::cleaners::multilingual_cleaners_ar;
use sawt_xtts_text::num2words_ar::{Currency, Digits, Num2WordsAr};
use serde_json::Value;

mod common;
use common::fixture;

/// What the reference recorded: `Ok(output)` or `Err(exception class)`.
fn expected(case: &Value) -> Result<String, String> {
    match (case.get("output"), case.get("error")) {
        (Some(Value::String(out)), None) => Ok(out.clone()),
        (None, Some(Value::String(err))) => Err(err.clone()),
        _ => panic!("malformed case {case}"),
    }
}

fn check_cases(file: &str, min: usize) {
    let fixture = fixture(file);
    let cases = fixture["cases"].as_array().expect("cases");
    assert!(cases.len() >= min, "{file}: only {} cases", cases.len());
    for (i, case) in cases.iter().enumerate() {
        let input = case["input"].as_str().expect("input");
        let got = multilingual_cleaners_ar(input).map_err(|e| e.python_exception().to_string());
        assert_eq!(
            got,
            expected(case),
            "{file} case {i} differs\ninput:    {input:?}\nexpected: {:?}\ngot:      {got:?}",
            expected(case)
        );
    }
}

#[test]
fn hand_cases_match_coqui() {
    check_cases("cleaners.json", 70);
}

#[test]
fn sweep_matches_coqui() {
    check_cases("cleaners_sweep.json.gz", 1101 + 200);
}

#[test]
fn num2words_table_matches() {
    let fixture = fixture("cleaners_sweep.json.gz");
    let rows = fixture["num2words"].as_array().expect("num2words");
    assert!(rows.len() >= 300, "only {} num2words rows", rows.len());
    for (i, row) in rows.iter().enumerate() {
        let arg = row["arg"].as_str().expect("arg");
        let int = || Digits::parse(arg).unwrap_or_else(|| panic!("row {i}: bad int {arg}"));
        let float = || {
            arg.parse::<f64>()
                .unwrap_or_else(|e| panic!("row {i}: bad float {arg}: {e}"))
        };
        // Each row runs in a fresh decimal context upstream, so a fresh converter here.
        let mut conv = Num2WordsAr::new();
        let got = match row["call"].as_str().expect("call") {
            "cardinal" => conv.cardinal(&int()),
            "ordinal" => conv.ordinal(&int()),
            "cardinal_float" => conv.cardinal_float(float()),
            "currency" => {
                let currency = match row["currency"].as_str() {
                    Some("GBP") => Currency::Gbp,
                    Some("USD") => Currency::Usd,
                    Some("EUR") => Currency::Eur,
                    other => panic!("row {i}: currency {other:?}"),
                };
                conv.currency(float(), currency)
            }
            other => panic!("row {i}: call {other}"),
        };
        let got = got.map_err(|e| e.python_exception().to_string());
        assert_eq!(
            got,
            expected(row),
            "num2words row {i} differs\ncall:     {} {arg}\nexpected: {:?}\ngot:      {got:?}",
            row["call"],
            expected(row)
        );
    }
}
