//! A loaded XTTS v2 model: the files of scripts/xtts_export.py, as the store returns them.

use std::collections::BTreeMap;

use sawt_xtts_text::prepare::{prepare, Sentence};
use sawt_xtts_text::tokenizer::XttsTokenizer;

use crate::cloning::{Cloner, CloningSettings, Voice};
use crate::config::XttsConfig;
use crate::generate::{generate, CodeOptions, Codes, Decoding};
use crate::gpt::GptWeights;
use crate::onnx::{build, build_fixed, Plan};
use crate::vocoder::{Blocks, Vocoder, BLOCK_FRAMES, FIRST_FRAMES};
use crate::weights::Weights;
use crate::XttsError;

/// The mel bins of the cloning mel (`wav_to_mel_cloning`'s `n_mels`) and of `mel_stats`.
const CLONING_MELS: usize = 80;

/// The files of one model, by name.
pub trait ModelFiles {
    fn take(&mut self, name: &str) -> Option<Vec<u8>>;
}

impl ModelFiles for BTreeMap<String, Vec<u8>> {
    fn take(&mut self, name: &str) -> Option<Vec<u8>> {
        self.remove(name)
    }
}

pub struct Xtts {
    pub config: XttsConfig,
    pub tokenizer: XttsTokenizer,
    pub gpt: GptWeights,
    mel_stats: Vec<f32>,
    conditioning: Plan,
    speaker_encoder: Plan,
    hifigan: Plan,
    /// HiFi-GAN planned for the streamed windows' steady shape.
    hifigan_block: Plan,
}

impl Xtts {
    /// Builds the model, taking each file from `files` (the GPT's weights stay the bytes given;
    /// each graph's bytes are freed once it is built).
    pub fn load(files: &mut dyn ModelFiles) -> Result<Self, XttsError> {
        let mut take = |n: &str| {
            files
                .take(n)
                .ok_or_else(|| XttsError::MissingFile(n.into()))
        };
        let config = XttsConfig::from_json(&take("config.json")?)?;
        let tokenizer = XttsTokenizer::from_bytes(&take("vocab.json")?)
            .map_err(|e| XttsError::Config(format!("vocab.json: {e}")))?;
        check_vocabulary(&config, &tokenizer)?;
        // The graphs first: building one holds its bytes, the decoded protobuf and the plan at
        // once, a peak better reached before the GPT's weights are in memory.
        let conditioning = build(&take("conditioning.onnx")?, "conditioning")?;
        let speaker_encoder = build(&take("speaker_encoder.onnx")?, "speaker encoder")?;
        let hifigan_bytes = take("hifigan.onnx")?;
        let hifigan = build(&hifigan_bytes, "hifigan")?;
        // One fixed shape only: a second plan measured +77 MiB of peak linear memory in wasm
        // (the 10 s answer then passes 1 GiB); the small first window runs symbolically.
        let hifigan_block = build_fixed(&hifigan_bytes, "hifigan", "frames", BLOCK_FRAMES as i64)?;
        drop(hifigan_bytes);
        let weights = Weights::from_bytes(take("gpt.safetensors")?)?;
        let mel_stats = weights.get("mel_stats", &[CLONING_MELS])?.to_vec();
        if mel_stats.iter().any(|v| *v == 0.0 || !v.is_finite()) {
            return Err(XttsError::Weights(
                "mel_stats has zero or non-finite values".into(),
            ));
        }
        let gpt = GptWeights::new(weights, &config)?;
        Ok(Self {
            config,
            tokenizer,
            gpt,
            mel_stats,
            conditioning,
            speaker_encoder,
            hifigan,
            hifigan_block,
        })
    }

    /// `text` split and tokenised as coqui's inference does (`split`: `enable_text_splitting`).
    pub fn sentences(
        &self,
        text: &str,
        lang: &str,
        split: bool,
    ) -> Result<Vec<Sentence>, XttsError> {
        if !self.config.supports_language(lang) {
            return Err(XttsError::Language(lang.to_string()));
        }
        let sentences = prepare(&self.tokenizer, text, lang, split)
            .map_err(|e| XttsError::Text(e.to_string()))?;
        let max = self.gpt.max_text_tokens();
        if let Some(s) = sentences.iter().find(|s| s.tokens.len() > max) {
            return Err(XttsError::Text(format!(
                "a sentence has {} text tokens; the model takes at most {max}",
                s.tokens.len()
            )));
        }
        Ok(sentences)
    }

    /// A voice from mono samples in [-1, 1] at `rate`.
    pub fn clone_voice(&self, samples: &[f32], rate: u32) -> Result<Voice, XttsError> {
        let c = &self.config;
        let cloner = Cloner {
            settings: CloningSettings {
                sample_rate: c.model_args.input_sample_rate,
                max_ref_len: c.max_ref_len,
                gpt_cond_len: c.gpt_cond_len,
                gpt_cond_chunk_len: c.gpt_cond_chunk_len,
                sound_norm_refs: c.sound_norm_refs,
            },
            mel_stats: &self.mel_stats,
            conditioning: &self.conditioning,
            speaker_encoder: &self.speaker_encoder,
        };
        let voice = cloner.voice(samples, rate)?;
        if !voice.cond_latents.len().is_multiple_of(self.gpt.width())
            || voice.speaker_embedding.len() != c.model_args.d_vector_dim
        {
            return Err(XttsError::Inference(
                "the cloning graphs' outputs do not match the config's sizes".into(),
            ));
        }
        Ok(voice)
    }

    /// The code options of the model's config: greedy, or sampling with `seed`.
    pub fn code_options(&self, decoding: Decoding) -> CodeOptions {
        CodeOptions {
            decoding,
            repetition_penalty: self.config.repetition_penalty,
            max_codes: self.config.max_codes(),
            start_code: self.config.model_args.gpt_start_audio_token,
            stop_code: self.config.model_args.gpt_stop_audio_token,
        }
    }

    /// The sampling settings of the model's config (`temperature`, `top_k`, `top_p`).
    pub fn sampling(&self, seed: u64) -> Decoding {
        Decoding::Sample {
            temperature: self.config.temperature,
            top_k: self.config.top_k,
            top_p: self.config.top_p,
            seed,
        }
    }

    /// One sentence's codes and latents from its text tokens.
    pub fn codes(
        &self,
        voice: &Voice,
        tokens: &[u32],
        options: &CodeOptions,
    ) -> Result<Codes, XttsError> {
        let mut session = self.gpt.session();
        generate(&mut session, &voice.cond_latents, tokens, options)
    }

    pub fn vocoder(&self) -> Vocoder<'_> {
        self.vocoder_with_blocks(Blocks {
            first: Some((FIRST_FRAMES, &self.hifigan)),
            steady: Some((BLOCK_FRAMES, &self.hifigan_block)),
        })
    }

    /// The vocoder with other fixed-shape plans for its streamed windows (none: the symbolic
    /// plan only, nothing streamed before the end).
    pub fn vocoder_with_blocks<'a>(&'a self, blocks: Blocks<'a>) -> Vocoder<'a> {
        let a = &self.config.model_args;
        Vocoder::new(
            &self.hifigan,
            blocks,
            self.gpt.width(),
            a.gpt_code_stride_len,
            a.output_hop_length,
            a.input_sample_rate,
            a.output_sample_rate,
        )
    }

    /// The waveform's sample rate.
    pub fn output_rate(&self) -> u32 {
        self.config.model_args.output_sample_rate
    }
}

/// What `Xtts.init_models` takes from the tokenizer must agree with the config the GPT was
/// built with: the text vocabulary's size and the `[START]` / `[STOP]` ids.
fn check_vocabulary(config: &XttsConfig, tok: &XttsTokenizer) -> Result<(), XttsError> {
    let a = &config.model_args;
    let mismatch = |what: &str| {
        Err(XttsError::Config(format!(
            "vocab.json does not belong to this model: {what} differs from config.json"
        )))
    };
    if a.gpt_number_text_tokens
        .is_some_and(|n| n != tok.vocab_size())
    {
        return mismatch("the vocabulary size");
    }
    if a.gpt_start_text_token.is_some() && tok.token_to_id("[START]") != a.gpt_start_text_token {
        return mismatch("[START]");
    }
    if a.gpt_stop_text_token.is_some() && tok.token_to_id("[STOP]") != a.gpt_stop_text_token {
        return mismatch("[STOP]");
    }
    Ok(())
}
