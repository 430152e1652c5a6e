//! `expand_numbers_multilingual` of coqui-tts 0.27.2 (TTS/tts/layers/xtts/tokenizer.py, commit
//! 3194998df292b56a53064b300e12210979e3f16f) for Arabic. Each of its regexes is a hand-written
//! matcher that takes the same choices Python's backtracking `re` does, and `sub` scans like
//! `re.sub`: leftmost match, then on from its end, looking at the original text for `\b`.

use super::pystr::{is_boundary, is_digit};
use super::TextError;
use crate::num2words_ar::{Currency, Digits, Num2WordsAr};

/// CPython's `sys.get_int_max_str_digits()` default: `int()` of a longer string raises.
const INT_MAX_STR_DIGITS: usize = 4300;

/// `_ordinal_re["ar"]`'s suffixes, in its alternation order.
const ORDINAL_SUFFIXES_AR: [&str; 5] = ["ون", "ين", "ث", "ر", "ى"];

/// `re.sub(pattern, repl, text)` with `find(text, p)` giving the end of a match starting at p.
fn sub<E>(
    text: &[char],
    find: impl Fn(&[char], usize) -> Option<usize>,
    mut repl: impl FnMut(&[char]) -> Result<String, E>,
) -> Result<Vec<char>, E> {
    let mut out = Vec::with_capacity(text.len());
    let mut pos = 0;
    let mut p = 0;
    while p < text.len() {
        match find(text, p) {
            Some(end) => {
                out.extend_from_slice(&text[pos..p]);
                out.extend(repl(&text[p..end])?.chars());
                pos = end;
                p = end;
            }
            None => p += 1,
        }
    }
    out.extend_from_slice(&text[pos..]);
    Ok(out)
}

fn ascii_digit_run(text: &[char], from: usize) -> usize {
    text[from.min(text.len())..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count()
}

/// `_dot_number_re = r"\b\d{1,3}(.\d{3})*(\,\d+)?\b"`: Unicode `\d`, and an unescaped `.` that
/// takes any character but a newline between the groups of three.
fn dot_number_at(text: &[char], p: usize) -> Option<usize> {
    if !is_boundary(text, p) {
        return None;
    }
    let digits_at = |from: usize, n: usize| {
        from + n <= text.len() && text[from..from + n].iter().all(|&c| is_digit(c))
    };
    // `(\,\d+)?\b` from q: `\d+` backs off one digit at a time before the group is dropped.
    let tail = |q: usize| -> Option<usize> {
        if text.get(q) == Some(&',') {
            let run = text[q + 1..].iter().take_while(|&&c| is_digit(c)).count();
            if let Some(k) = (1..=run).rev().find(|&k| is_boundary(text, q + 1 + k)) {
                return Some(q + 1 + k);
            }
        }
        is_boundary(text, q).then_some(q)
    };
    for first in (1..=3).rev() {
        if !digits_at(p, first) {
            continue;
        }
        // `(.\d{3})*` has one way to go on at each step, so greedy backtracking tries the
        // longest chain first and then each shorter one.
        let mut chain = vec![p + first];
        while let Some(&q) = chain.last() {
            if q < text.len() && text[q] != '\n' && digits_at(q + 1, 3) {
                chain.push(q + 4);
            } else {
                break;
            }
        }
        if let Some(end) = chain.iter().rev().find_map(|&q| tail(q)) {
            return Some(end);
        }
    }
    None
}

fn is_amount_char(c: char) -> bool {
    c.is_ascii_digit() || c == '.' || c == ','
}

/// `_currency_re[...]`: `(SYM[0-9\.\,]*[0-9]+)|([0-9\.\,]*[0-9]+SYM)`, either order.
fn currency_at(text: &[char], p: usize, symbol: char) -> Option<usize> {
    let run_end = |from: usize| {
        from + text[from..]
            .iter()
            .take_while(|&&c| is_amount_char(c))
            .count()
    };
    if text[p] == symbol {
        // The run after the symbol, backed off to its last digit.
        let end = run_end(p + 1);
        return (p + 1..end)
            .rev()
            .find(|&i| text[i].is_ascii_digit())
            .map(|i| i + 1);
    }
    if is_amount_char(text[p]) {
        let end = run_end(p);
        if text.get(end) == Some(&symbol) && text[end - 1].is_ascii_digit() {
            return Some(end + 1);
        }
    }
    None
}

/// `_decimal_number_re = r"([0-9]+[.,][0-9]+)"`.
fn decimal_at(text: &[char], p: usize) -> Option<usize> {
    let int = ascii_digit_run(text, p);
    if int == 0 || !matches!(text.get(p + int), Some('.' | ',')) {
        return None;
    }
    let frac = ascii_digit_run(text, p + int + 1);
    (frac > 0).then_some(p + int + 1 + frac)
}

/// `_ordinal_re["ar"] = r"([0-9]+)(ون|ين|ث|ر|ى)"`.
fn ordinal_at(text: &[char], p: usize) -> Option<usize> {
    let run = ascii_digit_run(text, p);
    if run == 0 {
        return None;
    }
    let rest = &text[p + run..];
    ORDINAL_SUFFIXES_AR.iter().find_map(|suffix| {
        let n = suffix.chars().count();
        (rest.len() >= n && rest[..n].iter().copied().eq(suffix.chars())).then_some(p + run + n)
    })
}

/// `_number_re = r"[0-9]+"`.
fn number_at(text: &[char], p: usize) -> Option<usize> {
    let run = ascii_digit_run(text, p);
    (run > 0).then_some(p + run)
}

/// Python's `int()` of an ASCII digit string, with its 4300-digit limit (leading zeros count).
fn py_int(digits: &[char]) -> Result<Digits, TextError> {
    if digits.len() > INT_MAX_STR_DIGITS {
        return Err(TextError::TooManyDigits {
            digits: digits.len(),
        });
    }
    let text: String = digits.iter().collect();
    // The matchers hand over ASCII digits only, which always parse.
    Ok(Digits::parse(&text).unwrap_or_default())
}

/// Python's `float()` of a string of ASCII digits and dots; `None` where it raises.
fn py_float(text: &str) -> Option<f64> {
    // Rust accepts what Python does here ("5.", ".5", many digits rounding correctly or to inf).
    text.parse().ok()
}

/// Why `_expand_currency` gave up; coqui's bare `except: pass` swallows it.
struct CurrencyFailed;

/// `_expand_currency(m, "ar", currency)`.
fn expand_currency(
    matched: &[char],
    currency: Currency,
    conv: &mut Num2WordsAr,
) -> Result<String, CurrencyFailed> {
    let amount: String = matched
        .iter()
        .map(|&c| if c == ',' { '.' } else { c })
        .filter(|&c| is_digit(c) || c == '.')
        .collect();
    let amount = py_float(&amount).ok_or(CurrencyFailed)?;
    let mut full = conv
        .currency(amount, currency)
        .map_err(|_| CurrencyFailed)?;
    if amount.fract() == 0.0 {
        // and_equivalents["ar"]; Arabic currency words never contain it, kept for fidelity.
        if let Some(at) = full.rfind(", ") {
            full.truncate(at);
        }
    }
    Ok(full)
}

/// `expand_numbers_multilingual(text, "ar")`, with `conv` standing for num2words' converter
/// and the thread's `decimal` context.
pub(super) fn expand_numbers_ar(text: &str, conv: &mut Num2WordsAr) -> Result<String, TextError> {
    let chars: Vec<char> = text.chars().collect();
    let mut chars = sub::<TextError>(&chars, dot_number_at, |m| {
        Ok(m.iter().filter(|&&c| c != '.').collect())
    })?;

    // The `try:` block: the first failing currency leaves its own pass undone and skips the
    // rest, while what num2words did to the decimal context stays.
    for (symbol, currency) in [
        ('£', Currency::Gbp),
        ('$', Currency::Usd),
        ('€', Currency::Eur),
    ] {
        let find = |t: &[char], p: usize| currency_at(t, p, symbol);
        match sub(&chars, find, |m| expand_currency(m, currency, conv)) {
            Ok(done) => chars = done,
            Err(CurrencyFailed) => break,
        }
    }

    let chars = sub(&chars, decimal_at, |m| {
        let amount: String = m.iter().map(|&c| if c == ',' { '.' } else { c }).collect();
        // Always a valid float: digits, one separator, digits.
        let value = py_float(&amount).unwrap_or(f64::INFINITY);
        Ok::<_, TextError>(conv.cardinal_float(value)?)
    })?;
    let chars = sub(&chars, ordinal_at, |m| {
        let run = ascii_digit_run(m, 0);
        Ok::<_, TextError>(conv.ordinal(&py_int(&m[..run])?)?)
    })?;
    let chars = sub(&chars, number_at, |m| {
        Ok::<_, TextError>(conv.cardinal(&py_int(m)?)?)
    })?;
    Ok(chars.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn dot_number_regex() {
        // The unescaped `.` joins "1a234" and the dot is dropped from "234.567".
        let t = chars("1a234.567 3.14 1.000.000 ٣.٥");
        assert_eq!(dot_number_at(&t, 0), Some(9));
        assert_eq!(dot_number_at(&t, 10), Some(11));
        assert_eq!(dot_number_at(&t, 15), Some(24));
        assert_eq!(dot_number_at(&t, 25), Some(26));
        assert_eq!(dot_number_at(&chars("ب12"), 1), None);
    }

    #[test]
    fn currency_regex() {
        let t = chars("£1.5. 5£3 x,£");
        assert_eq!(currency_at(&t, 0, '£'), Some(4));
        assert_eq!(currency_at(&t, 6, '£'), Some(8));
        assert_eq!(currency_at(&t, 8, '£'), None);
        assert_eq!(currency_at(&t, 11, '£'), None);
    }
}
