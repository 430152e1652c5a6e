//! The few Python `str` semantics the splitting code depends on, in code points as Python counts.

/// Python's `str.isspace()` for one character: bidirectional class WS, B or S, or category Zs.
/// That is Unicode White_Space plus U+001C..U+001F (the information separators, bidi class B/S),
/// which Rust's `char::is_whitespace` leaves out.
pub(crate) fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.lstrip()` with no argument.
pub(crate) fn lstrip(s: &str) -> &str {
    s.trim_start_matches(is_space)
}

/// Python's `len(s)`: code points, not bytes.
pub(crate) fn len(s: &str) -> usize {
    s.chars().count()
}
