use serde::Deserialize;

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

/// `config.json` written by scripts/whisper_export.py next to the graphs. Token lists that need
/// the reference tokenizer's encoder (non-speech symbols, the blank) are computed there, once.
#[derive(Debug, Clone, Deserialize)]
pub struct ModelConfig {
    pub format: String,
    pub dims: Dims,
    pub tokenizer: String,
    pub special_tokens: SpecialTokens,
    pub languages: Vec<String>,
    pub non_speech_tokens: Vec<u32>,
    pub blank_tokens: Vec<u32>,
    #[serde(default)]
    pub quantization: Option<String>,
}

impl ModelConfig {
    pub fn from_json(bytes: &[u8]) -> Result<Self, WhisperError> {
        let cfg: ModelConfig =
            serde_json::from_slice(bytes).map_err(|e| WhisperError::Config(e.to_string()))?;
        if cfg.format != "sawt-whisper-onnx/1" {
            return Err(WhisperError::Config(format!(
                "format {:?}, expected \"sawt-whisper-onnx/1\"",
                cfg.format
            )));
        }
        let d = &cfg.dims;
        if !d.n_text_state.is_multiple_of(d.n_text_head) || d.n_audio_ctx * 2 != crate::N_FRAMES {
            return Err(WhisperError::Config("inconsistent dimensions".into()));
        }
        if cfg.special_tokens.timestamp_begin as usize + 1501 != d.n_vocab {
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
