//! A voice from a reference clip, as `Xtts.get_conditioning_latents` computes it (coqui-tts
//! v0.27.2, TTS/tts/models/xtts.py): `load_audio` (mono mean, torchaudio resample to 22.05 kHz,
//! clip to [-1, 1]), the first `max_ref_len` seconds; the speaker embedding from that audio
//! resampled again to 16 kHz; the GPT conditioning latents from its first `gpt_cond_len`
//! seconds in `gpt_cond_chunk_len`-second chunks (chunks under 0.33 s skipped), each chunk's
//! `wav_to_mel_cloning` (log mel, clamped at 1e-5, divided by `mel_stats`) through the
//! conditioning encoder + perceiver, averaged.

use sawt_audio::sinc_resample::sinc_resample;
use sawt_audio::spectrogram::{MelConfig, MelSpectrogram};

use crate::onnx::{run, Plan};
use crate::XttsError;

/// `MIN_AUDIO_SECONDS` in `Xtts.get_gpt_cond_latents`.
const MIN_CHUNK_SECONDS: f64 = 0.33;
/// The rate of the speaker encoder (`HifiDecoder.speaker_encoder_audio_config`).
const SPEAKER_RATE: u32 = 16_000;
/// `wav_to_mel_cloning`'s clamp before the log.
const MEL_FLOOR: f32 = 1e-5;

/// What synthesis needs of a voice: small, computed once per clip and stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Voice {
    /// `[rows][width]` row-major (32 rows from the perceiver).
    pub cond_latents: Vec<f32>,
    pub speaker_embedding: Vec<f32>,
}

pub struct CloningSettings {
    pub sample_rate: u32,
    pub max_ref_len: usize,
    pub gpt_cond_len: usize,
    pub gpt_cond_chunk_len: usize,
    pub sound_norm_refs: bool,
}

pub struct Cloner<'a> {
    pub settings: CloningSettings,
    pub mel_stats: &'a [f32],
    pub conditioning: &'a Plan,
    pub speaker_encoder: &'a Plan,
}

impl Cloner<'_> {
    /// `samples` mono in [-1, 1] at `rate` (what `decode_wav` returns).
    pub fn voice(&self, samples: &[f32], rate: u32) -> Result<Voice, XttsError> {
        let s = &self.settings;
        let sr = s.sample_rate;
        let mut audio = if rate == sr {
            samples.to_vec()
        } else {
            sinc_resample(samples, rate, sr)?
        };
        for v in audio.iter_mut() {
            *v = v.clamp(-1.0, 1.0);
        }
        audio.truncate(sr as usize * s.max_ref_len);
        if s.sound_norm_refs {
            let peak = audio.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            if peak > 0.0 {
                for v in audio.iter_mut() {
                    *v = *v / peak * 0.75;
                }
            }
        }
        let speaker_embedding = self.speaker_embedding(&audio)?;
        let cond_latents = self.cond_latents(&audio)?;
        Ok(Voice {
            cond_latents,
            speaker_embedding,
        })
    }

    fn speaker_embedding(&self, audio: &[f32]) -> Result<Vec<f32>, XttsError> {
        let a16 = sinc_resample(audio, self.settings.sample_rate, SPEAKER_RATE)?;
        let (emb, _) = run(self.speaker_encoder, vec![(vec![1, a16.len()], a16)])?;
        Ok(emb)
    }

    fn cond_latents(&self, audio: &[f32]) -> Result<Vec<f32>, XttsError> {
        let s = &self.settings;
        let sr = s.sample_rate as usize;
        let audio = &audio[..audio.len().min(sr * s.gpt_cond_len)];
        let mel = MelSpectrogram::new(MelConfig {
            sample_rate: s.sample_rate,
            ..MelConfig::XTTS_CLONING
        })
        .map_err(|e| XttsError::Config(e.to_string()))?;
        let chunk = sr * s.gpt_cond_chunk_len;
        let min = sr as f64 * MIN_CHUNK_SECONDS;
        let mut sum: Vec<f32> = Vec::new();
        let mut count = 0usize;
        for part in audio.chunks(chunk) {
            if (part.len() as f64) < min {
                continue;
            }
            let spec = mel
                .compute(part)
                .map_err(|e| XttsError::Reference(e.to_string()))?
                .log_clamped(MEL_FLOOR);
            let mut data = spec.data;
            for (m, row) in data.chunks_mut(spec.n_frames).enumerate() {
                let norm = self.mel_stats[m];
                for v in row.iter_mut() {
                    *v /= norm;
                }
            }
            let (lat, _) = run(
                self.conditioning,
                vec![(vec![1, spec.n_mels, spec.n_frames], data)],
            )?;
            if sum.is_empty() {
                sum = lat;
            } else if sum.len() == lat.len() {
                for (a, b) in sum.iter_mut().zip(&lat) {
                    *a += b;
                }
            } else {
                return Err(XttsError::Inference(
                    "conditioning latents changed shape".into(),
                ));
            }
            count += 1;
        }
        if count == 0 {
            return Err(XttsError::Reference(format!(
                "the reference audio is too short (at least {MIN_CHUNK_SECONDS:.2} s of speech)"
            )));
        }
        for v in sum.iter_mut() {
            *v /= count as f32;
        }
        Ok(sum)
    }
}
