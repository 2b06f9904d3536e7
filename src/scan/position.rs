//! Byte offsets to 1-based lines and columns, and redacted excerpts of a secret's line.

use std::ops::Range;

/// Start of the line holding `offset`.
pub fn line_start(hay: &[u8], offset: usize) -> usize {
    memchr::memrchr(b'\n', &hay[..offset]).map_or(0, |p| p + 1)
}

/// End of the line holding `offset` (the index of its `\n`, or the buffer's end).
pub fn line_end(hay: &[u8], offset: usize) -> usize {
    memchr::memchr(b'\n', &hay[offset..]).map_or(hay.len(), |p| offset + p)
}

/// The byte range of the whole lines from `n` lines before `range` to `n` lines after it
/// (including the last line's `\n`).
pub fn lines_around(hay: &[u8], range: &Range<usize>, n: usize) -> Range<usize> {
    let mut start = line_start(hay, range.start);
    let mut end = line_end(hay, range.end.max(range.start));
    for _ in 0..n {
        if start > 0 {
            start = line_start(hay, start - 1);
        }
        if end < hay.len() {
            end = line_end(hay, end + 1);
        }
    }
    start..(end + 1).min(hay.len())
}

/// Converts sorted offsets to `(line, column)` in one pass over the buffer.
pub struct LineCounter<'a> {
    hay: &'a [u8],
    offset: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    pub fn new(hay: &'a [u8]) -> Self {
        LineCounter {
            hay,
            offset: 0,
            line: 1,
        }
    }

    /// 1-based line and column (in characters; bytes where the line is not UTF-8) of
    /// `offset`. Offsets must not decrease between calls.
    pub fn position(&mut self, offset: usize) -> (usize, usize) {
        if offset < self.offset {
            self.offset = 0;
            self.line = 1;
        }
        self.line += memchr::memchr_iter(b'\n', &self.hay[self.offset..offset]).count();
        self.offset = offset;
        let start = line_start(self.hay, offset);
        let prefix = &self.hay[start..offset];
        let column = match std::str::from_utf8(prefix) {
            Ok(s) => s.chars().count(),
            Err(_) => prefix.len(),
        };
        (self.line, column + 1)
    }
}

/// The spans an excerpt redacts (each with its redaction), sorted by start so that an
/// excerpt finds those that touch it by binary search: a file with a hundred thousand
/// findings must not cost a hundred thousand comparisons per finding.
#[derive(Debug, Default)]
pub struct Redactions {
    spans: Vec<(Range<usize>, String)>,
    /// The longest span: none that starts further than this before a position reaches it.
    longest: usize,
}

impl Redactions {
    pub fn new(mut spans: Vec<(Range<usize>, String)>) -> Redactions {
        // Stable: spans with the same start keep their order.
        spans.sort_by_key(|(r, _)| r.start);
        let longest = spans.iter().map(|(r, _)| r.len()).max().unwrap_or(0);
        Redactions { spans, longest }
    }

    /// The spans that overlap `from..to`, by start.
    fn touching(&self, from: usize, to: usize) -> impl Iterator<Item = &(Range<usize>, String)> {
        let first = self
            .spans
            .partition_point(|(r, _)| r.start.saturating_add(self.longest) <= from);
        let end = self.spans.partition_point(|(r, _)| r.start < to).max(first);
        self.spans[first..end]
            .iter()
            .filter(move |(r, _)| r.start < to && r.end > from)
    }
}

/// The part of `focus`'s line around it (at most 48 bytes before and 24 after), with every
/// span in `secrets` that touches it replaced by its redaction, control characters escaped,
/// and `…` where the line was cut.
pub fn excerpt(hay: &[u8], focus: &Range<usize>, secrets: &Redactions) -> String {
    const BEFORE: usize = 48;
    const AFTER: usize = 24;
    let line = line_start(hay, focus.start)..line_end(hay, focus.start);
    let from = line.start.max(focus.start.saturating_sub(BEFORE));
    let to = line.end.min(focus.end.max(line.start) + AFTER).max(from);
    let spans = secrets.touching(from, to.max(focus.end));
    let mut out = String::new();
    if from > line.start {
        out.push('…');
    }
    let mut pos = from;
    for (range, redacted) in spans {
        let upto = range.start.min(to);
        if pos < upto {
            push_text(&mut out, &hay[pos..upto]);
        }
        out.push_str(redacted);
        pos = pos.max(range.end);
    }
    if pos < to {
        push_text(&mut out, &hay[pos..to]);
    }
    if pos.max(to) < line.end {
        out.push('…');
    }
    out
}

fn push_text(out: &mut String, bytes: &[u8]) {
    escape_controls(&String::from_utf8_lossy(bytes), out);
}

/// Appends `s` with control characters other than tab escaped (`\u{1b}`): text from scanned
/// files and their names must never send escape sequences to a terminal.
pub fn escape_controls(s: &str, out: &mut String) {
    for c in s.chars() {
        if c.is_control() && c != '\t' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_around_takes_whole_lines() {
        let hay = b"a\nb\nc KEY d\ne\nf\n";
        let pos = 6..9;
        assert_eq!(&hay[lines_around(hay, &pos, 0)], b"c KEY d\n");
        assert_eq!(&hay[lines_around(hay, &pos, 1)], b"b\nc KEY d\ne\n");
        assert_eq!(&hay[lines_around(hay, &pos, 9)], &hay[..]);
    }

    #[test]
    fn positions_are_one_based() {
        let hay = "ab\ncdé X\n\nY".as_bytes();
        let mut lc = LineCounter::new(hay);
        let x = hay.iter().position(|&b| b == b'X').unwrap();
        let y = hay.iter().position(|&b| b == b'Y').unwrap();
        assert_eq!(lc.position(0), (1, 1));
        assert_eq!(lc.position(x), (2, 5));
        assert_eq!(lc.position(y), (4, 1));
    }

    #[test]
    fn excerpt_cuts_long_lines_and_escapes_control_characters() {
        let mut hay = vec![b'a'; 100];
        hay.extend_from_slice(b"\x1bSECRET");
        hay.extend_from_slice(&[b'b'; 100]);
        let s = 101..107;
        let e = excerpt(
            &hay,
            &s,
            &Redactions::new(vec![(s.clone(), "S…(6)".into())]),
        );
        assert!(e.starts_with('…') && e.ends_with('…'), "{e}");
        assert!(e.contains("\\u{1b}S…(6)"), "{e}");
        assert!(!e.contains("SECRET"));
        let after = e.split("S…(6)").nth(1).unwrap();
        assert_eq!(after, format!("{}…", "b".repeat(24)));
    }

    #[test]
    fn excerpt_of_a_multi_line_secret_stays_on_its_first_line() {
        let hay = b"key = -----BEGIN\nAAAA\n-----END\nnext";
        let s = 6..31;
        let e = excerpt(
            hay,
            &s,
            &Redactions::new(vec![(s.clone(), "-----BEG…(25)".into())]),
        );
        assert_eq!(e, "key = -----BEG…(25)");
    }

    #[test]
    fn redactions_touching_a_range_are_those_a_full_search_finds() {
        // A small deterministic generator: spans of lengths 0..40 (a few of 300) anywhere in
        // 0..2000, some sharing a start, queried with ranges anywhere.
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = |n: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        };
        for round in 0..200 {
            let spans: Vec<(Range<usize>, String)> = (0..next(60))
                .map(|i| {
                    let start = next(2000);
                    let len = if next(10) == 0 { next(300) } else { next(40) };
                    (start..start + len, format!("r{round}-{i}"))
                })
                .collect();
            let redactions = Redactions::new(spans.clone());
            for _ in 0..50 {
                let from = next(2100);
                let to = from + next(200);
                let mut want: Vec<&(Range<usize>, String)> = spans
                    .iter()
                    .filter(|(r, _)| r.start < to && r.end > from)
                    .collect();
                want.sort_by_key(|(r, _)| r.start);
                let got: Vec<_> = redactions.touching(from, to).collect();
                assert_eq!(got, want, "round {round}, {from}..{to}");
            }
        }
    }

    #[test]
    fn excerpt_redacts_every_secret_on_the_line() {
        let hay = b"line one\nA=SECRETONE B=SECRETTWO tail\nnext";
        let one = 11..20;
        let two = 23..32;
        let secrets = vec![
            (one.clone(), "S…(9)".to_string()),
            (two.clone(), "S…(9)".to_string()),
        ];
        let e = excerpt(hay, &two, &Redactions::new(secrets));
        assert_eq!(e, "A=S…(9) B=S…(9) tail");
        assert!(!e.contains("SECRET"));
    }
}
