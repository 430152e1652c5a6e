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
    /// The token embedding and the vocabulary the config promises differ: a model whose
    /// files do not belong together (e.g. a fine-tune's embedding with another model's config).
    #[error("the model's vocabulary does not match its config: config.json says n_vocab = {config}, the token embedding has {graph} rows")]
    VocabMismatch { config: usize, graph: usize },
    #[error("unsupported language {0:?}")]
    Language(String),
    #[error(transparent)]
    Audio(#[from] sawt_audio::AudioError),
}
