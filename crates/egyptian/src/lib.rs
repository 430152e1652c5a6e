//! Egyptian-Arabic text normalization for speech: written text in, what a Cairene would say
//! out, before XTTS's own cleaner runs (which would read digits with MSA num2words:
//! ٢٥ → "خمسة وعشرون" instead of "خمسة وعشرين").
//!
//! Only numbers, times, dates, prices, percentages, phone numbers, a few Latin abbreviations
//! and symbols change; all other text (Arabic with its diacritics and tatweel, punctuation,
//! emoji, unknown Latin words) is copied unchanged, and no input makes [`normalize`] panic.
//!
//! # Reading rules
//!
//! - Digits: Western, Eastern Arabic (٠-٩) and Persian (۰-۹), mixed freely; `٫` and `.` are
//!   decimal points, `٬` and `,` thousands separators when exactly three digits follow.
//! - Quantities join every part with " و": 1250 "ألف وميتين وخمسين", 3000 "تلات تلاف",
//!   11000 "حداشر ألف", 3000000 "تلاتة مليون". Before a plural counted noun 3–10 are short:
//!   "تلات ساعات", "خمس أيام"; before singular nouns (جنيه، كيلو) the full form stays.
//! - Decimals: x.5 "ونص", x.25 "وربع", otherwise "فاصل" and the fraction as a number
//!   (3.14 "تلاتة فاصل أربعتاشر", 2.05 "اتنين فاصل صفر خمسة"); fractions over three digits
//!   are read digit by digit. "-5" is "سالب خمسة".
//! - Prices: the amount, then the currency, then half, quarter or the subunit:
//!   "25.50 جنيه" "خمسة وعشرين جنيه ونص", "$2.99" "اتنين دولار وتسعة وتسعين سنت".
//! - Percent: "50%" "خمسين في المية".
//! - Times: "تلاتة وربع", "تلاتة ونص إلا خمسة", "أربعة إلا تلت"; a period of the day
//!   (الصبح، الضهر، العصر، بالليل، بعد نص الليل) only when AM/PM was written or on the
//!   24-hour clock. Details in the `time` module.
//! - Dates: "25/12/2024" "خمسة وعشرين ديسمبر ألفين أربعة وعشرين"; years 1900–2099 in their
//!   spoken form ("ألف تسعمية خمسة وتسعين"), also after "سنة"/"عام".
//! - Phone numbers and runs of 8+ digits: digit by digit, "+" as "زائد".
//! - Ranges "٣-٥": "من تلاتة لخمسة" ("بين ٣-٥" "بين تلاتة وخمسة").
//! - Units and abbreviations: "5 km" "خمسة كيلو", "16 GB" "ستاشر جيجا", "Dr." "دكتور",
//!   "ok" "أوكيه", "&" "و", "@" "آت", "°" "درجة"; Latin words not in the table stay as written.
//! - A number keeps the proclitic written onto it: "ب٥٠ جنيه" "بخمسين جنيه",
//!   "الساعة ٣:٣٠" "الساعة تلاتة ونص". What is inserted is spaced from neighbouring letters;
//!   nothing else is reflowed.

mod abbreviations;
mod chars;
mod currency;
mod date;
mod nouns;
mod numbers;
mod numeric;
mod scan;
mod time;

use std::str::FromStr;

/// Which stage runs before the model's cleaner (the `tts_normalizer` setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextNormalizer {
    /// [`normalize`]: numbers and the rest read in Egyptian Arabic.
    Egyptian,
    /// Nothing: the XTTS cleaner alone (MSA number words).
    Xtts,
}

impl FromStr for TextNormalizer {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.trim();
        if name.eq_ignore_ascii_case("egyptian") {
            Ok(Self::Egyptian)
        } else if name.eq_ignore_ascii_case("xtts") {
            Ok(Self::Xtts)
        } else {
            Err(format!(
                "unknown text normalizer {name:?}: expected \"egyptian\" or \"xtts\""
            ))
        }
    }
}

impl TextNormalizer {
    /// The text as the model's cleaner should receive it.
    pub fn apply(self, text: &str) -> String {
        match self {
            Self::Egyptian => normalize(text),
            Self::Xtts => text.to_string(),
        }
    }
}

/// Written Egyptian Arabic to what is said: see the crate documentation for the rules.
pub fn normalize(text: &str) -> String {
    scan::normalize(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_names_in_any_case_and_padding() {
        for (s, want) in [
            ("egyptian", TextNormalizer::Egyptian),
            (" Egyptian\n", TextNormalizer::Egyptian),
            ("EGYPTIAN", TextNormalizer::Egyptian),
            ("xtts", TextNormalizer::Xtts),
            ("\tXTTS ", TextNormalizer::Xtts),
        ] {
            assert_eq!(s.parse::<TextNormalizer>(), Ok(want), "{s:?}");
        }
    }

    #[test]
    fn rejects_others_naming_both_accepted_values() {
        for s in ["", "egypt", "msa", "xtts2", "egyptian xtts"] {
            let err = s.parse::<TextNormalizer>().err().unwrap_or_default();
            assert!(
                err.contains("\"egyptian\"") && err.contains("\"xtts\""),
                "{s:?} gave {err:?}"
            );
        }
        assert_eq!(
            "msa".parse::<TextNormalizer>(),
            Err("unknown text normalizer \"msa\": expected \"egyptian\" or \"xtts\"".to_string())
        );
    }

    #[test]
    fn apply_runs_only_the_chosen_stage() {
        assert_eq!(TextNormalizer::Xtts.apply("٢٥ جنيه"), "٢٥ جنيه");
        assert_eq!(
            TextNormalizer::Egyptian.apply("٢٥ جنيه"),
            "خمسة وعشرين جنيه"
        );
    }
}
