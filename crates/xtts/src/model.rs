//! A loaded XTTS v2 model: the files of scripts/xtts_export.py, as the store returns them.

use std::collections::BTreeMap;

use sawt_xtts_text::prepare::{prepare, Sentence};
use sawt_xtts_text::tokenizer::XttsTokenizer;

use crate::cloning::{Cloner, CloningSettings, Voice};
use crate::config::XttsConfig;
use crate::generate::{generate_observed, CodeOptions, Codes, Decoding};
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
    /// The cloning graphs; absent when loaded for speech from stored voices only.
    cloning: Option<CloningGraphs>,
    hifigan: Plan,
    /// HiFi-GAN planned for the streamed windows' steady shape.
    hifigan_block: Plan,
}

/// The graphs and statistics that turn a reference clip into a [`Voice`].
struct CloningGraphs {
    mel_stats: Vec<f32>,
    conditioning: Plan,
    speaker_encoder: Plan,
}

impl CloningGraphs {
    fn build(files: &mut dyn ModelFiles) -> Result<(Plan, Plan), XttsError> {
        let conditioning = build(&take(files, "conditioning.onnx")?, "conditioning")?;
        let speaker_encoder = build(&take(files, "speaker_encoder.onnx")?, "speaker encoder")?;
        Ok((conditioning, speaker_encoder))
    }

    fn voice(&self, config: &XttsConfig, samples: &[f32], rate: u32) -> Result<Voice, XttsError> {
        let cloner = Cloner {
            settings: CloningSettings {
                sample_rate: config.model_args.input_sample_rate,
                max_ref_len: config.max_ref_len,
                gpt_cond_len: config.gpt_cond_len,
                gpt_cond_chunk_len: config.gpt_cond_chunk_len,
                sound_norm_refs: config.sound_norm_refs,
            },
            mel_stats: &self.mel_stats,
            conditioning: &self.conditioning,
            speaker_encoder: &self.speaker_encoder,
        };
        let voice = cloner.voice(samples, rate)?;
        let width = config.width();
        if width == 0
            || voice.cond_latents.is_empty()
            || !voice.cond_latents.len().is_multiple_of(width)
            || voice.speaker_embedding.len() != config.model_args.d_vector_dim
        {
            return Err(XttsError::Inference(
                "the cloning graphs' outputs do not match the config's sizes".into(),
            ));
        }
        Ok(voice)
    }
}

fn take(files: &mut dyn ModelFiles, name: &str) -> Result<Vec<u8>, XttsError> {
    files
        .take(name)
        .ok_or_else(|| XttsError::MissingFile(name.into()))
}

/// `mel_stats` (the cloning mel's per-bin normaliser) from the GPT's file.
fn mel_stats(weights: &Weights) -> Result<Vec<f32>, XttsError> {
    let mel_stats = weights.get("mel_stats", &[CLONING_MELS])?.to_vec();
    if mel_stats.iter().any(|v| *v == 0.0 || !v.is_finite()) {
        return Err(XttsError::Weights(
            "mel_stats has zero or non-finite values".into(),
        ));
    }
    Ok(mel_stats)
}

/// Only what voice cloning needs (the config, `mel_stats` and the two cloning graphs): what a
/// request that creates a voice loads, without the GPT's layers or HiFi-GAN.
pub struct VoiceCloner {
    pub config: XttsConfig,
    graphs: CloningGraphs,
}

impl VoiceCloner {
    /// Reads `config.json`, the cloning graphs and `gpt.safetensors` (for `mel_stats`; the
    /// GPT's layers are not built and the bytes are freed before returning).
    pub fn load(files: &mut dyn ModelFiles) -> Result<Self, XttsError> {
        let config = XttsConfig::from_json(&take(files, "config.json")?)?;
        let (conditioning, speaker_encoder) = CloningGraphs::build(files)?;
        let weights = Weights::from_bytes(take(files, "gpt.safetensors")?)?;
        let mel_stats = mel_stats(&weights)?;
        Ok(Self {
            config,
            graphs: CloningGraphs {
                mel_stats,
                conditioning,
                speaker_encoder,
            },
        })
    }

    /// A voice from mono samples in [-1, 1] at `rate`, as [`Xtts::clone_voice`].
    pub fn clone_voice(&self, samples: &[f32], rate: u32) -> Result<Voice, XttsError> {
        self.graphs.voice(&self.config, samples, rate)
    }
}

impl Xtts {
    /// Builds the whole model, taking each file from `files` (the GPT's weights stay the bytes
    /// given; each graph's bytes are freed once it is built).
    pub fn load(files: &mut dyn ModelFiles) -> Result<Self, XttsError> {
        Self::load_parts(files, true)
    }

    /// The model for speaking with voices made before: no cloning graphs (the conditioning
    /// encoder and speaker encoder are neither read nor built; [`Self::clone_voice`] then
    /// fails).
    pub fn load_speech(files: &mut dyn ModelFiles) -> Result<Self, XttsError> {
        Self::load_parts(files, false)
    }

    fn load_parts(files: &mut dyn ModelFiles, cloning: bool) -> Result<Self, XttsError> {
        let config = XttsConfig::from_json(&take(files, "config.json")?)?;
        let tokenizer = XttsTokenizer::from_bytes(&take(files, "vocab.json")?)
            .map_err(|e| XttsError::Config(format!("vocab.json: {e}")))?;
        check_vocabulary(&config, &tokenizer)?;
        // The graphs first: building one holds its bytes, the decoded protobuf and the plan at
        // once, a peak better reached before the GPT's weights are in memory.
        let graphs = if cloning {
            Some(CloningGraphs::build(files)?)
        } else {
            None
        };
        let hifigan_bytes = take(files, "hifigan.onnx")?;
        let hifigan = build(&hifigan_bytes, "hifigan")?;
        // One fixed shape only: a second plan measured +77 MiB of peak linear memory in wasm
        // (the 10 s answer then passes 1 GiB); the small first window runs symbolically.
        let hifigan_block = build_fixed(&hifigan_bytes, "hifigan", "frames", BLOCK_FRAMES as i64)?;
        drop(hifigan_bytes);
        let weights = Weights::from_bytes(take(files, "gpt.safetensors")?)?;
        let mel_stats = mel_stats(&weights)?;
        let cloning = graphs.map(|(conditioning, speaker_encoder)| CloningGraphs {
            mel_stats,
            conditioning,
            speaker_encoder,
        });
        let gpt = GptWeights::new(weights, &config)?;
        Ok(Self {
            config,
            tokenizer,
            gpt,
            cloning,
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
        self.cloning
            .as_ref()
            .ok_or_else(|| XttsError::Load("the cloning graphs were not loaded".into()))?
            .voice(&self.config, samples, rate)
    }

    /// Whether `voice` has the sizes this model's GPT and vocoder take (a voice stored for
    /// another model may not).
    pub fn accepts(&self, voice: &Voice) -> bool {
        let width = self.gpt.width();
        !voice.cond_latents.is_empty()
            && voice.cond_latents.len().is_multiple_of(width)
            && voice.speaker_embedding.len() == self.config.model_args.d_vector_dim
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
        self.codes_observed(voice, tokens, options, &mut |_| Ok(()))
    }

    /// [`Self::codes`], handing each latent to `on_latent` as soon as it exists (to vocode
    /// while the loop goes on); an error from it ends the loop.
    pub fn codes_observed(
        &self,
        voice: &Voice,
        tokens: &[u32],
        options: &CodeOptions,
        on_latent: &mut dyn FnMut(&[f32]) -> Result<(), XttsError>,
    ) -> Result<Codes, XttsError> {
        let mut session = self.gpt.session();
        generate_observed(
            &mut session,
            &voice.cond_latents,
            tokens,
            options,
            on_latent,
        )
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
