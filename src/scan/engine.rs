//! The matching pipeline over one buffer: keyword prefilter, windowed confirmation, filters.
//!
//! 1. The keyword prefilter (`scan::prefilter`) finds every keyword occurrence, one segment
//!    of 1 MiB at a time: steps 1-2 run per segment, so a file made of keywords needs the
//!    memory of one segment's hits, not of all of them.
//! 2. For each rule that had a hit, its regex runs only in windows of `max_len` bytes around
//!    the hits (merged when they overlap), so the cost is bounded by the hits, not the file.
//!    Look-around assertions see the real bytes outside the window.
//! 3. Candidates pass the shared filters (samples, placeholders, entropy, character classes,
//!    value-is-code for the generic family, checksum, context).
//! 4. Base64 and percent-encoded spans are decoded and scanned again (`scan::encoded`), then
//!    overlapping candidates of different rules are reduced to the most confident one.

use std::ops::Range;

use regex_automata::Input;

use super::checksum::{self, Verdict};
use super::filters;
use super::position::lines_around;
use super::prefilter::{Hit, SEGMENT};
use super::rules::{Confidence, Rule, RuleSet};

/// A confirmed match that passed every filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Index of the rule in its [`RuleSet`].
    pub rule: usize,
    /// The secret's bytes in the buffer.
    pub secret: Range<usize>,
    /// The whole regex match (secret plus any context the pattern includes).
    pub whole: Range<usize>,
    pub confidence: Confidence,
    /// The secret's decoded bytes when it was found inside encoded text (then `secret` and
    /// `whole` are the encoded span).
    pub decoded: Option<Box<[u8]>>,
}

impl Candidate {
    /// The secret's bytes: decoded if it was encoded, else the matched bytes of `hay`.
    pub fn value<'a>(&'a self, hay: &'a [u8]) -> &'a [u8] {
        self.decoded.as_deref().unwrap_or(&hay[self.secret.clone()])
    }
}

/// Why a buffer could not be scanned completely.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct EngineError(pub String);

/// Reusable per-thread buffers, so scanning many small files allocates nothing per file.
#[derive(Default)]
pub struct Scratch {
    /// `(rule, keyword start, keyword end)` for every keyword occurrence.
    hits: Vec<Hit>,
    /// The lowercased chunk the prefilter searches.
    lower: Vec<u8>,
    candidates: Vec<Candidate>,
    /// `(gated rule, allowed in the current file)`, filled as hits need them.
    gate_verdicts: Vec<(usize, bool)>,
}

/// Counts keyword hits only (the prefilter stage alone); used by the benchmarks.
pub fn prefilter_hits(rules: &RuleSet, hay: &[u8], scratch: &mut Scratch) -> usize {
    scratch.hits.clear();
    rules
        .prefilter()
        .find(hay, &mut scratch.lower, &mut scratch.hits);
    scratch.hits.len()
}

/// Finds every candidate secret in `hay`, in order of position: the plain text first, then
/// secrets inside base64 and percent-encoded spans (see `scan::encoded`). `path` is the
/// file's repository-relative path, for rules restricted by `paths`.
pub fn find_candidates(
    rules: &RuleSet,
    hay: &[u8],
    path: &str,
    scratch: &mut Scratch,
) -> Result<Vec<Candidate>, EngineError> {
    let mut found = find_plain(rules, hay, path, scratch)?;
    let encoded = super::encoded::find_encoded(rules, hay, path, 0)?;
    if !encoded.is_empty() {
        found.extend(encoded);
        found = resolve_overlaps(&mut found);
    }
    Ok(found)
}

/// Candidates in the bytes as they are (no decoding).
pub(crate) fn find_plain(
    rules: &RuleSet,
    hay: &[u8],
    path: &str,
    scratch: &mut Scratch,
) -> Result<Vec<Candidate>, EngineError> {
    scratch.candidates.clear();
    scratch.gate_verdicts.clear();
    // Hits are collected and confirmed one segment at a time (one for all but large
    // buffers), so that a file made of keywords does not need memory in proportion to its
    // size. A match near a segment boundary may be found from both sides: the overlap
    // resolution below keeps it once.
    for segment in 0..hay.len().div_ceil(SEGMENT).max(1) {
        scratch.hits.clear();
        rules
            .prefilter()
            .find_in_segment(hay, segment, &mut scratch.lower, &mut scratch.hits);
        confirm_hits(rules, hay, path, scratch)?;
    }
    if scratch.candidates.is_empty() {
        return Ok(Vec::new());
    }
    Ok(resolve_overlaps(&mut scratch.candidates))
}

/// Confirms `scratch.hits` (of one segment), adding candidates to `scratch.candidates`.
fn confirm_hits(
    rules: &RuleSet,
    hay: &[u8],
    path: &str,
    scratch: &mut Scratch,
) -> Result<(), EngineError> {
    if scratch.hits.is_empty() {
        return Ok(());
    }
    // Rules restricted to other files (`paths`) are dropped before sorting: a dotenv rule's
    // keywords (`token`, `secret`) occur everywhere in code.
    let gates = rules.gates();
    if gates.any() {
        let verdicts = &mut scratch.gate_verdicts;
        scratch.hits.retain(|&(rule, _, _)| {
            let rule = rule as usize;
            if !gates.is_gated(rule) {
                return true;
            }
            match verdicts.iter().find(|(r, _)| *r == rule) {
                Some(&(_, allowed)) => allowed,
                None => {
                    let allowed = gates.allows(rule, path);
                    verdicts.push((rule, allowed));
                    allowed
                }
            }
        });
        if scratch.hits.is_empty() {
            return Ok(());
        }
    }
    scratch.hits.sort_unstable();

    let mut i = 0;
    while i < scratch.hits.len() {
        let rule_index = scratch.hits[i].0;
        let mut j = i;
        while j < scratch.hits.len() && scratch.hits[j].0 == rule_index {
            j += 1;
        }
        let rule = rules.rule(rule_index as usize);
        confirm(
            rule,
            rule_index as usize,
            hay,
            &scratch.hits[i..j],
            &mut scratch.candidates,
        )?;
        i = j;
    }
    Ok(())
}

/// Runs one rule's regex in the merged windows around its keyword hits.
fn confirm(
    rule: &Rule,
    rule_index: usize,
    hay: &[u8],
    hits: &[Hit],
    out: &mut Vec<Candidate>,
) -> Result<(), EngineError> {
    let compiled = rule.compiled().map_err(EngineError)?;
    let max_len = rule.def.max_len;
    let mut caps = compiled.regex.create_captures();
    let windows = merged_windows(hits, max_len, hay.len());
    let mut searched_to = 0;
    for window in windows {
        let start = window.start.max(searched_to);
        if start >= window.end {
            continue;
        }
        let mut input = Input::new(hay).span(start..window.end);
        loop {
            compiled.regex.search_captures(&input, &mut caps);
            let Some(m) = caps.get_match() else { break };
            let whole = m.range();
            let secret = compiled
                .secret_group
                .and_then(|g| caps.get_group(g))
                .map(|s| s.range())
                .unwrap_or_else(|| whole.clone());
            if let Some(confidence) = passes_filters(rule, hay, &secret, &whole, compiled) {
                out.push(Candidate {
                    rule: rule_index,
                    secret,
                    whole: whole.clone(),
                    confidence,
                    decoded: None,
                });
            }
            let next = if whole.is_empty() {
                whole.end + 1
            } else {
                whole.end
            };
            searched_to = next;
            if next >= window.end {
                break;
            }
            input.set_start(next);
        }
    }
    Ok(())
}

/// Windows `[hit - max_len, hit end + max_len]`, merged where they overlap, in order.
fn merged_windows(
    hits: &[Hit],
    max_len: usize,
    len: usize,
) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut iter = hits.iter().peekable();
    std::iter::from_fn(move || {
        let &(_, start, end) = iter.next()?;
        let mut window = start.saturating_sub(max_len)..(end + max_len).min(len);
        while let Some(&&(_, s, e)) = iter.peek() {
            if s.saturating_sub(max_len) > window.end {
                break;
            }
            window.end = window.end.max((e + max_len).min(len));
            iter.next();
        }
        Some(window)
    })
}

/// Applies the shared filters; returns the finding's confidence, or `None` to drop it.
fn passes_filters(
    rule: &Rule,
    hay: &[u8],
    secret: &Range<usize>,
    whole: &Range<usize>,
    compiled: &super::rules::Compiled,
) -> Option<Confidence> {
    let def = &rule.def;
    let value = &hay[secret.clone()];
    if value.is_empty() || filters::is_known_sample(value) {
        return None;
    }
    if def.placeholder_check && filters::is_placeholder(value) {
        return None;
    }
    if let Some(min) = def.min_entropy {
        if filters::shannon_entropy(value) < min {
            return None;
        }
    }
    if !def
        .require
        .iter()
        .all(|class| value.iter().any(|&b| class.matches(b)))
    {
        return None;
    }
    if def.confidence == Confidence::Low
        && (filters::is_code_like(value) || filters::is_non_credential_name(hay, secret.start))
    {
        return None;
    }
    let mut confidence = def.confidence;
    if let Some(kind) = def.checksum {
        match checksum::validate(kind, value) {
            Verdict::Valid if kind.proves_token() => confidence = Confidence::High,
            Verdict::Valid => {}
            Verdict::Invalid => return None,
            Verdict::NotApplicable => {}
        }
    }
    if let Some(ctx) = &def.context {
        let area = lines_around(hay, whole, ctx.lines);
        let found = compiled
            .context
            .iter()
            .any(|re| re.is_match(Input::new(hay).span(area.clone())));
        if !found {
            return None;
        }
    }
    Some(confidence)
}

/// Keeps one candidate per overlapping group of secret spans: the most confident, then the
/// one with the longest whole match, then the earlier rule.
pub(crate) fn resolve_overlaps(candidates: &mut Vec<Candidate>) -> Vec<Candidate> {
    candidates.sort_by(|a, b| {
        a.secret
            .start
            .cmp(&b.secret.start)
            .then(b.secret.end.cmp(&a.secret.end))
    });
    let mut kept: Vec<Candidate> = Vec::with_capacity(candidates.len());
    for c in candidates.drain(..) {
        match kept.last_mut() {
            Some(last) if c.secret.start < last.secret.end => {
                if better(&c, last) {
                    *last = c;
                }
            }
            _ => kept.push(c),
        }
    }
    kept
}

fn better(a: &Candidate, b: &Candidate) -> bool {
    (a.confidence, a.whole.len(), std::cmp::Reverse(a.rule))
        > (b.confidence, b.whole.len(), std::cmp::Reverse(b.rule))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_across_segment_boundaries_are_found_once_each() {
        let rules = RuleSet::builtin().unwrap();
        let rule = rules
            .rules()
            .iter()
            .position(|r| r.def.id == "anthropic-api-key")
            .unwrap();
        let line = rules.rule(rule).def.examples[0].as_bytes().to_vec();
        let alone = find_candidates(&rules, &line, "x", &mut Scratch::default()).unwrap();
        let secret = alone[0].secret.clone();
        let keyword = line.windows(7).position(|w| w == b"sk-ant-").unwrap();
        // Filler with keywords (hits in every segment), and the example planted so that, at
        // each segment boundary in turn, the secret starts just before it, its keyword
        // starts on it, its keyword straddles it, and the line ends just after it.
        let filler = b"let token = get_token(); // password reset, auth\n";
        let mut hay: Vec<u8> = filler.iter().copied().cycle().take(5 * SEGMENT).collect();
        let mut planted = Vec::new();
        let shifts = [secret.start + 1, keyword, keyword + 3, line.len() - 2];
        for (k, shift) in (1..5).zip(shifts) {
            let at = k * SEGMENT - shift;
            hay[at - 1] = b'\n';
            hay[at..at + line.len()].copy_from_slice(&line);
            hay[at + line.len()] = b'\n';
            planted.push(at + secret.start..at + secret.end);
        }
        let mut scratch = Scratch::default();
        let found = find_candidates(&rules, &hay, "src/app.py", &mut scratch).unwrap();
        let spans: Vec<Range<usize>> = found
            .iter()
            .filter(|c| c.rule == rule)
            .map(|c| c.secret.clone())
            .collect();
        assert_eq!(spans, planted);
    }

    #[test]
    fn a_buffer_of_keywords_keeps_one_segment_of_hits() {
        let rules = RuleSet::builtin().unwrap();
        let hay = b"ghp_".repeat(5 * SEGMENT / 4);
        let mut scratch = Scratch::default();
        let all = prefilter_hits(&rules, &hay, &mut scratch);
        let mut scratch = Scratch::default();
        assert!(find_candidates(&rules, &hay, "x", &mut scratch)
            .unwrap()
            .is_empty());
        // Every segment holds a fifth of the hits; the buffer never held them all.
        assert!(all >= 5 * SEGMENT / 4, "{all} hits");
        assert!(
            scratch.hits.capacity() <= all / 2,
            "{} of {all}",
            scratch.hits.capacity()
        );
    }

    #[test]
    fn windows_merge_when_they_overlap() {
        let hits = [(0, 10, 14), (0, 20, 24), (0, 500, 504)];
        let w: Vec<_> = merged_windows(&hits, 16, 1000).collect();
        assert_eq!(w, vec![0..40, 484..520]);
    }

    #[test]
    fn overlaps_keep_the_most_confident() {
        let mut v = vec![
            Candidate {
                rule: 2,
                secret: 5..20,
                whole: 0..20,
                confidence: Confidence::Low,
                decoded: None,
            },
            Candidate {
                rule: 1,
                secret: 5..20,
                whole: 5..20,
                confidence: Confidence::High,
                decoded: None,
            },
            Candidate {
                rule: 0,
                secret: 30..40,
                whole: 30..40,
                confidence: Confidence::Medium,
                decoded: None,
            },
        ];
        let kept = resolve_overlaps(&mut v);
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].rule, 1);
        assert_eq!(kept[1].rule, 0);
    }
}
