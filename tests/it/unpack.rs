//! `unpack` refuses hand-made hostile archives, even when they carry a valid signature and a
//! manifest: traversal, absolute paths, symlink escapes, hard links, device nodes, size lies,
//! duplicates and unlisted entries. Nothing is written outside DIR, and DIR is left empty.

use std::path::Path;

use amplihack_remote::package::manifest::{Attestation, Entry, Manifest, Source, Tool};
use amplihack_remote::package::sign;

use super::support::*;

/// One raw tar entry, written without the `tar` crate's own path checks.
struct Raw {
    name: Vec<u8>,
    kind: tar::EntryType,
    data: Vec<u8>,
    /// The size written in the header (a lie when it differs from `data`).
    size: Option<u64>,
    link: Option<&'static str>,
}

impl Raw {
    fn file(name: &str, data: &[u8]) -> Raw {
        Raw {
            name: name.as_bytes().to_vec(),
            kind: tar::EntryType::Regular,
            data: data.to_vec(),
            size: None,
            link: None,
        }
    }
}

fn tar_bytes(entries: &[Raw]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        let mut h = tar::Header::new_gnu();
        {
            let raw = h.as_old_mut();
            raw.name = [0; 100];
            raw.name[..e.name.len()].copy_from_slice(&e.name);
        }
        h.set_entry_type(e.kind);
        h.set_mode(0o644);
        h.set_size(e.size.unwrap_or(e.data.len() as u64));
        if let Some(l) = e.link {
            let raw = h.as_old_mut();
            raw.linkname[..l.len()].copy_from_slice(l.as_bytes());
        }
        h.set_cksum();
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(&e.data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

fn manifest(entries: &[(&str, &[u8])]) -> Vec<u8> {
    Manifest {
        format_version: 1,
        tool: Tool {
            name: "amplihack-remote".into(),
            version: "test".into(),
        },
        created_from: Source {
            head: None,
            head_ref: None,
            refs: Default::default(),
            snapshot: None,
        },
        mtime: 0,
        entries: entries
            .iter()
            .map(|(p, d)| Entry {
                path: p.to_string(),
                size: d.len() as u64,
                sha256: amplihack_remote::digest::sha256_hex(d),
                mode: 0o644,
            })
            .collect(),
        scan: Attestation {
            rules_digest: String::new(),
            rules: 0,
            blobs_scanned: 0,
            files_scanned: 0,
            bytes_scanned: 0,
            findings: 0,
            suppressed: 0,
            scanner_fingerprint: String::new(),
            known_clean: Vec::new(),
        },
        warnings: Vec::new(),
    }
    .to_bytes()
}

/// Writes `archive` (+ `.sig`, signed with the key of `cfg`): the given entries, preceded by
/// a manifest that declares `declared`.
fn signed_archive(cfg: &Path, archive: &Path, declared: &[(&str, &[u8])], entries: Vec<Raw>) {
    let m = manifest(declared);
    let mut all = vec![Raw::file("manifest.json", &m)];
    all.extend(entries);
    let compressed = zstd::encode_all(tar_bytes(&all).as_slice(), 3).unwrap();
    std::fs::write(archive, &compressed).unwrap();
    let key = sign::load_or_create(cfg, None).unwrap();
    let sig = sign::sign(
        &key,
        &amplihack_remote::digest::sha256_hex(&m),
        &amplihack_remote::digest::sha256_hex(&compressed),
    );
    std::fs::write(sign::signature_path(archive), sig.to_bytes()).unwrap();
}

/// Runs unpack on a hostile archive and checks it is refused, naming `why`, with nothing
/// written outside DIR and DIR left without content.
fn assert_refused(declared: &[(&str, &[u8])], entries: Vec<Raw>, why: &str) {
    let cfg = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let archive = work.path().join("evil.tar.zst");
    signed_archive(cfg.path(), &archive, declared, entries);
    let target = work.path().join("a/b/out");
    std::fs::create_dir_all(&target).unwrap();
    let before = tree_digest(work.path());
    let out = run_env(
        work.path(),
        &[
            "unpack",
            archive.to_str().unwrap(),
            target.to_str().unwrap(),
        ],
        &[("AMPLIHACK_REMOTE_CONFIG_DIR", cfg.path())],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).contains(why),
        "expected {why:?}: {}",
        stdout(&out)
    );
    assert_eq!(
        std::fs::read_dir(&target).unwrap().count(),
        0,
        "DIR must be left empty"
    );
    assert_eq!(before, tree_digest(work.path()), "something was written");
}

#[test]
fn a_valid_archive_unpacks() {
    let cfg = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let archive = work.path().join("ok.tar.zst");
    let data: &[u8] = b"{}\n";
    signed_archive(
        cfg.path(),
        &archive,
        &[(".claude/settings.json", data)],
        vec![Raw::file(".claude/settings.json", data)],
    );
    let target = work.path().join("out");
    let out = run_env(
        work.path(),
        &[
            "unpack",
            archive.to_str().unwrap(),
            target.to_str().unwrap(),
        ],
        &[("AMPLIHACK_REMOTE_CONFIG_DIR", cfg.path())],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(
        std::fs::read(target.join(".claude/settings.json")).unwrap(),
        data
    );
}

#[test]
fn traversal_is_refused() {
    let d: &[u8] = b"pwned\n";
    assert_refused(
        &[("../../escape.txt", d)],
        vec![Raw::file("../../escape.txt", d)],
        "`..` component",
    );
    assert_refused(
        &[(".claude/../../escape.txt", d)],
        vec![Raw::file(".claude/../../escape.txt", d)],
        "`..` component",
    );
}

#[test]
fn absolute_paths_are_refused() {
    let d: &[u8] = b"pwned\n";
    assert_refused(
        &[("/tmp/escape.txt", d)],
        vec![Raw::file("/tmp/escape.txt", d)],
        "absolute",
    );
}

#[test]
fn symlink_escapes_are_refused() {
    let d: &[u8] = b"pwned\n";
    assert_refused(
        &[(".claude/link/x", d)],
        vec![
            Raw {
                name: b".claude/link".to_vec(),
                kind: tar::EntryType::Symlink,
                data: Vec::new(),
                size: None,
                link: Some("/tmp"),
            },
            Raw::file(".claude/link/x", d),
        ],
        "a link",
    );
}

#[test]
fn hard_links_are_refused() {
    assert_refused(
        &[],
        vec![Raw {
            name: b".claude/passwd".to_vec(),
            kind: tar::EntryType::Link,
            data: Vec::new(),
            size: None,
            link: Some("/etc/passwd"),
        }],
        "a link",
    );
}

#[test]
fn device_nodes_and_fifos_are_refused() {
    for kind in [
        tar::EntryType::Char,
        tar::EntryType::Block,
        tar::EntryType::Fifo,
    ] {
        assert_refused(
            &[],
            vec![Raw {
                name: b".claude/dev".to_vec(),
                kind,
                data: Vec::new(),
                size: None,
                link: None,
            }],
            "a device or FIFO",
        );
    }
}

#[test]
fn an_entry_larger_than_declared_is_refused() {
    let small: &[u8] = b"small\n";
    let big = vec![b'x'; 4096];
    assert_refused(
        &[(".claude/notes.md", small)],
        vec![Raw::file(".claude/notes.md", &big)],
        "size is 4096 bytes, the manifest says 6",
    );
}

#[test]
fn a_header_size_lie_is_refused() {
    // The header claims fewer bytes than follow: the rest parses as garbage headers.
    let d = vec![b'y'; 2048];
    assert_refused(
        &[(".claude/a.md", &d)],
        vec![Raw {
            size: Some(10),
            ..Raw::file(".claude/a.md", &d)
        }],
        ".claude/a.md: size is 10 bytes, the manifest says 2048",
    );
}

#[test]
fn duplicate_entries_are_refused() {
    let d: &[u8] = b"one\n";
    assert_refused(
        &[(".claude/a.md", d)],
        vec![Raw::file(".claude/a.md", d), Raw::file(".claude/a.md", d)],
        "appears more than once",
    );
}

#[test]
fn unlisted_and_missing_entries_are_refused() {
    let d: &[u8] = b"one\n";
    assert_refused(
        &[(".claude/listed.md", d)],
        vec![Raw::file(".claude/extra.md", d)],
        "not listed in the manifest",
    );
}

#[test]
fn an_unsigned_or_foreign_archive_is_refused() {
    let cfg = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let archive = work.path().join("x.tar.zst");
    let d: &[u8] = b"{}\n";
    signed_archive(
        cfg.path(),
        &archive,
        &[(".claude/s.json", d)],
        vec![Raw::file(".claude/s.json", d)],
    );
    // Another machine's key: not trusted.
    let other = tempfile::tempdir().unwrap();
    sign::load_or_create(other.path(), None).unwrap();
    let target = work.path().join("out");
    let out = run_env(
        work.path(),
        &[
            "unpack",
            archive.to_str().unwrap(),
            target.to_str().unwrap(),
        ],
        &[("AMPLIHACK_REMOTE_CONFIG_DIR", other.path())],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("does not verify with the trusted key"));
    assert!(!target.exists());
}

#[test]
fn a_link_planted_in_dir_is_not_followed() {
    let cfg = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let archive = work.path().join("x.tar.zst");
    let d: &[u8] = b"{}\n";
    signed_archive(
        cfg.path(),
        &archive,
        &[(".claude/s.json", d)],
        vec![Raw::file(".claude/s.json", d)],
    );
    // DIR itself is a link to somewhere else: refused, nothing written there.
    let elsewhere = work.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let target = work.path().join("out");
    std::os::unix::fs::symlink(&elsewhere, &target).unwrap();
    let out = run_env(
        work.path(),
        &[
            "unpack",
            archive.to_str().unwrap(),
            target.to_str().unwrap(),
        ],
        &[("AMPLIHACK_REMOTE_CONFIG_DIR", cfg.path())],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
}
