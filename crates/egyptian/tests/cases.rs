//! The reading table: every case of `cases.tsv` through `normalize`; a failure names the first
//! mismatching case by line, with the number of cases that failed.

use sawt_egyptian::normalize;

const CASES: &str = include_str!("cases.tsv");

/// `\n` in the table stands for a line break (a case is one line).
fn unescape(field: &str) -> String {
    field.replace("\\n", "\n")
}

struct Case {
    line: usize,
    input: String,
    expected: String,
}

fn cases() -> Vec<Case> {
    CASES
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
        .map(|(n, line)| {
            let (input, expected) = line
                .split_once('\t')
                .unwrap_or_else(|| panic!("cases.tsv:{}: no tab in {line:?}", n + 1));
            Case {
                line: n + 1,
                input: unescape(input),
                expected: unescape(expected),
            }
        })
        .collect()
}

#[test]
fn reading_table() {
    let cases = cases();
    assert!(cases.len() >= 120, "only {} cases", cases.len());
    let failed: Vec<(&Case, String)> = cases
        .iter()
        .filter_map(|case| {
            let got = normalize(&case.input);
            (got != case.expected).then_some((case, got))
        })
        .collect();
    if let Some((case, got)) = failed.first() {
        panic!(
            "{} of {} cases failed; first at cases.tsv:{}\n   input: {:?}\nexpected: {:?}\n     got: {:?}",
            failed.len(),
            cases.len(),
            case.line,
            case.input,
            case.expected,
            got
        );
    }
}

#[test]
fn four_hundred_digits_are_read_one_by_one() {
    let digits: String = "٠١٢٣٤٥٦٧٨٩".chars().cycle().take(400).collect();
    let words = "صفر واحد اتنين تلاتة أربعة خمسة ستة سبعة تمانية تسعة";
    let expected = vec![words; 40].join(" ");
    assert_eq!(normalize(&digits), expected);
    // Grouped or with a fraction, still no overflow and still every digit.
    let grouped = format!("1{}", ",000".repeat(133));
    assert_eq!(normalize(&grouped).split(' ').count(), 400);
    let decimal = format!("{}.{}", "9".repeat(400), "5".repeat(400));
    assert_eq!(normalize(&decimal).split(' ').count(), 801);
}
