//! Python's `textwrap.wrap` with the options coqui's `split_sentence` passes.
//!
//! Port of CPython 3.11 `Lib/textwrap.py` (`TextWrapper._munge_whitespace`, `_split`,
//! `_wrap_chunks`, `_handle_long_word`) for `width=limit, drop_whitespace=True,
//! break_on_hyphens=False, tabsize=1` and the defaults otherwise (`expand_tabs=True`,
//! `replace_whitespace=True`, `break_long_words=True`, no indents, no `max_lines`), which is
//! what coqui-tts 0.27.2 `TTS/tts/layers/xtts/tokenizer.py` `split_sentence` calls.

use super::{py, SplitError};

/// The characters `textwrap` calls whitespace (`_whitespace`): ASCII only.
fn is_ascii_ws(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\u{0b}' | '\u{0c}' | '\r' | ' ')
}

/// One indivisible piece of the text: a run of spaces or a run of anything else.
struct Chunk {
    chars: Vec<char>,
}

impl Chunk {
    fn is_blank(&self) -> bool {
        // `chunk.strip() == ''` strips every Python whitespace character, so a "word" made of
        // e.g. U+00A0 counts as whitespace here although `_split` did not split on it.
        self.chars.iter().all(|&c| py::is_space(c))
    }
}

/// `textwrap.wrap(text, width=width, drop_whitespace=True, break_on_hyphens=False, tabsize=1)`.
pub fn wrap(text: &str, width: usize) -> Result<Vec<String>, SplitError> {
    // `_wrap_chunks` refuses a zero width before looking at the text (even for "").
    if width == 0 {
        return Err(SplitError::ZeroWidth);
    }
    let mut chunks = split_chunks(text);
    // A stack: the next chunk is at the end.
    chunks.reverse();
    let mut lines: Vec<String> = Vec::new();
    while !chunks.is_empty() {
        let mut cur_line: Vec<Chunk> = Vec::new();
        let mut cur_len = 0usize;
        // Whitespace at the start of a line is dropped, except on the first line.
        if !lines.is_empty() && chunks.last().is_some_and(Chunk::is_blank) {
            chunks.pop();
        }
        while let Some(next) = chunks.last() {
            let l = next.chars.len();
            if cur_len + l <= width {
                cur_len += l;
                if let Some(chunk) = chunks.pop() {
                    cur_line.push(chunk);
                }
            } else {
                break;
            }
        }
        if chunks.last().is_some_and(|c| c.chars.len() > width) {
            handle_long_word(&mut chunks, &mut cur_line, cur_len, width);
        }
        if cur_line.last().is_some_and(Chunk::is_blank) {
            cur_line.pop();
        }
        if !cur_line.is_empty() {
            lines.push(cur_line.iter().flat_map(|c| c.chars.iter()).collect());
        }
    }
    Ok(lines)
}

/// `_munge_whitespace` then `_split` with `wordsep_simple_re`, empty pieces removed.
fn split_chunks(text: &str) -> Vec<Chunk> {
    // expandtabs(1) turns every tab into exactly one space, and `replace_whitespace` turns
    // the other ASCII whitespace into a space each, so every such character becomes one space.
    let mut chunks: Vec<Chunk> = Vec::new();
    let mut in_ws: Option<bool> = None;
    for c in text.chars() {
        let ws = is_ascii_ws(c);
        let c = if ws { ' ' } else { c };
        match chunks.last_mut() {
            Some(last) if in_ws == Some(ws) => last.chars.push(c),
            _ => chunks.push(Chunk { chars: vec![c] }),
        }
        in_ws = Some(ws);
    }
    chunks
}

/// `_handle_long_word` with `break_long_words=True, break_on_hyphens=False`: as much of the
/// next chunk as fits goes on the current line, the rest stays for the next one.
fn handle_long_word(chunks: &mut [Chunk], cur_line: &mut Vec<Chunk>, cur_len: usize, width: usize) {
    // width >= 1 here, so `space_left = width - cur_len` (cur_len never exceeds width).
    let space_left = width.saturating_sub(cur_len);
    if let Some(chunk) = chunks.last_mut() {
        let end = space_left.min(chunk.chars.len());
        let rest = chunk.chars.split_off(end);
        let head = std::mem::replace(&mut chunk.chars, rest);
        // Python appends `chunk[:end]` even when it is empty; the blank check after drops it.
        cur_line.push(Chunk { chars: head });
    }
}
