//! The length of `zlib.compress(data)` (level 6) without producing the bytes, for Whisper's
//! compression-ratio rule: a port of zlib 1.2.13's `deflate_slow` parse and of the block
//! decisions and Huffman code lengths of `trees.c` (madler/zlib@v1.2.13,
//! 04f42ceca40f73e2978b50e93806c2a18c1281fc; Python's zlib module is that library). Other
//! deflate encoders (miniz_oxide, zlib-rs) parse differently and give ratios up to 40 % apart
//! on repetitive text, which moves temperature-fallback decisions.

// deflate.h / deflate.c constants at level 6 (configuration_table: 8, 16, 128, 128).
const MIN_MATCH: usize = 3;
const MAX_MATCH: usize = 258;
const W_SIZE: usize = 1 << 15;
const MIN_LOOKAHEAD: usize = MAX_MATCH + MIN_MATCH + 1;
const MAX_DIST: usize = W_SIZE - MIN_LOOKAHEAD;
const HASH_BITS: u32 = 15;
const HASH_MASK: usize = (1 << HASH_BITS) - 1;
const HASH_SHIFT: u32 = HASH_BITS.div_ceil(3);
const GOOD_MATCH: usize = 8;
const MAX_LAZY: usize = 16;
const NICE_MATCH: usize = 128;
const MAX_CHAIN: usize = 128;
const TOO_FAR: usize = 4096;
/// lit_bufsize at memLevel 8: a block is flushed after lit_bufsize − 1 symbols.
const LIT_BUFSIZE: usize = 1 << 14;

/// Inputs this long never make zlib slide its window, so the port needs no sliding; longer
/// ones (Whisper's window text is a few KB) fall back to flate2, which is close but not equal.
pub const MAX_EXACT_LEN: usize = W_SIZE;

// trees.c
const LITERALS: usize = 256;
const L_CODES: usize = LITERALS + 1 + 29;
const D_CODES: usize = 30;
const BL_CODES: usize = 19;
const HEAP_SIZE: usize = 2 * L_CODES + 1;
const MAX_BITS: usize = 15;
const MAX_BL_BITS: usize = 7;
const END_BLOCK: usize = 256;
const REP_3_6: usize = 16;
const REPZ_3_10: usize = 17;
const REPZ_11_138: usize = 18;
const EXTRA_LBITS: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const EXTRA_DBITS: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];
const EXTRA_BLBITS: [u8; 19] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 7];
const BL_ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// The bytes `zlib.compress(data)` returns at the default level, counted exactly for inputs up
/// to [`MAX_EXACT_LEN`]; `None` above it.
pub fn compressed_len(data: &[u8]) -> Option<usize> {
    if data.len() > MAX_EXACT_LEN {
        return None;
    }
    let mut d = Deflate::new(data);
    d.run();
    // 2-byte header, the deflate stream padded to a byte, 4-byte Adler-32.
    Some(2 + d.bits.div_ceil(8) + 4)
}

struct Tables {
    length_code: [u8; 256],
    dist_code: [u8; 512],
}

impl Tables {
    /// `tr_static_init`.
    fn new() -> Tables {
        let mut length_code = [0u8; 256];
        let mut length = 0usize;
        let mut code = 0usize;
        while code < 28 {
            for _ in 0..(1usize << EXTRA_LBITS[code]) {
                length_code[length] = code as u8;
                length += 1;
            }
            code += 1;
        }
        length_code[length - 1] = code as u8;
        let mut dist_code = [0u8; 512];
        let mut dist = 0usize;
        code = 0;
        while code < 16 {
            for _ in 0..(1usize << EXTRA_DBITS[code]) {
                dist_code[dist] = code as u8;
                dist += 1;
            }
            code += 1;
        }
        dist >>= 7;
        while code < D_CODES {
            for _ in 0..(1usize << (EXTRA_DBITS[code] - 7)) {
                dist_code[256 + dist] = code as u8;
                dist += 1;
            }
            code += 1;
        }
        Tables {
            length_code,
            dist_code,
        }
    }

    fn d_code(&self, dist: usize) -> usize {
        if dist < 256 {
            self.dist_code[dist] as usize
        } else {
            self.dist_code[256 + (dist >> 7)] as usize
        }
    }
}

fn static_llen(n: usize) -> u64 {
    match n {
        0..=143 => 8,
        144..=255 => 9,
        256..=279 => 7,
        _ => 8,
    }
}

/// One Huffman tree's state (`ct_data` split into arrays; `Dad` and `Len` share storage in C,
/// which the top-down order of `gen_bitlen` makes equivalent to separate arrays).
struct Tree {
    freq: Vec<u64>,
    len: Vec<u16>,
    dad: Vec<usize>,
    max_code: isize,
}

impl Tree {
    fn new() -> Tree {
        Tree {
            freq: vec![0; HEAP_SIZE],
            len: vec![0; HEAP_SIZE],
            dad: vec![0; HEAP_SIZE],
            max_code: -1,
        }
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Lit,
    Dist,
    Bl,
}

struct Deflate<'a> {
    data: &'a [u8],
    /// The data followed by zeros, as zlib's window past the input (`high_water` zeroing).
    window: Vec<u8>,
    head: Vec<usize>,
    prev: Vec<usize>,
    tables: Tables,
    ltree: Tree,
    dtree: Tree,
    bltree: Tree,
    heap: Vec<usize>,
    heap_len: usize,
    heap_max: usize,
    depth: Vec<u8>,
    bl_count: [u32; MAX_BITS + 1],
    opt_len: u64,
    static_len: u64,
    syms: usize,
    block_start: usize,
    bits: usize,
}

impl<'a> Deflate<'a> {
    fn new(data: &'a [u8]) -> Deflate<'a> {
        let mut window = data.to_vec();
        window.resize(data.len() + 2 * MAX_MATCH + 2, 0);
        let mut d = Deflate {
            data,
            window,
            head: vec![0; HASH_MASK + 1],
            prev: vec![0; W_SIZE],
            tables: Tables::new(),
            ltree: Tree::new(),
            dtree: Tree::new(),
            bltree: Tree::new(),
            heap: vec![0; HEAP_SIZE],
            heap_len: 0,
            heap_max: 0,
            depth: vec![0; HEAP_SIZE],
            bl_count: [0; MAX_BITS + 1],
            opt_len: 0,
            static_len: 0,
            syms: 0,
            block_start: 0,
            bits: 0,
        };
        d.init_block();
        d
    }

    fn hash(&self, s: usize) -> usize {
        let w = &self.window;
        (((usize::from(w[s]) << (2 * HASH_SHIFT)) ^ (usize::from(w[s + 1]) << HASH_SHIFT))
            ^ usize::from(w[s + 2]))
            & HASH_MASK
    }

    /// `INSERT_STRING`: returns the previous head of the chain.
    fn insert(&mut self, s: usize) -> usize {
        let h = self.hash(s);
        let head = self.head[h];
        self.prev[s & (W_SIZE - 1)] = head;
        self.head[h] = s;
        head
    }

    /// `longest_match` (the portable version, not UNALIGNED_OK).
    fn longest_match(
        &self,
        strstart: usize,
        lookahead: usize,
        prev_length: usize,
        mut cur: usize,
        mut match_start: usize,
    ) -> (usize, usize) {
        let w = &self.window;
        let mut chain = MAX_CHAIN;
        let mut best_len = prev_length;
        let nice = NICE_MATCH.min(lookahead);
        let limit = strstart.saturating_sub(MAX_DIST);
        if prev_length >= GOOD_MATCH {
            chain >>= 2;
        }
        let strend = strstart + MAX_MATCH;
        loop {
            let m = cur;
            if !(w[m + best_len] != w[strstart + best_len]
                || w[m + best_len - 1] != w[strstart + best_len - 1]
                || w[m] != w[strstart]
                || w[m + 1] != w[strstart + 1])
            {
                let (mut scan, mut mt) = (strstart + 2, m + 2);
                while scan < strend && w[scan] == w[mt] {
                    scan += 1;
                    mt += 1;
                }
                // zlib compares in steps of 8 after `*++scan == *++match`, stopping at strend.
                let len = (scan - strstart).min(MAX_MATCH);
                if len > best_len {
                    match_start = cur;
                    best_len = len;
                    if len >= nice {
                        break;
                    }
                }
            }
            cur = self.prev[cur & (W_SIZE - 1)];
            chain -= 1;
            if cur <= limit || chain == 0 {
                break;
            }
        }
        (best_len.min(lookahead), match_start)
    }

    /// `deflate_slow` with Z_FINISH and all input available.
    fn run(&mut self) {
        let n = self.data.len();
        let mut strstart = 0usize;
        let mut lookahead = n;
        let mut match_length = MIN_MATCH - 1;
        let mut match_start = 0usize;
        let mut match_available = false;
        while lookahead > 0 {
            let mut hash_head = 0;
            if lookahead >= MIN_MATCH {
                hash_head = self.insert(strstart);
            }
            let prev_length = match_length;
            let prev_match = match_start;
            match_length = MIN_MATCH - 1;
            if hash_head != 0 && prev_length < MAX_LAZY && strstart - hash_head <= MAX_DIST {
                let (len, start) =
                    self.longest_match(strstart, lookahead, prev_length, hash_head, match_start);
                match_length = len;
                match_start = start;
                if match_length == MIN_MATCH && strstart - match_start > TOO_FAR {
                    match_length = MIN_MATCH - 1;
                }
            }
            if prev_length >= MIN_MATCH && match_length <= prev_length {
                let max_insert = strstart + lookahead - MIN_MATCH;
                let flush = self.tally_dist(strstart - 1 - prev_match, prev_length - MIN_MATCH);
                lookahead -= prev_length - 1;
                for _ in 0..prev_length - 2 {
                    strstart += 1;
                    if strstart <= max_insert {
                        self.insert(strstart);
                    }
                }
                match_available = false;
                match_length = MIN_MATCH - 1;
                strstart += 1;
                if flush {
                    self.flush_block(strstart, false);
                }
            } else if match_available {
                let flush = self.tally_lit(self.window[strstart - 1]);
                if flush {
                    self.flush_block(strstart, false);
                }
                strstart += 1;
                lookahead -= 1;
            } else {
                match_available = true;
                strstart += 1;
                lookahead -= 1;
            }
        }
        if match_available {
            self.tally_lit(self.window[strstart - 1]);
        }
        self.flush_block(strstart, true);
    }

    fn tally_lit(&mut self, c: u8) -> bool {
        self.ltree.freq[usize::from(c)] += 1;
        self.syms += 1;
        self.syms == LIT_BUFSIZE - 1
    }

    fn tally_dist(&mut self, dist: usize, lc: usize) -> bool {
        let code = usize::from(self.tables.length_code[lc]);
        self.ltree.freq[code + LITERALS + 1] += 1;
        let dc = self.tables.d_code(dist - 1);
        self.dtree.freq[dc] += 1;
        self.syms += 1;
        self.syms == LIT_BUFSIZE - 1
    }

    fn init_block(&mut self) {
        for t in [&mut self.ltree, &mut self.dtree, &mut self.bltree] {
            t.freq.iter_mut().for_each(|f| *f = 0);
        }
        self.ltree.freq[END_BLOCK] = 1;
        self.opt_len = 0;
        self.static_len = 0;
        self.syms = 0;
    }

    /// `_tr_flush_block`: counts the bits of the cheapest of stored, static and dynamic.
    fn flush_block(&mut self, strstart: usize, last: bool) {
        let stored_len = strstart - self.block_start;
        self.build_tree(Kind::Lit);
        self.build_tree(Kind::Dist);
        self.build_bl_tree();
        let mut opt_lenb = (self.opt_len + 3 + 7) >> 3;
        let static_lenb = (self.static_len + 3 + 7) >> 3;
        if static_lenb <= opt_lenb {
            opt_lenb = static_lenb;
        }
        if stored_len as u64 + 4 <= opt_lenb {
            // _tr_stored_block: 3 header bits, pad to a byte, LEN and NLEN, the bytes.
            self.bits += 3;
            self.bits = self.bits.div_ceil(8) * 8;
            self.bits += 32 + 8 * stored_len;
        } else if static_lenb == opt_lenb {
            self.bits += 3 + self.static_len as usize;
        } else {
            self.bits += 3 + self.opt_len as usize;
        }
        self.init_block();
        self.block_start = strstart;
        let _ = last; // bi_windup at the end: compressed_len rounds up to a byte
    }

    fn tree(&mut self, k: Kind) -> &mut Tree {
        match k {
            Kind::Lit => &mut self.ltree,
            Kind::Dist => &mut self.dtree,
            Kind::Bl => &mut self.bltree,
        }
    }

    fn smaller(&self, k: Kind, n: usize, m: usize) -> bool {
        let t = match k {
            Kind::Lit => &self.ltree,
            Kind::Dist => &self.dtree,
            Kind::Bl => &self.bltree,
        };
        t.freq[n] < t.freq[m] || (t.freq[n] == t.freq[m] && self.depth[n] <= self.depth[m])
    }

    fn pqdownheap(&mut self, kind: Kind, mut k: usize) {
        let v = self.heap[k];
        let mut j = k << 1;
        while j <= self.heap_len {
            if j < self.heap_len && self.smaller(kind, self.heap[j + 1], self.heap[j]) {
                j += 1;
            }
            if self.smaller(kind, v, self.heap[j]) {
                break;
            }
            self.heap[k] = self.heap[j];
            k = j;
            j <<= 1;
        }
        self.heap[k] = v;
    }

    /// `build_tree` up to `gen_bitlen` (the codes themselves are not needed).
    fn build_tree(&mut self, kind: Kind) {
        let elems = match kind {
            Kind::Lit => L_CODES,
            Kind::Dist => D_CODES,
            Kind::Bl => BL_CODES,
        };
        self.heap_len = 0;
        self.heap_max = HEAP_SIZE;
        let mut max_code: isize = -1;
        for n in 0..elems {
            if self.tree(kind).freq[n] != 0 {
                self.heap_len += 1;
                self.heap[self.heap_len] = n;
                max_code = n as isize;
                self.depth[n] = 0;
            } else {
                self.tree(kind).len[n] = 0;
            }
        }
        while self.heap_len < 2 {
            let node = if max_code < 2 {
                max_code += 1;
                max_code as usize
            } else {
                0
            };
            self.heap_len += 1;
            self.heap[self.heap_len] = node;
            self.tree(kind).freq[node] = 1;
            self.depth[node] = 0;
            self.opt_len = self.opt_len.wrapping_sub(1);
            match kind {
                // Unsigned in C: wraps here and comes back in gen_bitlen.
                Kind::Lit => self.static_len = self.static_len.wrapping_sub(static_llen(node)),
                Kind::Dist => self.static_len = self.static_len.wrapping_sub(5),
                Kind::Bl => {}
            }
        }
        self.tree(kind).max_code = max_code;
        for n in (1..=self.heap_len / 2).rev() {
            self.pqdownheap(kind, n);
        }
        let mut node = elems;
        loop {
            let n = self.heap[1];
            self.heap[1] = self.heap[self.heap_len];
            self.heap_len -= 1;
            self.pqdownheap(kind, 1);
            let m = self.heap[1];
            self.heap_max -= 1;
            self.heap[self.heap_max] = n;
            self.heap_max -= 1;
            self.heap[self.heap_max] = m;
            let t = self.tree(kind);
            t.freq[node] = t.freq[n] + t.freq[m];
            t.dad[n] = node;
            t.dad[m] = node;
            self.depth[node] = self.depth[n].max(self.depth[m]) + 1;
            self.heap[1] = node;
            node += 1;
            self.pqdownheap(kind, 1);
            if self.heap_len < 2 {
                break;
            }
        }
        self.heap_max -= 1;
        self.heap[self.heap_max] = self.heap[1];
        self.gen_bitlen(kind);
    }

    fn gen_bitlen(&mut self, kind: Kind) {
        let (max_length, base, extra): (usize, usize, &[u8]) = match kind {
            Kind::Lit => (MAX_BITS, LITERALS + 1, &EXTRA_LBITS),
            Kind::Dist => (MAX_BITS, 0, &EXTRA_DBITS),
            Kind::Bl => (MAX_BL_BITS, 0, &EXTRA_BLBITS),
        };
        self.bl_count = [0; MAX_BITS + 1];
        let root = self.heap[self.heap_max];
        self.tree(kind).len[root] = 0;
        let max_code = self.tree(kind).max_code;
        let mut overflow = 0i32;
        let mut h = self.heap_max + 1;
        while h < HEAP_SIZE {
            let n = self.heap[h];
            let t = self.tree(kind);
            let mut bits = usize::from(t.len[t.dad[n]]) + 1;
            if bits > max_length {
                bits = max_length;
                overflow += 1;
            }
            t.len[n] = bits as u16;
            h += 1;
            if n as isize > max_code {
                continue;
            }
            let f = t.freq[n];
            self.bl_count[bits] += 1;
            let xbits = if n >= base {
                u64::from(extra[n - base])
            } else {
                0
            };
            self.opt_len = self.opt_len.wrapping_add(f * (bits as u64 + xbits));
            match kind {
                Kind::Lit => {
                    self.static_len = self.static_len.wrapping_add(f * (static_llen(n) + xbits))
                }
                Kind::Dist => self.static_len = self.static_len.wrapping_add(f * (5 + xbits)),
                Kind::Bl => {}
            }
        }
        if overflow == 0 {
            return;
        }
        loop {
            let mut bits = max_length - 1;
            while self.bl_count[bits] == 0 {
                bits -= 1;
            }
            self.bl_count[bits] -= 1;
            self.bl_count[bits + 1] += 2;
            self.bl_count[max_length] -= 1;
            overflow -= 2;
            if overflow <= 0 {
                break;
            }
        }
        let mut h = HEAP_SIZE;
        for bits in (1..=max_length).rev() {
            let mut n = self.bl_count[bits];
            while n != 0 {
                h -= 1;
                let m = self.heap[h];
                if m as isize > max_code {
                    continue;
                }
                let t = self.tree(kind);
                if usize::from(t.len[m]) != bits {
                    let delta = (bits as i64 - i64::from(t.len[m])) * t.freq[m] as i64;
                    self.opt_len = self.opt_len.wrapping_add(delta as u64);
                    self.tree(kind).len[m] = bits as u16;
                }
                n -= 1;
            }
        }
    }

    /// `scan_tree`: the code-length alphabet frequencies for one tree.
    fn scan_tree(&mut self, kind: Kind) {
        let max_code = self.tree(kind).max_code;
        let lens: Vec<u16> = {
            let t = self.tree(kind);
            let mut l: Vec<u16> = t.len[..(max_code + 1) as usize].to_vec();
            l.push(0xffff); // guard
            l
        };
        let mut prevlen: i32 = -1;
        let mut nextlen = i32::from(lens[0]);
        let mut count = 0;
        let (mut max_count, mut min_count) = if nextlen == 0 { (138, 3) } else { (7, 4) };
        for n in 0..lens.len() - 1 {
            let curlen = nextlen;
            nextlen = i32::from(lens[n + 1]);
            count += 1;
            if count < max_count && curlen == nextlen {
                continue;
            } else if count < min_count {
                self.bltree.freq[curlen as usize] += count as u64;
            } else if curlen != 0 {
                if curlen != prevlen {
                    self.bltree.freq[curlen as usize] += 1;
                }
                self.bltree.freq[REP_3_6] += 1;
            } else if count <= 10 {
                self.bltree.freq[REPZ_3_10] += 1;
            } else {
                self.bltree.freq[REPZ_11_138] += 1;
            }
            count = 0;
            prevlen = curlen;
            (max_count, min_count) = if nextlen == 0 {
                (138, 3)
            } else if curlen == nextlen {
                (6, 3)
            } else {
                (7, 4)
            };
        }
    }

    fn build_bl_tree(&mut self) {
        self.scan_tree(Kind::Lit);
        self.scan_tree(Kind::Dist);
        self.build_tree(Kind::Bl);
        let mut max_blindex = BL_CODES - 1;
        while max_blindex >= 3 {
            if self.bltree.len[BL_ORDER[max_blindex]] != 0 {
                break;
            }
            max_blindex -= 1;
        }
        self.opt_len = self
            .opt_len
            .wrapping_add(3 * (max_blindex as u64 + 1) + 5 + 5 + 4);
    }
}
