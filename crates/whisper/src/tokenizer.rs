//! Whisper's tokenizer for decoding: tiktoken ranks (base64 token, rank per line) plus the
//! special tokens that whisper/tokenizer.py::get_encoding appends after the ranks.

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

use std::collections::HashMap;

use crate::config::ModelConfig;
use crate::WhisperError;

pub struct Tokenizer {
    /// Bytes of every token id below `timestamp_begin` (ranks, then specials by name).
    pieces: Vec<Vec<u8>>,
    /// bytes → rank, built on the first `encode` (only prompts need it).
    ranks: std::sync::OnceLock<HashMap<Vec<u8>, u32>>,
    pub eot: u32,
    pub no_speech: u32,
    pub timestamp_begin: u32,
}

impl Tokenizer {
    pub fn from_tiktoken(ranks: &[u8], cfg: &ModelConfig) -> Result<Self, WhisperError> {
        let text =
            std::str::from_utf8(ranks).map_err(|_| WhisperError::Tokenizer("not UTF-8".into()))?;
        let mut pieces: Vec<Vec<u8>> = Vec::with_capacity(cfg.dims.n_vocab);
        for (i, line) in text.lines().enumerate() {
            if line.is_empty() {
                continue;
            }
            let mut it = line.split(' ');
            let (Some(tok), Some(rank)) = (it.next(), it.next()) else {
                return Err(WhisperError::Tokenizer(format!("line {}", i + 1)));
            };
            let rank: usize = rank
                .parse()
                .map_err(|_| WhisperError::Tokenizer(format!("rank on line {}", i + 1)))?;
            if rank != pieces.len() {
                return Err(WhisperError::Tokenizer(format!(
                    "ranks are not contiguous at line {}",
                    i + 1
                )));
            }
            // Python's b64decode accepts a lone "=" (rank 50256 of multilingual.tiktoken is
            // the empty token), so padding is stripped and not required here.
            let bytes = LENIENT
                .decode(tok.trim_end_matches('='))
                .map_err(|_| WhisperError::Tokenizer(format!("base64 on line {}", i + 1)))?;
            pieces.push(bytes);
        }
        let st = &cfg.special_tokens;
        if pieces.len() != st.eot as usize {
            return Err(WhisperError::Tokenizer(format!(
                "{} ranks, but <|endoftext|> is {}",
                pieces.len(),
                st.eot
            )));
        }
        // Same order as get_encoding(): the specials follow the ranks.
        let mut specials = vec!["<|endoftext|>".to_string(), "<|startoftranscript|>".into()];
        specials.extend(cfg.languages.iter().map(|l| format!("<|{l}|>")));
        for s in [
            "translate",
            "transcribe",
            "startoflm",
            "startofprev",
            "nospeech",
            "notimestamps",
        ] {
            specials.push(format!("<|{s}|>"));
        }
        pieces.extend(specials.into_iter().map(String::into_bytes));
        if pieces.len() != st.timestamp_begin as usize {
            return Err(WhisperError::Tokenizer(
                "special tokens do not line up with the config".into(),
            ));
        }
        // The decoder and the filters use the config's ids: each must name its token here.
        let first_language = cfg.languages.first().map(|l| format!("<|{l}|>"));
        for (name, id) in [
            ("<|startoftranscript|>", st.sot),
            ("<|startofprev|>", st.sot_prev),
            ("<|startoflm|>", st.sot_lm),
            ("<|nospeech|>", st.no_speech),
            ("<|notimestamps|>", st.no_timestamps),
            ("<|transcribe|>", st.transcribe),
            ("<|translate|>", st.translate),
            (
                first_language.as_deref().unwrap_or("<|en|>"),
                st.first_language,
            ),
        ] {
            if pieces.get(id as usize).map(Vec::as_slice) != Some(name.as_bytes()) {
                return Err(WhisperError::Tokenizer(format!(
                    "the config gives {name} id {id}, the tokenizer has another token there"
                )));
            }
        }
        Ok(Tokenizer {
            pieces,
            ranks: std::sync::OnceLock::new(),
            eot: st.eot,
            no_speech: st.no_speech,
            timestamp_begin: st.timestamp_begin,
        })
    }

    /// Size of the vocabulary: ranks, special tokens, then the timestamp tokens.
    pub fn n_vocab(&self) -> usize {
        self.timestamp_begin as usize + crate::consts::N_TIMESTAMP_TOKENS
    }

    /// `Tokenizer.decode`: timestamps dropped, bytes joined, invalid UTF-8 replaced by U+FFFD
    /// (tiktoken decodes with errors="replace").
    pub fn decode(&self, tokens: &[u32]) -> String {
        let mut bytes = Vec::with_capacity(tokens.len() * 4);
        for &t in tokens {
            if t < self.timestamp_begin {
                if let Some(p) = self.pieces.get(t as usize) {
                    bytes.extend_from_slice(p);
                }
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// `decode_with_timestamps`: timestamps rendered as `<|1.08|>`.
    pub fn decode_with_timestamps(&self, tokens: &[u32]) -> String {
        let mut out = String::new();
        let mut run = Vec::new();
        for &t in tokens {
            if t >= self.timestamp_begin {
                out.push_str(&self.decode(&run));
                run.clear();
                out.push_str(&format!(
                    "<|{:.2}|>",
                    f64::from(t - self.timestamp_begin) * crate::TIME_PRECISION
                ));
            } else {
                run.push(t);
            }
        }
        out.push_str(&self.decode(&run));
        out
    }

    /// `Tokenizer.encode` (tiktoken with whisper's GPT-2 split pattern, no special tokens):
    /// used for the `prompt` of a transcription request.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let ranks = self.ranks.get_or_init(|| {
            self.pieces[..self.eot as usize]
                .iter()
                .enumerate()
                .map(|(i, p)| (p.clone(), i as u32))
                .collect()
        });
        let mut out = Vec::new();
        for piece in split_gpt2(text) {
            bpe(piece.as_bytes(), ranks, &mut out);
        }
        out
    }
}

/// The pre-tokenizer of whisper/tokenizer.py::get_encoding:
/// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
/// The regex crate has no look-ahead, so `\s+(?!\S)` is done by hand: a whitespace run
/// followed by a non-space gives back its last character to the next piece.
fn split_gpt2(text: &str) -> Vec<&str> {
    static PATTERN: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let Some(re) = PATTERN
        .get_or_init(|| {
            regex::Regex::new(r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+")
                .ok()
        })
        .as_ref()
    else {
        return vec![text];
    };
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < text.len() {
        let Some(m) = re.find_at(text, pos) else {
            break;
        };
        let mut end = m.end();
        let s = m.as_str();
        if s.chars().all(char::is_whitespace) && end < text.len() && s.chars().count() > 1 {
            // Leave the last whitespace character for the next match.
            end -= s.chars().next_back().map_or(0, char::len_utf8);
        }
        out.push(&text[m.start()..end]);
        pos = end;
    }
    out
}

/// tiktoken's byte-pair merge: repeatedly join the adjacent pair with the lowest rank.
fn bpe(piece: &[u8], ranks: &HashMap<Vec<u8>, u32>, out: &mut Vec<u32>) {
    if let Some(&r) = ranks.get(piece) {
        out.push(r);
        return;
    }
    let mut bounds: Vec<usize> = (0..=piece.len()).collect();
    loop {
        let mut best: Option<(u32, usize)> = None;
        for i in 0..bounds.len().saturating_sub(2) {
            if let Some(&r) = ranks.get(&piece[bounds[i]..bounds[i + 2]]) {
                if best.is_none_or(|(b, _)| r < b) {
                    best = Some((r, i));
                }
            }
        }
        match best {
            Some((_, i)) => {
                bounds.remove(i + 1);
            }
            None => break,
        }
    }
    for w in bounds.windows(2) {
        // Every single byte is a rank in the byte-level vocabulary.
        if let Some(&r) = ranks.get(&piece[w[0]..w[1]]) {
            out.push(r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/whisper/model")
            .join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// The filters and the no-speech gate index logits by the config's special ids, so an id
    /// that names another token (here <|transcribe|> and <|translate|> swapped) is refused.
    #[test]
    fn special_ids_that_name_other_tokens_are_refused() {
        let cfg = ModelConfig::from_json(&fixture("config.json")).unwrap();
        let ranks = fixture(&cfg.tokenizer);
        let tok = Tokenizer::from_tiktoken(&ranks, &cfg).unwrap();
        assert_eq!(tok.n_vocab(), cfg.dims.n_vocab);
        let mut bad = cfg.clone();
        let st = &mut bad.special_tokens;
        std::mem::swap(&mut st.transcribe, &mut st.translate);
        match Tokenizer::from_tiktoken(&ranks, &bad) {
            Err(WhisperError::Tokenizer(m)) => assert_eq!(
                m,
                "the config gives <|transcribe|> id 50358, the tokenizer has another token there"
            ),
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("swapped ids accepted"),
        }
    }
}
