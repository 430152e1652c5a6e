//! Character classes and small look-arounds over the text as a `[char]` slice. Every access goes
//! through `get`, so no position can panic.

/// The value of a digit in any of the scripts Egyptian text mixes: Western `0-9`, Eastern
/// Arabic `٠-٩` (U+0660) and Persian `۰-۹` (U+06F0).
pub fn digit_value(c: char) -> Option<u8> {
    let base = match c {
        '0'..='9' => '0',
        '\u{660}'..='\u{669}' => '\u{660}',
        '\u{6F0}'..='\u{6F9}' => '\u{6F0}',
        _ => return None,
    };
    u8::try_from(u32::from(c) - u32::from(base)).ok()
}

pub fn is_digit(c: char) -> bool {
    digit_value(c).is_some()
}

/// `.` and the Arabic decimal separator `٫` (U+066B).
pub fn is_decimal_sep(c: char) -> bool {
    matches!(c, '.' | '\u{66B}')
}

/// `,` and the Arabic thousands separator `٬` (U+066C).
pub fn is_group_sep(c: char) -> bool {
    matches!(c, ',' | '\u{66C}')
}

/// An Arabic-script letter (not a digit, mark, tatweel or Arabic punctuation).
pub fn is_arabic_letter(c: char) -> bool {
    matches!(u32::from(c),
        0x620..=0x63F | 0x641..=0x64A | 0x66E..=0x66F | 0x671..=0x6D3 | 0x6D5 | 0x6FA..=0x6FC)
}

/// Harakat, Quranic marks and tatweel: inside a word, ignored when a word is compared.
pub fn is_arabic_mark(c: char) -> bool {
    matches!(u32::from(c), 0x640 | 0x64B..=0x65F | 0x670 | 0x6D6..=0x6ED)
}

pub fn is_arabic_word_char(c: char) -> bool {
    is_arabic_letter(c) || is_arabic_mark(c)
}

/// Spaces inside a line: a number and its unit or suffix may be separated by these, never by a
/// line break.
pub fn is_inline_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\u{A0}' | '\u{202F}')
}

/// The character `n` positions before `i`.
pub fn before(chars: &[char], i: usize, n: usize) -> Option<char> {
    i.checked_sub(n).and_then(|k| chars.get(k).copied())
}

pub fn at(chars: &[char], i: usize) -> Option<char> {
    chars.get(i).copied()
}

pub fn digit_at(chars: &[char], i: usize) -> bool {
    at(chars, i).is_some_and(is_digit)
}

/// The maximal run of digits from `i`: its values and the position after it.
pub fn digit_run(chars: &[char], i: usize) -> (Vec<u8>, usize) {
    let mut digits = Vec::new();
    let mut j = i;
    while let Some(d) = at(chars, j).and_then(digit_value) {
        digits.push(d);
        j += 1;
    }
    (digits, j)
}

/// The first position at or after `i` that is not an inline space.
pub fn skip_spaces(chars: &[char], i: usize) -> usize {
    let mut j = i;
    while at(chars, j).is_some_and(is_inline_space) {
        j += 1;
    }
    j
}

/// The Arabic word starting at `i` with its marks and tatweel dropped, and where it ends.
pub fn arabic_word(chars: &[char], i: usize) -> (String, usize) {
    let mut word = String::new();
    let mut j = i;
    while let Some(c) = at(chars, j).filter(|&c| is_arabic_word_char(c)) {
        if !is_arabic_mark(c) {
            word.push(c);
        }
        j += 1;
    }
    (word, j)
}

/// The Arabic word that ends just before `i` (inline spaces skipped), marks dropped.
pub fn arabic_word_before(chars: &[char], i: usize) -> String {
    let mut j = i;
    while before(chars, j, 1).is_some_and(is_inline_space) {
        j -= 1;
    }
    let mut word: Vec<char> = Vec::new();
    while let Some(c) = before(chars, j, 1).filter(|&c| is_arabic_word_char(c)) {
        if !is_arabic_mark(c) {
            word.push(c);
        }
        j -= 1;
    }
    word.iter().rev().collect()
}

/// Whether the text at `i` is `pattern`, ASCII letters compared case-insensitively when
/// `fold_case`; returns the position after it.
pub fn starts_with(chars: &[char], i: usize, pattern: &str, fold_case: bool) -> Option<usize> {
    let mut j = i;
    for p in pattern.chars() {
        let c = at(chars, j)?;
        let same = if fold_case {
            c.eq_ignore_ascii_case(&p)
        } else {
            c == p
        };
        if !same {
            return None;
        }
        j += 1;
    }
    Some(j)
}

/// The proclitics written onto a number or word: ب، و، ل، ك، ف، ع (Egyptian for على) and their
/// combinations with the article.
pub const CLITICS: [&str; 22] = [
    "ب", "و", "ل", "ك", "ف", "ع", "ال", "بال", "وال", "فال", "كال", "لل", "وب", "ول", "وك", "فب",
    "فل", "وبال", "ولل", "فلل", "فبال", "عال",
];

/// Whether `word` is `base` with at most a proclitic in front (السنة، بالساعة، لسنة …).
pub fn is_word(word: &str, base: &str) -> bool {
    word.strip_suffix(base)
        .is_some_and(|prefix| prefix.is_empty() || CLITICS.contains(&prefix))
}
