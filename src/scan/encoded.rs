//! Secrets inside encoded text: base64 spans (standard alphabet) (Kubernetes Secret values, `.dockerconfigjson`,
//! basic-auth headers, `_auth` settings) and percent-encoded spans (URLs, form bodies).
//!
//! Each decodable span is decoded and scanned again together with the rest of its line
//! (`password: <base64 of a password>` is scanned as `password: <the password>`), so the rules see the key
//! that names the value. A finding inside the decoded bytes is reported at the encoded span,
//! with the decoded secret as its value (redacted like any other). Decoding nests up to
//! [`MAX_DEPTH`] levels (a `.dockerconfigjson` is base64 of JSON whose `auth` is base64).
//!
//! Cost is kept off the hot path: the base64 search is one table lookup per byte, and a span
//! is decoded only if its first quads can be ASCII text (the first character of every quad
//! of base64-encoded ASCII lies in `A-Za-f`), which rejects identifiers and hashes at once.

use std::ops::Range;

use super::decode::{self, is_standard_base64_byte};
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
/// A run of `MIN_BASE64` (16) or more bytes contains a whole 8-byte block of any 8-byte grid,
/// so the search tests blocks: 8 independent table lookups combined without branches, and it
/// only looks closer at a block made entirely of base64 bytes. (Counting run lengths byte by
/// byte is a dependency chain, or a mispredicted branch every few bytes of code.)
fn base64_runs(hay: &[u8]) -> impl Iterator<Item = Range<usize>> + '_ {
    const BLOCK: usize = 8;
    let mut i = 0;
    // Runs never extend back past the end of the last one examined.
    let mut floor = 0;
    std::iter::from_fn(move || {
        while i + BLOCK <= hay.len() {
            let mut word = [0u8; BLOCK];
            word.copy_from_slice(&hay[i..i + BLOCK]);
            if !maybe_all_base64(u64::from_le_bytes(word)) {
                i += BLOCK;
                continue;
            }
            let mut start = i;
            while start > floor && is_standard_base64_byte(hay[start - 1]) {
                start -= 1;
            }
            let mut data_end = i + BLOCK;
            while data_end < hay.len() && is_standard_base64_byte(hay[data_end]) {
                data_end += 1;
            }
            let mut end = data_end;
            while end < hay.len() && end - data_end < 2 && hay[end] == b'=' {
                end += 1;
            }
            i = data_end + 1;
            floor = data_end;
            let len = data_end - start;
            if (MIN_BASE64..=MAX_ENCODED).contains(&len)
                && hay[start..data_end]
                    .iter()
                    .step_by(4)
                    .take(4)
                    .all(|&b| b.is_ascii_uppercase() || (b'a'..=b'f').contains(&b))
            {
                return Some(start..end);
            }
        }
        None
    })
}

/// SWAR test of 8 bytes at once, without a branch per byte: false if some byte is surely not
/// standard base64. (Bytes are case-folded by setting bit 5, which also maps a few control
/// characters onto the alphabet; so "true" means "maybe", and runs are then checked exactly.)
#[inline(always)]
fn maybe_all_base64(word: u64) -> bool {
    const H: u64 = 0x8080_8080_8080_8080;
    const fn rep(b: u8) -> u64 {
        u64::from_ne_bytes([b; 8])
    }
    if word & H != 0 {
        return false; // a byte >= 0x80
    }
    let x = word | rep(0x20);
    // Per byte (all < 0x80 here): high bit set iff x >= lo, resp. x <= hi; no borrow crosses
    // a byte because every minuend byte has its high bit set.
    let ge = |lo: u8| ((x | H) - rep(lo)) & H;
    let le = |hi: u8| ((rep(hi) | H) - x) & H;
    let letters = ge(b'a') & le(b'z');
    let slash_digits = ge(b'/') & le(b'9');
    let plus = ge(b'+') & le(b'+');
    (letters | slash_digits | plus) == H
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

    #[test]
    fn the_block_test_never_rejects_base64() {
        for b in 0..=255u8 {
            let word = u64::from_le_bytes([b, b'A', b'z', b'0', b'9', b'+', b'/', b'm']);
            if is_standard_base64_byte(b) {
                assert!(maybe_all_base64(word), "byte {b:#x} rejected");
            }
            if b >= 0x80
                || matches!(
                    b,
                    b' ' | b'"' | b'\'' | b':' | b'=' | b'_' | b'-' | b'.' | b'\n'
                )
            {
                assert!(!maybe_all_base64(word), "byte {b:#x} accepted");
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
