//! Logit filters of whisper/decoding.py (openai/whisper@v20250625): SuppressBlank,
//! SuppressTokens, ApplyTimestampRules. Each sets logits to -inf in place.

pub trait LogitFilter {
    /// `tokens`: the whole context so far, initial tokens included.
    fn apply(&self, logits: &mut [f32], tokens: &[u32]);
}

fn mask(logits: &mut [f32], range: std::ops::Range<usize>) {
    let end = range.end.min(logits.len());
    if range.start < end {
        logits[range.start..end].fill(f32::NEG_INFINITY);
    }
}

/// Forbids a blank (the space token) or EOT as the first sampled token.
pub struct SuppressBlank {
    pub sample_begin: usize,
    /// `encode(" ") + [eot]`
    pub tokens: Vec<u32>,
}

impl LogitFilter for SuppressBlank {
    fn apply(&self, logits: &mut [f32], tokens: &[u32]) {
        if tokens.len() == self.sample_begin {
            for &t in &self.tokens {
                if let Some(l) = logits.get_mut(t as usize) {
                    *l = f32::NEG_INFINITY;
                }
            }
        }
    }
}

pub struct SuppressTokens {
    pub tokens: Vec<u32>,
}

impl LogitFilter for SuppressTokens {
    fn apply(&self, logits: &mut [f32], _tokens: &[u32]) {
        for &t in &self.tokens {
            if let Some(l) = logits.get_mut(t as usize) {
                *l = f32::NEG_INFINITY;
            }
        }
    }
}

/// Timestamps come in pairs (except right before EOT), never decrease, start the text, the
/// first one is at most `max_initial_timestamp`, and a timestamp is forced when the timestamps'
/// total probability beats every text token.
pub struct ApplyTimestampRules {
    pub sample_begin: usize,
    pub eot: u32,
    pub no_timestamps: u32,
    pub timestamp_begin: u32,
    pub max_initial_timestamp_index: Option<usize>,
}

impl LogitFilter for ApplyTimestampRules {
    fn apply(&self, logits: &mut [f32], tokens: &[u32]) {
        let tb = self.timestamp_begin as usize;
        if let Some(l) = logits.get_mut(self.no_timestamps as usize) {
            *l = f32::NEG_INFINITY;
        }
        let seq = tokens.get(self.sample_begin..).unwrap_or(&[]);
        let is_ts = |t: u32| t >= self.timestamp_begin;
        let last_was_timestamp = seq.last().is_some_and(|&t| is_ts(t));
        let penultimate_was_timestamp = seq.len() < 2 || is_ts(seq[seq.len() - 2]);
        if last_was_timestamp {
            if penultimate_was_timestamp {
                mask(logits, tb..logits.len());
            } else {
                mask(logits, 0..self.eot as usize);
            }
        }
        if let Some(&last_ts) = seq.iter().rev().find(|&&t| is_ts(t)) {
            // Timestamps must not decrease; a segment must not be empty (infinite loops).
            let timestamp_last = if last_was_timestamp && !penultimate_was_timestamp {
                last_ts
            } else {
                last_ts + 1
            };
            mask(logits, tb..timestamp_last as usize);
        }
        if tokens.len() == self.sample_begin {
            mask(logits, 0..tb);
            if let Some(idx) = self.max_initial_timestamp_index {
                mask(logits, tb + idx + 1..logits.len());
            }
        }
        // If the timestamps together are likelier than any text token, sample a timestamp.
        let lse_all = log_sum_exp(logits.iter().copied());
        let (text, ts) = logits.split_at(tb.min(logits.len()));
        let timestamp_logprob = log_sum_exp(ts.iter().copied()) - lse_all;
        let max_text_token_logprob =
            f64::from(text.iter().copied().fold(f32::NEG_INFINITY, f32::max)) - lse_all;
        if timestamp_logprob > max_text_token_logprob {
            mask(logits, 0..tb);
        }
    }
}

/// log Σ exp(x), in f64; -inf for an empty or all -inf input.
pub fn log_sum_exp(xs: impl Iterator<Item = f32> + Clone) -> f64 {
    let max = xs.clone().fold(f32::NEG_INFINITY, f32::max);
    if max == f32::NEG_INFINITY {
        return f64::NEG_INFINITY;
    }
    let m = f64::from(max);
    let s: f64 = xs.map(|x| (f64::from(x) - m).exp()).sum();
    m + s.ln()
}
