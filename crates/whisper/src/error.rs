/// Errors of the Whisper core. Messages never contain model bytes or paths from the host.
#[derive(Debug, thiserror::Error)]
pub enum WhisperError {
    #[error("model file missing: {0}")]
    MissingFile(String),
    #[error("invalid model config: {0}")]
    Config(String),
    #[error("invalid tokenizer file: {0}")]
    Tokenizer(String),
    #[error("model graph could not be loaded: {0}")]
    Load(String),
    #[error("inference failed: {0}")]
    Inference(String),
    #[error("unsupported language {0:?}")]
    Language(String),
    #[error(transparent)]
    Audio(#[from] sawt_audio::AudioError),
}
