//! GPT latents to 24 kHz audio: `HifiDecoder.forward` (coqui-tts v0.27.2,
//! TTS/tts/layers/xtts/hifigan_decoder.py) — two linear interpolations along time (x
//! `code_stride_len / output_hop_length`, then x `output_sample_rate / input_sample_rate`),
//! done here because tract cannot type a Resize on a symbolic length, then the HiFi-GAN graph.
//!
//! Streaming: every output sample of HiFi-GAN depends on a bounded window of its input frames,
//! and each interpolated frame on two neighbours. [`VocoderStream`] therefore vocodes each new
//! stretch of frames once, with `context` frames of input on either side, and emits only the
//! samples whose whole window is final; what it emits equals the one-shot waveform (the
//! parity test states the tolerance), and nothing is vocoded twice but the context. Where the
//! sentence is long enough, the first window is [`FIRST_FRAMES`] frames (early audio) and
//! every later one [`BLOCK_FRAMES`], run by a plan built for that one shape (measured 2.2x
//! faster natively and 1.9x in wasm than the symbolic plan, the same output bits); the
//! symbolic plan takes the first window and what is left.

use std::ops::Range;

use crate::onnx::{run, Plan};
use crate::XttsError;

/// One linear interpolation as `torch.nn.functional.interpolate(mode="linear",
/// align_corners=False, scale_factor=s)` computes it on CPU for f32 (ATen
/// `UpSampleKernel.cpp` / `UpSample.h` at torch 2.8: `area_pixel_compute_scale` gives
/// `1 / s` in float, `src = scale * (dst + 0.5) - 0.5` clamped at 0, the index floored and
/// clamped to the last input, lambda clamped to [0, 1]).
#[derive(Debug, Clone, Copy)]
pub struct Linear {
    scale: f32,
    factor: f64,
}

impl Linear {
    pub fn new(factor: f64) -> Self {
        Self {
            scale: (1.0 / factor) as f32,
            factor,
        }
    }

    /// `floor(len * factor)`, as F.interpolate sizes its output.
    pub fn out_len(&self, len: usize) -> usize {
        (len as f64 * self.factor).floor() as usize
    }

    /// The two inputs and weights output `dst` reads, for an input of `len` frames.
    pub fn taps(&self, dst: usize, len: usize) -> (usize, usize, f32, f32) {
        let src = (self.scale * (dst as f32 + 0.5) - 0.5).max(0.0);
        let i0 = (src.floor() as usize).min(len - 1);
        let lambda = (src - i0 as f32).clamp(0.0, 1.0);
        let i1 = if i0 < len - 1 { i0 + 1 } else { i0 };
        (i0, i1, 1.0 - lambda, lambda)
    }

    /// Outputs that read only inputs below `known` and no clamped index, for any total input
    /// length >= `known`: they never change when more input arrives.
    pub fn final_outputs(&self, known: usize) -> usize {
        // Taps grow with the output index: walk down from the estimate.
        if known < 2 {
            return 0;
        }
        let mut n = self.out_len(known);
        while n > 0 {
            let (_, i1, _, _) = self.taps(n - 1, usize::MAX);
            if i1 < known {
                break;
            }
            n -= 1;
        }
        n
    }
}

/// The vocoder over its graph and the model's rates.
pub struct Vocoder<'a> {
    pub hifigan: &'a Plan,
    /// HiFi-GAN planned for the streamed windows' fixed shapes, if built.
    pub blocks: Blocks<'a>,
    pub width: usize,
    pub stage1: Linear,
    pub stage2: Linear,
    /// Output samples per interpolated frame (HiFi-GAN's total upsampling).
    pub hop: usize,
}

impl<'a> Vocoder<'a> {
    pub fn new(
        hifigan: &'a Plan,
        blocks: Blocks<'a>,
        width: usize,
        stride: usize,
        hop: usize,
        rate_in: u32,
        rate_out: u32,
    ) -> Self {
        Self {
            hifigan,
            blocks,
            width,
            stage1: Linear::new(stride as f64 / hop as f64),
            stage2: Linear::new(rate_out as f64 / rate_in as f64),
            hop,
        }
    }

    /// Interpolated frames `[from, to)` (`[width][to - from]`, channel-major as HiFi-GAN takes
    /// them) from `latents` (`[frames][width]`) when the whole sequence is `total` latents.
    fn frames(&self, latents: &[f32], total: usize, from: usize, to: usize) -> Vec<f32> {
        let d = self.width;
        let n1 = self.stage1.out_len(total);
        let n = to - from;
        let mut z = vec![0.0f32; d * n];
        for (k, j) in (from..to).enumerate() {
            let (a0, a1, wa0, wa1) = self.stage2.taps(j, n1);
            let (b0, b1, wb0, wb1) = self.stage1.taps(a0, total);
            let (c0, c1, wc0, wc1) = self.stage1.taps(a1, total);
            for ch in 0..d {
                let s1a = latents[b0 * d + ch] * wb0 + latents[b1 * d + ch] * wb1;
                let s1b = latents[c0 * d + ch] * wc0 + latents[c1 * d + ch] * wc1;
                z[ch * n + k] = s1a * wa0 + s1b * wa1;
            }
        }
        z
    }

    /// How many interpolated frames a sequence of `latents` latents gives.
    pub fn frame_count(&self, latents: usize) -> usize {
        self.stage2.out_len(self.stage1.out_len(latents))
    }

    fn hifigan(&self, z: Vec<f32>, frames: usize, speaker: &[f32]) -> Result<Vec<f32>, XttsError> {
        let plan = [self.blocks.first, self.blocks.steady]
            .into_iter()
            .flatten()
            .find(|(n, _)| *n == frames)
            .map_or(self.hifigan, |(_, plan)| plan);
        let (wav, _) = run(
            plan,
            vec![
                (vec![1, self.width, frames], z),
                (vec![1, speaker.len(), 1], speaker.to_vec()),
            ],
        )?;
        if wav.len() != frames * self.hop {
            return Err(XttsError::Inference(format!(
                "HiFi-GAN gave {} samples for {frames} frames (hop {})",
                wav.len(),
                self.hop
            )));
        }
        Ok(wav)
    }

    /// The whole waveform at once (`HifiDecoder.forward`).
    pub fn vocode(&self, latents: &[f32], speaker: &[f32]) -> Result<Vec<f32>, XttsError> {
        let total = latents.len() / self.width;
        let frames = self.frame_count(total);
        if frames == 0 {
            return Ok(Vec::new());
        }
        self.hifigan(self.frames(latents, total, 0, frames), frames, speaker)
    }

    /// Vocodes the frames `window` of the final sequence (every one of them final), returning
    /// the samples of `emit` (inside `window`) only.
    fn window(
        &self,
        latents: &[f32],
        total: usize,
        window: Range<usize>,
        emit: Range<usize>,
        speaker: &[f32],
    ) -> Result<Vec<f32>, XttsError> {
        let z = self.frames(latents, total, window.start, window.end);
        let wav = self.hifigan(z, window.len(), speaker)?;
        let at = |f: usize| (f - window.start) * self.hop;
        Ok(wav[at(emit.start)..at(emit.end)].to_vec())
    }
}

/// Incremental vocoding of one sentence as its latents arrive.
pub struct VocoderStream<'v, 'a> {
    vocoder: &'v Vocoder<'a>,
    speaker: Vec<f32>,
    latents: Vec<f32>,
    emitted: usize,
    context: usize,
}

impl<'v, 'a> VocoderStream<'v, 'a> {
    /// `context`: interpolated frames of input either side of each vocoded stretch (HiFi-GAN's
    /// receptive field; [`DEFAULT_CONTEXT`] covers XTTS v2's generator).
    pub fn new(vocoder: &'v Vocoder<'a>, speaker: &[f32], context: usize) -> Self {
        Self {
            vocoder,
            speaker: speaker.to_vec(),
            latents: Vec::new(),
            emitted: 0,
            context,
        }
    }

    /// The next fixed-shape window and the frames it emits, if the first `final_frames`
    /// frames (all of them final) hold it: the first window starts at 0 and has the `first`
    /// shape (small, for early audio), later ones start `context` frames before the first
    /// unsent frame and have the `steady` shape; each emits all but its last `context` frames.
    fn next_block(&self, final_frames: usize) -> Option<(Range<usize>, Range<usize>)> {
        let b = &self.vocoder.blocks;
        let (n, _) = if self.emitted == 0 {
            b.first.or(b.steady)?
        } else {
            b.steady?
        };
        if n <= 2 * self.context {
            return None;
        }
        let lo = self.emitted.saturating_sub(self.context);
        let hi = lo + n;
        (hi <= final_frames).then(|| (lo..hi, self.emitted..hi - self.context))
    }

    /// A fixed-shape window ending at the sentence's last frame (the graph sees the real end)
    /// that starts at 0 or at least `context` frames before the unsent ones.
    fn last_window(&self, frames: usize) -> Option<(Range<usize>, Range<usize>)> {
        let b = &self.vocoder.blocks;
        [b.steady, b.first]
            .into_iter()
            .flatten()
            .find_map(|(n, _)| {
                let lo = frames.checked_sub(n)?;
                (lo == 0 || self.emitted >= lo + self.context)
                    .then_some((lo..frames, self.emitted..frames))
            })
    }

    /// Adds latents (`[n][width]`); returns the samples that are now final (may be empty:
    /// always so without a fixed-shape plan, when [`Self::finish`] vocodes the whole sentence).
    pub fn push(&mut self, latents: &[f32]) -> Result<Vec<f32>, XttsError> {
        let v = self.vocoder;
        self.latents.extend_from_slice(latents);
        let known = self.latents.len() / v.width;
        // Frames that no later latent can change: stage-1 frames with both taps below the last
        // latent, then stage-2 frames reading only those. Computing them needs a total length,
        // and any total >= known gives the same values for final frames.
        let final1 = v.stage1.final_outputs(known);
        let final2 = v.stage2.final_outputs(final1);
        let mut out = Vec::new();
        while let Some((window, emit)) = self.next_block(final2) {
            out.extend(v.window(&self.latents, known, window, emit.clone(), &self.speaker)?);
            self.emitted = emit.end;
        }
        Ok(out)
    }

    /// The rest of the waveform once the sentence's last latent is in.
    pub fn finish(mut self) -> Result<Vec<f32>, XttsError> {
        let v = self.vocoder;
        let total = self.latents.len() / v.width;
        let frames = v.frame_count(total);
        let mut out = Vec::new();
        while self.emitted < frames {
            let rest = self.emitted.saturating_sub(self.context)..frames;
            let (window, emit) = self
                .last_window(frames)
                .or_else(|| self.next_block(frames))
                .unwrap_or((rest, self.emitted..frames));
            out.extend(v.window(&self.latents, total, window, emit.clone(), &self.speaker)?);
            self.emitted = emit.end;
        }
        Ok(out)
    }
}

/// Interpolated frames of context either side of a streamed stretch: HiFi-GAN v1 as XTTS
/// configures it (conv_pre 7, upsampling 8·8·2·2 with kernels 16·16·4·4, resblocks 3/7/11 with
/// dilations 1·3·5) sees about ±14 input frames; 16 leaves a margin.
pub const DEFAULT_CONTEXT: usize = 16;

/// HiFi-GAN plans for fixed window shapes (frames): `first` for a sentence's first window,
/// `steady` for the rest (a plan given here is used for windows of that many frames, and may
/// be the symbolic one). Either may be absent; without both nothing streams before the end.
#[derive(Clone, Copy, Default)]
pub struct Blocks<'a> {
    pub first: Option<(usize, &'a Plan)>,
    pub steady: Option<(usize, &'a Plan)>,
}

/// The first streamed window: 48 frames of audio (0.5 s, after about 15 codes) and 16 of
/// right context, so the first audio comes early.
pub const FIRST_FRAMES: usize = 64;
/// Every later window: 96 new frames (about 22 codes, 1 s of audio) between 16 frames of
/// context either side.
pub const BLOCK_FRAMES: usize = 128;
