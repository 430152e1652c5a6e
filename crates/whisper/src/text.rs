//! Text helpers whose exact behaviour the reference depends on.

use std::io::Write;

/// `whisper/utils.py::compression_ratio`: UTF-8 length over zlib-compressed length.
/// zlib level 6 via flate2's pure-Rust backend (builds for wasm); its stream can differ from
/// C zlib by a few bytes, so the ratio matches the reference to about 1 %.
pub fn compression_ratio(text: &str) -> f64 {
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        return 0.0;
    }
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(6));
    if enc.write_all(bytes).is_err() {
        return 0.0;
    }
    match enc.finish() {
        Ok(z) if !z.is_empty() => bytes.len() as f64 / z.len() as f64,
        _ => 0.0,
    }
}

/// Python's `str.isspace`, which `str.strip()` uses: Rust's White_Space plus the ASCII
/// information separators U+001C..U+001F.
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.strip()` with no arguments.
pub fn py_strip(s: &str) -> &str {
    s.trim_matches(py_space)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_of_repetition_is_high() {
        let rep = "Tú ".repeat(100);
        assert!(compression_ratio(&rep) > 10.0);
        let short = "مرحبا";
        assert!(compression_ratio(short) < 1.0);
        assert_eq!(compression_ratio(""), 0.0);
    }

    #[test]
    fn strip_like_python() {
        assert_eq!(py_strip("\u{1f} a b\u{3000}\n"), "a b");
        assert_eq!(py_strip("\u{200b}x"), "\u{200b}x"); // ZWSP is not whitespace in Python
    }
}
