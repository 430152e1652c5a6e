//! coqui's sentence splitting for long inputs, and its per-language character limits.
//!
//! Port of coqui-tts 0.27.2 `TTS/tts/layers/xtts/tokenizer.py` (commit
//! 3194998df292b56a53064b300e12210979e3f16f): `split_sentence` (spaCy's blank pipeline with the
//! "sentencizer", then `textwrap.wrap` for sentences over the limit) and the `char_limits`
//! table of `VoiceBpeTokenizer.__init__`. Lengths are Python's: code points.

mod py;
pub mod spacy;
pub mod textwrap;

/// Why a text could not be split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    /// coqui would use a spaCy pipeline this port does not have (Japanese needs SudachiPy).
    #[error("sentence splitting for language {0:?} is not ported (spaCy's tokenizer for it needs extra packages)")]
    UnsupportedLanguage(String),
    /// `textwrap` refuses a zero width (coqui fails the same way for a limit of 0).
    #[error("invalid width 0 (must be > 0)")]
    ZeroWidth,
    /// The embedded spaCy rules could not be read (a build problem, not the input's).
    #[error("spaCy rule data: {0}")]
    Rules(String),
    /// A tokenizer pattern gave up on the input (fancy-regex's backtracking limit).
    #[error("spaCy pattern failed on the input: {0}")]
    Regex(String),
}

/// coqui's `char_limits` (tokenizer.py lines 617-635, `VoiceBpeTokenizer.__init__`) with the
/// default of `check_input_length` (line 645: `self.char_limits.get(lang, 250)`), region
/// stripped as there (`lang.split("-")[0]`): the length past which XTTS may truncate audio,
/// and what coqui's inference passes to `split_sentence` as `text_split_length`.
pub fn char_limit(lang: &str) -> usize {
    match lang.split('-').next().unwrap_or_default() {
        "en" => 250,
        "de" => 253,
        "fr" => 273,
        "es" => 239,
        "it" => 213,
        "pt" => 203,
        "pl" => 224,
        "zh" => 82,
        "ar" => 166,
        "cs" => 186,
        "ru" => 182,
        "nl" => 251,
        "tr" => 226,
        "ja" => 71,
        "hu" => 224,
        "ko" => 95,
        "hi" => 150,
        _ => 250,
    }
}

/// `split_sentence(text, lang, text_split_length)`: a text shorter than the limit is returned
/// whole (left-stripped); a longer one is cut into spaCy sentences, greedily joined with a
/// space while the pieces' lengths (without that space) add up to at most `limit`, and a
/// sentence longer than `limit` is wrapped on whitespace.
///
/// `lang` is used as given, like coqui's function (its XTTS inference passes the language with
/// the region stripped, e.g. "ar", "zh").
pub fn split_sentence(text: &str, lang: &str, limit: usize) -> Result<Vec<String>, SplitError> {
    if py::len(text) < limit {
        return Ok(vec![py::lstrip(text).to_owned()]);
    }
    let mut splits = vec![String::new()];
    for sentence in spacy::sentences(text, lang)? {
        let sentence_len = py::len(sentence);
        let last_len = splits.last().map_or(0, |s| py::len(s));
        if last_len + sentence_len <= limit {
            if let Some(last) = splits.last_mut() {
                let joined = format!("{last} {sentence}");
                *last = py::lstrip(&joined).to_owned();
            }
        } else if sentence_len > limit {
            splits.extend(textwrap::wrap(sentence, limit)?);
        } else {
            splits.push(sentence.to_owned());
        }
    }
    if splits.len() > 1 && splits[0].is_empty() {
        splits.remove(0);
    }
    Ok(splits)
}
