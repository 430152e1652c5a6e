//! A safetensors file read in place: the header is parsed, the tensors are slices of the bytes
//! the store returned (no second copy of the weights), checked against their declared shapes.

use std::collections::HashMap;

use serde::Deserialize;

use crate::XttsError;

#[derive(Deserialize)]
struct Entry {
    dtype: String,
    shape: Vec<usize>,
    data_offsets: (usize, usize),
}

struct Info {
    shape: Vec<usize>,
    /// Range in f32 elements within the data section.
    start: usize,
    len: usize,
}

/// The f32 data section: the stored bytes themselves when they are 4-byte aligned (what every
/// allocator returns for a `Vec<u8>` of this size), a copy only otherwise.
enum Data {
    Borrowed { bytes: Vec<u8>, offset: usize },
    Copied(Vec<f32>),
}

pub struct Weights {
    data: Data,
    tensors: HashMap<String, Info>,
}

fn bad(m: impl Into<String>) -> XttsError {
    XttsError::Weights(m.into())
}

impl Weights {
    /// Parses a safetensors file whose tensors are all F32.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, XttsError> {
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
            if e.dtype != "F32" {
                return Err(bad(format!(
                    "tensor {name}: dtype {} (sawt reads F32)",
                    e.dtype
                )));
            }
            let (b, end) = e.data_offsets;
            let count: usize = e.shape.iter().product();
            if b > end || end > data_len || end - b != count * 4 || b % 4 != 0 {
                return Err(bad(format!(
                    "tensor {name}: data offsets do not match its shape"
                )));
            }
            tensors.insert(
                name,
                Info {
                    shape: e.shape,
                    start: b / 4,
                    len: count,
                },
            );
        }
        let aligned = bytes[offset..].as_ptr().align_offset(4) == 0;
        let data = if aligned {
            Data::Borrowed { bytes, offset }
        } else {
            let copy = bytes[offset..]
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            Data::Copied(copy)
        };
        Ok(Self { data, tensors })
    }

    pub(crate) fn all(&self) -> &[f32] {
        match &self.data {
            Data::Borrowed { bytes, offset } => {
                let data = &bytes[*offset..];
                // Aligned (checked at load); a length that is not a multiple of 4 only has a
                // tail no tensor uses.
                bytemuck::cast_slice(&data[..data.len() / 4 * 4])
            }
            Data::Copied(v) => v,
        }
    }

    pub fn contains(&self, name: &str) -> bool {
        self.tensors.contains_key(name)
    }

    pub fn shape(&self, name: &str) -> Option<&[usize]> {
        self.tensors.get(name).map(|i| i.shape.as_slice())
    }

    /// The tensor `name`, which must have exactly `shape`.
    pub fn get(&self, name: &str, shape: &[usize]) -> Result<&[f32], XttsError> {
        let info = self
            .tensors
            .get(name)
            .ok_or_else(|| bad(format!("tensor {name} is missing")))?;
        if info.shape != shape {
            return Err(bad(format!(
                "tensor {name} has shape {:?}, the config implies {shape:?}",
                info.shape
            )));
        }
        Ok(&self.all()[info.start..info.start + info.len])
    }

    /// Where the tensor `name`, which must have exactly `shape`, lies in [`all`](Self::all).
    pub(crate) fn range(
        &self,
        name: &str,
        shape: &[usize],
    ) -> Result<std::ops::Range<usize>, XttsError> {
        self.get(name, shape)?;
        let info = &self.tensors[name];
        Ok(info.start..info.start + info.len)
    }

    /// The tensor `name` with its own shape.
    pub fn get_any(&self, name: &str) -> Result<(&[f32], &[usize]), XttsError> {
        let info = self
            .tensors
            .get(name)
            .ok_or_else(|| bad(format!("tensor {name} is missing")))?;
        Ok((&self.all()[info.start..info.start + info.len], &info.shape))
    }
}
