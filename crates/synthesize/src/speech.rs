//! `POST /v1/audio/speech`: the text, normalised and split as coqui's `tts()` splits it,
//! spoken sentence by sentence; each sentence's latents are vocoded while its GPT loop goes
//! on ([`sawt_xtts::vocoder::VocoderStream`]), and every piece of audio is encoded and
//! written as soon as it is final, so the first audio leaves after the first window of the
//! first sentence.
//!
//! `speed` is XTTS's own length scale (`Xtts.inference`, coqui-tts v0.27.2: the GPT latents
//! linearly interpolated by `1 / speed` before HiFi-GAN): the voice keeps its pitch. A
//! sentence spoken at another speed is vocoded whole once its codes are known (the
//! interpolation needs its length), so audio then streams sentence by sentence.

use std::time::Instant;

use sawt_api::{ApiError, Response};
use sawt_store::Kv;
use sawt_xtts::generate::Decoding;
use sawt_xtts::vocoder::{Linear, VocoderStream, DEFAULT_CONTEXT};
use sawt_xtts::{Voice, Xtts, XttsError};
use sawt_xtts_text::prepare::Sentence;

use crate::config::{Config, Sampling};
use crate::params::{self, SpeechParams, StreamFormat};
use crate::store_files::StoreFiles;
use crate::stream::{Body, Encoder};
use crate::{voice_api, Outcome, Output};

pub(crate) fn serve(
    body: &[u8],
    config: &Config,
    kv: &dyn Kv,
    out: &mut dyn Output,
    outcome: &mut Outcome,
) -> Result<u16, ApiError> {
    let started = Instant::now();
    let params = params::parse(body, &config.model)?;
    let mut files = StoreFiles::open(kv, &config.model)?;
    let chosen = voice_api::resolve(params.voice.as_deref(), config, kv, &mut files)?;

    let read_before = files.read_time;
    let loading = Instant::now();
    let loaded = Xtts::load_speech(&mut files);
    let load_time = loading.elapsed();
    let t = &mut outcome.timings;
    t.kv_read = files.read_time;
    t.model_build = load_time.saturating_sub(files.read_time - read_before);
    t.model_bytes = files.bytes;
    let model = loaded.map_err(|e| {
        outcome.detail = Some(format!("loading {}: {e}", config.model));
        files.load_error(&config.model, &e)
    })?;
    if !model.accepts(&chosen.voice) {
        return Err(voice_api::outdated(&chosen.info.id));
    }

    let text = config.normalizer.apply(&params.input);
    let sentences = model
        .sentences(&text, &config.language, true)
        .map_err(|e| text_error(e, &config.language))?;
    // Punctuation alone would still give the GPT tokens to babble over: refuse it.
    if !sentences
        .iter()
        .any(|s| s.text.chars().any(char::is_alphanumeric))
    {
        return Err(ApiError::bad_request(
            "`input` has nothing to say (only spaces, punctuation or symbols)",
        )
        .with_param("input"));
    }

    let rate = model.output_rate();
    let mut encoder = Encoder::new(params.format, rate).map_err(|e| {
        ApiError::bad_request(format!(
            "response_format `{}` cannot carry this model's {rate} Hz audio ({e}); use wav, pcm or flac",
            params.format.name()
        ))
        .with_param("response_format")
    })?;
    let content_type = match params.stream {
        StreamFormat::Sse => "text/event-stream",
        StreamFormat::Audio => params.format.content_type(),
    };
    let head = Response {
        status: 200,
        headers: vec![
            ("content-type".into(), content_type.into()),
            ("cache-control".into(), "no-store".into()),
        ],
        body: Vec::new(),
    };
    if !out.start(head) {
        outcome.detail = Some("the client went away before the first byte".into());
        return Ok(200);
    }
    let mut body = Body::new(out, params.stream);
    let mut run = Run {
        model: &model,
        voice: &chosen.voice,
        params: &params,
        sampling: config.sampling,
        seed: seed(&params.input, &chosen.info.id),
        encoder: &mut encoder,
        body: &mut body,
        outcome,
        started,
        samples: 0,
        gone: false,
    };
    let header = run.encoder.header(params.format, rate);
    let result = if run.body.audio(&header) {
        run.sentences(&sentences)
    } else {
        Err(XttsError::Inference(GONE.into()))
    };
    let (gone, samples) = (run.gone, run.samples);
    outcome.timings.audio_seconds = samples as f64 / f64::from(rate);
    match result {
        Ok(()) => match encoder.finish() {
            Ok(tail) => {
                let t = &outcome.timings;
                if !(body.audio(&tail) && body.done(t.text_tokens, t.codes)) {
                    outcome.detail = Some(GONE.into());
                }
            }
            Err(e) => {
                outcome.detail = Some(format!("encoding the last audio failed: {e}"));
                body.error(
                    &ApiError::new(500, "audio encoding failed").with_code("encoding_failed"),
                );
            }
        },
        Err(_) if gone => outcome.detail = Some(GONE.into()),
        Err(e) => {
            outcome.detail = Some(format!("synthesis failed after the first byte: {e}"));
            body.error(
                &ApiError::new(500, "speech synthesis failed midway").with_code("synthesis_failed"),
            );
        }
    }
    Ok(200)
}

const GONE: &str = "the client went away during the answer";

/// The sentence checks that are the client's doing (a sentence over the model's token limit)
/// are 400; a language the model lacks is the operator's `tts_language`.
fn text_error(e: XttsError, language: &str) -> ApiError {
    match e {
        XttsError::Language(_) => ApiError::new(
            500,
            format!(
                "server configuration error: tts_language `{language}` is not one of the \
                 model's languages"
            ),
        )
        .with_code("config_error"),
        other => {
            ApiError::bad_request(format!("`input` cannot be spoken: {other}")).with_param("input")
        }
    }
}

/// The sampling seed: the same text and voice give the same audio (so an answer can be
/// cached and a test repeated), different texts differ.
fn seed(input: &str, voice: &str) -> u64 {
    let digest = sawt_store::sha256_hex(format!("{voice}\u{0}{input}").as_bytes());
    u64::from_str_radix(&digest[..16], 16).unwrap_or(0)
}

/// One answer being spoken.
struct Run<'r, 'o> {
    model: &'r Xtts,
    voice: &'r Voice,
    params: &'r SpeechParams,
    sampling: Sampling,
    seed: u64,
    encoder: &'r mut Encoder,
    body: &'r mut Body<'o>,
    outcome: &'r mut Outcome,
    started: Instant,
    samples: usize,
    gone: bool,
}

impl Run<'_, '_> {
    fn sentences(&mut self, sentences: &[Sentence]) -> Result<(), XttsError> {
        for (i, sentence) in sentences.iter().enumerate() {
            let decoding = match self.sampling {
                Sampling::Greedy => Decoding::Greedy,
                Sampling::Sample => self.model.sampling(self.seed.wrapping_add(i as u64)),
            };
            let options = self.model.code_options(decoding);
            self.outcome.timings.text_tokens += sentence.tokens.len();
            let codes = if (self.params.speed - 1.0).abs() < 1e-9 {
                self.streamed(&sentence.tokens, &options)?
            } else {
                self.stretched(&sentence.tokens, &options)?
            };
            self.outcome.timings.codes += codes;
        }
        Ok(())
    }

    /// Samples to the client; an error once it is gone (ends the GPT loop).
    fn emit(&mut self, samples: &[f32]) -> Result<(), XttsError> {
        if samples.is_empty() {
            return Ok(());
        }
        let bytes = self
            .encoder
            .push(samples)
            .map_err(|e| XttsError::Inference(format!("audio encoding: {e}")))?;
        self.samples += samples.len();
        if !self.body.audio(&bytes) {
            self.gone = true;
            return Err(XttsError::Inference(GONE.into()));
        }
        let first = &mut self.outcome.timings.first_audio;
        if first.is_none() {
            *first = Some(self.started.elapsed());
        }
        Ok(())
    }

    /// Speed 1: each latent goes to the streaming vocoder as the GPT makes it.
    fn streamed(
        &mut self,
        tokens: &[u32],
        options: &sawt_xtts::generate::CodeOptions,
    ) -> Result<usize, XttsError> {
        let model = self.model;
        let voice = self.voice;
        let vocoder = model.vocoder();
        let mut stream = VocoderStream::new(&vocoder, &voice.speaker_embedding, DEFAULT_CONTEXT);
        let codes = model.codes_observed(voice, tokens, options, &mut |latent| {
            let samples = stream.push(latent)?;
            self.emit(&samples)
        })?;
        let rest = stream.finish()?;
        self.emit(&rest)?;
        Ok(codes.codes.len())
    }

    /// Another speed: the sentence's latents stretched by `1 / speed`, then vocoded whole.
    fn stretched(
        &mut self,
        tokens: &[u32],
        options: &sawt_xtts::generate::CodeOptions,
    ) -> Result<usize, XttsError> {
        let model = self.model;
        let codes = model.codes(self.voice, tokens, options)?;
        let latents = stretch(
            &codes.latents,
            model.gpt.width(),
            1.0 / self.params.speed.max(0.05),
        );
        let wav = model
            .vocoder()
            .vocode(&latents, &self.voice.speaker_embedding)?;
        self.emit(&wav)?;
        Ok(codes.codes.len())
    }
}

/// `F.interpolate(latents.transpose(1, 2), scale_factor=scale, mode="linear")` along time,
/// for `[frames][width]` latents (the same taps as the vocoder's own interpolations).
pub(crate) fn stretch(latents: &[f32], width: usize, scale: f64) -> Vec<f32> {
    let frames = latents.len() / width.max(1);
    if frames == 0 {
        return Vec::new();
    }
    let linear = Linear::new(scale);
    let n = linear.out_len(frames);
    let mut out = vec![0.0f32; n * width];
    for (dst, row) in out.chunks_mut(width).enumerate() {
        let (i0, i1, w0, w1) = linear.taps(dst, frames);
        let (a, b) = (
            &latents[i0 * width..][..width],
            &latents[i1 * width..][..width],
        );
        for ((o, x), y) in row.iter_mut().zip(a).zip(b) {
            *o = x * w0 + y * w1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stretch_is_torch_linear_interpolation() {
        // torch.nn.functional.interpolate(torch.tensor([[[0., 1., 2., 3.]]]),
        //     scale_factor=0.5, mode="linear") == [[[0.5, 2.5]]];
        // scale_factor=1.5 gives [0., 0.5, 1.1667, 1.8333, 2.5, 3.]
        let x = [0.0, 10.0, 1.0, 11.0, 2.0, 12.0, 3.0, 13.0];
        assert_eq!(stretch(&x, 2, 0.5), [0.5, 10.5, 2.5, 12.5]);
        let y = stretch(&[0.0, 1.0, 2.0, 3.0], 1, 1.5);
        let want = [0.0, 0.5, 1.166_666_7, 1.833_333_3, 2.5, 3.0];
        assert_eq!(y.len(), want.len());
        for (i, (a, b)) in y.iter().zip(want).enumerate() {
            assert!((a - b).abs() < 1e-6, "index {i}: {a} vs {b}");
        }
        assert!(stretch(&[], 4, 2.0).is_empty());
    }

    #[test]
    fn seeds_depend_on_text_and_voice() {
        assert_eq!(seed("a", "v"), seed("a", "v"));
        assert_ne!(seed("a", "v"), seed("b", "v"));
        assert_ne!(seed("a", "v"), seed("a", "w"));
    }
}
