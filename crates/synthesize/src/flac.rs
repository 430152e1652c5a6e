//! Mono 16-bit FLAC (RFC 9639), written as the audio is synthesised: a STREAMINFO header, then
//! one frame per 4096 samples, the last one shorter. Section numbers (§) are RFC 9639's.
//!
//! Each subframe is the smallest of CONSTANT, VERBATIM and the FIXED predictors of order 0–4
//! with partitioned Rice coding (§9.2); no LPC, no wasted bits, no escaped partitions. The
//! stream keeps to the streamable subset (§7) whenever the frame header can carry the rate.

/// Samples per frame: a fixed block size (§9.1, blocking strategy bit 0), the reference
/// encoder's default; it has a block size code of its own (§9.1.1) and is within the
/// streamable subset's 4608 for audio up to 48 kHz (§7).
const BLOCK: usize = 4096;
/// The streamable subset's limit on the Rice partition order (§7).
const MAX_PARTITION_ORDER: u32 = 8;
/// The largest sample rate a frame header can carry (tens of Hz in 16 bits, §9.1.7); STREAMINFO
/// has room for more (20 bits), but decoders such as claxon refuse them.
const MAX_RATE: u32 = 655_350;
/// The largest sample count STREAMINFO can hold (36 bits, §8.2).
const MAX_TOTAL: u64 = (1 << 36) - 1;

/// Mono 16-bit FLAC, streamable.
#[derive(Debug, Clone)]
pub struct FlacEncoder {
    sample_rate: u32,
    /// Samples of the frame not yet complete (fewer than [`BLOCK`]).
    pending: Vec<i16>,
    /// The coded number of a fixed-block-size stream is the frame number (§9.1.5).
    frame_number: u64,
}

impl FlacEncoder {
    /// A rate outside 1..=655350 Hz is clamped into it (0 means "not audio", §8.2; see
    /// [`MAX_RATE`]), so that no input makes an invalid stream.
    pub fn new(sample_rate: u32) -> Self {
        Self {
            sample_rate: sample_rate.clamp(1, MAX_RATE),
            pending: Vec::with_capacity(BLOCK),
            frame_number: 0,
        }
    }

    /// "fLaC" + a last STREAMINFO block. `total_samples`: Some(n) when known (whole-file
    /// encode), None when streaming (0 = unknown, as the spec allows); MD5 all zero (= unknown,
    /// allowed by the spec).
    pub fn header(&self, total_samples: Option<u64>) -> Vec<u8> {
        // 36 bits of sample count; one STREAMINFO cannot hold is sent as 0, "unknown".
        let total = total_samples.filter(|&n| n <= MAX_TOTAL).unwrap_or(0);
        let mut w = BitWriter::default();
        w.bytes.extend_from_slice(b"fLaC");
        // Metadata block header (§8.1): last-block flag 1, type 0 (streaminfo), 34 bytes.
        w.put(1, 1);
        w.put(7, 0);
        w.put(24, 34);
        // STREAMINFO (§8.2). Min = max block size: a fixed block size stream; the last frame
        // may be shorter. Frame sizes 0: unknown, the header is sent before any frame.
        w.put(16, BLOCK as u64);
        w.put(16, BLOCK as u64);
        w.put(24, 0);
        w.put(24, 0);
        w.put(20, u64::from(self.sample_rate));
        w.put(3, 0); // channels - 1
        w.put(5, 15); // bits per sample - 1
        w.put(4, total >> 32);
        w.put(32, total & 0xFFFF_FFFF);
        for _ in 0..4 {
            w.put(32, 0); // MD5: 0 = not known (§8.2); streaming cannot know it up front
        }
        w.bytes
    }

    /// Buffers samples and returns every complete frame (fixed block size 4096) now encodable.
    pub fn push(&mut self, samples: &[i16]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut rest = samples;
        if !self.pending.is_empty() {
            let (head, tail) = rest.split_at((BLOCK - self.pending.len()).min(rest.len()));
            self.pending.extend_from_slice(head);
            rest = tail;
            if self.pending.len() < BLOCK {
                return out;
            }
            let block = std::mem::take(&mut self.pending);
            self.frame(&block, &mut out);
            self.pending = block;
            self.pending.clear();
        }
        // Whole blocks straight from the input, without copying them into `pending`.
        let mut blocks = rest.chunks_exact(BLOCK);
        for block in &mut blocks {
            self.frame(block, &mut out);
        }
        self.pending.extend_from_slice(blocks.remainder());
        out
    }

    /// The last (shorter) frame, if any samples remain.
    pub fn finish(mut self) -> Vec<u8> {
        let mut out = Vec::new();
        let block = std::mem::take(&mut self.pending);
        if !block.is_empty() {
            self.frame(&block, &mut out);
        }
        out
    }

    /// One frame (§9): header, the one subframe, zero padding to a byte, CRC-16.
    fn frame(&mut self, block: &[i16], out: &mut Vec<u8>) {
        let mut w = BitWriter::default();
        w.put(15, 0b111_1111_1111_1100); // sync code (§9.1)
        w.put(1, 0); // blocking strategy: fixed
        let (size_code, size_extra) = block_size_code(block.len());
        let (rate_code, rate_extra) = sample_rate_code(self.sample_rate);
        w.put(4, size_code);
        w.put(4, rate_code);
        w.put(4, 0); // channels bits: 1 channel, mono (§9.1.3)
        w.put(3, 0b100); // bit depth bits: 16 (§9.1.4)
        w.put(1, 0); // reserved
        put_coded_number(&mut w, self.frame_number);
        for (bits, value) in [size_extra, rate_extra].into_iter().flatten() {
            w.put(bits, value); // uncommon block size, then uncommon rate (§9.1.6, §9.1.7)
        }
        // The header is whole bytes here (32 bits + coded number + 8/16-bit extras).
        let crc = crc8(&w.bytes);
        w.put(8, u64::from(crc)); // §9.1.8
        write_subframe(&mut w, block);
        w.align(); // §9.3: zero bits up to a byte boundary
        let crc = crc16(&w.bytes);
        w.put(16, u64::from(crc));
        out.extend_from_slice(&w.bytes);
        self.frame_number += 1;
    }
}

/// The whole file at once: header(Some(n)) + frames.
pub fn encode(samples: &[i16], sample_rate: u32) -> Vec<u8> {
    let mut encoder = FlacEncoder::new(sample_rate);
    let mut out = encoder.header(Some(samples.len() as u64));
    out.extend(encoder.push(samples));
    out.extend(encoder.finish());
    out
}

/// Block size bits (§9.1.1), and the uncommon size (minus 1) stored after the coded number
/// when there is no code for it (§9.1.6).
fn block_size_code(n: usize) -> (u64, Option<(u32, u64)>) {
    match n {
        192 => (0b0001, None),
        576 => (0b0010, None),
        1152 => (0b0011, None),
        2304 => (0b0100, None),
        4608 => (0b0101, None),
        256 => (0b1000, None),
        512 => (0b1001, None),
        1024 => (0b1010, None),
        2048 => (0b1011, None),
        4096 => (0b1100, None),
        n if n <= 256 => (0b0110, Some((8, n as u64 - 1))),
        n => (0b0111, Some((16, n as u64 - 1))),
    }
}

/// Sample rate bits (§9.1.2): a table code where one matches, else the rate as 8-bit kHz,
/// 16-bit Hz or 16-bit tens of Hz (§9.1.7); else 0, "see STREAMINFO" (outside the subset).
fn sample_rate_code(rate: u32) -> (u64, Option<(u32, u64)>) {
    let rate = u64::from(rate);
    match rate {
        88_200 => (0b0001, None),
        176_400 => (0b0010, None),
        192_000 => (0b0011, None),
        8_000 => (0b0100, None),
        16_000 => (0b0101, None),
        22_050 => (0b0110, None),
        24_000 => (0b0111, None),
        32_000 => (0b1000, None),
        44_100 => (0b1001, None),
        48_000 => (0b1010, None),
        96_000 => (0b1011, None),
        r if r % 1000 == 0 && r / 1000 <= 0xFF => (0b1100, Some((8, r / 1000))),
        r if r <= 0xFFFF => (0b1101, Some((16, r))),
        r if r % 10 == 0 && r / 10 <= 0xFFFF => (0b1110, Some((16, r / 10))),
        _ => (0b0000, None),
    }
}

/// The UTF-8-like coded number (§9.1.5), up to 36 bits in 7 bytes.
fn put_coded_number(w: &mut BitWriter, value: u64) {
    let v = value & MAX_TOTAL;
    if v < 0x80 {
        w.put(8, v);
        return;
    }
    // Continuation bytes carry 6 bits each; the first byte's prefix has one 1 per byte.
    let extra: u32 = match v {
        0..=0x7FF => 1,
        0x800..=0xFFFF => 2,
        0x1_0000..=0x1F_FFFF => 3,
        0x20_0000..=0x3FF_FFFF => 4,
        0x400_0000..=0x7FFF_FFFF => 5,
        _ => 6,
    };
    let prefix = (0xFF00u64 >> (extra + 1)) & 0xFF;
    w.put(8, prefix | (v >> (6 * extra)));
    for i in (0..extra).rev() {
        w.put(8, 0x80 | ((v >> (6 * i)) & 0x3F));
    }
}

/// How a subframe is coded, chosen by its size in bits.
enum Subframe {
    Constant,
    Verbatim,
    /// A fixed predictor (§9.2.5) with its folded residual and Rice plan.
    Fixed {
        order: usize,
        folded: Vec<u32>,
        plan: RicePlan,
    },
}

/// The smallest of CONSTANT, VERBATIM and FIXED order 0–4 (§9.2.3–§9.2.5).
fn write_subframe(w: &mut BitWriter, block: &[i16]) {
    let first = block.first().copied().unwrap_or(0);
    let mut best = Subframe::Verbatim;
    if block.iter().all(|&s| s == first) {
        best = Subframe::Constant;
    } else {
        let mut best_bits = 16 * block.len() as u64;
        // A predictor needs at least one residual after its warm-up samples (§9.2.7).
        for order in 0..=4.min(block.len() - 1) {
            let folded: Vec<u32> = fixed_residual(block, order).map(fold).collect();
            let plan = plan_rice(&folded, block.len(), order);
            let bits = 16 * order as u64 + 6 + plan.bits;
            if bits < best_bits {
                best_bits = bits;
                best = Subframe::Fixed {
                    order,
                    folded,
                    plan,
                };
            }
        }
    }
    // Subframe header (§9.2.1): a zero bit, 6 type bits, wasted-bits flag 0.
    w.put(1, 0);
    match best {
        Subframe::Constant => {
            w.put(6, 0b000000);
            w.put(1, 0);
            w.put(16, u64::from(first as u16));
        }
        Subframe::Verbatim => {
            w.put(6, 0b000001);
            w.put(1, 0);
            for &s in block {
                w.put(16, u64::from(s as u16));
            }
        }
        Subframe::Fixed {
            order,
            folded,
            plan,
        } => {
            w.put(6, 0b001000 | order as u64);
            w.put(1, 0);
            for &s in &block[..order] {
                w.put(16, u64::from(s as u16)); // warm-up samples
            }
            write_residual(w, &folded, block.len(), order, &plan);
        }
    }
}

/// The residual of fixed predictor `order` (§9.2.5 table), from sample `order` on. For 16-bit
/// input its magnitude stays below 2^20, well inside the 32-bit limit of §9.2.7.3.
fn fixed_residual(block: &[i16], order: usize) -> impl Iterator<Item = i32> + '_ {
    let s = move |i: usize| i32::from(block[i]);
    (order..block.len()).map(move |i| match order {
        0 => s(i),
        1 => s(i) - s(i - 1),
        2 => s(i) - 2 * s(i - 1) + s(i - 2),
        3 => s(i) - 3 * s(i - 1) + 3 * s(i - 2) - s(i - 3),
        _ => s(i) - 4 * s(i - 1) + 6 * s(i - 2) - 4 * s(i - 3) + s(i - 4),
    })
}

/// Zigzag folding of a signed residual (§9.2.7.2): 0, -1, 1, -2 … → 0, 1, 2, 3 …
fn fold(r: i32) -> u32 {
    ((r << 1) ^ (r >> 31)) as u32
}

/// A partitioned Rice coding of one residual (§9.2.7).
struct RicePlan {
    partition_order: u32,
    /// 5-bit Rice parameters (coding method 0b01) instead of 4-bit (0b00).
    wide: bool,
    params: Vec<u32>,
    /// Size of the coded residual in bits, method and order fields included.
    bits: u64,
}

/// The smallest partitioned Rice coding: every allowed partition order, with each partition's
/// best parameter, exactly counted. Sums of `u >> k` per partition at the finest order are
/// added pairwise for the coarser ones, so each residual is scanned once.
fn plan_rice(folded: &[u32], block: usize, order: usize) -> RicePlan {
    // Past the bit length of the largest value a larger parameter only costs more.
    let top = folded.iter().copied().max().unwrap_or(0);
    let kmax = ((32 - top.leading_zeros()) as usize).min(30);
    let ks = kmax + 1;
    // Finest order: the block divides evenly and each partition outlasts the warm-up (§9.2.7).
    let mut p = 0;
    while p < MAX_PARTITION_ORDER && block.is_multiple_of(2 << p) && (block >> (p + 1)) > order {
        p += 1;
    }
    let parts = 1usize << p;
    let mut sums = vec![0u64; parts * ks];
    let mut counts = vec![0u64; parts];
    let mut start = 0;
    for j in 0..parts {
        // The first partition is shorter by the warm-up samples.
        let end = (j + 1) * (block >> p) - order;
        for &u in &folded[start..end] {
            for (k, sum) in sums[j * ks..(j + 1) * ks].iter_mut().enumerate() {
                *sum += u64::from(u >> k);
            }
        }
        counts[j] = (end - start) as u64;
        start = end;
    }
    let mut best = cheapest_params(&sums, &counts, ks, p);
    while p > 0 {
        // One order coarser: neighbouring partitions merge.
        sums = sums
            .chunks_exact(2 * ks)
            .flat_map(|pair| (0..ks).map(move |k| pair[k] + pair[ks + k]))
            .collect();
        counts = counts.chunks_exact(2).map(|c| c[0] + c[1]).collect();
        p -= 1;
        let plan = cheapest_params(&sums, &counts, ks, p);
        if plan.bits <= best.bits {
            best = plan; // ties go to fewer partitions
        }
    }
    best
}

/// Each partition's cheapest parameter, with 4-bit parameters (≤ 14; 15 is the escape code)
/// or 5-bit ones (≤ 30), whichever totals less. A value costs its quotient in unary, a stop bit
/// and k low bits.
fn cheapest_params(sums: &[u64], counts: &[u64], ks: usize, p: u32) -> RicePlan {
    let best = |limit: usize| {
        let mut bits = 0;
        let mut params = Vec::with_capacity(counts.len());
        for (j, &n) in counts.iter().enumerate() {
            let (k, cost) = (0..ks.min(limit + 1))
                .map(|k| (k, n * (k as u64 + 1) + sums[j * ks + k]))
                .min_by_key(|&(_, cost)| cost)
                .unwrap_or((0, n));
            params.push(k as u32);
            bits += cost;
        }
        (bits, params)
    };
    let (narrow_bits, narrow) = best(14);
    let narrow_bits = narrow_bits + 4 * counts.len() as u64;
    let (wide_bits, wide) = best(30);
    let wide_bits = wide_bits + 5 * counts.len() as u64;
    let (bits, params, wide) = if narrow_bits <= wide_bits {
        (narrow_bits, narrow, false)
    } else {
        (wide_bits, wide, true)
    };
    RicePlan {
        partition_order: p,
        wide,
        params,
        bits: 2 + 4 + bits,
    }
}

/// The coded residual (§9.2.7): method, partition order, then per partition its parameter and
/// the Rice code words (§9.2.7.2).
fn write_residual(w: &mut BitWriter, folded: &[u32], block: usize, order: usize, plan: &RicePlan) {
    w.put(2, u64::from(plan.wide));
    w.put(4, u64::from(plan.partition_order));
    let param_bits = if plan.wide { 5 } else { 4 };
    let mut start = 0;
    for (j, &k) in plan.params.iter().enumerate() {
        let end = ((j + 1) * (block >> plan.partition_order) - order).min(folded.len());
        w.put(param_bits, u64::from(k));
        for &u in &folded[start.min(end)..end] {
            w.unary(u >> k);
            w.put(k, u64::from(u) & ((1 << k) - 1));
        }
        start = end;
    }
}

/// Big-endian bit packing, most significant bit first (§2).
#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    /// Pending bits in the low `used` bits (fewer than 8 between calls).
    acc: u64,
    used: u32,
}

impl BitWriter {
    /// The low `bits` (≤ 32) bits of `value`.
    fn put(&mut self, bits: u32, value: u64) {
        if bits == 0 {
            return;
        }
        self.acc = (self.acc << bits) | (value & ((1 << bits) - 1));
        self.used += bits;
        while self.used >= 8 {
            self.used -= 8;
            self.bytes.push((self.acc >> self.used) as u8);
        }
    }

    /// `q` zero bits and a one (§9.2.7.2).
    fn unary(&mut self, mut q: u32) {
        while q >= 32 {
            self.put(32, 0);
            q -= 32;
        }
        self.put(q + 1, 1);
    }

    fn align(&mut self) {
        if self.used > 0 {
            self.put(8 - self.used, 0);
        }
    }
}

/// CRC-8, polynomial x^8 + x^2 + x + 1, initial 0 (§9.1.8).
fn crc8(bytes: &[u8]) -> u8 {
    bytes
        .iter()
        .fold(0, |crc, &b| CRC8_TABLE[usize::from(crc ^ b)])
}

/// CRC-16, polynomial x^16 + x^15 + x^2 + 1, initial 0 (§9.3).
fn crc16(bytes: &[u8]) -> u16 {
    bytes.iter().fold(0, |crc, &b| {
        (crc << 8) ^ CRC16_TABLE[usize::from((crc >> 8) as u8 ^ b)]
    })
}

const CRC8_TABLE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u8;
        let mut bit = 0;
        while bit < 8 {
            c = if c & 0x80 != 0 {
                (c << 1) ^ 0x07
            } else {
                c << 1
            };
            bit += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

const CRC16_TABLE: [u16; 256] = {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = (i as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            c = if c & 0x8000 != 0 {
                (c << 1) ^ 0x8005
            } else {
                c << 1
            };
            bit += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    const LENGTHS: [usize; 6] = [0, 1, 4095, 4096, 4097, 10_000];
    const RATES: [u32; 7] = [24_000, 16_000, 44_100, 22_050, 8_000, 96_000, 12_345];

    fn sine(n: usize, rate: u32, hz: f64, amplitude: f64) -> Vec<i16> {
        let step = 2.0 * std::f64::consts::PI * hz / f64::from(rate);
        (0..n)
            .map(|i| (amplitude * (step * i as f64).sin()).round() as i16)
            .collect()
    }

    /// Full-range white noise (xorshift64*): incompressible, the encoder's worst case.
    fn noise(n: usize, seed: u64) -> Vec<i16> {
        let mut x = seed | 1;
        (0..n)
            .map(|_| {
                x ^= x >> 12;
                x ^= x << 25;
                x ^= x >> 27;
                (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 48) as u16 as i16
            })
            .collect()
    }

    /// The extremes in every order: ±full scale steps, runs, and alternation (the largest
    /// fixed-predictor residuals, up to 16 × 32768).
    fn full_scale(n: usize) -> Vec<i16> {
        (0..n)
            .map(|i| match (i / 7) % 3 {
                0 => i16::MIN,
                1 => i16::MAX,
                _ if i % 2 == 0 => i16::MIN,
                _ => i16::MAX,
            })
            .collect()
    }

    fn signals(n: usize, rate: u32) -> Vec<(&'static str, Vec<i16>)> {
        vec![
            ("silence", vec![0; n]),
            ("sine", sine(n, rate, 440.0, 12_000.0)),
            ("noise", noise(n, n as u64 + u64::from(rate))),
            ("full scale", full_scale(n)),
        ]
    }

    /// Decodes with claxon (which checks both CRCs), returning STREAMINFO and the samples.
    fn decode(bytes: &[u8]) -> (claxon::metadata::StreamInfo, Vec<i16>) {
        let mut reader = claxon::FlacReader::new(Cursor::new(bytes)).expect("a FLAC stream");
        let info = reader.streaminfo();
        let samples = reader
            .samples()
            .map(|s| {
                let s = s.expect("a valid frame");
                i16::try_from(s).expect("16-bit sample")
            })
            .collect();
        (info, samples)
    }

    #[test]
    fn decodes_bit_exactly_for_every_signal_length_and_rate() {
        for rate in RATES {
            for n in LENGTHS {
                for (name, samples) in signals(n, rate) {
                    let flac = encode(&samples, rate);
                    let (info, back) = decode(&flac);
                    let what = format!("{name}, {n} samples at {rate} Hz");
                    assert_eq!(back, samples, "{what}");
                    assert_eq!(info.sample_rate, rate, "{what}");
                    assert_eq!((info.channels, info.bits_per_sample), (1, 16), "{what}");
                    assert_eq!(info.samples, (n > 0).then_some(n as u64), "{what}");
                    assert_eq!((info.min_block_size, info.max_block_size), (4096, 4096));
                    assert_eq!((info.min_frame_size, info.max_frame_size), (None, None));
                    assert_eq!(info.md5sum, [0; 16]);
                }
            }
        }
    }

    #[test]
    fn empty_input_is_a_valid_file_with_only_the_header() {
        let flac = encode(&[], 24_000);
        assert_eq!(flac.len(), 4 + 4 + 34);
        assert_eq!(&flac[..8], b"fLaC\x80\0\0\x22");
        assert_eq!(decode(&flac).1, Vec::<i16>::new());
        assert!(FlacEncoder::new(24_000).finish().is_empty());
    }

    #[test]
    fn uncommon_rates_go_in_the_frame_header_or_streaminfo() {
        assert_eq!(sample_rate_code(24_000), (0b0111, None));
        assert_eq!(sample_rate_code(12_345), (0b1101, Some((16, 12_345))));
        assert_eq!(sample_rate_code(100_000), (0b1100, Some((8, 100))));
        assert_eq!(sample_rate_code(100_010), (0b1110, Some((16, 10_001))));
        assert_eq!(sample_rate_code(65_537), (0b0000, None));
        for rate in [1, 65_537, 100_000, 100_010, 655_350] {
            let samples = sine(5000, rate.max(1000), 50.0, 9000.0);
            let (info, back) = decode(&encode(&samples, rate));
            assert_eq!((info.sample_rate, back), (rate, samples), "{rate} Hz");
        }
        // Out of range: clamped, never a panic nor an invalid stream.
        assert_eq!(decode(&encode(&[1, 2], 0)).0.sample_rate, 1);
        assert_eq!(decode(&encode(&[1, 2], u32::MAX)).0.sample_rate, 655_350);
    }

    #[test]
    fn block_sizes_use_table_codes_or_uncommon_sizes() {
        assert_eq!(block_size_code(4096), (0b1100, None));
        assert_eq!(block_size_code(192), (0b0001, None));
        assert_eq!(block_size_code(1), (0b0110, Some((8, 0))));
        assert_eq!(block_size_code(4095), (0b0111, Some((16, 4094))));
        for n in [192, 256, 576, 1000, 2304, 4000] {
            let samples = noise(4096 + n, 7);
            assert_eq!(
                decode(&encode(&samples, 24_000)).1,
                samples,
                "last block {n}"
            );
        }
    }

    #[test]
    fn coded_number_matches_the_rfc_example() {
        // §9.1.5: 51 billion as a 7-byte coded number.
        let mut w = BitWriter::default();
        put_coded_number(&mut w, 51_000_000_000);
        assert_eq!(w.bytes, [0xFE, 0xAF, 0x9F, 0xB5, 0xA3, 0xB8, 0x80]);
        for (n, bytes) in [
            (0u64, vec![0x00]),
            (0x7F, vec![0x7F]),
            (0x80, vec![0xC2, 0x80]),
            (0x7FF, vec![0xDF, 0xBF]),
            (0x800, vec![0xE0, 0xA0, 0x80]),
            (0xFFFF, vec![0xEF, 0xBF, 0xBF]),
            (0x10000, vec![0xF0, 0x90, 0x80, 0x80]),
        ] {
            let mut w = BitWriter::default();
            put_coded_number(&mut w, n);
            assert_eq!(w.bytes, bytes, "{n:#x}");
        }
    }

    #[test]
    fn crcs_match_their_check_values() {
        // The standard check input: CRC-8 (poly 0x07) → 0xF4, CRC-16/UMTS (0x8005) → 0xFEE8.
        assert_eq!(crc8(b"123456789"), 0xF4);
        assert_eq!(crc16(b"123456789"), 0xFEE8);
    }

    #[test]
    fn many_frames_decode_past_the_one_byte_frame_numbers() {
        // 200 frames: coded numbers of one and two bytes.
        let samples = sine(200 * BLOCK + 5, 24_000, 300.0, 20_000.0);
        assert_eq!(decode(&encode(&samples, 24_000)).1, samples);
    }

    #[test]
    fn streaming_in_uneven_pieces_gives_the_same_frames() {
        let mut samples = sine(30_000, 24_000, 440.0, 10_000.0);
        samples.extend(noise(8_000, 3));
        let whole = encode(&samples, 24_000);
        let mut encoder = FlacEncoder::new(24_000);
        let header = encoder.header(None);
        let mut frames = Vec::new();
        let mut rest = &samples[..];
        for size in [1, 333, 5000, 0, 7, 4096, 4095, 2, 9000].iter().cycle() {
            let (piece, tail) = rest.split_at((*size).min(rest.len()));
            frames.extend(encoder.push(piece));
            // Only whole 4096-sample frames come out before finish.
            rest = tail;
            if rest.is_empty() {
                break;
            }
        }
        frames.extend(encoder.finish());
        // Only the header differs: the total sample count (unknown = 0 when streaming).
        assert_eq!(header.len(), 42);
        assert!(frames == whole[42..], "streamed frames differ");
        // Bytes 21..26: 4 bits of bit depth, then the 36-bit count.
        assert_eq!(header[..22], whole[..22]);
        assert_eq!(header[22..26], [0; 4]);
        assert_eq!(whole[22..26], (samples.len() as u32).to_be_bytes());
        let mut streamed = header;
        streamed.extend(frames);
        let (info, back) = decode(&streamed);
        assert_eq!(info.samples, None);
        assert_eq!(back, samples);
    }

    #[test]
    fn push_returns_frames_as_soon_as_they_are_complete() {
        let samples = noise(2 * BLOCK, 5);
        let mut encoder = FlacEncoder::new(24_000);
        assert!(encoder.push(&samples[..BLOCK - 1]).is_empty());
        let first = encoder.push(&samples[BLOCK - 1..BLOCK + 1]);
        assert_eq!(&first[..2], [0xFF, 0xF8]); // sync code, fixed blocking (§9.1)
        assert!(encoder.push(&samples[BLOCK + 1..]).len() > 2 * BLOCK);
        assert!(encoder.finish().is_empty());
    }

    /// The first subframe's type (§9.2.1) and, for a FIXED one, its Rice coding method
    /// (§9.2.7), in a one-frame file at 24 kHz: the frame header is then 6 bytes.
    fn first_subframe(flac: &[u8]) -> (u8, Option<u8>) {
        let sub = &flac[42 + 6..];
        let kind = sub[0] >> 1;
        let order = usize::from(kind & 0b111);
        (kind, (kind >> 3 == 1).then(|| sub[1 + 2 * order] >> 6))
    }

    #[test]
    fn each_signal_gets_the_subframe_it_needs() {
        let kind = |samples: &[i16]| first_subframe(&encode(samples, 24_000));
        assert_eq!(kind(&[0; BLOCK]), (0b000000, None)); // CONSTANT
        assert_eq!(kind(&[-5; 192]), (0b000000, None));
        assert_eq!(kind(&noise(BLOCK, 1)), (0b000001, None)); // VERBATIM
        let (sine_kind, method) = kind(&sine(BLOCK, 24_000, 440.0, 10_000.0));
        assert_eq!((sine_kind >> 3, method), (0b001, Some(0b00))); // FIXED, 4-bit parameters

        // Silence then full-scale alternation: parameter 0 for one partition, ≥ 15 for the
        // other, so only 5-bit parameters fit.
        let mut loud = vec![0i16; BLOCK / 2];
        loud.extend((0..BLOCK / 2).map(|i| if i % 2 == 0 { i16::MIN } else { i16::MAX }));
        let (loud_kind, method) = kind(&loud);
        assert_eq!((loud_kind >> 3, method), (0b001, Some(0b01)));
        assert_eq!(decode(&encode(&loud, 24_000)).1, loud);
    }

    #[test]
    fn a_sine_compresses_below_half_and_noise_barely_grows() {
        let pcm_bytes = |n: usize| 2.0 * n as f64;
        let sine = sine(240_000, 24_000, 440.0, 16_000.0);
        let sine_ratio = encode(&sine, 24_000).len() as f64 / pcm_bytes(sine.len());
        let noise = noise(240_000, 11);
        let noise_ratio = encode(&noise, 24_000).len() as f64 / pcm_bytes(noise.len());
        eprintln!("FLAC/PCM size: sine {sine_ratio:.3}, white noise {noise_ratio:.4}");
        assert!(sine_ratio < 0.5, "sine: {sine_ratio}");
        // Noise falls back to VERBATIM: frame headers and CRCs only (~12 bytes per 8 KiB).
        assert!(noise_ratio < 1.002, "noise: {noise_ratio}");
    }

    /// Runs an external decoder; a missing tool fails the test, it is never skipped.
    fn run(tool: &str, args: &[&str]) -> std::process::Output {
        std::process::Command::new(tool)
            .args(args)
            .output()
            .unwrap_or_else(|e| {
                panic!("`{tool}` could not run ({e}): install it (Debian: apt-get install -y ffmpeg flac)")
            })
    }

    #[test]
    fn the_reference_decoder_and_ffmpeg_decode_it_exactly() {
        let mut samples = sine(3 * BLOCK, 24_000, 440.0, 12_000.0);
        samples.extend(noise(BLOCK, 9));
        samples.extend(full_scale(999));
        samples.extend(vec![0; 5000]);
        let dir = std::env::temp_dir().join(format!("sawt-flac-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        // The whole-file encode, and a stream (unknown length) at an uncommon rate.
        let mut encoder = FlacEncoder::new(12_345);
        let mut streamed = encoder.header(None);
        for piece in samples.chunks(1000) {
            streamed.extend(encoder.push(piece));
        }
        streamed.extend(encoder.finish());
        for (name, bytes) in [
            ("whole.flac", encode(&samples, 24_000)),
            ("streamed.flac", streamed),
        ] {
            let path = dir.join(name);
            std::fs::write(&path, bytes).expect("write");
            let path = path.to_str().expect("utf-8 path");

            let flac = run("flac", &["-t", "--silent", path]);
            let stderr = String::from_utf8_lossy(&flac.stderr);
            assert!(flac.status.success(), "flac -t {name}: {stderr}");
            assert!(!stderr.contains("ERROR"), "flac -t {name}: {stderr}");

            let ffmpeg = run(
                "ffmpeg",
                &[
                    "-v",
                    "error",
                    "-err_detect",
                    "crccheck+explode",
                    "-i",
                    path,
                    "-f",
                    "s16le",
                    "-",
                ],
            );
            let stderr = String::from_utf8_lossy(&ffmpeg.stderr);
            assert!(ffmpeg.status.success(), "ffmpeg {name}: {stderr}");
            assert!(stderr.is_empty(), "ffmpeg {name}: {stderr}");
            let back: Vec<i16> = ffmpeg
                .stdout
                .chunks_exact(2)
                .map(|b| i16::from_le_bytes([b[0], b[1]]))
                .collect();
            assert_eq!(back.len(), samples.len(), "ffmpeg {name}");
            assert!(back == samples, "ffmpeg {name}: samples differ");
        }
        std::fs::remove_dir_all(&dir).ok();
    }
}
