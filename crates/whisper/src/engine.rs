use crate::WhisperError;

/// The inference engine as the decoding loop sees it: encode a window once, then one token per
/// step. The tract runner implements it; tests drive the loop with a scripted fake.
pub trait Engine {
    fn n_vocab(&self) -> usize;
    fn n_text_ctx(&self) -> usize;
    /// Encodes one window of mel frames `[n_mels][N_FRAMES]` (row-major). It becomes the
    /// cross-attention context of the following steps; the self-attention cache is cleared.
    fn encode(&mut self, mel: &[f32]) -> Result<(), WhisperError>;
    /// Clears the self-attention cache but keeps the encoded window (temperature fallback).
    fn reset(&mut self);
    /// Feeds `token` at the next position and returns the logits for the position after it.
    fn step(&mut self, token: u32) -> Result<Vec<f32>, WhisperError>;
}
