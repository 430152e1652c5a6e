//! coqui-tts 0.27.2's `multilingual_cleaners(text, lang)` (TTS/tts/layers/xtts/tokenizer.py,
//! commit 3194998df292b56a53064b300e12210979e3f16f) with what it calls from
//! TTS/tts/utils/text/cleaners.py (`lowercase`, `collapse_whitespace`), character for character,
//! CPython's `str` and `re` semantics included. Only Arabic is ported; a language is a
//! [`Lang`] variant plus its tables (abbreviations, symbols, ordinal suffixes) and number words.

mod numbers;
mod pystr;
mod pyunicode;

use thiserror::Error;

use crate::num2words_ar::{Num2WordsAr, Num2WordsError};

/// Where coqui would raise and fail the whole request: numbers num2words cannot spell.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TextError {
    /// Python's `int()` refuses strings of more than 4300 digits (`ValueError`).
    #[error("a number of {digits} digits is longer than Python's int() accepts (4300)")]
    TooManyDigits { digits: usize },
    /// num2words refused the number.
    #[error(transparent)]
    Num2Words(#[from] Num2WordsError),
}

impl TextError {
    /// The Python exception class coqui would have raised.
    pub fn python_exception(&self) -> &'static str {
        match self {
            Self::TooManyDigits { .. } => "ValueError",
            Self::Num2Words(e) => e.python_exception(),
        }
    }
}

/// The languages ported so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ar,
}

/// `_symbols_multilingual["ar"]`, in order (each is `re.escape`d and has no case variants, so
/// the IGNORECASE flag changes nothing).
const SYMBOLS_AR: [(&str, &str); 7] = [
    ("&", " و "),
    ("@", " على "),
    ("%", " في المئة "),
    ("#", " رقم "),
    ("$", " دولار "),
    ("£", " جنيه "),
    ("°", " درجة "),
];

/// `expand_symbols_multilingual`: each symbol in turn, one pass of `replace("  ", " ")` after
/// each (three spaces stay two), then `strip()`.
fn expand_symbols(text: &str, symbols: &[(&str, &str)]) -> String {
    let mut text = text.to_string();
    for (symbol, words) in symbols {
        text = text.replace(symbol, words).replace("  ", " ");
    }
    pystr::strip(&text).to_string()
}

/// `collapse_whitespace`: `re.sub(r"\s+", " ", text).strip()`.
fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_space = false;
    for c in text.chars() {
        if pystr::is_space(c) {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            out.push(c);
            in_space = false;
        }
    }
    pystr::strip(&out).to_string()
}

/// `multilingual_cleaners(text, lang)` as one call in a fresh Python thread: num2words' leaky
/// `decimal` precision starts at 28 for every call (see [`Num2WordsAr`]).
pub fn multilingual_cleaners(text: &str, lang: Lang) -> Result<String, TextError> {
    let text = text.replace('"', "");
    let text = pystr::lower(&text);
    match lang {
        Lang::Ar => {
            let text = numbers::expand_numbers_ar(&text, &mut Num2WordsAr::new())?;
            // `_abbreviations["ar"]` is empty.
            let text = expand_symbols(&text, &SYMBOLS_AR);
            Ok(collapse_whitespace(&text))
        }
    }
}

/// Python's `str.strip()` (its whitespace set, not Rust's).
pub fn python_strip(text: &str) -> &str {
    pystr::strip(text)
}

/// Python's `str.lower()` (full Unicode lowercasing, final sigma).
pub fn python_lower(text: &str) -> String {
    pystr::lower(text)
}

/// `multilingual_cleaners(text, "ar")`.
pub fn multilingual_cleaners_ar(text: &str) -> Result<String, TextError> {
    multilingual_cleaners(text, Lang::Ar)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Outputs of coqui-tts 0.27.2 in the reference venv.
    #[test]
    fn hand_checked() {
        let cases = [
            ("في الـ 12,5 ثانية.", "في الـ اثنا عشر , خمسون ثانية."),
            ("لدي 14% في البطارية", "لدي أربعة عشر في المئة في البطارية"),
            ("$20", "عشرون ريالاً"),
            ("٣٤٥ و 345", "٣٤٥ و ثلاثمائة و خمسة و أربعون"),
            ("1.000.000", "مليون"),
            ("3ون", "ثالث"),
            ("İ", "i\u{307}"),
            ("  \"a\"\t\n b  ", "a b"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                multilingual_cleaners_ar(input).as_deref(),
                Ok(expected),
                "{input}"
            );
        }
    }

    #[test]
    fn too_large() {
        let err = multilingual_cleaners_ar(&"9".repeat(52)).map_err(|e| e.python_exception());
        assert_eq!(err, Err("OverflowError"));
        let err = multilingual_cleaners_ar(&"1".repeat(4301)).map_err(|e| e.python_exception());
        assert_eq!(err, Err("ValueError"));
    }
}
