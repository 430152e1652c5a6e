//! The model's own `config.json` (coqui's `XttsConfig` as saved with the checkpoint): sizes,
//! special codes, sampling and cloning settings all come from it, never from code, so
//! fine-tunes such as EGTTS load with their own values.

use serde::Deserialize;

use crate::XttsError;

/// `XttsArgs` (TTS/tts/models/xtts.py, coqui-tts v0.27.2): the fields sawt reads.
#[derive(Debug, Clone, Deserialize)]
pub struct ModelArgs {
    pub gpt_layers: usize,
    pub gpt_n_model_channels: usize,
    pub gpt_n_heads: usize,
    pub gpt_max_audio_tokens: usize,
    pub gpt_max_text_tokens: usize,
    pub gpt_number_text_tokens: Option<usize>,
    pub gpt_start_text_token: Option<u32>,
    pub gpt_stop_text_token: Option<u32>,
    pub gpt_num_audio_tokens: usize,
    pub gpt_start_audio_token: u32,
    pub gpt_stop_audio_token: u32,
    pub gpt_code_stride_len: usize,
    #[serde(default)]
    pub gpt_use_perceiver_resampler: bool,
    pub input_sample_rate: u32,
    pub output_sample_rate: u32,
    pub output_hop_length: usize,
    pub d_vector_dim: usize,
}

/// `XttsConfig` (TTS/tts/configs/xtts_config.py, v0.27.2): inference and cloning settings.
#[derive(Debug, Clone, Deserialize)]
pub struct XttsConfig {
    pub model_args: ModelArgs,
    pub languages: Vec<String>,
    pub temperature: f32,
    pub length_penalty: f32,
    pub repetition_penalty: f32,
    pub top_k: usize,
    pub top_p: f32,
    pub gpt_cond_len: usize,
    pub gpt_cond_chunk_len: usize,
    pub max_ref_len: usize,
    #[serde(default)]
    pub sound_norm_refs: bool,
}

impl XttsConfig {
    pub fn from_json(bytes: &[u8]) -> Result<Self, XttsError> {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| XttsError::Config("config.json is not UTF-8".into()))?;
        let config: Self = serde_json::from_str(&sawt_api::python_json(text))
            .map_err(|e| XttsError::Config(format!("config.json: {e}")))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), XttsError> {
        let a = &self.model_args;
        let bad = |m: &str| Err(XttsError::Config(m.into()));
        if !a.gpt_use_perceiver_resampler {
            return bad("this is an XTTS v1 model (no perceiver resampler); sawt runs XTTS v2");
        }
        if a.gpt_n_heads == 0 || !a.gpt_n_model_channels.is_multiple_of(a.gpt_n_heads) {
            return bad("gpt_n_model_channels must be a multiple of gpt_n_heads");
        }
        if a.gpt_start_audio_token as usize >= a.gpt_num_audio_tokens
            || a.gpt_stop_audio_token as usize >= a.gpt_num_audio_tokens
        {
            return bad("start/stop audio tokens outside gpt_num_audio_tokens");
        }
        if a.gpt_max_audio_tokens < 4 {
            return bad("gpt_max_audio_tokens must be at least 4");
        }
        if a.input_sample_rate == 0 || a.output_sample_rate == 0 || a.output_hop_length == 0 {
            return bad("sample rates and hop length must be positive");
        }
        if self.gpt_cond_chunk_len == 0 || self.gpt_cond_chunk_len > self.gpt_cond_len {
            return bad("gpt_cond_chunk_len must be in 1..=gpt_cond_len");
        }
        Ok(())
    }

    /// The most codes one sentence may get: `GPT.max_gen_mel_tokens` =
    /// `max_mel_tokens - max_conditioning_inputs - 2` (TTS/tts/layers/xtts/gpt.py, v0.27.2).
    pub fn max_codes(&self) -> usize {
        self.model_args.gpt_max_audio_tokens - 3
    }

    pub fn width(&self) -> usize {
        self.model_args.gpt_n_model_channels
    }

    pub fn supports_language(&self, lang: &str) -> bool {
        let lang = lang.split('-').next().unwrap_or(lang);
        self.languages
            .iter()
            .any(|l| l == lang || (lang == "zh" && l == "zh-cn"))
    }
}
