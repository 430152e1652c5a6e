//! A safetensors file read in place: the header is parsed, the tensors are slices of the bytes
//! the store returned (no second copy of the weights), checked against their declared shapes.
//! F32 tensors, and the I8 / U8 blocks of a quantized GPT (crate::quant).

use std::collections::HashMap;

use serde::Deserialize;

use crate::WeightsError;

#[derive(Deserialize)]
struct Entry {
    dtype: String,
    shape: Vec<usize>,
    data_offsets: (usize, usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dtype {
    F32,
    I8,
    U8,
}

impl Dtype {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "F32" => Some(Self::F32),
            "I8" => Some(Self::I8),
            "U8" => Some(Self::U8),
            _ => None,
        }
    }

    fn size(self) -> usize {
        match self {
            Self::F32 => 4,
            Self::I8 | Self::U8 => 1,
        }
    }
}

struct Info {
    dtype: Dtype,
    shape: Vec<usize>,
    /// Byte range within the data section.
    start: usize,
    len: usize,
}

/// The data section: the stored bytes themselves when they are 4-byte aligned (what every
/// allocator returns for a `Vec<u8>` of this size), a copy into f32 words only otherwise.
enum Data {
    Borrowed { bytes: Vec<u8>, offset: usize },
    Copied { words: Vec<f32>, len: usize },
}

pub struct Weights {
    data: Data,
    tensors: HashMap<String, Info>,
}

fn bad(m: impl Into<String>) -> WeightsError {
    WeightsError(m.into())
}

impl Weights {
    /// Parses a safetensors file of F32, I8 and U8 tensors.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, WeightsError> {
        let head: [u8; 8] = bytes
            .get(..8)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| bad("not a safetensors file (too short)"))?;
        let header_len = usize::try_from(u64::from_le_bytes(head))
            .map_err(|_| bad("safetensors header length overflows"))?;
        let offset = 8usize
            .checked_add(header_len)
            .filter(|&o| o <= bytes.len())
            .ok_or_else(|| bad("safetensors header runs past the end of the file"))?;
        let header: HashMap<String, serde_json::Value> = serde_json::from_slice(&bytes[8..offset])
            .map_err(|e| bad(format!("safetensors header: {e}")))?;
        let data_len = bytes.len() - offset;
        let mut tensors = HashMap::new();
        for (name, value) in header {
            if name == "__metadata__" {
                continue;
            }
            let e: Entry = serde_json::from_value(value)
                .map_err(|err| bad(format!("tensor {name}: {err}")))?;
            let dtype = Dtype::parse(&e.dtype).ok_or_else(|| {
                bad(format!(
                    "tensor {name}: dtype {} (sawt reads F32, I8, U8)",
                    e.dtype
                ))
            })?;
            let (b, end) = e.data_offsets;
            let count = e
                .shape
                .iter()
                .try_fold(dtype.size(), |n, d| n.checked_mul(*d));
            if b > end || end > data_len || Some(end - b) != count || b % dtype.size() != 0 {
                return Err(bad(format!(
                    "tensor {name}: data offsets do not match its shape"
                )));
            }
            tensors.insert(
                name,
                Info {
                    dtype,
                    shape: e.shape,
                    start: b,
                    len: end - b,
                },
            );
        }
        let aligned = bytes[offset..].as_ptr().align_offset(4) == 0;
        let data = if aligned {
            Data::Borrowed { bytes, offset }
        } else {
            let mut words = vec![0f32; data_len.div_ceil(4)];
            bytemuck::cast_slice_mut::<f32, u8>(&mut words)[..data_len]
                .copy_from_slice(&bytes[offset..]);
            Data::Copied {
                words,
                len: data_len,
            }
        };
        Ok(Self { data, tensors })
    }

    /// The data section as f32 words (F32 tensors start on a word: checked at load); a tail
    /// shorter than a word is no F32 tensor's.
    pub fn all(&self) -> &[f32] {
        let bytes = self.bytes();
        bytemuck::cast_slice(&bytes[..bytes.len() / 4 * 4])
    }

    /// The data section's bytes.
    pub fn bytes(&self) -> &[u8] {
        match &self.data {
            // Aligned (checked at load).
            Data::Borrowed { bytes, offset } => &bytes[*offset..],
            Data::Copied { words, len } => &bytemuck::cast_slice(words)[..*len],
        }
    }

    /// Every tensor's name, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.tensors.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    pub fn contains(&self, name: &str) -> bool {
        self.tensors.contains_key(name)
    }

    pub fn shape(&self, name: &str) -> Option<&[usize]> {
        self.tensors.get(name).map(|i| i.shape.as_slice())
    }

    fn info(&self, name: &str, dtype: Dtype) -> Result<&Info, WeightsError> {
        let info = self
            .tensors
            .get(name)
            .ok_or_else(|| bad(format!("tensor {name} is missing")))?;
        if info.dtype != dtype {
            return Err(bad(format!(
                "tensor {name} is {:?}, sawt reads it as {dtype:?}",
                info.dtype
            )));
        }
        Ok(info)
    }

    /// The byte range of the tensor `name`, which must be `dtype` with exactly `shape`.
    pub fn byte_range(
        &self,
        name: &str,
        dtype: Dtype,
        shape: &[usize],
    ) -> Result<std::ops::Range<usize>, WeightsError> {
        let info = self.info(name, dtype)?;
        if info.shape != shape {
            return Err(bad(format!(
                "tensor {name} has shape {:?}, the config implies {shape:?}",
                info.shape
            )));
        }
        Ok(info.start..info.start + info.len)
    }

    /// The F32 tensor `name`, which must have exactly `shape`.
    pub fn get(&self, name: &str, shape: &[usize]) -> Result<&[f32], WeightsError> {
        Ok(&self.all()[self.range(name, shape)?])
    }

    /// Where the F32 tensor `name`, which must have exactly `shape`, lies in
    /// [`all`](Self::all).
    pub fn range(
        &self,
        name: &str,
        shape: &[usize],
    ) -> Result<std::ops::Range<usize>, WeightsError> {
        let r = self.byte_range(name, Dtype::F32, shape)?;
        Ok(r.start / 4..r.end / 4)
    }

    /// The F32 tensor `name` with its own shape.
    pub fn get_any(&self, name: &str) -> Result<(&[f32], &[usize]), WeightsError> {
        let info = self.info(name, Dtype::F32)?;
        Ok((
            &self.all()[info.start / 4..(info.start + info.len) / 4],
            &info.shape,
        ))
    }

    /// The stored type of the tensor `name`, if present.
    pub fn dtype(&self, name: &str) -> Option<Dtype> {
        self.tensors.get(name).map(|i| i.dtype)
    }
}
