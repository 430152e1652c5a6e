//! Latin abbreviations and symbols Egyptians read out in Arabic. Matching is on whole Latin
//! words; a word not in the table, and any Latin text around it, stays as written.
//!
//! - Units are said the short Egyptian way: km and kg "كيلو", cm "سنتي", mm and ml "مللي",
//!   GB "جيجا", MB "ميجا", km/h "كيلو في الساعة". The one-letter and ambiguous ones (m "متر",
//!   g/gm "جرام", ml, mm) only count right after a number; "m" and "g" only in lower case,
//!   because "5M" and "5G" mean other things.
//! - Titles: Dr/Dr. "دكتور", Eng. "باشمهندس", Mr/Mr. "مستر".
//! - Symbols: & "و", @ "آت", % and ٪ on their own "في المية", ° "درجة".
//! - Arabic unit abbreviations after a number: كم "كيلو", كجم "كيلو", جم "جرام", سم "سنتي",
//!   مم "مللي", مل "مللي".

use crate::chars::{at, is_arabic_word_char, starts_with};

struct Abbreviation {
    written: &'static str,
    spoken: &'static str,
    /// Compare ASCII letters case-insensitively.
    fold_case: bool,
    /// Only right after a number (spaces allowed between).
    after_number: bool,
}

const fn abbr(
    written: &'static str,
    spoken: &'static str,
    fold_case: bool,
    after_number: bool,
) -> Abbreviation {
    Abbreviation {
        written,
        spoken,
        fold_case,
        after_number,
    }
}

/// Longer forms before their prefixes (km/h before km, Dr. before Dr).
const LATIN: [Abbreviation; 29] = [
    abbr("km/h", "كيلو في الساعة", true, false),
    abbr("kmh", "كيلو في الساعة", true, false),
    abbr("km", "كيلو", true, false),
    abbr("kg", "كيلو", true, false),
    abbr("gm", "جرام", true, true),
    abbr("g", "جرام", false, true),
    abbr("cm", "سنتي", true, false),
    abbr("mm", "مللي", true, true),
    abbr("ml", "مللي", true, true),
    abbr("m", "متر", false, true),
    abbr("GB", "جيجا", true, false),
    abbr("MB", "ميجا", true, false),
    abbr("TB", "تيرا", true, false),
    abbr("KB", "كيلو بايت", false, false),
    abbr("Dr.", "دكتور", true, false),
    abbr("Dr", "دكتور", true, false),
    abbr("Eng.", "باشمهندس", true, false),
    abbr("Mr.", "مستر", true, false),
    abbr("Mr", "مستر", true, false),
    abbr("okay", "أوكيه", true, false),
    abbr("ok", "أوكيه", true, false),
    abbr("vs.", "ضد", true, false),
    abbr("vs", "ضد", true, false),
    abbr("TV", "تي في", true, false),
    abbr("USB", "يو إس بي", true, false),
    abbr("AI", "إيه آي", false, false),
    abbr("wi-fi", "واي فاي", true, false),
    abbr("wifi", "واي فاي", true, false),
    abbr("SMS", "إس إم إس", true, false),
];

/// Arabic unit abbreviations, only after a number.
const ARABIC_UNITS: [(&str, &str); 7] = [
    ("كجم", "كيلو"),
    ("كغ", "كيلو"),
    ("كم", "كيلو"),
    ("جم", "جرام"),
    ("سم", "سنتي"),
    ("مم", "مللي"),
    ("مل", "مللي"),
];

/// Symbols read anywhere; currency symbols are in `currency`.
const SYMBOLS: [(&str, &str); 7] = [
    ("°C", "درجة"),
    ("°F", "درجة فهرنهايت"),
    ("°", "درجة"),
    ("&", "و"),
    ("@", "آت"),
    ("%", "في المية"),
    ("\u{66A}", "في المية"),
];

/// The abbreviation that is the Latin word starting at `i`, if any: what to say and where it
/// ends. `after_number`: a number comes just before.
pub fn latin_at(chars: &[char], i: usize, after_number: bool) -> Option<(&'static str, usize)> {
    LATIN.iter().find_map(|a| {
        if a.after_number && !after_number {
            return None;
        }
        let end = starts_with(chars, i, a.written, a.fold_case)?;
        // A form ending in "." is complete; any other must not run into more of a word (a
        // digit may follow: "km5" is no word either way).
        let whole =
            a.written.ends_with('.') || !at(chars, end).is_some_and(|c| c.is_ascii_alphabetic());
        whole.then_some((a.spoken, end))
    })
}

/// An Arabic unit abbreviation starting at `i` (the caller has seen a number before it).
pub fn arabic_unit_at(chars: &[char], i: usize) -> Option<(&'static str, usize)> {
    ARABIC_UNITS.iter().find_map(|&(written, spoken)| {
        let end = starts_with(chars, i, written, false)?;
        (!at(chars, end).is_some_and(is_arabic_word_char)).then_some((spoken, end))
    })
}

/// A symbol at `i`: what to say and where it ends.
pub fn symbol_at(chars: &[char], i: usize) -> Option<(&'static str, usize)> {
    SYMBOLS.iter().find_map(|&(written, spoken)| {
        starts_with(chars, i, written, false).map(|end| (spoken, end))
    })
}
