//! Python `re` patterns and `unicodedata` categories, as the reference's Python 3.11 sees them.
//!
//! spaCy's patterns are written for Python's `re`. fancy-regex reads the same syntax (`\uXXXX`,
//! `\UXXXXXXXX`, look-around, escaped punctuation), and its classes agree with `re` except for
//! the shorthands whose Unicode meaning differs: Python's `\w` is "alphanumeric or `_`" (letters
//! and numbers, no combining marks) in the Unicode 14.0 database of Python 3.11, Rust's is
//! wider and newer; Python's `\s` also holds U+001C..U+001F. Those are rewritten, and the
//! characters that are literal in a `re` class but operators in a Rust one (`[`, `&&`, `~~`)
//! escaped. Checked against `re`, for every code point in several contexts, on each pattern of
//! the four rule-based tokenizers (prefix, suffix as split by `SuffixSearch`, infix, URL).

use super::super::SplitError;
use regex::Regex;

/// Python 3.11's `\w` for `str` patterns (`str.isalnum()` or `_`), as a class (nested when
/// inside one).
const PY_WORD: &str = r"[\p{L}\p{N}_&&\p{Age=14.0}]";
/// Python's `\s`: `str.isspace()`.
const PY_SPACE: &str = r"\s\x1C-\x1F";

/// Rewrites the Python-only meanings of `\w`, `\s` and `\S`; refuses the shorthands it does
/// not translate (`\W`, `\d`-negations, `\b`, ...) rather than let them mean something else.
pub(crate) fn to_rust(pattern: &str) -> Result<String, SplitError> {
    let mut out = String::with_capacity(pattern.len() + 64);
    let mut in_class = false;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(n) = chars.next() else {
                    return Err(SplitError::Rules("pattern ends in a backslash".into()));
                };
                match (n, in_class) {
                    ('w', _) => out.push_str(PY_WORD),
                    ('s', false) => out.push_str(&format!("[{PY_SPACE}]")),
                    ('s', true) => out.push_str(PY_SPACE),
                    ('S', false) => out.push_str(&format!("[^{PY_SPACE}]")),
                    // \d is Nd in both; the rest have no shorthand use in spaCy's patterns.
                    ('W' | 'S' | 'D' | 'b' | 'B' | 'A' | 'Z', _) => {
                        return Err(SplitError::Rules(format!(
                            "pattern uses \\{n}, which the port does not translate"
                        )))
                    }
                    _ => {
                        out.push('\\');
                        out.push(n);
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                // A leading `^` negates, and a `]` right after `[` or `[^` is a literal in `re`.
                if chars.peek() == Some(&'^') {
                    chars.next();
                    out.push('^');
                }
                if chars.peek() == Some(&']') {
                    chars.next();
                    out.push_str(r"\]");
                }
            }
            '[' => {
                // A literal `[` inside a class in `re`; a nested class in Rust.
                out.push_str(r"\[");
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            // Literals in `re`, set operators (`&&`, `~~`, `--`) in Rust classes.
            '&' | '~' if in_class => {
                out.push('\\');
                out.push(c);
            }
            '-' if in_class && chars.peek() == Some(&'-') => {
                return Err(SplitError::Rules("pattern has `--` in a class".into()));
            }
            _ => out.push(c),
        }
    }
    Ok(out)
}

/// spaCy's `is_punct` lexeme attribute (`spacy/lang/lex_attrs.py`): every character's
/// `unicodedata.category` starts with "P", in Python 3.11's Unicode 14.0 (true for ""), as a
/// whole-string pattern.
pub(crate) fn punct_regex() -> Result<Regex, SplitError> {
    Regex::new(r"^[\p{P}&&\p{Age=14.0}]*$").map_err(|e| SplitError::Rules(e.to_string()))
}

/// The top-level alternatives of a pattern (`a|b(c|d)|[|]` → `a`, `b(c|d)`, `[|]`).
pub(crate) fn alternatives(pattern: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut in_class, mut escaped, mut start) = (0usize, false, false, 0);
    let mut class_start = false;
    for (i, c) in pattern.char_indices() {
        let at_class_start = std::mem::take(&mut class_start);
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '[' if !in_class => {
                in_class = true;
                class_start = true;
            }
            // `[]...]` and `[^]...]` hold a literal `]`.
            '^' if at_class_start => class_start = true,
            ']' if in_class && !at_class_start => in_class = false,
            '(' if !in_class => depth += 1,
            ')' if !in_class => depth = depth.saturating_sub(1),
            '|' if !in_class && depth == 0 => {
                out.push(&pattern[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&pattern[start..]);
    out
}

/// Whether an alternative needs fancy-regex (look-around or a back-reference).
pub(crate) fn needs_backtracking(alternative: &str) -> bool {
    ["(?=", "(?!", "(?<=", "(?<!"]
        .iter()
        .any(|p| alternative.contains(p))
        || alternative
            .as_bytes()
            .windows(2)
            .any(|w| w[0] == b'\\' && w[1].is_ascii_digit() && w[1] != b'0')
}
