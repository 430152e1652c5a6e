/// Errors of the XTTS core. Messages never contain model bytes or host paths.
#[derive(Debug, thiserror::Error)]
pub enum XttsError {
    #[error("model file missing: {0}")]
    MissingFile(String),
    #[error("invalid model config: {0}")]
    Config(String),
    #[error("invalid model weights: {0}")]
    Weights(String),
    #[error("model graph could not be loaded: {0}")]
    Load(String),
    #[error("inference failed: {0}")]
    Inference(String),
    #[error("unsupported language {0:?}")]
    Language(String),
    #[error("text: {0}")]
    Text(String),
    /// A reference clip that cannot make a voice (too short, silent): the caller's input.
    #[error("reference audio: {0}")]
    Reference(String),
    #[error(transparent)]
    Audio(#[from] sawt_audio::AudioError),
}

impl From<sawt_quant::WeightsError> for XttsError {
    fn from(e: sawt_quant::WeightsError) -> Self {
        Self::Weights(e.0)
    }
}
