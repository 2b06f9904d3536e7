//! Property tests with a seeded generator (the same cases on every run, so a failure
//! reproduces): pack then unpack gives back the same bytes and refs; the memory-mapped and the
//! read path of a file give the same findings; a secret gives the same finding at every
//! offset around the prefilter's 64 KiB chunk boundaries; redaction never shows more than
//! the allowed prefix.

use std::collections::BTreeMap;
use std::path::Path;

use amplihack_remote::fuzzing::Xorshift as Gen;
use amplihack_remote::scan::finding::MAX_SHOWN_PREFIX;
use amplihack_remote::scan::source::{load_with_threshold, Loaded, MMAP_THRESHOLD};
use amplihack_remote::scan::{InputName, RuleSet, Scanner, Scratch, Secret};

use super::support::*;

/// The prefilter's chunk size (`scan::prefilter::CHUNK`, private): keyword search runs over
/// 64 KiB chunks with an overlap, so boundaries are where a secret could be missed or doubled.
const CHUNK: usize = 64 * 1024;

fn scanner() -> Scanner {
    Scanner::new(RuleSet::builtin().unwrap())
}

/// What a finding says, without its position in the buffer.
type Seen = (String, Vec<u8>, usize, usize, usize, usize, String, String);

fn findings(scanner: &Scanner, hay: &[u8]) -> Vec<(usize, usize, Seen)> {
    let mut scratch = Scratch::default();
    let found = scanner
        .scan_buffer(&InputName::plain("input.txt"), hay, &mut scratch)
        .unwrap();
    amplihack_remote::fuzzing::check_findings(hay, &found);
    let mut v: Vec<_> = found
        .findings
        .iter()
        .map(|f| {
            (
                f.start,
                f.end,
                (
                    f.rule_id.to_string(),
                    f.secret.expose().to_vec(),
                    f.line,
                    f.column,
                    f.end_line,
                    f.end_column,
                    f.excerpt.clone(),
                    f.fingerprint.clone(),
                ),
            )
        })
        .collect();
    v.sort();
    v
}

/// A few secret lines of different rules (fake values from the seeded generator).
fn secret_lines(seed: u64) -> Vec<String> {
    let mut fake = Fake::new(seed);
    vec![
        format!("ANTHROPIC_API_KEY={}", fake.anthropic_key()),
        format!("token: {}", fake.github_pat()),
        format!("aws_access_key_id = {}", fake.aws_access_key_id()),
    ]
}

#[test]
fn mapped_and_read_files_give_the_same_findings() {
    let scanner = scanner();
    let dir = tempfile::tempdir().unwrap();
    let mut g = Gen::new(1);
    let mut compared = 0;
    for case in 0..6u64 {
        // Below and above the threshold, secrets at random places in random text.
        let size = if case % 2 == 0 {
            1000 + g.below(20_000)
        } else {
            MMAP_THRESHOLD as usize + g.below(200_000)
        };
        let mut content: Vec<u8> = (0..size)
            .map(|_| b"abc def\n\t;:=\"'"[g.below(14)])
            .collect();
        for line in secret_lines(case) {
            let at = g.below(content.len() - line.len() - 2);
            content[at] = b'\n';
            content[at + 1..at + 1 + line.len()].copy_from_slice(line.as_bytes());
            content[at + 1 + line.len()] = b'\n';
        }
        let path = dir.path().join(format!("f{case}"));
        std::fs::write(&path, &content).unwrap();
        let (mut b1, mut b2) = (Vec::new(), Vec::new());
        let mapped = load_with_threshold(&path, &mut b1, 0).unwrap();
        let read = load_with_threshold(&path, &mut b2, u64::MAX).unwrap();
        assert!(
            matches!(mapped, Loaded::Mapped(_)),
            "case {case}: not mapped"
        );
        assert!(matches!(read, Loaded::Read(_)), "case {case}: not read");
        assert_eq!(&*mapped, &content[..]);
        assert_eq!(&*read, &content[..]);
        let a = findings(&scanner, &mapped);
        assert!(a.len() >= 3, "case {case}: the planted secrets are found");
        assert_eq!(a, findings(&scanner, &read), "case {case}");
        compared += a.len();
    }
    assert!(compared >= 18);
}

/// The command line too: a file above the threshold (mapped by the scanner) and the same bytes
/// on stdin (read) report the same findings.
#[test]
fn scan_of_a_large_file_and_of_the_same_bytes_on_stdin_agree() {
    let dir = tempfile::tempdir().unwrap();
    let mut content = vec![b' '; MMAP_THRESHOLD as usize + 10_000];
    let mut g = Gen::new(2);
    for (i, line) in secret_lines(7).iter().enumerate() {
        let at = (i + 1) * 80_000 + g.below(1000);
        content[at] = b'\n';
        content[at + 1..at + 1 + line.len()].copy_from_slice(line.as_bytes());
        content[at + 1 + line.len()] = b'\n';
    }
    std::fs::write(dir.path().join("big.txt"), &content).unwrap();
    let key = |o: &std::process::Output| {
        let v = json(o);
        let mut f: Vec<(String, u64, u64, String)> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["rule_id"].as_str().unwrap().to_string(),
                    f["line"].as_u64().unwrap(),
                    f["column"].as_u64().unwrap(),
                    f["redacted"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        f.sort();
        f
    };
    let file = run(dir.path(), &["scan", "--format", "json", "big.txt"]);
    let stdin = run_with_stdin(
        dir.path(),
        &["scan", "--format", "json", "-"],
        Some(&content),
    );
    assert_eq!(file.status.code(), Some(1), "{}", stderr(&file));
    assert_eq!(stdin.status.code(), Some(1), "{}", stderr(&stdin));
    assert!(key(&file).len() >= 3);
    assert_eq!(key(&file), key(&stdin));
}

#[test]
fn a_secret_gives_the_same_finding_at_every_offset_around_chunk_boundaries() {
    let scanner = scanner();
    let mut checked = 0;
    for line in secret_lines(3) {
        // The line alone: what every placement must report, shifted.
        let alone = format!("{line}\n");
        let expected = findings(&scanner, alone.as_bytes());
        assert!(!expected.is_empty(), "{line:.20}… is not found alone");
        let len = line.len();
        for boundary in [CHUNK, 2 * CHUNK, 3 * CHUNK] {
            // Every start from the line ending 4 bytes before the boundary to starting 4 after.
            for start in boundary - len - 4..=boundary + 4 {
                let mut hay = vec![b'\n'; 3 * CHUNK + CHUNK / 2];
                hay[start..start + len].copy_from_slice(line.as_bytes());
                let got = findings(&scanner, &hay);
                let line_no = start + 1; // one line per preceding `\n`
                let shifted: Vec<_> = expected
                    .iter()
                    .map(|(s, e, seen)| {
                        let mut seen = seen.clone();
                        seen.2 += line_no - 1;
                        seen.4 += line_no - 1;
                        (s + start, e + start, seen)
                    })
                    .collect();
                assert_eq!(
                    got, shifted,
                    "{line:.20}… at offset {start} (boundary {boundary})"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 300, "{checked}");
}

/// The allowed prefix: at most `MAX_SHOWN_PREFIX` characters and a fifth of the secret's
/// characters; multi-byte and invalid UTF-8, control characters, every length up to 300.
#[test]
fn redaction_never_shows_more_than_the_allowed_prefix() {
    let mut g = Gen::new(4);
    let alphabets: [&[&str]; 4] = [
        &["a", "B", "7", "-", "_"],
        &["é", "ж", "€", "𝄞", "x"],
        &["\u{1b}", "\n", "\t", "\\", "\""],
        &["\u{7f}", "a", "\u{200b}", "ß", "0"],
    ];
    for len in 0..300 {
        for alphabet in alphabets {
            let mut s = String::new();
            while s.chars().count() < len {
                s.push_str(alphabet[g.below(alphabet.len())]);
            }
            check_prefix(s.as_bytes());
        }
        // Arbitrary bytes (invalid UTF-8).
        check_prefix(&g.bytes(len));
    }
}

fn check_prefix(secret: &[u8]) {
    amplihack_remote::fuzzing::check_redaction(secret);
    let s = Secret::new(secret);
    let text = String::from_utf8_lossy(secret);
    let chars: Vec<char> = text.chars().collect();
    let allowed = (chars.len() / 5).min(MAX_SHOWN_PREFIX);
    let r = s.redacted();
    let (shown, rest) = r.split_once('…').expect("an ellipsis");
    assert_eq!(rest, format!("({} chars)", secret.len()));
    // The shown part is the escape of exactly the first `allowed` characters.
    let expected: String = chars[..allowed]
        .iter()
        .flat_map(|c| c.escape_default())
        .collect();
    assert_eq!(shown, expected, "{secret:?}");
}

/// Repository-relative files of `.claude` under `root`, with their bytes.
fn claude_files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                walk(&p, root, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&root.join(".claude"), root, &mut out);
    out
}

/// `refs/heads/*` and `refs/tags/*` of a repository, with their targets.
fn refs(dir: &Path) -> BTreeMap<String, String> {
    git(
        dir,
        &[
            "for-each-ref",
            "--format=%(refname) %(objectname)",
            "refs/heads",
            "refs/tags",
        ],
    )
    .lines()
    .map(|l| {
        let (r, o) = l.split_once(' ').unwrap();
        (r.to_string(), o.to_string())
    })
    .collect()
}

#[test]
fn pack_then_unpack_gives_back_the_same_bytes_and_refs() {
    for seed in 0..3u64 {
        let mut g = Gen::new(100 + seed);
        let repo = git_repo();
        let dir = repo.path();
        // Generated `.claude` files: nested, empty, binary, odd names; committed or not.
        let names = ["a", "b c", "é", "d-1", "x_y"];
        let mut commits = 0;
        for i in 0..(4 + g.below(8)) {
            let depth = g.below(3);
            let mut rel = ".claude".to_string();
            for _ in 0..depth {
                rel.push('/');
                rel.push_str(names[g.below(names.len())]);
            }
            rel.push_str(&format!(
                "/f{i}.{}",
                ["md", "json", "bin", "sh"][g.below(4)]
            ));
            let size = [0, 1, 100, 5000, 70_000][g.below(5)];
            let p = dir.join(&rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            // Bytes without letters, so no keyword of any rule can appear.
            let body: Vec<u8> = (0..size)
                .map(|_| b"0123456789 \n\t.,;:!?()[]{}\x00\x80\xfe\xff"[g.below(25)])
                .collect();
            std::fs::write(&p, &body).unwrap();
            if g.below(2) == 0 {
                git(dir, &["add", &rel]);
                git(dir, &["commit", "-q", "-m", &format!("c{i}")]);
                commits += 1;
            }
        }
        write(dir, "src/lib.rs", "pub fn f() {}\n");
        git(dir, &["add", "src/lib.rs"]);
        git(dir, &["commit", "-q", "-m", "src"]);
        for b in 0..g.below(3) {
            git(
                dir,
                &[
                    "branch",
                    &format!("topic-{b}"),
                    &format!("HEAD~{}", b.min(commits)),
                ],
            );
        }
        git(dir, &["tag", "v1"]);
        git(dir, &["tag", "-a", "v2", "-m", "annotated"]);
        let expected_files = claude_files(dir);
        let expected_refs = refs(dir);

        let cfg = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        let archive = out.path().join("context.tar.zst");
        let env = [("AMPLIHACK_REMOTE_CONFIG_DIR", cfg.path())];
        let p = run_env(dir, &["package", "-o", archive.to_str().unwrap()], &env);
        assert_eq!(
            p.status.code(),
            Some(0),
            "seed {seed}: {}{}",
            stdout(&p),
            stderr(&p)
        );
        let target = out.path().join("ctx");
        let u = run_env(
            dir,
            &[
                "unpack",
                archive.to_str().unwrap(),
                target.to_str().unwrap(),
            ],
            &env,
        );
        assert_eq!(u.status.code(), Some(0), "seed {seed}: {}", stderr(&u));

        assert_eq!(
            claude_files(&target),
            expected_files,
            "seed {seed}: .claude files"
        );
        assert!(expected_files.len() >= 4);
        let bundle = target.join("repo.bundle");
        let clone = out.path().join("clone");
        git(
            out.path(),
            &[
                "clone",
                "-q",
                "--mirror",
                bundle.to_str().unwrap(),
                clone.to_str().unwrap(),
            ],
        );
        assert_eq!(
            refs(&clone),
            expected_refs,
            "seed {seed}: refs of the clone"
        );
    }
}
