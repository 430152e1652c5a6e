//! The text path of `Xtts.inference` (coqui-tts v0.27.2, TTS/tts/models/xtts.py): with text
//! splitting, `split_sentence(text, lang, char_limits[lang])`; then for each sentence
//! `sent.strip().lower()` and `VoiceBpeTokenizer.encode(sent, lang)`, which cleans it
//! (`multilingual_cleaners`), tags it (`[ar]`) and turns spaces into `[SPACE]`.

use crate::cleaners::{multilingual_cleaners, python_lower, python_strip, Lang, TextError};
use crate::split::{char_limit, split_sentence, SplitError};
use crate::tokenizer::{TokenizerError, XttsTokenizer};

#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// coqui's cleaners are ported for Arabic only (the service's language).
    #[error("unsupported language {0:?}: sawt prepares text for \"ar\"")]
    Language(String),
    #[error(transparent)]
    Text(#[from] TextError),
    #[error(transparent)]
    Split(#[from] SplitError),
    #[error(transparent)]
    Tokenizer(#[from] TokenizerError),
}

/// One sentence as the GPT gets it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sentence {
    /// The sentence as split (before cleaning).
    pub text: String,
    pub tokens: Vec<u32>,
}

fn lang_of(lang: &str) -> Result<Lang, PrepareError> {
    match lang.split('-').next().unwrap_or(lang) {
        "ar" => Ok(Lang::Ar),
        other => Err(PrepareError::Language(other.to_string())),
    }
}

/// `text` as coqui's inference prepares it; `split` is `enable_text_splitting`.
pub fn prepare(
    tokenizer: &XttsTokenizer,
    text: &str,
    lang: &str,
    split: bool,
) -> Result<Vec<Sentence>, PrepareError> {
    let clean_lang = lang_of(lang)?;
    let base = lang.split('-').next().unwrap_or(lang);
    let parts = if split {
        split_sentence(text, base, char_limit(base))?
    } else {
        vec![text.to_string()]
    };
    let mut out = Vec::with_capacity(parts.len());
    for part in parts {
        let sent = python_lower(python_strip(&part));
        let cleaned = multilingual_cleaners(&sent, clean_lang)?;
        let tokens = tokenizer.encode_prepared(&cleaned, base)?;
        out.push(Sentence { text: part, tokens });
    }
    Ok(out)
}
