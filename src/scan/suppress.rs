//! Inline suppression markers: the ones teams already use with other scanners, and ours.

use super::position::{line_end, line_start};

/// A marker on the same line as the secret (its first or last line) suppresses it.
pub const SAME_LINE_MARKERS: &[&str] = &[
    "amplihack-remote:allow",
    "pragma: allowlist secret",
    "gitleaks:allow",
    "betterleaks:allow",
    "trufflehog:ignore",
    "kingfisher:ignore",
];

/// This marker on the line before the secret suppresses it.
pub const NEXT_LINE_MARKER: &str = "pragma: allowlist nextline secret";

/// True when an inline marker covers the secret at `start..end`.
pub fn inline_marker(hay: &[u8], start: usize, end: usize) -> bool {
    let first = line_start(hay, start)..line_end(hay, start);
    if has_marker(&hay[first.clone()], SAME_LINE_MARKERS) {
        return true;
    }
    let last_start = line_start(hay, end.max(start));
    if last_start != first.start
        && has_marker(
            &hay[last_start..line_end(hay, last_start)],
            SAME_LINE_MARKERS,
        )
    {
        return true;
    }
    if first.start > 0 {
        let prev = line_start(hay, first.start - 1)..first.start - 1;
        if has_marker(&hay[prev], &[NEXT_LINE_MARKER]) {
            return true;
        }
    }
    false
}

fn has_marker(line: &[u8], markers: &[&str]) -> bool {
    markers
        .iter()
        .any(|m| memchr::memmem::find(line, m.as_bytes()).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hay: &str, needle: &str) -> (usize, usize) {
        let s = hay.find(needle).unwrap();
        (s, s + needle.len())
    }

    #[test]
    fn same_line_markers() {
        for m in SAME_LINE_MARKERS {
            let hay = format!("x\nkey = 'TOKEN' # {m}\ny");
            let (s, e) = at(&hay, "TOKEN");
            assert!(inline_marker(hay.as_bytes(), s, e), "{m}");
        }
        let hay = "key = 'TOKEN'\n# gitleaks:allow";
        let (s, e) = at(hay, "TOKEN");
        assert!(
            !inline_marker(hay.as_bytes(), s, e),
            "a marker on the next line does not count"
        );
    }

    #[test]
    fn nextline_marker_covers_only_the_next_line() {
        let hay = "# pragma: allowlist nextline secret\nkey = 'TOKEN'\nother = 'TOKEN2'";
        let (s, e) = at(hay, "TOKEN'");
        assert!(inline_marker(hay.as_bytes(), s, e - 1));
        let (s, e) = at(hay, "TOKEN2");
        assert!(!inline_marker(hay.as_bytes(), s, e));
    }
}
