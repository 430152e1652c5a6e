//! Incremental filter for OpenRouter's Server-Sent Events.
//!
//! Feed bytes as they arrive (split anywhere: inside a line, inside a UTF-8 character);
//! get back the bytes to forward now. Only complete lines are emitted, so the client never
//! sees half a `data:` line, and every forwarded line is byte-for-byte what upstream sent.
//! - comment lines (`: OPENROUTER PROCESSING`) are dropped, and so is the blank line that
//!   ends an event made only of comments;
//! - a `data:` line whose JSON carries a top-level `error` object (OpenRouter's mid-stream
//!   error) becomes `event: error` + `data: {"error":{...OpenAI envelope...}}`, which the
//!   `openai` SDKs raise as `APIError`;
//! - `data: [DONE]` and everything else pass through.

use serde_json::Value;

use crate::config::Secret;
use crate::upstream::stream_error_envelope;

/// A line longer than this is forwarded in pieces instead of being buffered whole.
pub const MAX_LINE_BYTES: usize = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overflow {
    /// Normal: buffering the current line.
    None,
    /// Inside an oversized line that is being forwarded as it comes.
    Forwarding,
    /// Inside an oversized comment line that is being dropped.
    Dropping,
}

#[derive(Debug)]
pub struct SseFilter {
    line: Vec<u8>,
    overflow: Overflow,
    /// A field line of the current event has been forwarded (so its blank line must be too).
    in_event: bool,
    saw_done: bool,
    saw_error: bool,
    secret: Option<Secret>,
}

impl Default for SseFilter {
    fn default() -> Self {
        Self::new(None)
    }
}

impl SseFilter {
    /// `secret` is redacted from error messages passed on.
    pub fn new(secret: Option<Secret>) -> Self {
        Self {
            line: Vec::new(),
            overflow: Overflow::None,
            in_event: false,
            saw_done: false,
            saw_error: false,
            secret,
        }
    }

    /// Whether `data: [DONE]` has been seen.
    pub fn saw_done(&self) -> bool {
        self.saw_done
    }

    /// Whether an error event has been emitted.
    pub fn saw_error(&self) -> bool {
        self.saw_error
    }

    /// Feeds upstream bytes; returns what to forward now (possibly nothing).
    pub fn feed(&mut self, mut chunk: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        while !chunk.is_empty() {
            let newline = chunk.iter().position(|&b| b == b'\n');
            let (part, rest, complete) = match newline {
                Some(i) => (&chunk[..=i], &chunk[i + 1..], true),
                None => (chunk, &chunk[chunk.len()..], false),
            };
            chunk = rest;
            match self.overflow {
                Overflow::Forwarding => {
                    out.extend_from_slice(part);
                    if complete {
                        self.overflow = Overflow::None;
                    }
                }
                Overflow::Dropping => {
                    if complete {
                        self.overflow = Overflow::None;
                    }
                }
                Overflow::None => {
                    self.line.extend_from_slice(part);
                    if complete {
                        let line = std::mem::take(&mut self.line);
                        self.emit_line(&line, &mut out);
                    } else if self.line.len() > MAX_LINE_BYTES {
                        // Bounded memory: stop buffering and stream the rest of this line.
                        let line = std::mem::take(&mut self.line);
                        if line.first() == Some(&b':') {
                            self.overflow = Overflow::Dropping;
                        } else {
                            self.overflow = Overflow::Forwarding;
                            self.in_event = true;
                            out.extend_from_slice(&line);
                        }
                    }
                }
            }
        }
        out
    }

    /// Upstream ended. An unterminated last line is dropped (SSE clients discard it too).
    /// If the stream ended without `[DONE]` or an error, the client gets an error event so
    /// a cut-off answer is not mistaken for a complete one.
    pub fn finish(&mut self) -> Vec<u8> {
        self.line.clear();
        let mut out = Vec::new();
        if self.overflow == Overflow::Forwarding {
            out.push(b'\n');
            self.in_event = true;
        }
        self.overflow = Overflow::None;
        if !self.saw_done && !self.saw_error {
            out.extend(self.error_event(&serde_json::json!({"error": {
                "message": "the model provider ended the stream unexpectedly",
                "type": "server_error",
                "param": null,
                "code": "upstream_stream_truncated",
            }})));
        }
        out
    }

    /// The upstream connection failed mid-stream: an error event with `envelope` (an OpenAI
    /// error envelope), emitted at an event boundary.
    pub fn fail(&mut self, envelope: &Value) -> Vec<u8> {
        self.line.clear();
        let mut out = Vec::new();
        if self.overflow == Overflow::Forwarding {
            out.push(b'\n');
            self.in_event = true;
        }
        self.overflow = Overflow::None;
        out.extend(self.error_event(envelope));
        out
    }

    fn error_event(&mut self, envelope: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        if self.in_event {
            // Close the event in progress so the error is an event of its own.
            out.push(b'\n');
            self.in_event = false;
        }
        out.extend_from_slice(b"event: error\ndata: ");
        out.extend(serde_json::to_vec(envelope).unwrap_or_default());
        out.extend_from_slice(b"\n\n");
        self.saw_error = true;
        out
    }

    fn emit_line(&mut self, line: &[u8], out: &mut Vec<u8>) {
        let content = line.strip_suffix(b"\n").unwrap_or(line);
        let content = content.strip_suffix(b"\r").unwrap_or(content);
        if content.is_empty() {
            if self.in_event {
                out.extend_from_slice(line);
                self.in_event = false;
            }
            return;
        }
        if content[0] == b':' {
            return;
        }
        if let Some(data) = content.strip_prefix(b"data:") {
            let data = data.strip_prefix(b" ").unwrap_or(data);
            if data == b"[DONE]" {
                self.saw_done = true;
            } else if let Some(error) = mid_stream_error(data) {
                let envelope = stream_error_envelope(&error, self.secret.as_ref());
                out.extend_from_slice(b"event: error\ndata: ");
                out.extend(serde_json::to_vec(&envelope).unwrap_or_default());
                out.push(b'\n');
                self.in_event = true;
                self.saw_error = true;
                return;
            }
        }
        out.extend_from_slice(line);
        self.in_event = true;
    }
}

/// The `error` object of a chunk, if it has one.
fn mid_stream_error(data: &[u8]) -> Option<Value> {
    // Parse only lines that can hold an error; normal chunks skip JSON parsing entirely.
    if !data.windows(7).any(|w| w == b"\"error\"") {
        return None;
    }
    match serde_json::from_slice::<Value>(data).ok()? {
        Value::Object(mut v) => match v.remove("error") {
            Some(e @ Value::Object(_)) | Some(e @ Value::String(_)) => Some(e),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STREAM: &str = concat!(
        ": OPENROUTER PROCESSING\n\n",
        "data: {\"id\":\"gen-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"أهلاً \"}}]}\n\n",
        ": OPENROUTER PROCESSING\n\n",
        "data: {\"id\":\"gen-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"يا باشا، عامل إيه؟\"},\"finish_reason\":\"stop\"}]}\n\n",
        "data: [DONE]\n\n",
    );

    fn expected() -> String {
        STREAM.replace(": OPENROUTER PROCESSING\n\n", "")
    }

    fn run(chunks: &[&[u8]]) -> Vec<u8> {
        let mut f = SseFilter::default();
        let mut out = Vec::new();
        for c in chunks {
            out.extend(f.feed(c));
        }
        out.extend(f.finish());
        out
    }

    #[test]
    fn drops_comments_and_keeps_data_byte_for_byte() {
        assert_eq!(
            String::from_utf8(run(&[STREAM.as_bytes()])).unwrap(),
            expected()
        );
    }

    #[test]
    fn every_split_point_gives_the_same_bytes() {
        let bytes = STREAM.as_bytes();
        for i in 0..=bytes.len() {
            assert_eq!(
                run(&[&bytes[..i], &bytes[i..]]),
                expected().as_bytes(),
                "split at {i}"
            );
        }
        // And one byte at a time (every split inside every Arabic character at once).
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(run(&singles), expected().as_bytes());
    }

    #[test]
    fn emits_only_complete_lines() {
        let mut f = SseFilter::default();
        assert!(f.feed(b"data: {\"a\":").is_empty());
        assert!(f.feed(": OPENR".as_bytes()).is_empty());
        assert_eq!(f.feed(b"}\n"), b"data: {\"a\":: OPENR}\n");
        assert_eq!(f.feed(b"\n: x\n"), b"\n");
        assert!(
            f.feed(b"\n").is_empty(),
            "blank line of a comment-only event is dropped"
        );
    }

    #[test]
    fn crlf_streams_pass_through() {
        let s = b": c\r\n\r\ndata: {\"x\":1}\r\n\r\ndata: [DONE]\r\n\r\n";
        assert_eq!(run(&[s]), b"data: {\"x\":1}\r\n\r\ndata: [DONE]\r\n\r\n");
    }

    #[test]
    fn mid_stream_error_becomes_an_error_event() {
        let s = concat!(
            "data: {\"id\":\"g\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"أ\"}}]}\n\n",
            "data: {\"id\":\"g\",\"object\":\"chat.completion.chunk\",\"error\":{\"code\":\"server_error\",\"message\":\"Provider disconnected\"},\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},\"finish_reason\":\"error\"}]}\n\n",
            "data: [DONE]\n\n",
        );
        let out = String::from_utf8(run(&[s.as_bytes()])).unwrap();
        assert_eq!(
            out,
            concat!(
                "data: {\"id\":\"g\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"أ\"}}]}\n\n",
                "event: error\ndata: {\"error\":{\"message\":\"Provider disconnected\",\"type\":\"server_error\",\"param\":null,\"code\":\"server_error\"}}\n\n",
                "data: [DONE]\n\n",
            )
        );
    }

    #[test]
    fn content_mentioning_error_is_not_an_error() {
        let s =
            "data: {\"choices\":[{\"delta\":{\"content\":\"\\\"error\\\"\"}}]}\n\ndata: [DONE]\n\n";
        assert_eq!(run(&[s.as_bytes()]), s.as_bytes());
        let null_error = "data: {\"error\":null,\"choices\":[]}\n\ndata: [DONE]\n\n";
        assert_eq!(run(&[null_error.as_bytes()]), null_error.as_bytes());
    }

    #[test]
    fn truncated_stream_ends_with_an_error_event() {
        let out = String::from_utf8(run(&[b"data: {\"a\":1}\n\ndata: {\"b\""])).unwrap();
        assert_eq!(
            out,
            "data: {\"a\":1}\n\nevent: error\ndata: {\"error\":{\"message\":\"the model provider ended the stream unexpectedly\",\"type\":\"server_error\",\"param\":null,\"code\":\"upstream_stream_truncated\"}}\n\n"
        );
        // Inside an event: the event is closed first.
        let mut f = SseFilter::default();
        assert_eq!(f.feed(b"data: {\"a\":1}\n"), b"data: {\"a\":1}\n");
        let failed = f.fail(&serde_json::json!({"error": {"message": "timeout"}}));
        assert_eq!(
            failed,
            b"\nevent: error\ndata: {\"error\":{\"message\":\"timeout\"}}\n\n"
        );
        assert!(f.saw_error());
        assert!(f.finish().is_empty(), "no second error after fail()");
    }

    #[test]
    fn oversized_lines_stream_through_with_bounded_memory() {
        let mut f = SseFilter::default();
        let big = vec![b'x'; MAX_LINE_BYTES + 10];
        let mut out = f.feed(b"data: ");
        out.extend(f.feed(&big));
        assert!(f.line.is_empty());
        out.extend(f.feed(b"yz\n\n"));
        out.extend(f.feed(b"data: [DONE]\n\n"));
        out.extend(f.finish());
        let mut want = b"data: ".to_vec();
        want.extend(&big);
        want.extend(b"yz\n\ndata: [DONE]\n\n");
        assert_eq!(out, want);

        let mut f = SseFilter::default();
        let mut comment = b": ".to_vec();
        comment.extend(vec![b'c'; MAX_LINE_BYTES + 1]);
        assert!(f.feed(&comment).is_empty());
        assert!(f.feed(b"still comment\n\n").is_empty());
        assert_eq!(f.feed(b"data: 1\n\n"), b"data: 1\n\n");
    }
}
