//! Prices. The amount comes first and the currency is said after it, whichever side it was
//! written on: "$5", "5$", "5 USD" are all "خمسة دولار"; "EGP 100", "100 LE", "100 ج.م" and
//! "100 ج" are "مية جنيه".
//!
//! - The currency word stays singular after any amount ("اتنين جنيه", "خمسة جنيه"); a plural
//!   written after 3–10 keeps the plural and takes the short form ("خمس جنيهات").
//! - Half and quarter are said after the currency: 25.50 → "خمسة وعشرين جنيه ونص",
//!   0.50 → "نص جنيه", 10.25 → "عشرة جنيه وربع".
//! - Other one- and two-digit fractions are the subunit: 2.99 $ → "اتنين دولار وتسعة وتسعين
//!   سنت", 0.75 جنيه → "خمسة وسبعين قرش"; longer fractions are a plain decimal before the
//!   currency word.
//! - "£" and GBP are sterling ("جنيه إسترليني"); the Egyptian pound is written جنيه، ج.م، LE,
//!   L.E., EGP or E£.

use crate::chars::{at, is_arabic_word_char, starts_with};
use crate::numbers::{cardinal, decimal, trim_fraction};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Currency {
    /// What is said after the amount.
    pub word: &'static str,
    /// A hundredth of it, for prices with cents.
    pub sub: Option<&'static str>,
    /// Written as a plural: the amount takes the counted short form.
    pub plural: bool,
}

const fn cur(word: &'static str, sub: Option<&'static str>) -> Currency {
    Currency {
        word,
        sub,
        plural: false,
    }
}

const EGP: Currency = cur("جنيه", Some("قرش"));
const USD: Currency = cur("دولار", Some("سنت"));
const EUR: Currency = cur("يورو", Some("سنت"));
const GBP: Currency = cur("جنيه إسترليني", Some("بنس"));
const SAR: Currency = cur("ريال", Some("هللة"));
const AED: Currency = cur("درهم", Some("فلس"));

/// How a written form must end to count as that currency.
#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    /// A symbol: anything may follow ("5$.").
    Symbol,
    /// A Latin code: no ASCII letter may follow (a digit may: "EGP100").
    Latin,
    /// An Arabic word: no Arabic letter or mark may follow ("ج" but not "جمل").
    Arabic,
}

/// `(written form, fold ASCII case, how it ends, currency)`; longer forms before their
/// prefixes. Usable before and after the amount.
const CODES: [(&str, bool, End, Currency); 14] = [
    ("E£", false, End::Symbol, EGP),
    ("US$", false, End::Symbol, USD),
    ("$", false, End::Symbol, USD),
    ("€", false, End::Symbol, EUR),
    ("£", false, End::Symbol, GBP),
    ("EGP", true, End::Latin, EGP),
    ("L.E.", false, End::Symbol, EGP),
    ("L.E", false, End::Latin, EGP),
    ("LE", false, End::Latin, EGP),
    ("USD", true, End::Latin, USD),
    ("EUR", true, End::Latin, EUR),
    ("GBP", true, End::Latin, GBP),
    ("SAR", true, End::Latin, SAR),
    ("AED", true, End::Latin, AED),
];

/// Arabic forms, only after the amount.
const WORDS: [(&str, Currency); 12] = [
    ("ج.م.", EGP),
    ("ج.م", EGP),
    (
        "جنيهات",
        Currency {
            word: "جنيهات",
            plural: true,
            ..EGP
        },
    ),
    ("جنيه", EGP),
    ("ج", EGP),
    ("قرش", cur("قرش", None)),
    (
        "دولارات",
        Currency {
            word: "دولارات",
            plural: true,
            ..USD
        },
    ),
    ("دولار", USD),
    ("يورو", EUR),
    ("ريال", SAR),
    ("درهم", AED),
    (
        "دراهم",
        Currency {
            word: "دراهم",
            plural: true,
            ..AED
        },
    ),
];

fn ends_well(chars: &[char], end: usize, how: End) -> bool {
    let next = at(chars, end);
    match how {
        End::Symbol => true,
        End::Latin => !next.is_some_and(|c| c.is_ascii_alphabetic()),
        End::Arabic => !next.is_some_and(is_arabic_word_char),
    }
}

/// A currency written at `i`: before an amount (`after_amount` false) only the symbols and
/// codes, after it the Arabic words too. Returns it and the position after it.
pub fn at_pos(chars: &[char], i: usize, after_amount: bool) -> Option<(Currency, usize)> {
    for (form, fold, how, currency) in CODES {
        if let Some(end) = starts_with(chars, i, form, fold).filter(|&e| ends_well(chars, e, how)) {
            return Some((currency, end));
        }
    }
    if !after_amount {
        return None;
    }
    WORDS.iter().find_map(|&(form, currency)| {
        starts_with(chars, i, form, false)
            .filter(|&e| ends_well(chars, e, End::Arabic) || form.ends_with('.'))
            .map(|e| (currency, e))
    })
}

/// A price: `int` is the spoken whole amount (already in counted form for a plural currency),
/// `int_value` its value when it was read as a number, `frac` the digits after the point.
pub fn read(int: &str, int_value: Option<u64>, frac: Option<&[u8]>, currency: Currency) -> String {
    let word = currency.word;
    let frac = frac.map(trim_fraction).unwrap_or_default();
    let is_zero = int_value == Some(0);
    let cents = match frac {
        [] => return format!("{int} {word}"),
        [d] => u64::from(*d) * 10,
        [d, e] => u64::from(*d) * 10 + u64::from(*e),
        _ => return format!("{} {word}", decimal(int, is_zero, frac)),
    };
    let named = match cents {
        50 => "نص",
        25 => "ربع",
        _ => {
            let Some(sub) = currency.sub else {
                return format!("{} {word}", decimal(int, is_zero, frac));
            };
            let cents = format!("{} {sub}", cardinal(cents));
            return if is_zero {
                cents
            } else {
                format!("{int} {word} و{cents}")
            };
        }
    };
    if is_zero {
        format!("{named} {word}")
    } else {
        format!("{int} {word} و{named}")
    }
}
