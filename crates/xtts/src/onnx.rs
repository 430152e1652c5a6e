//! The convolutional graphs (conditioning encoder + perceiver, speaker encoder, HiFi-GAN) in
//! tract-onnx, built from the bytes the store returned.

use tract_onnx::prelude::*;

use crate::XttsError;

pub type Plan = Arc<TypedRunnableModel>;
type Proto = tract_onnx::pb::ModelProto;

/// Decodes and optimises one graph. The graphs keep their symbolic lengths (frames, samples):
/// one plan serves every clip and chunk length.
pub fn build(bytes: &[u8], what: &str) -> Result<Plan, XttsError> {
    let proto = <Proto as prost::Message>::decode(bytes)
        .map_err(|e| XttsError::Load(format!("{what}: not an ONNX model: {e}")))?;
    let load = |e: TractError| XttsError::Load(format!("{what}: {e:#}"));
    tract_onnx::onnx()
        .model_for_proto_model(&proto)
        .map_err(load)?
        .into_optimized()
        .and_then(|m| m.into_runnable())
        .map_err(load)
}

/// Runs `plan` on f32 inputs; returns the first output's values and shape.
pub fn run(
    plan: &Plan,
    inputs: Vec<(Vec<usize>, Vec<f32>)>,
) -> Result<(Vec<f32>, Vec<usize>), XttsError> {
    let err = |e: TractError| XttsError::Inference(format!("{e:#}"));
    let mut values = TVec::new();
    for (shape, data) in inputs {
        values.push(
            Tensor::from_shape(&shape, &data)
                .map_err(err)?
                .into_tvalue(),
        );
    }
    let out = plan.run(values).map_err(err)?;
    let t = out
        .into_iter()
        .next()
        .ok_or_else(|| XttsError::Inference("the graph has no output".into()))?;
    let shape = t.shape().to_vec();
    let data = t
        .as_plain_ram()
        .ok_or_else(|| XttsError::Inference("tensor is not in plain memory".into()))?
        .as_slice::<f32>()
        .map_err(err)?
        .to_vec();
    Ok((data, shape))
}

/// Like [`build`], with the symbolic dimension `symbol` fixed to `value` before optimisation:
/// tract then plans every convolution for one shape (measured faster than symbolic plans).
pub fn build_fixed(bytes: &[u8], what: &str, symbol: &str, value: i64) -> Result<Plan, XttsError> {
    let proto = <Proto as prost::Message>::decode(bytes)
        .map_err(|e| XttsError::Load(format!("{what}: not an ONNX model: {e}")))?;
    let load = |e: TractError| XttsError::Load(format!("{what}: {e:#}"));
    let typed = tract_onnx::onnx()
        .model_for_proto_model(&proto)
        .and_then(|m| m.into_typed())
        .and_then(|m| m.into_decluttered())
        .map_err(load)?;
    let sym = typed.symbols.sym(symbol);
    let subs = std::collections::HashMap::from([(sym, TDim::Val(value))]);
    typed
        .set_symbols(&subs)
        .and_then(|m| m.into_optimized())
        .and_then(|m| m.into_runnable())
        .map_err(load)
}
