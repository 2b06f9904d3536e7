//! Secrets inside encoded text: base64 spans (standard alphabet) (Kubernetes Secret values, `.dockerconfigjson`,
//! basic-auth headers, `_auth` settings) and percent-encoded spans (URLs, form bodies).
//!
//! Each decodable span is decoded and scanned again together with the rest of its line
//! (`password: <base64 of a password>` is scanned as `password: <the password>`), so the rules see the key
//! that names the value. A finding inside the decoded bytes is reported at the encoded span,
//! with the decoded secret as its value (redacted like any other). Decoding nests up to
//! [`MAX_DEPTH`] levels (a `.dockerconfigjson` is base64 of JSON whose `auth` is base64).
//!
//! Cost is kept off the hot path: the base64 search classifies 64 bytes at a time into a bit
//! mask and looks closer only where 16 base64 bytes follow each other, and a span
//! is decoded only if its first quads can be ASCII text (the first character of every quad
//! of base64-encoded ASCII lies in `A-Za-f`), which rejects identifiers and hashes at once.

use std::ops::Range;

use super::decode;
use super::engine::{find_plain, resolve_overlaps, Candidate, EngineError, Scratch};
use super::position::{line_end, line_start};
use super::rules::RuleSet;

/// Decoding levels: base64 inside base64 is found, a third level is not looked for.
pub const MAX_DEPTH: usize = 2;
/// Shortest base64 span decoded (12 bytes of payload).
const MIN_BASE64: usize = 16;
/// Longest encoded span decoded; longer ones are embedded files (images, archives).
const MAX_ENCODED: usize = 1 << 20;
/// Context kept on each side of a decoded span.
const MAX_CONTEXT: usize = 256;

/// Candidates found inside encoded spans of `hay`.
pub(crate) fn find_encoded(
    rules: &RuleSet,
    hay: &[u8],
    path: &str,
    depth: usize,
) -> Result<Vec<Candidate>, EngineError> {
    if depth >= MAX_DEPTH {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let mut scratch: Option<Scratch> = None;
    for run in base64_runs(hay) {
        // Most runs are identifiers or paths: a 12-character prefix that does not decode to
        // printable ASCII rejects them without decoding (or allocating for) the whole run.
        if !decode::base64_prefix_is_text(&hay[run.start..run.start + 12]) {
            continue;
        }
        let Some(decoded) = decode::base64(&hay[run.clone()]) else {
            continue;
        };
        if decoded.len() < 8 || !decode::is_printable_text(&decoded) {
            continue;
        }
        let offsets = None;
        rescan(
            rules,
            hay,
            path,
            depth,
            &run,
            &decoded,
            offsets,
            &mut scratch,
            &mut out,
        )?;
    }
    for run in percent_runs(hay) {
        let Some((decoded, offsets)) = percent_decode_mapped(&hay[run.clone()]) else {
            continue;
        };
        let offsets = Some(offsets.as_slice());
        rescan(
            rules,
            hay,
            path,
            depth,
            &run,
            &decoded,
            offsets,
            &mut scratch,
            &mut out,
        )?;
    }
    Ok(out)
}

/// Scans `prefix + decoded + suffix` and maps findings inside `decoded` back to `run`.
/// `offsets[k]` is where decoded byte `k` starts within the run (percent-encoding); without
/// it, a finding is reported at the whole run (base64 has no byte-exact mapping).
#[allow(clippy::too_many_arguments)]
fn rescan(
    rules: &RuleSet,
    hay: &[u8],
    path: &str,
    depth: usize,
    run: &Range<usize>,
    decoded: &[u8],
    offsets: Option<&[usize]>,
    scratch: &mut Option<Scratch>,
    out: &mut Vec<Candidate>,
) -> Result<(), EngineError> {
    let prefix_start = line_start(hay, run.start).max(run.start.saturating_sub(MAX_CONTEXT));
    let suffix_end = line_end(hay, run.end).min(run.end + MAX_CONTEXT);
    let prefix = &hay[prefix_start..run.start];
    let mut buf = Vec::with_capacity(prefix.len() + decoded.len() + (suffix_end - run.end));
    buf.extend_from_slice(prefix);
    buf.extend_from_slice(decoded);
    buf.extend_from_slice(&hay[run.end..suffix_end]);
    let inner = prefix.len()..prefix.len() + decoded.len();

    let scratch = scratch.get_or_insert_with(Scratch::default);
    let mut found = find_plain(rules, &buf, path, scratch)?;
    found.extend(find_encoded(rules, &buf, path, depth + 1)?);
    for c in resolve_overlaps(&mut found) {
        if c.secret.end <= inner.start || c.secret.start >= inner.end {
            continue; // in the surrounding line: the plain pass reports it
        }
        let span = match offsets {
            Some(offsets) => {
                let first = c.secret.start.max(inner.start) - inner.start;
                let last = c.secret.end.min(inner.end) - inner.start - 1;
                let unit = |k: usize| {
                    if hay[run.start + offsets[k]] == b'%' {
                        3
                    } else {
                        1
                    }
                };
                run.start + offsets[first]..run.start + offsets[last] + unit(last)
            }
            None => run.clone(),
        };
        out.push(Candidate {
            decoded: Some(c.value(&buf).into()),
            rule: c.rule,
            whole: span.clone(),
            secret: span,
            confidence: c.confidence,
        });
    }
    Ok(())
}

/// Maximal runs of standard base64 characters (plus up to two `=`) that may encode text: long
/// enough, not too long, and with the first character of each of the first four quads in
/// `A-Za-f` (true for the base64 of any ASCII text).
///
/// The search classifies 64 bytes at a time into a bit mask ("is a standard base64 byte",
/// with AVX2 when the CPU has it, see [`b64_class`]) and looks at run boundaries only where
/// the mask holds 16 consecutive ones, or a run continues from the previous 64 bytes; a chunk
/// of source code without such a run costs a handful of instructions. (The 8-byte block test
/// it replaced took a few control bytes, `0x0B`, `0x0F` and `0x10..=0x19`, for base64, and
/// could hide a run that followed one: the masks are exact.)
fn base64_runs(hay: &[u8]) -> Base64Runs<'_> {
    base64_runs_with(hay, b64_class::classify)
}

/// [`base64_runs`] with the given classifier (the tests run both).
fn base64_runs_with(hay: &[u8], classify: Classifier) -> Base64Runs<'_> {
    Base64Runs {
        hay,
        classify,
        masks: [0; b64_class::BATCH / 64],
        open: None,
        batch_start: 0,
        pending: Vec::new(),
        next: 0,
    }
}

type Classifier = fn(&[u8], &mut [u64; b64_class::BATCH / 64]);

/// The runs of [`base64_runs`], found one batch of [`b64_class::BATCH`] bytes at a time: memory
/// stays bounded by a batch's runs however many the buffer holds.
struct Base64Runs<'a> {
    hay: &'a [u8],
    classify: Classifier,
    masks: [u64; b64_class::BATCH / 64],
    /// Start of the run of base64 bytes that reaches the end of the bytes classified so far.
    open: Option<usize>,
    /// Where the next batch starts.
    batch_start: usize,
    /// The runs found in the last batch, and how many of them were handed out.
    pending: Vec<Range<usize>>,
    next: usize,
}

impl Iterator for Base64Runs<'_> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        while self.next == self.pending.len() {
            if self.batch_start >= self.hay.len() {
                return None;
            }
            self.pending.clear();
            self.next = 0;
            self.next_batch();
        }
        self.next += 1;
        Some(self.pending[self.next - 1].clone())
    }
}

impl Base64Runs<'_> {
    /// Classifies the next batch and collects the runs that end in it (and, after the last
    /// batch, the run reaching the end of the buffer).
    fn next_batch(&mut self) {
        let hay = self.hay;
        let batch_start = self.batch_start;
        let batch = &hay[batch_start..hay.len().min(batch_start + b64_class::BATCH)];
        (self.classify)(batch, &mut self.masks);
        let runs = &mut self.pending;
        for (k, &mask) in self.masks[..batch.len().div_ceil(64)].iter().enumerate() {
            let pos = batch_start + 64 * k;
            let mut m = mask;
            if let Some(start) = self.open {
                let t = m.trailing_ones() as usize;
                if t == 64 {
                    continue;
                }
                push_if_text(hay, start..pos + t, runs);
                self.open = None;
                m &= !((1u64 << t) - 1);
            }
            // Bit j of `r`: bits j..j+16 of `m` are all set (a run of 16 starts at j).
            let mut r = m & (m >> 1);
            r &= r >> 2;
            r &= r >> 4;
            r &= r >> 8;
            while r != 0 {
                let s = r.trailing_zeros() as usize; // the run's start: bit s - 1 is clear
                let e = s + (m >> s).trailing_ones() as usize;
                if e == 64 {
                    break; // reaches the chunk's end: `open` below
                }
                push_if_text(hay, pos + s..pos + e, runs);
                r &= !((1u64 << e) - 1);
            }
            if m >> 63 != 0 {
                self.open = Some(pos + 64 - m.leading_ones() as usize);
            }
        }
        self.batch_start += batch.len();
        if self.batch_start >= hay.len() {
            if let Some(start) = self.open.take() {
                push_if_text(hay, start..hay.len(), runs);
            }
        }
    }
}

/// Pushes the maximal base64 run `data` (plus up to two `=` after it) if its length is in
/// bounds and its first four quads start with `A-Za-f`.
#[inline]
fn push_if_text(hay: &[u8], data: Range<usize>, runs: &mut Vec<Range<usize>>) {
    if !(MIN_BASE64..=MAX_ENCODED).contains(&data.len())
        || !hay[data.clone()]
            .iter()
            .step_by(4)
            .take(4)
            .all(|&b| b.is_ascii_uppercase() || (b'a'..=b'f').contains(&b))
    {
        return;
    }
    let mut end = data.end;
    while end < hay.len() && end - data.end < 2 && hay[end] == b'=' {
        end += 1;
    }
    runs.push(data.start..end);
}

/// Classification of bytes into bit masks for [`base64_runs`]: bit `j` of mask `k` is set iff
/// byte `64 * k + j` is a standard base64 byte (`A-Za-z0-9+/`).
mod b64_class {
    /// Bytes classified per call.
    pub const BATCH: usize = 4096;

    use crate::scan::decode::is_standard_base64_byte;

    /// Fills `masks[..block.len().div_ceil(64)]` (bits past the block's end are clear).
    pub fn classify(block: &[u8], masks: &mut [u64; BATCH / 64]) {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: AVX2 is present (checked just above).
                #[allow(unsafe_code)]
                return unsafe { classify_avx2(block, masks) };
            }
        }
        classify_portable(block, masks)
    }

    /// [`classify`] one byte at a time (one table lookup per byte).
    pub fn classify_portable(block: &[u8], masks: &mut [u64; BATCH / 64]) {
        assert!(block.len() <= BATCH);
        for (mask, chunk) in masks.iter_mut().zip(block.chunks(64)) {
            *mask = bits(chunk);
        }
    }

    /// The mask of up to 64 bytes, one at a time.
    fn bits(chunk: &[u8]) -> u64 {
        chunk.iter().enumerate().fold(0, |m, (j, &b)| {
            m | u64::from(is_standard_base64_byte(b)) << j
        })
    }

    /// [`classify`] with AVX2: 32 bytes per step, by two table lookups (`vpshufb`) on the low
    /// and high nibble of each byte whose AND has a class bit set for the bytes of that class.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    #[allow(unsafe_code)]
    pub(super) unsafe fn classify_avx2(block: &[u8], masks: &mut [u64; BATCH / 64]) {
        use std::arch::x86_64::*;
        assert!(block.len() <= BATCH);
        // Bits of the nibble tables, each a set of high nibbles times a set of low nibbles:
        // 1: high 4 or 6, low 1-F (A-O, a-o); 2: high 5 or 7, low 0-A (P-Z, p-z);
        // 4: high 3, low 0-9 (digits); 8: high 2, low B or F (`+`, `/`). Bytes of 0x80 and
        // above have a high nibble of 8-F: no bit.
        #[rustfmt::skip]
        let low = _mm256_broadcastsi128_si256(_mm_setr_epi8(
            2 | 4, 1 | 2 | 4, 1 | 2 | 4, 1 | 2 | 4,
            1 | 2 | 4, 1 | 2 | 4, 1 | 2 | 4, 1 | 2 | 4,
            1 | 2 | 4, 1 | 2 | 4, 1 | 2, 1 | 8,
            1, 1, 1, 1 | 8,
        ));
        #[rustfmt::skip]
        let high = _mm256_broadcastsi128_si256(_mm_setr_epi8(
            0, 0, 8, 4, 1, 2, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0,
        ));
        let nibble = _mm256_set1_epi8(0x0F);
        let base64 = _mm256_set1_epi8(1 | 2 | 4 | 8);
        let zero = _mm256_setzero_si256();
        let classes = |v: __m256i| {
            let lo = _mm256_shuffle_epi8(low, _mm256_and_si256(v, nibble));
            let hi = _mm256_shuffle_epi8(high, _mm256_and_si256(_mm256_srli_epi16::<4>(v), nibble));
            _mm256_and_si256(lo, hi)
        };
        let base64_bits = |c: __m256i| {
            let none = _mm256_cmpeq_epi8(_mm256_and_si256(c, base64), zero);
            !(_mm256_movemask_epi8(none) as u32)
        };
        let mut k = 0;
        while 64 * k + 64 <= block.len() {
            let p = block.as_ptr();
            // SAFETY: 64 * k + 64 <= block.len(): both 32-byte loads are inside the block.
            let (a, b) = unsafe {
                (
                    _mm256_loadu_si256(p.add(64 * k).cast()),
                    _mm256_loadu_si256(p.add(64 * k + 32).cast()),
                )
            };
            let (ca, cb) = (classes(a), classes(b));
            masks[k] = u64::from(base64_bits(ca)) | (u64::from(base64_bits(cb)) << 32);
            k += 1;
        }
        if 64 * k < block.len() {
            masks[k] = bits(&block[64 * k..]);
        }
    }
}

/// Bytes that may appear in a URL or form body.
fn is_url_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"%._~:/?#[]@!$&'()*+,;=-".contains(&b)
}

/// Maximal runs of URL characters that hold at least one well-formed `%XX` escape.
fn percent_runs(hay: &[u8]) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut from = 0;
    std::iter::from_fn(move || {
        while let Some(p) = memchr::memchr(b'%', &hay[from..]) {
            let pos = from + p;
            from = pos + 1;
            let escape = hay.get(pos + 1..pos + 3);
            if !escape.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                continue;
            }
            let mut start = pos;
            while start > 0 && is_url_byte(hay[start - 1]) && pos - start < MAX_ENCODED {
                start -= 1;
            }
            let mut end = pos;
            while end < hay.len() && is_url_byte(hay[end]) && end - pos < MAX_ENCODED {
                end += 1;
            }
            from = end;
            return Some(start..end);
        }
        None
    })
}

/// Percent-decodes a run, with the offset in the run where each decoded byte came from.
/// Malformed escapes are kept as they are.
fn percent_decode_mapped(run: &[u8]) -> Option<(Vec<u8>, Vec<usize>)> {
    let mut out = Vec::with_capacity(run.len());
    let mut offsets = Vec::with_capacity(run.len());
    let mut i = 0;
    let mut escapes = 0;
    while i < run.len() {
        if run[i] == b'%' {
            if let Some(v) = run.get(i + 1..i + 3).and_then(decode::hex_byte) {
                out.push(v);
                offsets.push(i);
                escapes += 1;
                i += 3;
                continue;
            }
        }
        out.push(run[i]);
        offsets.push(i);
        i += 1;
    }
    (escapes > 0 && decode::is_printable_text(&out)).then_some((out, offsets))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::decode::is_standard_base64_byte;

    #[test]
    fn base64_runs_keep_text_shaped_spans() {
        let hay = b"password: aHVudGVyMmh1bnRlcjI= id: get_current_user_name_value x";
        let runs: Vec<_> = base64_runs(hay).map(|r| &hay[r]).collect();
        assert_eq!(runs, vec![&b"aHVudGVyMmh1bnRlcjI="[..]]);
    }

    #[test]
    fn base64_runs_are_found_at_every_offset_and_length() {
        let body = b"SGVsbG8gd29ybGQsIGhlbGxvIHRoZXJl";
        for pad in 0..20 {
            for len in [15, 16, 17, 24, 32] {
                let mut hay = vec![b' '; pad];
                hay.extend_from_slice(&body[..len]);
                hay.extend_from_slice(b"; x");
                let runs: Vec<_> = base64_runs(&hay).collect();
                if len >= MIN_BASE64 {
                    assert_eq!(runs, vec![pad..pad + len], "pad {pad} len {len}");
                } else {
                    assert!(runs.is_empty(), "pad {pad} len {len}");
                }
            }
        }
        // Two runs separated by one byte, and a run at the very end.
        let hay = b"SGVsbG8gd29ybGQs SGVsbG8gd29ybGQs";
        assert_eq!(base64_runs(hay).collect::<Vec<_>>(), vec![0..16, 17..33]);
    }

    /// What [`base64_runs`] computes, written the plain way (byte by byte): the differential
    /// tests below compare the two.
    fn base64_runs_reference(hay: &[u8]) -> impl Iterator<Item = Range<usize>> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < hay.len() {
            if !is_standard_base64_byte(hay[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < hay.len() && is_standard_base64_byte(hay[i]) {
                i += 1;
            }
            let quads_text = hay[start..i]
                .iter()
                .step_by(4)
                .take(4)
                .all(|&b| b.is_ascii_uppercase() || (b'a'..=b'f').contains(&b));
            if (MIN_BASE64..=MAX_ENCODED).contains(&(i - start)) && quads_text {
                let mut end = i;
                while end < hay.len() && end - i < 2 && hay[end] == b'=' {
                    end += 1;
                }
                out.push(start..end);
            }
        }
        out.into_iter()
    }

    use crate::fuzzing::Xorshift as Rng;

    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    /// Bytes that end a run (the last three are control bytes the search this one replaced
    /// took for base64).
    const SEPARATORS: &[u8] = b" =_-.\"\n\r\t:;,\x00\x01\x7f\x80\xc3\xff@[`{\x0b\x0f\x15";

    /// A buffer of base64 runs of random lengths (mostly 0..40, sometimes hundreds), some
    /// text-shaped (quads starting with `A-Za-f`), `=` padding of 0..3, and separators.
    fn random_hay(rng: &mut Rng, len: usize) -> Vec<u8> {
        let separators = SEPARATORS;
        let mut hay = Vec::with_capacity(len + 512);
        // Sometimes start with separators, so runs start at every offset modulo 64.
        for _ in 0..rng.below(3) * rng.below(70) {
            hay.push(separators[rng.below(separators.len())]);
        }
        while hay.len() < len {
            let run = match rng.below(10) {
                0 => rng.below(600),
                1..=3 => 12 + rng.below(12),
                _ => rng.below(40),
            };
            let text_shaped = rng.below(2) == 0;
            for k in 0..run {
                let b = if text_shaped && k % 4 == 0 {
                    ALPHABET[rng.below(32)] // A-Za-f
                } else {
                    ALPHABET[rng.below(64)]
                };
                hay.push(b);
            }
            let padding = rng.below(4);
            hay.resize(hay.len() + padding, b'=');
            for _ in 0..1 + rng.below(2) * rng.below(4) {
                hay.push(separators[rng.below(separators.len())]);
            }
        }
        hay.truncate(len);
        hay
    }

    #[test]
    fn base64_runs_match_a_byte_by_byte_search_on_random_buffers() {
        let mut rng = Rng::new(1);
        let mut found = 0;
        for round in 0..20_000 {
            let len = if round % 100 == 0 {
                5_000 + rng.below(20_000)
            } else {
                rng.below(2000)
            };
            let hay = random_hay(&mut rng, len);
            let want: Vec<_> = base64_runs_reference(&hay).collect();
            let got: Vec<_> = base64_runs(&hay).collect();
            assert_eq!(
                got,
                want,
                "round {round}, buffer {:?}",
                String::from_utf8_lossy(&hay)
            );
            let portable: Vec<_> = base64_runs_with(&hay, b64_class::classify_portable).collect();
            assert_eq!(portable, want, "round {round} (portable classifier)");
            found += want.len();
        }
        assert!(found > 10_000, "too few runs generated: {found}");
    }

    #[test]
    fn base64_runs_are_found_one_batch_at_a_time() {
        // A buffer made of runs (a hostile file can hold millions) is not listed whole:
        // the first run costs one batch, and memory stays at one batch's runs.
        static BATCHES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        fn counting(block: &[u8], masks: &mut [u64; b64_class::BATCH / 64]) {
            BATCHES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            b64_class::classify_portable(block, masks)
        }
        let hay = b"SGVsbG8gd29ybGQs ".repeat(60_000);
        let mut runs = base64_runs_with(&hay, counting);
        assert_eq!(runs.next(), Some(0..16));
        assert_eq!(BATCHES.load(std::sync::atomic::Ordering::Relaxed), 1);
        assert!(runs.pending.len() <= b64_class::BATCH / 16);
        assert_eq!(runs.count(), 60_000 - 1);
        assert_eq!(
            BATCHES.load(std::sync::atomic::Ordering::Relaxed),
            hay.len().div_ceil(b64_class::BATCH)
        );
    }

    #[test]
    fn base64_runs_are_found_at_every_offset_modulo_64() {
        let body =
            b"SGVsbG8gd29ybGQsIGhlbGxvIHRoZXJlIGFuZCBoZWxsbyBhZ2FpbiBhbmQgYWdhaW4gYW5kIGFnYWlu";
        for pad in 0..130 {
            for len in [0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, body.len()] {
                for tail in [&b""[..], b"=", b"==", b"===", b" x", b"\xff"] {
                    let mut hay = vec![b'.'; pad];
                    hay.extend_from_slice(&body[..len]);
                    hay.extend_from_slice(tail);
                    let want: Vec<_> = base64_runs_reference(&hay).collect();
                    assert_eq!(base64_runs(&hay).collect::<Vec<_>>(), want, "{pad} {len}");
                    assert_eq!(want.len(), usize::from(len >= MIN_BASE64));
                }
            }
        }
    }

    #[test]
    fn base64_runs_longer_than_the_limit_are_skipped() {
        let mut rng = Rng::new(7);
        for extra in [0, 1, 2, 63, 64, 65, 4095, 4096, 4097] {
            for len in [MAX_ENCODED, MAX_ENCODED + 1] {
                let mut hay = b"key: ".to_vec();
                hay.resize(hay.len() + extra, b'.');
                hay.extend((0..len).map(|k| {
                    if k % 4 == 0 {
                        ALPHABET[rng.below(32)]
                    } else {
                        ALPHABET[rng.below(64)]
                    }
                }));
                hay.extend_from_slice(b"== SGVsbG8gd29ybGQsIGhlbGxv");
                let want: Vec<_> = base64_runs_reference(&hay).collect();
                assert_eq!(want.len(), 1 + usize::from(len <= MAX_ENCODED));
                assert_eq!(base64_runs(&hay).collect::<Vec<_>>(), want, "{extra} {len}");
            }
        }
    }

    #[test]
    fn a_control_byte_before_a_run_does_not_hide_it() {
        // The 8-byte block test this search replaced took 0x10 for base64: the block at 0
        // made a "run" start at the control byte, which failed the quad test and hid the run.
        for control in [0x0Bu8, 0x0F, 0x10, 0x15, 0x19] {
            let mut hay = vec![control];
            hay.extend_from_slice(b"SGVsbG8gd29ybGQsIGhlbGxv ");
            assert_eq!(
                base64_runs(&hay).collect::<Vec<_>>(),
                vec![1..25],
                "{control:#x}"
            );
        }
    }

    #[test]
    fn the_portable_and_avx2_classifiers_agree() {
        #[cfg(target_arch = "x86_64")]
        {
            if !std::arch::is_x86_feature_detected!("avx2") {
                return;
            }
            let mut rng = Rng::new(42);
            let mut all: Vec<u8> = (0..=255u8).collect();
            all.extend((0..=255u8).rev());
            for round in 0..3000 {
                let hay: Vec<u8> = match round {
                    0 => all.clone(),
                    _ => {
                        let len = rng.below(b64_class::BATCH + 1);
                        // Mostly bytes of one small range, so both classes occur densely.
                        let lo = rng.below(256) as u8;
                        (0..len)
                            .map(|_| lo.wrapping_add(rng.below(40) as u8))
                            .collect()
                    }
                };
                let (mut a, mut b) = ([0u64; 64], [!0u64; 64]);
                b64_class::classify_portable(&hay, &mut a);
                // SAFETY: AVX2 is present (checked above).
                #[allow(unsafe_code)]
                unsafe {
                    b64_class::classify_avx2(&hay, &mut b)
                };
                let n = hay.len().div_ceil(64);
                assert_eq!(&a[..n], &b[..n], "round {round}");
                for (k, &byte) in hay.iter().enumerate() {
                    let bit = a[k / 64] >> (k % 64) & 1 == 1;
                    assert_eq!(bit, is_standard_base64_byte(byte), "byte {byte:#x}");
                }
            }
        }
    }

    #[test]
    fn percent_runs_cover_the_url() {
        let hay = b"see https://a.example/?q=a%2Fb%3D&x=1 and 100% done";
        let runs: Vec<_> = percent_runs(hay).map(|r| &hay[r]).collect();
        assert_eq!(runs, vec![&b"https://a.example/?q=a%2Fb%3D&x=1"[..]]);
    }

    #[test]
    fn percent_offsets_map_back() {
        let (text, offsets) = percent_decode_mapped(b"a%2Fb").unwrap();
        assert_eq!(text, b"a/b");
        assert_eq!(offsets, vec![0, 1, 4]);
        // Malformed escapes stay as they are; a run without a valid escape is not decoded.
        assert_eq!(percent_decode_mapped(b"a%2Fb%zz").unwrap().0, b"a/b%zz");
        assert!(percent_decode_mapped(b"plain%2").is_none());
    }
}
