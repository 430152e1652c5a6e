use serde::Deserialize;

use crate::consts::{INPUT_STRIDE, N_FRAMES, N_MELS, N_TIMESTAMP_TOKENS};
use crate::WhisperError;

/// `ModelDimensions` of whisper/model.py.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Dims {
    pub n_mels: usize,
    pub n_audio_ctx: usize,
    pub n_audio_state: usize,
    pub n_audio_head: usize,
    pub n_audio_layer: usize,
    pub n_vocab: usize,
    pub n_text_ctx: usize,
    pub n_text_state: usize,
    pub n_text_head: usize,
    pub n_text_layer: usize,
}

/// Special token ids, as the reference tokenizer (whisper/tokenizer.py) assigns them.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct SpecialTokens {
    pub eot: u32,
    pub sot: u32,
    pub sot_prev: u32,
    pub sot_lm: u32,
    pub no_speech: u32,
    pub no_timestamps: u32,
    pub timestamp_begin: u32,
    pub transcribe: u32,
    pub translate: u32,
    pub first_language: u32,
}

/// The layout this crate reads (scripts/whisper_export.py writes it).
pub const FORMAT: &str = "sawt-whisper-onnx/2";

/// `config.json` written by scripts/whisper_export.py next to the graphs. Token lists that need
/// the reference tokenizer's encoder (non-speech symbols, the blank) are computed there, once.
#[derive(Debug, Clone, Deserialize)]
pub struct ModelConfig {
    pub format: String,
    pub dims: Dims,
    pub tokenizer: String,
    /// The tied token embedding's file (safetensors; see crate::embedding).
    pub token_embedding: String,
    pub special_tokens: SpecialTokens,
    pub languages: Vec<String>,
    pub non_speech_tokens: Vec<u32>,
    pub blank_tokens: Vec<u32>,
    #[serde(default)]
    pub quantization: Option<String>,
}

impl ModelConfig {
    pub fn from_json(bytes: &[u8]) -> Result<Self, WhisperError> {
        // The format first: an older export lacks fields, and its message should say so.
        let format = serde_json::from_slice::<serde_json::Value>(bytes)
            .map_err(|e| WhisperError::Config(e.to_string()))?
            .get("format")
            .and_then(|f| f.as_str().map(str::to_owned));
        if format.as_deref() != Some(FORMAT) {
            return Err(WhisperError::Config(format!(
                "format {format:?}, expected {FORMAT:?}: export the checkpoint again with \
                 scripts/whisper_export.py (version 1 kept the token embedding inside the \
                 decoder graph)"
            )));
        }
        let cfg: ModelConfig =
            serde_json::from_slice(bytes).map_err(|e| WhisperError::Config(e.to_string()))?;
        let d = &cfg.dims;
        if !d.n_text_state.is_multiple_of(d.n_text_head) {
            return Err(WhisperError::Config("inconsistent dimensions".into()));
        }
        // sawt fixes what upstream derives from these (INPUT_STRIDE, TIME_PRECISION) and embeds
        // only the 80-band mel filters, so other front-ends are refused here, not mid-request.
        if d.n_audio_ctx * INPUT_STRIDE != N_FRAMES || d.n_mels != N_MELS {
            return Err(WhisperError::Config(format!(
                "n_audio_ctx {} and n_mels {}: only Whisper's {} positions over {N_MELS} mel \
                 bands are supported",
                d.n_audio_ctx,
                d.n_mels,
                N_FRAMES / INPUT_STRIDE
            )));
        }
        if cfg.special_tokens.timestamp_begin as usize + N_TIMESTAMP_TOKENS != d.n_vocab {
            return Err(WhisperError::Config(
                "vocabulary does not end with the 1,501 timestamp tokens".into(),
            ));
        }
        Ok(cfg)
    }

    pub fn language_token(&self, code: &str) -> Result<u32, WhisperError> {
        let code = code.to_ascii_lowercase();
        self.languages
            .iter()
            .position(|l| *l == code)
            .map(|i| self.special_tokens.first_language + i as u32)
            .ok_or(WhisperError::Language(code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture_json() -> serde_json::Value {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/whisper/model/config.json");
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn parse(v: &serde_json::Value) -> Result<ModelConfig, WhisperError> {
        ModelConfig::from_json(&serde_json::to_vec(v).unwrap_or_default())
    }

    /// large-v3's 128 mel bands or another encoder length would need constants sawt pins.
    #[test]
    fn front_ends_other_than_80_mels_over_1500_positions_are_refused() {
        let good = fixture_json();
        assert_eq!(parse(&good).map(|c| c.dims.n_mels).ok(), Some(80));
        for (field, value) in [("n_mels", 128), ("n_audio_ctx", 750)] {
            let mut bad = good.clone();
            bad["dims"][field] = value.into();
            match parse(&bad) {
                Err(WhisperError::Config(m)) => assert!(m.contains("only Whisper's 1500"), "{m}"),
                other => panic!("{field} = {value}: {other:?}"),
            }
        }
    }
}
