//! The XTTS text tokenizer: the model's `vocab.json` (a Hugging Face `tokenizers` file) applied
//! the way coqui-tts does it.
//!
//! Port of `VoiceBpeTokenizer` in coqui-tts 0.27.2, `TTS/tts/layers/xtts/tokenizer.py`
//! (commit 3194998df292b56a53064b300e12210979e3f16f): `encode` after its cleaning step,
//! `decode` and `get_number_tokens`. The file is read by the same Rust `tokenizers` crate
//! (0.21.4, pinned to the Python package the reference uses), so the BPE itself — added tokens,
//! pre-tokenizer, merges, `[UNK]` handling — is the reference's own code, not a re-implementation;
//! only coqui's wrapping around it is ported here.

use tokenizers::Tokenizer;

/// Why a vocabulary could not be loaded or a text not encoded/decoded.
#[derive(Debug, thiserror::Error)]
pub enum TokenizerError {
    /// The bytes are not a `tokenizers` JSON file this crate understands.
    #[error("cannot read the tokenizer file: {0}")]
    Load(String),
    /// The file has no tokens at all, so `vocab_size` is undefined (coqui's `max()` fails too).
    #[error("the tokenizer file has an empty vocabulary")]
    EmptyVocab,
    /// The `tokenizers` crate refused the text.
    #[error("cannot encode {text:?}: {message}")]
    Encode { text: String, message: String },
    /// The `tokenizers` crate refused the ids.
    #[error("cannot decode: {0}")]
    Decode(String),
}

/// An XTTS vocabulary (`vocab.json`) ready to encode cleaned text.
#[derive(Debug, Clone)]
pub struct XttsTokenizer {
    inner: Tokenizer,
    vocab_size: usize,
}

/// The language tag coqui puts in front of the text: `lang.split("-")[0]`, then `zh` becomes
/// `zh-cn` (`VoiceBpeTokenizer.encode`). `"ar"` → `"[ar]"`, `"zh-cn"` → `"[zh-cn]"`,
/// `"en-US"` → `"[en]"`.
pub fn language_tag(lang: &str) -> String {
    // `str.split("-")[0]` is the whole string when there is no "-", and "" for a leading "-".
    let base = lang.split('-').next().unwrap_or_default();
    let base = if base == "zh" { "zh-cn" } else { base };
    format!("[{base}]")
}

impl XttsTokenizer {
    /// Reads a `tokenizers` JSON file (XTTS's `vocab.json`) from its bytes, as
    /// `Tokenizer.from_file` does in `VoiceBpeTokenizer.__init__`.
    pub fn from_bytes(json: &[u8]) -> Result<Self, TokenizerError> {
        let inner = Tokenizer::from_bytes(json).map_err(|e| TokenizerError::Load(e.to_string()))?;
        // `get_number_tokens`: max(get_vocab().values()) + 1, added tokens included (the
        // Python `get_vocab` default is with_added_tokens=True).
        let max_id = inner
            .get_vocab(true)
            .into_values()
            .max()
            .ok_or(TokenizerError::EmptyVocab)?;
        Ok(Self {
            inner,
            vocab_size: max_id as usize + 1,
        })
    }

    /// Token ids for text coqui's cleaners already produced (`preprocess_text`'s output), as
    /// `VoiceBpeTokenizer.encode(txt, lang)` continues: the language tag in front, every
    /// `" "` replaced by `"[SPACE]"`, then the tokenizer with its special tokens.
    pub fn encode_prepared(&self, cleaned: &str, lang: &str) -> Result<Vec<u32>, TokenizerError> {
        let text = format!("{}{cleaned}", language_tag(lang)).replace(' ', "[SPACE]");
        // Python's `Tokenizer.encode(text)` defaults to add_special_tokens=True.
        let encoding =
            self.inner
                .encode(text.as_str(), true)
                .map_err(|e| TokenizerError::Encode {
                    text: text.clone(),
                    message: e.to_string(),
                })?;
        Ok(encoding.get_ids().to_vec())
    }

    /// The id of a token (added tokens included), e.g. `"[START]"`, `"[STOP]"`, `"[ar]"`.
    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    /// The text of a token id, if the vocabulary has it.
    pub fn id_to_token(&self, id: u32) -> Option<String> {
        self.inner.id_to_token(id)
    }

    /// coqui's `get_number_tokens()`: the largest id plus one (the GPT's text embedding size).
    pub fn vocab_size(&self) -> usize {
        self.vocab_size
    }

    /// coqui's `VoiceBpeTokenizer.decode`: the tokenizer's decode with special tokens kept,
    /// spaces removed, `[SPACE]` back to a space, `[STOP]` and `[UNK]` dropped.
    pub fn decode(&self, ids: &[u32]) -> Result<String, TokenizerError> {
        let text = self
            .inner
            .decode(ids, false)
            .map_err(|e| TokenizerError::Decode(e.to_string()))?;
        Ok(text
            .replace(' ', "")
            .replace("[SPACE]", " ")
            .replace("[STOP]", "")
            .replace("[UNK]", ""))
    }
}
