//! The few pieces of CPython 3.11's `str` and `re` that coqui's cleaners depend on, over the
//! tables in `pyunicode.rs` (measured from that interpreter, Unicode 14.0.0): `re`'s `\w` (for
//! `\b`), `\d` and `\s`, `str.strip()` and `str.lower()`.

use super::pyunicode::{CASED, CASE_IGNORABLE, DIGIT, LOWER_MULTI, LOWER_RUNS, SPACE, WORD};

fn in_ranges(table: &[(u32, u32)], c: char) -> bool {
    let cp = u32::from(c);
    let i = table.partition_point(|&(first, _)| first <= cp);
    i > 0 && cp <= table[i - 1].1
}

/// `re`'s `\w`: what `\b` looks at.
pub(super) fn is_word(c: char) -> bool {
    in_ranges(WORD, c)
}

/// `re`'s `\d`: any Unicode decimal digit, Eastern Arabic ones included.
pub(super) fn is_digit(c: char) -> bool {
    in_ranges(DIGIT, c)
}

/// `re`'s `\s`, the same set `str.strip()` removes (it has U+001C..U+001F, which Rust's
/// `char::is_whitespace` has not).
pub(super) fn is_space(c: char) -> bool {
    in_ranges(SPACE, c)
}

/// `str.strip()` with no argument.
pub(super) fn strip(text: &str) -> &str {
    text.trim_matches(is_space)
}

/// `re`'s `\b` at `i` in `text`: a word character on exactly one side.
pub(super) fn is_boundary(text: &[char], i: usize) -> bool {
    let before = i > 0 && text.get(i - 1).is_some_and(|&c| is_word(c));
    let after = text.get(i).is_some_and(|&c| is_word(c));
    before != after
}

fn lower_char(c: char, out: &mut String) {
    if let Some(&(_, multi)) = LOWER_MULTI.iter().find(|(from, _)| *from == c) {
        out.push_str(multi);
        return;
    }
    let cp = u32::from(c);
    let i = LOWER_RUNS.partition_point(|&(first, ..)| first <= cp);
    if i > 0 {
        let (first, last, delta, stride) = LOWER_RUNS[i - 1];
        if cp <= last && (cp - first) % stride == 0 {
            if let Some(lower) = cp.checked_add_signed(delta).and_then(char::from_u32) {
                out.push(lower);
                return;
            }
        }
    }
    out.push(c);
}

/// CPython's `handle_capital_sigma` (Objects/unicodeobject.c): Σ becomes final ς after a cased
/// letter (case-ignorable characters between skipped) not followed by one.
fn capital_sigma(text: &[char], i: usize) -> char {
    let is_cased = |c: char| in_ranges(CASED, c);
    let ignorable = |c: char| in_ranges(CASE_IGNORABLE, c);
    let before = text[..i].iter().rev().find(|&&c| !ignorable(c));
    let mut final_sigma = before.is_some_and(|&c| is_cased(c));
    if final_sigma {
        let after = text[i + 1..].iter().find(|&&c| !ignorable(c));
        final_sigma = after.is_none_or(|&c| !is_cased(c));
    }
    if final_sigma {
        'ς'
    } else {
        'σ'
    }
}

/// `str.lower()`: full lower-case mapping (İ becomes "i̇") with the final-sigma rule.
pub(super) fn lower(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        if c == 'Σ' {
            out.push(capital_sigma(&chars, i));
        } else {
            lower_char(c, &mut out);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_semantics() {
        assert_eq!(lower("İSTANBUL ΟΔΟΣ Σ"), "i\u{307}stanbul οδος σ");
        assert_eq!(lower("ABC ÀÉ Ǆ"), "abc àé ǆ");
        assert!(is_digit('٣') && !is_digit('²') && is_word('²'));
        // Arabic letters and tatweel are word characters, the diacritics are not.
        assert!(is_word('ب') && is_word('ـ') && !is_word('\u{64E}'));
        assert_eq!(strip("\u{1c} x \u{a0}"), "x");
    }
}
