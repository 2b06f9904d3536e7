//! The keyword prefilter: where in a buffer might a rule match?
//!
//! Keywords are ASCII case-insensitive. The buffer is lowercased in cache-sized chunks and
//! searched for the lowercased keywords with the `aho-corasick` crate's SIMD "Teddy" searcher
//! (`aho_corasick::packed`), falling back to an Aho-Corasick DFA where Teddy cannot be built
//! (more than 64 patterns, or no SIMD on the target).
//!
//! Teddy's speed depends on its shortest pattern: measured on crate sources, 58 keywords of 4
//! or more bytes search at about 1.5 GB/s, while adding five 3-byte keywords to the same
//! searcher drops it to about 550 MB/s. So keywords of 4+ bytes share one searcher, and the
//! few shorter ones get a second, small one (about 2.5 GB/s): two passes over a chunk that is
//! already in cache cost far less than one slow pass.
//!
//! Before that, keywords are reduced to "atoms": a keyword that contains another keyword is
//! dropped, and its rules are triggered by the shorter one. That is exact: an occurrence of the
//! longer keyword contains one of the shorter, and a window of `max_len` around the shorter
//! still covers every match that contains the longer. With the built-in catalogue this takes
//! 93 keywords down to 70 atoms (57 long, 13 short). Long atoms are split into searchers of at
//! most 64 patterns, Teddy's limit, so a larger catalogue costs one more SIMD pass over a
//! cached chunk per 64 atoms instead of falling back to the much slower DFA.
//!
//! A large catalogue (more than 64 long atoms) does not use Teddy groups for its long atoms:
//! their cost adds up per group, so a 500-keyword catalogue would need eight passes. A gram
//! filter (a bitmap over a hash of one 4-byte substring of each keyword, tested at every
//! position, then an exact comparison) searches any number of keywords in one pass (see
//! `GramFilter`). It holds every long keyword unreduced: its cost barely depends on their
//! number, and unreduced, a rule whose keyword is `npm_token` runs where `npm_token` occurs,
//! not at every `token` of the code (with the built-in catalogue, 6x fewer rule windows).
//! Only the short keywords are reduced among themselves, for their Teddy searcher.
//!
//! The Teddy searchers report leftmost-first, non-overlapping matches. An occurrence of keyword K
//! that a reported match P hides (K inside P, or K starting inside P and running past its end)
//! is not lost: every pattern carries the precomputed set of keywords it can hide, and their
//! rules are triggered with a window widened by their length. So every rule whose keyword
//! occurs anywhere in the buffer gets a window that covers that occurrence.

use aho_corasick::packed;
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

/// Bytes lowercased and searched at a time (plus the longest keyword, as overlap).
const CHUNK: usize = 64 * 1024;
/// Bytes whose hits are collected at a time by [`Prefilter::find_in_segment`]: a whole
/// number of chunks, so that segment boundaries are chunk boundaries. A buffer made only of
/// keywords yields a hit every few bytes; per segment that is at most a few MiB of hits.
pub const SEGMENT: usize = 16 * CHUNK;

/// Keywords shorter than this go to a searcher of their own.
const LONG_KEYWORD: usize = 4;

/// Teddy's pattern limit: larger sets are split into several searchers.
const MAX_GROUP: usize = 64;

/// One keyword occurrence, or an implied one: `rule` should run around `start..end`.
pub type Hit = (u32, usize, usize);

#[derive(Debug)]
enum Searcher {
    Teddy(packed::Searcher),
    Dfa(AhoCorasick),
}

#[derive(Debug)]
struct Pattern {
    /// Rules that own this keyword.
    rules: Vec<u32>,
    /// Rules of keywords this pattern can hide in a leftmost-first search.
    implied: Vec<u32>,
    /// The longest of those keywords: how far past this match a hidden one can reach.
    implied_extra: usize,
}

#[derive(Debug)]
struct Group {
    searcher: Searcher,
    patterns: Vec<Pattern>,
}

/// The compiled prefilter of a rule set.
#[derive(Debug)]
pub struct Prefilter {
    groups: Vec<Group>,
    /// Used instead of Teddy groups for the long atoms when there are more than `MAX_GROUP`.
    grams: Option<GramFilter>,
    overlap: usize,
}

/// Bits of the gram filter's hash (a 32 KiB bitmap). Measured: 13 or 15 bits are slower
/// (more false positives to verify), 20 bits no faster, and a 4 KiB two-hash Bloom filter
/// slower too.
const GRAM_BITS: u32 = 18;

/// A multi-literal filter whose speed does not depend on the number of literals: a bitmap
/// over a hash of every atom's first four bytes, tested at every position of the (lowercased)
/// chunk with a rolling 4-byte window, then an exact comparison of the atoms that start with
/// those four bytes. About one nanosecond per byte, where each Teddy group of 64 atoms costs
/// about 0.7; so it takes over once a catalogue needs two or more groups. It reports every
/// occurrence (overlapping ones too), so it needs no leftmost-first closure.
#[derive(Debug)]
struct GramFilter {
    bits: Box<[u64; 1 << (GRAM_BITS - 6)]>,
    /// `(anchor gram, atom index, the anchor's offset in the atom)`, sorted.
    heads: Vec<(u32, u32, u32)>,
    atoms: Vec<(Vec<u8>, Vec<u32>)>,
    /// The largest anchor offset: how far past `limit` a window must still be tested.
    max_offset: usize,
}

/// How common a byte is in source text (higher: more common). Anchors are chosen to
/// minimise the sum, so `datadog` is searched for as `adog` rather than `data`, and
/// `together` not as `toge`: a gram that is the start of common words would send many
/// positions to verification.
const fn byte_cost(b: u8) -> u32 {
    const LETTERS: &[u8; 26] = b"zqjxkvbywgpfmucdlhrsnioate";
    let mut rank = 0;
    while rank < 26 {
        if LETTERS[rank] == b {
            return rank as u32 + 1;
        }
        rank += 1;
    }
    match b {
        b' ' | b'\t' => 30,
        b'_' | b'.' => 14,
        b'-' | b'/' | b'"' | b'=' | b':' => 10,
        b'0'..=b'9' => 6,
        _ => 2,
    }
}

/// The offset of the atom's rarest-looking 4-byte substring (the first one on ties).
fn anchor_offset(atom: &[u8]) -> usize {
    (0..=atom.len() - 4)
        .min_by_key(|&o| atom[o..o + 4].iter().map(|&b| byte_cost(b)).sum::<u32>())
        .unwrap_or(0)
}

impl GramFilter {
    fn new(atoms: Vec<(Vec<u8>, Vec<u32>)>) -> GramFilter {
        let mut bits = Box::new([0u64; 1 << (GRAM_BITS - 6)]);
        let mut heads: Vec<(u32, u32, u32)> = atoms
            .iter()
            .enumerate()
            .map(|(i, (k, _))| {
                let o = anchor_offset(k);
                (gram(&k[o..o + 4]), i as u32, o as u32)
            })
            .collect();
        heads.sort_unstable();
        for &(g, _, _) in &heads {
            let h = gram_hash(g);
            bits[h >> 6] |= 1 << (h & 63);
        }
        let max_offset = heads.iter().map(|&(_, _, o)| o as usize).max().unwrap_or(0);
        GramFilter {
            bits,
            heads,
            atoms,
            max_offset,
        }
    }

    /// Calls `f(atom, start)` for every atom occurrence starting before `limit`.
    fn find(&self, lower: &[u8], limit: usize, mut f: impl FnMut(&(Vec<u8>, Vec<u32>), usize)) {
        if lower.len() < 4 {
            return;
        }
        // An atom starting before `limit` has its anchor up to `max_offset` bytes later.
        // Positions 0..=last start a 4-byte window. Each window is loaded on its own: a
        // rolling window (`g >> 8 | next << 24`) chains every position to the previous one
        // through a 3-cycle `shrd`.
        let last = (lower.len() - 4).min((limit + self.max_offset).saturating_sub(1));
        let windows = &lower[..last + 4];
        // With AVX2, 32 positions per step (eight lanes of four windows, see `gram_simd`);
        // the rest, or everything without it, four positions per step below.
        let mut i = gram_simd::scan(&self.bits, windows, last, |at| {
            let g = u32::from_le_bytes([
                windows[at],
                windows[at + 1],
                windows[at + 2],
                windows[at + 3],
            ]);
            self.verify(lower, at, g, limit, &mut f);
        });
        // Four positions per step from one 8-byte load, their four bit tests combined into
        // one rarely taken branch (under 1 % of positions pass).
        while i + 4 <= last {
            let mut word = [0u8; 8];
            word.copy_from_slice(&windows[i..i + 8]);
            let w = u64::from_le_bytes(word);
            let m = self.bit(w as u32)
                | self.bit((w >> 8) as u32) << 1
                | self.bit((w >> 16) as u32) << 2
                | self.bit((w >> 24) as u32) << 3;
            if m != 0 {
                for k in 0..4 {
                    if m >> k & 1 != 0 {
                        self.verify(lower, i + k, (w >> (8 * k)) as u32, limit, &mut f);
                    }
                }
            }
            i += 4;
        }
        while i <= last {
            let g =
                u32::from_le_bytes([windows[i], windows[i + 1], windows[i + 2], windows[i + 3]]);
            if self.bit(g) != 0 {
                self.verify(lower, i, g, limit, &mut f);
            }
            i += 1;
        }
    }

    /// 1 if the gram's bit is set, else 0.
    #[inline(always)]
    fn bit(&self, g: u32) -> u64 {
        let h = gram_hash(g);
        // `h < 2^GRAM_BITS`, so `h >> 6` is in bounds of the fixed-size bitmap.
        (self.bits[h >> 6] >> (h & 63)) & 1
    }

    #[inline(never)]
    fn verify(
        &self,
        lower: &[u8],
        at: usize,
        g: u32,
        limit: usize,
        f: &mut impl FnMut(&(Vec<u8>, Vec<u32>), usize),
    ) {
        let first = self.heads.partition_point(|&(h, _, _)| h < g);
        for &(h, atom, offset) in &self.heads[first..] {
            if h != g {
                break;
            }
            let Some(start) = at.checked_sub(offset as usize) else {
                continue; // began in the previous chunk, which reports it
            };
            let a = &self.atoms[atom as usize];
            if start < limit && lower[start..].starts_with(&a.0) {
                f(a, start);
            }
        }
    }
}

/// The gram filter's bit test at 32 positions per step with AVX2: four overlapping 32-byte
/// loads give the eight 4-byte windows at positions `i+k, i+k+4, ...` (`k` = 0..3) as 32-bit
/// lanes; each lane is hashed as [`gram_hash`] does (multiply, shift), its bitmap word is
/// gathered, and the bit moved to the lane's top for one `movemask`. Positions whose bit is
/// set go to the caller (to the exact check), in any order. The only `unsafe` of the module:
/// unaligned loads kept inside the slice, and gathers of indices below the bitmap's length.
mod gram_simd {
    /// True if this CPU can run [`scan`]'s vector path.
    pub fn available() -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            std::arch::is_x86_feature_detected!("avx2")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    }

    /// Tests the windows starting at positions `0..n`, 32 per step, as long as a whole step
    /// starts no later than `last` and its 35 bytes lie inside `windows`, and calls
    /// `hit(position)` where the bitmap has the window's bit; returns `n`, the first position
    /// left to the caller's scalar loop (0 without AVX2).
    pub fn scan(
        bits: &[u64; 1 << (super::GRAM_BITS - 6)],
        windows: &[u8],
        last: usize,
        hit: impl FnMut(usize),
    ) -> usize {
        #[cfg(target_arch = "x86_64")]
        {
            if available() {
                // SAFETY: AVX2 is present (checked just above).
                #[allow(unsafe_code)]
                return unsafe { scan_avx2(bits, windows, last, hit) };
            }
        }
        let _ = (bits, windows, last, hit);
        0
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    #[allow(unsafe_code)]
    unsafe fn scan_avx2(
        bits: &[u64; 1 << (super::GRAM_BITS - 6)],
        windows: &[u8],
        last: usize,
        mut hit: impl FnMut(usize),
    ) -> usize {
        use std::arch::x86_64::*;
        // Windows start at positions 0..=last; a step reads bytes i..i+35, so it needs
        // i + 31 <= last (then i + 35 <= last + 4 <= windows.len()).
        debug_assert!(windows.len() >= last + 4);
        let words = bits.as_ptr().cast::<i32>();
        let mul = _mm256_set1_epi32(0x9E37_79B1_u32 as i32);
        let mut i = 0;
        while i + 31 <= last && i + 35 <= windows.len() {
            let mut masks = [0u32; 4];
            for (k, mask) in masks.iter_mut().enumerate() {
                // SAFETY: i + k + 32 <= i + 35 <= windows.len(): the 32 bytes are in bounds.
                let v = unsafe { _mm256_loadu_si256(windows.as_ptr().add(i + k).cast()) };
                let h = _mm256_srli_epi32::<{ 32 - super::GRAM_BITS as i32 }>(_mm256_mullo_epi32(
                    v, mul,
                ));
                // Bit h of the bitmap is bit (h & 31) of its 32-bit word h >> 5 (little
                // endian), and h < 2^GRAM_BITS, so every word index is inside the bitmap.
                let word_index = _mm256_srli_epi32::<5>(h);
                // SAFETY: the indices are below 2^(GRAM_BITS - 5), the bitmap's length in
                // 32-bit words.
                let w = unsafe { _mm256_i32gather_epi32::<4>(words, word_index) };
                // Move bit (h & 31) of each word to the lane's top, for `movemask`.
                let shift = _mm256_sub_epi32(
                    _mm256_set1_epi32(31),
                    _mm256_and_si256(h, _mm256_set1_epi32(31)),
                );
                let top = _mm256_sllv_epi32(w, shift);
                *mask = _mm256_movemask_ps(_mm256_castsi256_ps(top)) as u32;
            }
            if masks != [0; 4] {
                for (k, &mask) in masks.iter().enumerate() {
                    let mut m = mask;
                    while m != 0 {
                        let lane = m.trailing_zeros() as usize;
                        hit(i + k + 4 * lane);
                        m &= m - 1;
                    }
                }
            }
            i += 32;
        }
        i
    }
}

/// Four bytes as a little-endian word.
fn gram(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

#[inline(always)]
fn gram_hash(g: u32) -> usize {
    (g.wrapping_mul(0x9E37_79B1) >> (32 - GRAM_BITS)) as usize
}

impl Prefilter {
    /// `keywords`: distinct lowercase keywords, each with the rules that own it.
    pub fn new(keywords: &[(Vec<u8>, Vec<u32>)]) -> Result<Prefilter, String> {
        let atoms = reduce_to_atoms(keywords);
        let long_atoms = atoms
            .iter()
            .filter(|(k, _)| k.len() >= LONG_KEYWORD)
            .count();
        let mut groups = Vec::new();
        let (grams, teddy_atoms) = if long_atoms > MAX_GROUP {
            // The gram filter reports every occurrence of every keyword it holds, at a cost
            // that barely depends on their number: it needs no reduction. Unreduced, each rule
            // runs only where one of its own keywords occurs (`npm_token`, not every `token`).
            let (long, short): (Vec<_>, Vec<_>) = keywords
                .iter()
                .cloned()
                .partition(|(k, _)| k.len() >= LONG_KEYWORD);
            let mut long = long;
            long.sort();
            (Some(GramFilter::new(long)), reduce_to_atoms(&short))
        } else {
            (None, atoms)
        };
        let (long, short): (Vec<_>, Vec<_>) = teddy_atoms
            .into_iter()
            .partition(|(k, _)| k.len() >= LONG_KEYWORD && grams.is_none());
        for set in long.chunks(MAX_GROUP) {
            groups.push(Group::new(set)?);
        }
        for set in short.chunks(MAX_GROUP) {
            groups.push(Group::new(set)?);
        }
        let overlap = keywords.iter().map(|(k, _)| k.len()).max().unwrap_or(1) - 1;
        Ok(Prefilter {
            groups,
            grams,
            overlap,
        })
    }

    /// Number of atoms searched for.
    pub fn atoms(&self) -> usize {
        self.groups.iter().map(|g| g.patterns.len()).sum::<usize>()
            + self.grams.as_ref().map_or(0, |g| g.atoms.len())
    }

    /// Which engine each group uses (for diagnostics and benchmarks).
    pub fn engines(&self) -> Vec<&'static str> {
        let mut engines: Vec<&'static str> = self.grams.iter().map(|_| "grams").collect();
        engines.extend(self.groups.iter().map(|g| match g.searcher {
            Searcher::Teddy(_) => "teddy",
            Searcher::Dfa(_) => "dfa",
        }));
        engines
    }

    /// Appends a hit for every rule whose keyword occurs in `hay` (and for rules whose
    /// keyword may be hidden by another occurrence). `lower` is a reusable buffer.
    pub fn find(&self, hay: &[u8], lower: &mut Vec<u8>, hits: &mut Vec<Hit>) {
        for segment in 0..hay.len().div_ceil(SEGMENT) {
            self.find_in_segment(hay, segment, lower, hits);
        }
    }

    /// [`Prefilter::find`] for the occurrences that start in segment `segment` of `hay` (bytes
    /// `segment * SEGMENT ..`, see [`SEGMENT`]): the segments of a buffer together give
    /// exactly the hits of the whole, each once, so a large buffer can be confirmed segment by
    /// segment with the hits of one segment in memory.
    pub fn find_in_segment(
        &self,
        hay: &[u8],
        segment: usize,
        lower: &mut Vec<u8>,
        hits: &mut Vec<Hit>,
    ) {
        let mut chunk_start = segment * SEGMENT;
        let segment_end = ((segment + 1) * SEGMENT).min(hay.len());
        while chunk_start < segment_end {
            let end = (chunk_start + CHUNK + self.overlap).min(hay.len());
            lower.clear();
            // Copied and lowercased in one pass.
            lower.extend(hay[chunk_start..end].iter().map(u8::to_ascii_lowercase));
            // Matches starting at or after `limit` belong to the next chunk.
            let limit = CHUNK.min(end - chunk_start);
            if let Some(grams) = &self.grams {
                grams.find(lower, limit, |(k, rules), s| {
                    let (s, e) = (chunk_start + s, chunk_start + s + k.len());
                    hits.extend(rules.iter().map(|&r| (r, s, e)));
                });
            }
            for group in &self.groups {
                group.search(lower, |id, s, e| {
                    if s < limit {
                        let p = &group.patterns[id];
                        let (s, e) = (chunk_start + s, chunk_start + e);
                        hits.extend(p.rules.iter().map(|&r| (r, s, e)));
                        let implied_end = (e + p.implied_extra).min(hay.len());
                        hits.extend(p.implied.iter().map(|&r| (r, s, implied_end)));
                    }
                });
            }
            chunk_start += CHUNK;
        }
    }
}

impl Group {
    fn new(set: &[(Vec<u8>, Vec<u32>)]) -> Result<Group, String> {
        let mut config = packed::Config::new();
        config.match_kind(packed::MatchKind::LeftmostFirst);
        let mut builder = config.builder();
        for (k, _) in set {
            builder.add(k);
        }
        let searcher = match builder.build() {
            Some(teddy) => Searcher::Teddy(teddy),
            None => Searcher::Dfa(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostFirst)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(set.iter().map(|(k, _)| k))
                    .map_err(|e| e.to_string())?,
            ),
        };
        let patterns = set
            .iter()
            .map(|(p, rules)| {
                let hidden: Vec<&(Vec<u8>, Vec<u32>)> = set
                    .iter()
                    .filter(|(k, _)| k != p && can_hide(p, k))
                    .collect();
                let mut implied: Vec<u32> =
                    hidden.iter().flat_map(|(_, r)| r.iter().copied()).collect();
                implied.sort_unstable();
                implied.dedup();
                implied.retain(|r| !rules.contains(r));
                Pattern {
                    rules: rules.clone(),
                    implied,
                    implied_extra: hidden.iter().map(|(k, _)| k.len()).max().unwrap_or(0),
                }
            })
            .collect();
        Ok(Group { searcher, patterns })
    }

    fn search(&self, hay: &[u8], mut f: impl FnMut(usize, usize, usize)) {
        match &self.searcher {
            Searcher::Teddy(s) => {
                for m in s.find_iter(hay) {
                    f(m.pattern().as_usize(), m.start(), m.end());
                }
            }
            Searcher::Dfa(ac) => {
                for m in ac.find_iter(hay) {
                    f(m.pattern().as_usize(), m.start(), m.end());
                }
            }
        }
    }
}

/// Drops every keyword that contains another one, giving its rules to the longest keyword it
/// contains. Output is sorted, so searchers are built deterministically. Linear in the number
/// of keywords (each keyword's substrings are looked up in a set), so a catalogue of
/// hundreds of keywords costs microseconds at start-up.
fn reduce_to_atoms(keywords: &[(Vec<u8>, Vec<u32>)]) -> Vec<(Vec<u8>, Vec<u32>)> {
    use std::collections::HashMap;
    let index: HashMap<&[u8], usize> = keywords
        .iter()
        .enumerate()
        .map(|(i, (k, _))| (k.as_slice(), i))
        .collect();
    // Proper substrings of `k` that are keywords, longest first.
    let inner = |k: &[u8]| {
        let mut found: Vec<usize> = Vec::new();
        for len in (1..k.len()).rev() {
            for start in 0..=k.len() - len {
                if let Some(&i) = index.get(&k[start..start + len]) {
                    found.push(i);
                }
            }
        }
        found
    };
    let is_atom: Vec<bool> = keywords.iter().map(|(k, _)| inner(k).is_empty()).collect();
    let mut atoms: Vec<(Vec<u8>, Vec<u32>)> = keywords
        .iter()
        .zip(&is_atom)
        .filter(|(_, &atom)| atom)
        .map(|(kw, _)| kw.clone())
        .collect();
    atoms.sort();
    for ((k, rules), _) in keywords.iter().zip(&is_atom).filter(|(_, &atom)| !atom) {
        // The longest atom inside `k` (some atom is inside it: containment is well-founded).
        let Some(target) = inner(k).into_iter().find(|&i| is_atom[i]) else {
            continue;
        };
        let key = &keywords[target].0;
        if let Ok(pos) = atoms.binary_search_by(|(a, _)| a.as_slice().cmp(key)) {
            for r in rules {
                if !atoms[pos].1.contains(r) {
                    atoms[pos].1.push(*r);
                }
            }
        }
    }
    atoms
}

/// True if a leftmost-first match of `p` can hide an occurrence of `k` that starts inside
/// it: `k` occurs within `p`, or a suffix of `p` (all of `p` included) is a prefix of `k`.
fn can_hide(p: &[u8], k: &[u8]) -> bool {
    if k.len() <= p.len() && p.windows(k.len()).any(|w| w == k) {
        return true;
    }
    (0..p.len()).any(|i| {
        let suffix = &p[i..];
        suffix.len() < k.len() && k.starts_with(suffix)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules_hit(pf: &Prefilter, hay: &[u8]) -> Vec<u32> {
        let mut hits = Vec::new();
        pf.find(hay, &mut Vec::new(), &mut hits);
        let mut r: Vec<u32> = hits.iter().map(|h| h.0).collect();
        r.sort_unstable();
        r.dedup();
        r
    }

    #[test]
    fn hiding_relation() {
        assert!(can_hide(b"aws_secret", b"secret"));
        assert!(can_hide(b"abcd", b"cdef"));
        assert!(can_hide(b"sk-", b"sk-ant-"));
        assert!(!can_hide(b"abcd", b"xyz"));
        assert!(!can_hide(b"cdef", b"abcd"));
    }

    #[test]
    fn keywords_reduce_to_atoms() {
        let atoms = reduce_to_atoms(&[
            (b"secret".to_vec(), vec![0]),
            (b"aws_secret".to_vec(), vec![1]),
            (b"aws_secret_key".to_vec(), vec![2]),
            (b"token".to_vec(), vec![3]),
        ]);
        assert_eq!(
            atoms,
            vec![
                (b"secret".to_vec(), vec![0, 1, 2]),
                (b"token".to_vec(), vec![3])
            ]
        );
    }

    #[test]
    fn more_than_64_atoms_use_several_searchers() {
        let keywords: Vec<(Vec<u8>, Vec<u32>)> = (0..150u32)
            .map(|i| (format!("kw{i:03}x").into_bytes(), vec![i]))
            .collect();
        let pf = Prefilter::new(&keywords).unwrap();
        assert_eq!(pf.atoms(), 150);
        assert_eq!(pf.engines(), vec!["grams"]);
        assert_eq!(rules_hit(&pf, b"..KW149X..kw000x"), vec![0, 149]);
        // Overlapping occurrences are all reported, at every offset including the last.
        assert_eq!(rules_hit(&pf, b"kw001kw002x"), vec![2]);
        assert_eq!(rules_hit(&pf, b"kw00kw001x"), vec![1]);
        assert_eq!(rules_hit(&pf, b"kw149"), Vec::<u32>::new());
    }

    #[test]
    fn overlapping_keywords_all_trigger_their_rules() {
        let pf = Prefilter::new(&[
            (b"aws_secret".to_vec(), vec![0]),
            (b"secret".to_vec(), vec![1]),
            (b"cret_access".to_vec(), vec![2]),
            (b"sk-".to_vec(), vec![3]),
            (b"sk-ant-api".to_vec(), vec![4]),
        ])
        .unwrap();
        assert_eq!(rules_hit(&pf, b"x AWS_SECRET_ACCESS y"), vec![0, 1, 2]);
        assert_eq!(rules_hit(&pf, b"sk-ant-api03"), vec![3, 4]);
        assert_eq!(rules_hit(&pf, b"nothing"), Vec::<u32>::new());
    }

    #[test]
    fn the_gram_filter_finds_what_teddy_finds() {
        // 100 atoms (gram filter) plus short ones (Teddy), over a text with overlaps,
        // chunk boundaries and every atom at the very end of the buffer.
        let mut keywords: Vec<(Vec<u8>, Vec<u32>)> = (0..100u32)
            .map(|i| {
                (
                    format!("ab{i:02}_{}", "q".repeat((i % 5) as usize)).into_bytes(),
                    vec![i],
                )
            })
            .collect();
        keywords.push((b"sk-".to_vec(), vec![100]));
        let pf = Prefilter::new(&keywords).unwrap();
        assert_eq!(pf.engines(), vec!["grams", "teddy"]);
        for (k, rules) in &keywords {
            for pad in [0, 1, 7, CHUNK - 3, CHUNK - 1, CHUNK] {
                let mut hay = vec![b'.'; pad];
                hay.extend_from_slice(&k.to_ascii_uppercase());
                let mut hits = Vec::new();
                pf.find(&hay, &mut Vec::new(), &mut hits);
                assert!(
                    hits.iter()
                        .any(|&(r, s, e)| r == rules[0] && s == pad && e == pad + k.len()),
                    "{:?} at {pad}",
                    String::from_utf8_lossy(k)
                );
            }
        }
    }

    #[test]
    fn anchors_avoid_common_word_starts() {
        assert_eq!(anchor_offset(b"datadog"), 3); // "adog", not "data"
        assert_eq!(anchor_offset(b"ghp_"), 0);
        assert!(anchor_offset(b"together") > 0);
    }

    #[test]
    fn gram_filter_atoms_across_chunk_boundaries_are_found_once() {
        // 70 atoms force the gram filter; "xxzqjdatadog" is anchored late.
        let mut keywords: Vec<(Vec<u8>, Vec<u32>)> = (0..70u32)
            .map(|i| (format!("kw{i:03}-filler").into_bytes(), vec![i]))
            .collect();
        keywords.push((b"prefixzqjx".to_vec(), vec![70]));
        let pf = Prefilter::new(&keywords).unwrap();
        for offset in [CHUNK - 10, CHUNK - 7, CHUNK - 1, CHUNK, CHUNK + 3] {
            let mut hay = vec![b' '; CHUNK * 2];
            hay[offset..offset + 10].copy_from_slice(b"PREFIXZQJX");
            let mut hits = Vec::new();
            pf.find(&hay, &mut Vec::new(), &mut hits);
            let found: Vec<_> = hits.iter().filter(|h| h.0 == 70).collect();
            assert_eq!(found, vec![&(70, offset, offset + 10)], "offset {offset}");
        }
    }

    #[test]
    fn keywords_across_chunk_boundaries_are_found_once_or_more() {
        let pf = Prefilter::new(&[(b"password".to_vec(), vec![7])]).unwrap();
        for offset in [CHUNK - 8, CHUNK - 4, CHUNK - 1, CHUNK, CHUNK + 1] {
            let mut hay = vec![b' '; CHUNK * 2];
            hay[offset..offset + 8].copy_from_slice(b"PassWord");
            let mut hits = Vec::new();
            pf.find(&hay, &mut Vec::new(), &mut hits);
            assert!(
                hits.iter()
                    .any(|&(r, s, e)| r == 7 && s == offset && e == offset + 8),
                "offset {offset}: {hits:?}"
            );
        }
    }
    #[test]
    fn the_gram_filter_reports_every_occurrence_of_every_keyword_and_nothing_else() {
        // 80 keywords (gram filter), some containing others ("token" in "npm_token"): each
        // rule is hit exactly where one of its own keywords occurs, compared with a naive
        // search over pseudo-random texts.
        let mut keywords: Vec<(Vec<u8>, Vec<u32>)> = (0..76u32)
            .map(|i| (format!("k{i:02}zq").into_bytes(), vec![i]))
            .collect();
        for (i, k) in ["token", "npm_token", "authtoken", "tok-"]
            .iter()
            .enumerate()
        {
            keywords.push((k.as_bytes().to_vec(), vec![76 + i as u32]));
        }
        let pf = Prefilter::new(&keywords).unwrap();
        assert_eq!(pf.engines(), vec!["grams"]);
        let alphabet: &[u8] = b"kzqK0123456789_-tokenNPMauth ";
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for round in 0..200 {
            let len = 1 + round * 7;
            let mut hay: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    alphabet[(state % alphabet.len() as u64) as usize]
                })
                .collect();
            // Plant a few keywords at pseudo-random places.
            for _ in 0..3 {
                let (k, _) = &keywords[(state % keywords.len() as u64) as usize];
                let at = (state >> 20) as usize % hay.len();
                let end = (at + k.len()).min(hay.len());
                hay[at..end].copy_from_slice(&k[..end - at]);
                state = state.rotate_left(17).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            }
            let lower = hay.to_ascii_lowercase();
            let mut expected: Vec<Hit> = Vec::new();
            for (k, rules) in &keywords {
                for s in 0..lower.len().saturating_sub(k.len() - 1) {
                    if lower[s..].starts_with(k) {
                        expected.push((rules[0], s, s + k.len()));
                    }
                }
            }
            let mut hits = Vec::new();
            pf.find(&hay, &mut Vec::new(), &mut hits);
            hits.sort_unstable();
            hits.dedup();
            expected.sort_unstable();
            assert_eq!(
                hits,
                expected,
                "round {round}: {:?}",
                String::from_utf8_lossy(&hay)
            );
        }
    }
}
