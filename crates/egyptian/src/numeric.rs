//! Everything that starts with a digit (or a sign or currency before one): dates, times,
//! ranges, phone numbers and numbers with their suffixes (percent, currency, unit, counted
//! noun, AM/PM). Each reader returns what to say and where the text it read ends; every digit
//! it passes over is spoken, so no digit survives normalization.
//!
//! - Phone numbers are read digit by digit: a run of two or more digits starting with 0
//!   ("010…", "02 …"), anything after a "+" ("زائد"), and continuation groups of two or more
//!   digits after one space or hyphen ("0100-123-4567", "+20 10 1234 5678"; after "+" one
//!   digit is enough: "+20 2 2345 6789"), up to 15 digits in all.
//! - A run of 8 or more digits without separators, or more than 15 significant digits in all,
//!   is read digit by digit too; nobody says such a number as a quantity.
//! - "-5" after a space or at the start is "سالب خمسة"; "5+3" is "خمسة زائد تلاتة".
//! - "٣-٥" (two numbers of up to four digits, rising, no spaces) is "من تلاتة لخمسة"
//!   ("من ٥٠-١٠٠" is not given a second "من"; after "بين" it is "بين تلاتة وخمسة").
//! - "الساعة ٥" is a time ("الساعة واحدة" for 1, "الساعة خمسة العصر" for 17), so is
//!   "5pm" or "الساعة ٥ م"; "سنة ١٩٩٥" / "عام ٢٠٢٤" is a year.

use crate::chars::{
    arabic_word_before, at, before, digit_at, digit_run, is_decimal_sep, is_digit, is_group_sep,
    is_inline_space, is_word, skip_spaces,
};
use crate::currency::{self, Currency};
use crate::numbers::{self, cardinal, counted, decimal, digits, value, MAX_DIGITS};
use crate::time::{self, Meridiem};
use crate::{abbreviations, date, nouns};

/// What to say for a stretch of text, and the position after it.
pub struct Reading {
    pub text: String,
    pub end: usize,
}

/// The longest phone number read as one.
const MAX_PHONE_DIGITS: usize = 15;

/// Runs of this many digits without separators are read digit by digit.
const LONG_RUN: usize = 8;

/// Whether the digit at `i` continues a numeric expression already read: it follows a
/// separator that follows a digit ("1.2.3", "10:30:15"). Such a digit starts no date, time or
/// range, and takes no decimal part.
fn after_separator(chars: &[char], i: usize) -> bool {
    before(chars, i, 1).is_some_and(|c| "-/:.,\u{66B}\u{66C}–".contains(c))
        && before(chars, i, 2).is_some_and(is_digit)
}

/// At a digit that no other digit precedes.
pub fn at_digit(chars: &[char], i: usize) -> Reading {
    if !after_separator(chars, i) {
        if let Some((text, end)) = date::parse_at(chars, i) {
            return Reading { text, end };
        }
        if let Some(r) = time_at(chars, i).or_else(|| range_at(chars, i)) {
            return r;
        }
    }
    phone_at(chars, i).unwrap_or_else(|| number_at(chars, i, false, None))
}

/// At a "-", "−" or "+" followed by a digit: a negative number, a phone number, or "زائد".
pub fn at_sign(chars: &[char], i: usize) -> Option<Reading> {
    let sign = at(chars, i)?;
    if !digit_at(chars, i + 1) {
        return None;
    }
    let prev = before(chars, i, 1);
    // A sign counts as one after a space, at the start or after an opening bracket or quote,
    // not inside "5-3" or "COVID-19".
    let free = prev.is_none_or(|c| c.is_whitespace() || "([{«\"“'‘=:،,؛;".contains(c));
    match sign {
        '-' | '\u{2212}' if free => Some(number_at(chars, i + 1, true, None)),
        '+' if free => {
            let (run, j) = digit_run(chars, i + 1);
            // After a country code a one-digit area code is common: "+20 2 2345 6789".
            let phone = phone_from(chars, run, j, 1);
            Some(Reading {
                text: format!("زائد {}", phone.text),
                end: phone.end,
            })
        }
        '+' if prev.is_some_and(is_digit) => Some(Reading {
            text: "زائد".to_string(),
            end: i + 1,
        }),
        _ => None,
    }
}

/// At a currency symbol or code followed by an amount ("$5", "EGP 100"), or standing alone.
pub fn at_currency(chars: &[char], i: usize) -> Option<Reading> {
    let (currency, end) = currency::at_pos(chars, i, false)?;
    let start = skip_spaces(chars, end);
    if digit_at(chars, start) {
        Some(number_at(chars, start, false, Some(currency)))
    } else {
        Some(Reading {
            text: currency.word.to_string(),
            end,
        })
    }
}

fn time_at(chars: &[char], i: usize) -> Option<Reading> {
    let (h, j) = digit_run(chars, i);
    if h.len() > 2 || at(chars, j) != Some(':') {
        return None;
    }
    let (m, k) = digit_run(chars, j + 1);
    // Exactly two minute digits, and no seconds after them.
    if m.len() != 2 || (at(chars, k) == Some(':') && digit_at(chars, k + 1)) {
        return None;
    }
    let (meridiem, end) = meridiem_or_none(chars, k, true);
    let text = time::read(small(&h)?, small(&m)?, meridiem)?;
    Some(Reading { text, end })
}

fn small(ds: &[u8]) -> Option<u32> {
    value(ds).and_then(|v| u32::try_from(v).ok())
}

fn range_at(chars: &[char], i: usize) -> Option<Reading> {
    let plain = |ds: &[u8]| (1..=4).contains(&ds.len()) && ds.first() != Some(&0);
    let (a, j) = digit_run(chars, i);
    if !plain(&a) || !at(chars, j).is_some_and(|c| c == '-' || c == '–') {
        return None;
    }
    let (b, k) = digit_run(chars, j + 1);
    let continues =
        at(chars, k).is_some_and(|c| "-–/:.,\u{66B}\u{66C}".contains(c)) && digit_at(chars, k + 1);
    let (low, high) = (value(&a)?, value(&b)?);
    if !plain(&b) || continues || low >= high {
        return None;
    }
    let right = number_at(chars, j + 1, false, None);
    // "من ٥٠-١٠٠" already has its "من"; "بين ٣-٥" is "بين تلاتة وخمسة".
    let prev = arabic_word_before(chars, i);
    let (from, to) = if is_word(&prev, "من") {
        ("", "ل")
    } else if is_word(&prev, "بين") {
        ("", "و")
    } else {
        ("من ", "ل")
    };
    Some(Reading {
        text: format!("{from}{} {to}{}", cardinal(low), right.text),
        end: right.end,
    })
}

fn phone_at(chars: &[char], i: usize) -> Option<Reading> {
    let (run, j) = digit_run(chars, i);
    let decimal_follows = at(chars, j).is_some_and(is_decimal_sep) && digit_at(chars, j + 1);
    if run.len() < 2 || run.first() != Some(&0) || decimal_follows {
        return None;
    }
    Some(phone_from(chars, run, j, 2))
}

/// A phone number whose first group `run` ends at `j`: more groups of at least `min_group`
/// digits after one space or hyphen join it while it stays a plausible length.
fn phone_from(chars: &[char], mut run: Vec<u8>, mut j: usize, min_group: usize) -> Reading {
    while at(chars, j).is_some_and(|c| c == ' ' || c == '-') {
        let (group, k) = digit_run(chars, j + 1);
        if group.len() < min_group.max(1) || run.len() + group.len() > MAX_PHONE_DIGITS {
            break;
        }
        run.extend(group);
        j = k;
    }
    Reading {
        text: digits(&run),
        end: j,
    }
}

/// The digits of a number: the whole part (thousands separators dropped), whether it had any,
/// and the fraction.
struct Literal {
    int: Vec<u8>,
    grouped: bool,
    frac: Option<Vec<u8>>,
    end: usize,
}

fn literal(chars: &[char], i: usize) -> Literal {
    let (mut int, mut j) = digit_run(chars, i);
    let mut grouped = false;
    // "1,000" and "١٬٥٠٠٬٠٠٠": a first group of 1–3 digits, then groups of exactly 3.
    if (1..=3).contains(&int.len()) && (int.len() == 1 || int.first() != Some(&0)) {
        while at(chars, j).is_some_and(is_group_sep) {
            let (group, k) = digit_run(chars, j + 1);
            if group.len() != 3 {
                break;
            }
            int.extend(group);
            j = k;
            grouped = true;
        }
    }
    let mut frac = None;
    let dotted = before(chars, i, 1).is_some_and(is_decimal_sep)
        && before(chars, i, 2).is_some_and(is_digit);
    if !dotted && at(chars, j).is_some_and(is_decimal_sep) {
        let (f, k) = digit_run(chars, j + 1);
        // "1.2.3" is no decimal.
        let more = at(chars, k).is_some_and(is_decimal_sep) && digit_at(chars, k + 1);
        if !f.is_empty() && !more {
            frac = Some(f);
            j = k;
        }
    }
    Literal {
        int,
        grouped,
        frac,
        end: j,
    }
}

/// A number at the digit at `i`, with what follows it; `prefix` is a currency written before it.
fn number_at(chars: &[char], i: usize, negative: bool, prefix: Option<Currency>) -> Reading {
    let lit = literal(chars, i);
    let long = (!lit.grouped && lit.int.len() >= LONG_RUN) || lit.int.len() > MAX_DIGITS;
    let int_value = if long { None } else { value(&lit.int) };
    let spoken_int = |short: bool| match int_value {
        Some(v) if short => counted(v),
        Some(v) => cardinal(v),
        None => digits(&lit.int),
    };
    let frac = lit.frac.as_deref();
    let spoken = || {
        decimal(
            &spoken_int(false),
            int_value == Some(0),
            frac.unwrap_or_default(),
        )
    };
    let after = skip_spaces(chars, lit.end);

    let bare = !negative && prefix.is_none();
    let (text, end) = if let Some(special) = special_int(chars, i, &lit, int_value).filter(|_| bare)
    {
        special
    } else if let Some(end) = percent_at(chars, lit.end).filter(|_| prefix.is_none()) {
        (format!("{} في المية", spoken()), end)
    } else if let Some((currency, end)) = prefix
        .map(|c| (c, lit.end))
        .or_else(|| currency::at_pos(chars, after, true))
    {
        let int = spoken_int(currency.plural && frac.is_none());
        (currency::read(&int, int_value, frac, currency), end)
    } else if let Some((unit, end)) = abbreviations::arabic_unit_at(chars, after) {
        (format!("{} {unit}", spoken()), end)
    } else if frac.is_none() && nouns::plural_follows(chars, lit.end) {
        (spoken_int(true), lit.end)
    } else {
        (spoken(), lit.end)
    };
    let text = if negative {
        format!("سالب {text}")
    } else {
        text
    };
    Reading { text, end }
}

/// Whole numbers whose reading depends on the words around them: the hour after "الساعة" or
/// before AM/PM, and the year after "سنة"/"عام".
fn special_int(
    chars: &[char],
    i: usize,
    lit: &Literal,
    int_value: Option<u64>,
) -> Option<(String, usize)> {
    if lit.grouped || lit.frac.is_some() {
        return None;
    }
    let v = int_value?;
    let prev = arabic_word_before(chars, i);
    let hour = u32::try_from(v).ok().filter(|&h| h <= 23);
    if let Some(h) = hour.filter(|_| is_word(&prev, "الساعة") || is_word(&prev, "الساعه"))
    {
        let (meridiem, end) = meridiem_or_none(chars, lit.end, true);
        return Some((time::read(h, 0, meridiem)?, end));
    }
    if let Some(h) = hour.filter(|h| (1..=12).contains(h)) {
        if let Some((meridiem, end)) = time::meridiem_at(chars, lit.end, false) {
            return Some((time::read(h, 0, Some(meridiem))?, end));
        }
    }
    let year_word = ["سنة", "سنه", "عام"].iter().any(|w| is_word(&prev, w));
    if year_word && lit.int.len() == 4 {
        return numbers::year(v).map(|y| (y, lit.end));
    }
    None
}

fn meridiem_or_none(chars: &[char], i: usize, arabic: bool) -> (Option<Meridiem>, usize) {
    match time::meridiem_at(chars, i, arabic) {
        Some((m, end)) => (Some(m), end),
        None => (None, i),
    }
}

/// "%" or "٪" after a number, spaces allowed between.
fn percent_at(chars: &[char], i: usize) -> Option<usize> {
    let j = skip_spaces(chars, i);
    at(chars, j)
        .filter(|&c| c == '%' || c == '\u{66A}')
        .map(|_| j + 1)
}

/// Whether a number ends just before `i` (inline spaces between allowed).
pub fn number_before(chars: &[char], i: usize) -> bool {
    let mut j = i;
    while before(chars, j, 1).is_some_and(is_inline_space) {
        j -= 1;
    }
    before(chars, j, 1).is_some_and(is_digit)
}
