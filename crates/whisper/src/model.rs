//! The tract-onnx engine over the graphs of scripts/whisper_export.py. Graphs are built from
//! bytes (they come from the KV store), with every input shape pinned so tract optimises the
//! whole graph once at load.

use std::collections::{BTreeMap, HashMap};

use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::SimpleState;

use crate::config::ModelConfig;
use crate::consts::INPUT_STRIDE;
use crate::embedding::TokenEmbedding;
use crate::engine::Engine;
use crate::tokenizer::Tokenizer;
use crate::WhisperError;

/// The files of one model, by name (as stored: encoder.onnx, decoder.onnx, config.json and the
/// tokenizer and token embedding named in the config).
pub trait ModelFiles {
    fn file(&self, name: &str) -> Option<&[u8]>;
}

impl ModelFiles for HashMap<String, Vec<u8>> {
    fn file(&self, name: &str) -> Option<&[u8]> {
        self.get(name).map(Vec::as_slice)
    }
}

type Plan = Arc<TypedRunnableModel>;

fn load_err(what: &str) -> impl Fn(TractError) -> WhisperError + '_ {
    move |e| WhisperError::Load(format!("{what}: {e:#}"))
}

fn infer_err(e: TractError) -> WhisperError {
    WhisperError::Inference(format!("{e:#}"))
}

fn plain(t: &Tensor) -> Result<&[f32], WhisperError> {
    t.as_plain_ram()
        .ok_or_else(|| WhisperError::Inference("tensor is not in plain memory".into()))?
        .as_slice::<f32>()
        .map_err(infer_err)
}

type Proto = tract_onnx::pb::ModelProto;

/// Decodes a graph from its bytes, directly rather than through `model_for_read`, which first
/// copies the whole file into a buffer of its own (at peak: the stored bytes, that copy, the
/// protobuf and tract's tensors, four copies of every weight). Callers that own the bytes pass
/// a temporary, so they are freed before tract's tensors exist.
fn decode(bytes: &[u8], what: &str) -> Result<Proto, WhisperError> {
    <Proto as prost::Message>::decode(bytes)
        .map_err(|e| WhisperError::Load(format!("{what}: not an ONNX model: {e}")))
}

fn build(proto: Proto, what: &str, facts: Vec<InferenceFact>) -> Result<Plan, WhisperError> {
    let mut model = tract_onnx::onnx()
        .model_for_proto_model(&proto)
        .map_err(load_err(what))?;
    drop(proto);
    for (i, f) in facts.into_iter().enumerate() {
        model = model.with_input_fact(i, f).map_err(load_err(what))?;
    }
    model
        .into_optimized()
        .and_then(|m| m.into_runnable())
        .map_err(load_err(what))
}

/// Whisper in tract: encoder (+ cross-attention K/V) once per window, one decoder step per token
/// against a fixed-size self-attention cache that lives here; the token embedding and the logits
/// outside tract ([`TokenEmbedding`]).
pub struct TractWhisper {
    pub config: ModelConfig,
    embedding: TokenEmbedding,
    encoder: Plan,
    decoder: SimpleState<TypedFact, Box<dyn TypedOp>>,
    cross_k: Option<TValue>,
    cross_v: Option<TValue>,
    self_k: Arc<Tensor>,
    self_v: Arc<Tensor>,
    mask: Vec<f32>,
    position: usize,
}

impl TractWhisper {
    /// Loads config, tokenizer and both graphs from in-memory files.
    pub fn load(files: &dyn ModelFiles) -> Result<(Self, Tokenizer), WhisperError> {
        let get = |n: &str| {
            files
                .file(n)
                .ok_or_else(|| WhisperError::MissingFile(n.into()))
        };
        let config = ModelConfig::from_json(get("config.json")?)?;
        let tokenizer = Tokenizer::from_tiktoken(get(&config.tokenizer)?, &config)?;
        let embedding = get(&config.token_embedding)?.to_vec();
        let engine = Self::from_graphs(
            config,
            embedding,
            get("encoder.onnx")?,
            get("decoder.onnx")?,
        )?;
        Ok((engine, tokenizer))
    }

    /// Like [`load`](Self::load), but takes the files and frees each one as soon as it is
    /// parsed, so the peak memory of a load holds one graph's bytes at a time, not all files.
    pub fn load_owned(
        mut files: BTreeMap<String, Vec<u8>>,
    ) -> Result<(Self, Tokenizer), WhisperError> {
        let mut take = |n: &str| {
            files
                .remove(n)
                .ok_or_else(|| WhisperError::MissingFile(n.into()))
        };
        let config = ModelConfig::from_json(&take("config.json")?)?;
        let tokenizer = Tokenizer::from_tiktoken(&take(&config.tokenizer)?, &config)?;
        let embedding = take(&config.token_embedding)?;
        // The encoder's bytes are a temporary, freed once decoded; the decoder's are decoded
        // (and freed) only after the encoder is built.
        let encoder = decode(&take("encoder.onnx")?, "encoder")?;
        let decoder = take("decoder.onnx")?;
        drop(files);
        let engine = Self::from_protos(config, embedding, encoder, move || {
            decode(&decoder, "decoder")
        })?;
        Ok((engine, tokenizer))
    }

    /// Builds the engine from the embedding file's bytes (kept: the weights are used in place)
    /// and the two graphs.
    pub fn from_graphs(
        config: ModelConfig,
        embedding: Vec<u8>,
        encoder: &[u8],
        decoder: &[u8],
    ) -> Result<Self, WhisperError> {
        Self::from_protos(config, embedding, decode(encoder, "encoder")?, || {
            decode(decoder, "decoder")
        })
    }

    fn from_protos(
        config: ModelConfig,
        embedding: Vec<u8>,
        encoder: Proto,
        decoder: impl FnOnce() -> Result<Proto, WhisperError>,
    ) -> Result<Self, WhisperError> {
        let d = config.dims.clone();
        // The vocabulary is the embedding's row count: checked first, so a model whose files do
        // not belong together fails at load, before any graph is built.
        let embedding = TokenEmbedding::from_bytes(embedding, d.n_text_state)?;
        if embedding.n_vocab() != d.n_vocab {
            return Err(WhisperError::VocabMismatch {
                config: d.n_vocab,
                graph: embedding.n_vocab(),
            });
        }
        let enc = build(
            encoder,
            "encoder",
            vec![f32::fact([1, d.n_mels, INPUT_STRIDE * d.n_audio_ctx]).into()],
        )?;
        let (l, c, s, a) = (d.n_text_layer, d.n_text_ctx, d.n_text_state, d.n_audio_ctx);
        let dec = build(
            decoder()?,
            "decoder",
            vec![
                f32::fact([1, 1, s]).into(),
                i64::fact([1]).into(),
                f32::fact([l, 1, c, s]).into(),
                f32::fact([l, 1, c, s]).into(),
                f32::fact([l, 1, a, s]).into(),
                f32::fact([l, 1, a, s]).into(),
                f32::fact([1, c + 1]).into(),
            ],
        )?;
        // The decoder's output is the hidden state the embedding projects: its width must be the
        // embedding's, checked here, where the graph's output shape is known.
        let hidden_fact = dec.model().output_fact(0).map_err(load_err("decoder"))?;
        let width = hidden_fact
            .shape
            .as_concrete()
            .and_then(|s| s.last().copied());
        if width != Some(s) {
            return Err(WhisperError::Load(format!(
                "decoder output has width {width:?}, the token embedding {s}: not a \
                 sawt-whisper-onnx/2 decoder (re-export with scripts/whisper_export.py)"
            )));
        }
        let zeros = |shape: &[usize]| {
            Tensor::zero::<f32>(shape).map_err(|e| WhisperError::Load(e.to_string()))
        };
        Ok(TractWhisper {
            embedding,
            self_k: Arc::new(zeros(&[l, 1, c, s])?),
            self_v: Arc::new(zeros(&[l, 1, c, s])?),
            mask: vec![f32::NEG_INFINITY; c + 1],
            decoder: SimpleState::new(&dec).map_err(load_err("decoder"))?,
            encoder: enc,
            cross_k: None,
            cross_v: None,
            position: 0,
            config,
        })
    }

    /// Runs the encoder alone and returns `audio_features` `[n_audio_ctx][n_audio_state]`
    /// (for parity tests); also makes this window current, like `encode`.
    pub fn encode_features(&mut self, mel: &[f32]) -> Result<Vec<f32>, WhisperError> {
        let d = &self.config.dims;
        if mel.len() != d.n_mels * INPUT_STRIDE * d.n_audio_ctx {
            return Err(WhisperError::Inference(format!(
                "mel window has {} values, expected {}",
                mel.len(),
                d.n_mels * INPUT_STRIDE * d.n_audio_ctx
            )));
        }
        let input = Tensor::from_shape(&[1, d.n_mels, INPUT_STRIDE * d.n_audio_ctx], mel)
            .map_err(infer_err)?;
        let mut out = self.encoder.run(tvec![input.into()]).map_err(infer_err)?;
        if out.len() != 3 {
            return Err(WhisperError::Inference(
                "encoder must have 3 outputs".into(),
            ));
        }
        self.cross_v = out.pop();
        self.cross_k = out.pop();
        let feats = out
            .pop()
            .ok_or_else(|| WhisperError::Inference("no output".into()))?;
        self.reset();
        Ok(plain(&feats)?.to_vec())
    }

    fn write_cache(cache: &mut Arc<Tensor>, new: &Tensor, pos: usize) -> Result<(), WhisperError> {
        // The plan has dropped its handle after the run, so this is the only owner: no copy.
        let cache = Arc::make_mut(cache);
        let shape = cache.shape().to_vec();
        let (l, c, s) = (shape[0], shape[2], shape[3]);
        let src = plain(new)?;
        let mut view = cache.try_as_plain_ram_mut().map_err(infer_err)?;
        let dst = view.as_slice_mut::<f32>().map_err(infer_err)?;
        if src.len() != l * s {
            return Err(WhisperError::Inference("unexpected cache row size".into()));
        }
        for layer in 0..l {
            let o = (layer * c + pos) * s;
            dst[o..o + s].copy_from_slice(&src[layer * s..(layer + 1) * s]);
        }
        Ok(())
    }
}

impl Engine for TractWhisper {
    fn n_vocab(&self) -> usize {
        self.config.dims.n_vocab
    }

    fn n_text_ctx(&self) -> usize {
        self.config.dims.n_text_ctx
    }

    fn encode(&mut self, mel: &[f32]) -> Result<(), WhisperError> {
        self.encode_features(mel).map(|_| ())
    }

    fn reset(&mut self) {
        self.position = 0;
        self.mask.fill(f32::NEG_INFINITY);
        // The current token (last column) always attends to itself.
        if let Some(last) = self.mask.last_mut() {
            *last = 0.0;
        }
    }

    fn step(&mut self, token: u32) -> Result<Vec<f32>, WhisperError> {
        let c = self.config.dims.n_text_ctx;
        let pos = self.position;
        if pos >= c {
            return Err(WhisperError::Inference(format!(
                "decoder context of {c} tokens exceeded"
            )));
        }
        let (Some(ck), Some(cv)) = (self.cross_k.clone(), self.cross_v.clone()) else {
            return Err(WhisperError::Inference("step before encode".into()));
        };
        let x = self.embedding.row(token)?;
        let x = Tensor::from_shape(&[1, 1, x.len()], &x).map_err(infer_err)?;
        let position = Tensor::from_shape(&[1], &[pos as i64]).map_err(infer_err)?;
        let mask = Tensor::from_shape(&[1, c + 1], &self.mask).map_err(infer_err)?;
        let mut out = self
            .decoder
            .run(tvec![
                x.into(),
                position.into(),
                TValue::from_const(self.self_k.clone()),
                TValue::from_const(self.self_v.clone()),
                ck,
                cv,
                mask.into(),
            ])
            .map_err(infer_err)?;
        if out.len() != 3 {
            return Err(WhisperError::Inference(
                "decoder must have 3 outputs".into(),
            ));
        }
        let new_v = out
            .pop()
            .ok_or_else(|| WhisperError::Inference("missing output".into()))?;
        let new_k = out
            .pop()
            .ok_or_else(|| WhisperError::Inference("missing output".into()))?;
        let hidden = out
            .pop()
            .ok_or_else(|| WhisperError::Inference("missing output".into()))?;
        Self::write_cache(&mut self.self_k, &new_k, pos)?;
        Self::write_cache(&mut self.self_v, &new_v, pos)?;
        self.mask[pos] = 0.0;
        self.position += 1;
        self.embedding.logits(plain(&hidden)?)
    }
}
