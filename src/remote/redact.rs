//! Redaction of what azlin and the VM print: secrets the scanner recognises (shown in their
//! redacted form), the API key itself wherever it appears, GUIDs (subscription and tenant
//! ids) and SAS signatures (`sig=...`).

use std::sync::Arc;

use crate::scan::{InputName, Scanner, Scratch};

/// Replaces GUIDs and `sig=` values. Used on azlin's stderr before it is shown or kept.
pub fn redact_ids(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        if let Some(n) = guid_at(b, i) {
            out.push_str(&text[copied..i]);
            out.push_str("<guid>");
            i += n;
            copied = i;
            continue;
        }
        if b[i..].len() >= 4
            && b[i..i + 4].eq_ignore_ascii_case(b"sig=")
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
        {
            let start = i + 4;
            let mut end = start;
            while end < b.len() && (b[end].is_ascii_alphanumeric() || b"%+/=_-.".contains(&b[end]))
            {
                end += 1;
            }
            out.push_str(&text[copied..start]);
            out.push_str("<redacted>");
            i = end;
            copied = end;
            continue;
        }
        i += 1;
    }
    out.push_str(&text[copied..]);
    out
}

/// The length of a GUID (8-4-4-4-12 hex digits) starting at `i`, if one does and it is not
/// part of a longer run of hex digits.
fn guid_at(b: &[u8], i: usize) -> Option<usize> {
    const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];
    if i > 0 && b[i - 1].is_ascii_hexdigit() {
        return None;
    }
    let mut p = i;
    for (g, len) in GROUPS.iter().enumerate() {
        if g > 0 {
            if b.get(p) != Some(&b'-') {
                return None;
            }
            p += 1;
        }
        let digits = b.get(p..p + len)?;
        if !digits.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        p += len;
    }
    if b.get(p).is_some_and(u8::is_ascii_hexdigit) {
        return None;
    }
    Some(p - i)
}

/// Redacts streamed remote output, line by line.
#[derive(Clone)]
pub struct Redactor {
    scanner: Arc<Scanner>,
    key: Option<Arc<[u8]>>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Redactor")
    }
}

/// What replaces the API key wherever it appears.
pub const KEY_REDACTED: &str = "<ANTHROPIC_API_KEY redacted>";

impl Redactor {
    /// `key`, if given, is replaced verbatim wherever it appears (whatever its shape).
    pub fn new(scanner: Arc<Scanner>, key: Option<&str>) -> Redactor {
        Redactor {
            scanner,
            key: key
                .filter(|k| !k.is_empty())
                .map(|k| Arc::from(k.as_bytes())),
        }
    }

    /// One line (or chunk) of output, redacted, as text (control characters other than tab
    /// and newline are escaped, so the VM cannot drive the terminal).
    pub fn redact(&self, line: &[u8], scratch: &mut Scratch) -> String {
        let mut bytes = line.to_vec();
        if let Some(key) = &self.key {
            bytes = replace_all(&bytes, key, KEY_REDACTED.as_bytes());
        }
        let name = InputName::plain("<remote output>");
        let text = match self.scanner.scan_buffer(&name, &bytes, scratch) {
            Ok(found) if !found.findings.is_empty() || !found.suppressed.is_empty() => {
                let mut spans: Vec<(usize, usize, String)> = found
                    .findings
                    .iter()
                    .chain(found.suppressed.iter().map(|(f, _)| f))
                    .map(|f| (f.start, f.end, f.secret.redacted()))
                    .collect();
                spans.sort_by_key(|s| (s.0, std::cmp::Reverse(s.1)));
                let mut out = Vec::with_capacity(bytes.len());
                let mut at = 0;
                for (start, end, shown) in spans {
                    if start < at {
                        at = at.max(end);
                        continue;
                    }
                    out.extend_from_slice(&bytes[at..start]);
                    out.extend_from_slice(shown.as_bytes());
                    at = end;
                }
                out.extend_from_slice(&bytes[at.min(bytes.len())..]);
                String::from_utf8_lossy(&out).into_owned()
            }
            Ok(_) => String::from_utf8_lossy(&bytes).into_owned(),
            // A scan that fails shows nothing of the line rather than risk a secret.
            Err(_) => "<line withheld: it could not be checked for secrets>\n".to_string(),
        };
        printable_keep_newlines(&redact_ids(&text))
    }
}

fn replace_all(hay: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    if needle.is_empty() {
        return hay.to_vec();
    }
    let mut out = Vec::with_capacity(hay.len());
    let mut at = 0;
    for i in memchr::memmem::find_iter(hay, needle) {
        if i < at {
            continue;
        }
        out.extend_from_slice(&hay[at..i]);
        out.extend_from_slice(with);
        at = i + needle.len();
    }
    out.extend_from_slice(&hay[at..]);
    out
}

/// Escapes control characters except `\n` and `\t`.
pub fn printable_keep_newlines(s: &str) -> String {
    if !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return s.to_string();
    }
    s.chars()
        .flat_map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::RuleSet;

    #[test]
    fn guids_and_sas_signatures_are_hidden() {
        let s = "Error: subscription 0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b not found; url https://x.blob/c?sv=1&sig=AbC%2Bd/e=&se=2";
        let r = redact_ids(s);
        assert!(!r.contains("0f1e2d3c"), "{r}");
        assert!(!r.contains("AbC%2B"), "{r}");
        assert!(r.contains("subscription <guid> not found"));
        assert!(r.contains("sig=<redacted>&se=2"), "{r}");
        // Not GUIDs: too long a group, or embedded in more hex.
        assert_eq!(
            redact_ids("a0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"),
            "a0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
        );
        assert_eq!(redact_ids("design=1"), "design=1");
    }

    #[test]
    fn streamed_lines_lose_secrets_and_the_key() {
        let scanner = Arc::new(Scanner::new(RuleSet::builtin().unwrap()));
        let key = "test-key-that-has-no-known-shape-1234";
        let r = Redactor::new(scanner, Some(key));
        let mut scratch = Scratch::default();
        let line = format!("env: ANTHROPIC_API_KEY={key} and again {key}\n");
        let out = r.redact(line.as_bytes(), &mut scratch);
        assert!(!out.contains(key), "{out}");
        assert_eq!(out.matches(KEY_REDACTED).count(), 2);
        let aws = format!("aws_access_key_id = AKIA{}\n", "QWERTYUIOPASDFGH");
        let out = r.redact(aws.as_bytes(), &mut scratch);
        assert!(!out.contains("QWERTYUIOPASDFGH"), "{out}");
        assert_eq!(
            r.redact(b"\x1b[2Jplain\n", &mut scratch),
            "\\u{1b}[2Jplain\n"
        );
    }
}
