//! Comparing transcripts with the openai-whisper reference fixtures (tests/fixtures/whisper),
//! shared by the native and the wasm parity tests.

use serde_json::Value;

/// Compares the segments' tokens with the reference. `Ok(None)` when identical; `Ok(Some(note))`
/// when they part at a decision the reference recorded as a near tie (two choices closer than
/// 1e-3 in logits: float reassociation may flip it, and everything after differs); `Err` naming
/// the first mismatch, with its index, anywhere else.
pub fn first_divergence(
    label: &str,
    got: &[Vec<u64>],
    t: &Value,
) -> Result<Option<String>, String> {
    let Some(want) = t["segments"].as_array() else {
        return Err(format!("{label}: reference has no segments"));
    };
    let ties: Vec<(u64, u64, f64)> = t["near_ties"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| Some((v[0].as_u64()?, v[1].as_u64()?, v[2].as_f64()?)))
                .collect()
        })
        .unwrap_or_default();
    let mut offset = 0u64;
    let mut window = u64::MAX;
    let empty = Vec::new();
    for (k, w) in want.iter().enumerate() {
        let wt: Vec<u64> = w["tokens"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_u64).collect())
            .unwrap_or_default();
        let seek = w["seek"].as_u64().unwrap_or(u64::MAX);
        if seek != window {
            window = seek;
            offset = 0;
        }
        let gt = got.get(k).unwrap_or(&empty);
        if let Some(i) = (0..gt.len().max(wt.len())).find(|&i| gt.get(i) != wt.get(i)) {
            let pos = offset + i as u64;
            if let Some(&(_, _, gap)) = ties.iter().find(|&&(s, p, _)| s == seek && p == pos) {
                return Ok(Some(format!(
                    "diverges at a recorded near tie (window {seek}, token {pos}, gap {gap:.1e}); \
                     not compared further"
                )));
            }
            return Err(format!(
                "{label}: segment {k} first token mismatch at index {i}: got {:?} want {:?}",
                gt.get(i),
                wt.get(i)
            ));
        }
        offset += wt.len() as u64;
    }
    if got.len() != want.len() {
        return Err(format!(
            "{label}: {} segments, reference has {}",
            got.len(),
            want.len()
        ));
    }
    Ok(None)
}
