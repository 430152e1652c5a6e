//! Text helpers whose exact behaviour the reference depends on.

use std::io::Write;

/// `whisper/utils.py::compression_ratio`: UTF-8 length over `len(zlib.compress(text))`, the
/// compressed length counted exactly as C zlib 1.2.13 produces it ([`crate::zlib_len`]). Text
/// over 32 KiB (never a Whisper window's) uses flate2, which can differ by a few bytes.
pub fn compression_ratio(text: &str) -> f64 {
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        return 0.0;
    }
    let compressed = crate::zlib_len::compressed_len(bytes).or_else(|| {
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(6));
        enc.write_all(bytes).ok()?;
        enc.finish().ok().map(|z| z.len())
    });
    match compressed {
        Some(z) if z > 0 => bytes.len() as f64 / z as f64,
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
