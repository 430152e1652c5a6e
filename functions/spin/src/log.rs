//! Log lines on stderr, one host write each.
//!
//! `eprintln!` may issue several writes for one line (the formatted pieces), and under many
//! concurrent instances the host interleaves them mid-line (`chat: chat: POSTPOST …`). A line
//! formatted first and written with one `write_all` arrives whole.

use std::io::Write;

/// Writes `line` and a newline to stderr in one write. Never logs headers or bodies: callers
/// pass routes, statuses, timings and causes that hold no secrets.
pub fn log_line(line: &str) {
    let mut buf = String::with_capacity(line.len() + 1);
    buf.push_str(line);
    buf.push('\n');
    // Nothing useful can be done if stderr is gone; the response still goes out.
    let _ = std::io::stderr().write_all(buf.as_bytes());
}
