//! Digest helpers: SHA-256, including a hash state that survives between HTTP requests,
//! and BLAKE3 for the per-chunk check on every load.
//!
//! A staged upload arrives as several requests, and each wasm request starts from a fresh
//! instance, so the running whole-file digest has to be stored in the key-value store.
//! sha2 exposes its block function; we keep the eight state words and the byte count
//! (the format is ours and stable, unlike a library's internal serialisation).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// SHA-256 initial hash values (FIPS 180-4, 5.3.3).
const H0: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// BLAKE3-256 as 64 lower-case hex digits (the same form as [`sha256_hex`]).
pub fn blake3_hex(data: &[u8]) -> String {
    hex(blake3::hash(data).as_bytes())
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 0xf) as usize] as char);
    }
    s
}

/// True for 64 lower-case hex digits.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A SHA-256 computation paused at a 64-byte boundary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResumableSha256 {
    h: [u32; 8],
    /// Bytes hashed so far (always a multiple of 64).
    len: u64,
}

impl Default for ResumableSha256 {
    fn default() -> Self {
        Self { h: H0, len: 0 }
    }
}

impl ResumableSha256 {
    pub fn bytes_hashed(&self) -> u64 {
        self.len
    }

    /// Hashes whole blocks; `data.len()` must be a multiple of 64 (chunk sizes are).
    /// Returns false, hashing nothing, if it is not.
    pub fn update_blocks(&mut self, data: &[u8]) -> bool {
        if data.len() % 64 != 0 {
            return false;
        }
        // Batches of blocks through a small buffer: one compress call per block is several
        // times slower in wasm, and the copy is cheap next to the hashing.
        let mut batch = [[0u8; 64]; 64];
        for group in data.chunks(64 * 64) {
            let n = group.len() / 64;
            for (dst, src) in batch.iter_mut().zip(group.chunks_exact(64)) {
                dst.copy_from_slice(src);
            }
            sha2::block_api::compress256(&mut self.h, &batch[..n]);
        }
        self.len += data.len() as u64;
        true
    }

    /// Hashes `tail` (any length) and pads: the digest of everything fed in.
    pub fn finalize(mut self, tail: &[u8]) -> [u8; 32] {
        let full = tail.len() - tail.len() % 64;
        self.update_blocks(&tail[..full]);
        let rest = &tail[full..];
        let bit_len = (self.len + rest.len() as u64).wrapping_mul(8);
        let mut last = [0u8; 128];
        last[..rest.len()].copy_from_slice(rest);
        last[rest.len()] = 0x80;
        // One extra block when the length field does not fit after the 0x80 byte.
        let blocks = if rest.len() < 56 { 1 } else { 2 };
        let end = blocks * 64;
        last[end - 8..end].copy_from_slice(&bit_len.to_be_bytes());
        for b in last[..end].chunks_exact(64) {
            if let Ok(b) = <&[u8; 64]>::try_from(b) {
                sha2::block_api::compress256(&mut self.h, std::slice::from_ref(b));
            }
        }
        let mut out = [0u8; 32];
        for (o, w) in out.chunks_exact_mut(4).zip(self.h) {
            o.copy_from_slice(&w.to_be_bytes());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resumable_matches_one_shot_for_every_tail_length() {
        let data: Vec<u8> = (0..400u32).map(|i| (i * 7 + 3) as u8).collect();
        for split in [0usize, 64, 128, 320] {
            for end in split..data.len() {
                let mut st = ResumableSha256::default();
                assert!(st.update_blocks(&data[..split]));
                // Round-trip through JSON as the upload state does between requests.
                let st: ResumableSha256 =
                    serde_json::from_str(&serde_json::to_string(&st).unwrap()).unwrap();
                assert_eq!(
                    hex(&st.finalize(&data[split..end])),
                    sha256_hex(&data[..end]),
                    "split {split} end {end}"
                );
            }
        }
    }

    #[test]
    fn known_vector_and_unaligned_update_refused() {
        assert_eq!(
            hex(&ResumableSha256::default().finalize(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let mut st = ResumableSha256::default();
        assert!(!st.update_blocks(&[0u8; 65]));
        assert_eq!(st.bytes_hashed(), 0);
        assert!(is_sha256_hex(&sha256_hex(b"")));
        assert!(!is_sha256_hex("ABC"));
    }

    #[test]
    fn blake3_known_vector() {
        // The empty input of the BLAKE3 reference test vectors, and b3sum's answer for "abc".
        assert_eq!(
            blake3_hex(b""),
            "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
        );
        assert_eq!(
            blake3_hex(b"abc"),
            "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85"
        );
    }
}
