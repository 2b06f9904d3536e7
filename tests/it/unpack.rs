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
    assert_exit(&out, 1);
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
    assert_exit(&out, 0);
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
    assert_exit(&out, 2);
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
}

/// A zstd frame of `blocks` RLE blocks of 128 KiB of zeros each: 4 bytes per 128 KiB, so a
/// few megabytes of archive decompress to tens of gigabytes (a zstd bomb).
fn zero_bomb_frame(blocks: u64) -> Vec<u8> {
    let mut f = vec![0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38]; // magic, no size, 128 KiB window
    for i in 0..blocks {
        let last = u32::from(i + 1 == blocks);
        let header = last | (1 << 1) | ((128 * 1024) << 3); // RLE block of 128 KiB
        f.extend_from_slice(&header.to_le_bytes()[..3]);
        f.push(0);
    }
    f
}

/// An archive whose `.claude/big` entry claims (and decompresses to) `mib` MiB of zeros, from
/// 32 bytes per MiB. Signed with the key of `cfg` when `signed`, else with another key.
fn bomb_archive(cfg: &Path, archive: &Path, signed: bool, mib: u64) {
    let m = manifest(&[(".claude/big", b"small\n")]);
    let mut head = tar_bytes(&[Raw::file("manifest.json", &m)]);
    head.truncate(head.len() - 1024); // no end-of-archive marker: the bomb entry follows
    let mut h = tar::Header::new_gnu();
    h.set_path(".claude/big").unwrap();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_mode(0o644);
    h.set_size(mib << 20);
    h.set_cksum();
    head.extend_from_slice(h.as_bytes());
    let mut compressed = zstd::encode_all(head.as_slice(), 3).unwrap();
    compressed.extend(zero_bomb_frame((mib << 20) / (128 * 1024)));
    std::fs::write(archive, &compressed).unwrap();
    let signer = tempfile::tempdir().unwrap();
    let key_dir = if signed { cfg } else { signer.path() };
    sign::load_or_create(cfg, None).unwrap();
    let key = sign::load_or_create(key_dir, None).unwrap();
    let sig = sign::sign(
        &key,
        &amplihack_remote::digest::sha256_hex(&m),
        &amplihack_remote::digest::sha256_hex(&compressed),
    );
    std::fs::write(sign::signature_path(archive), sig.to_bytes()).unwrap();
}

fn run_bounded_in(work: &Path, cfg: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new(BIN);
    cmd.args(args)
        .env("AMPLIHACK_REMOTE_CONFIG_DIR", cfg)
        .env("AMPLIHACK_REMOTE_CACHE_DIR", cfg.join("cache"));
    super::hostile::bounded(cmd, work, std::time::Duration::from_secs(30))
}

/// A zstd bomb that is not signed by the trusted key: `verify` and `unpack` refuse it without
/// decompressing 64 GiB (the diagnostic pass over an untrusted archive has a budget).
#[test]
fn an_untrusted_zstd_bomb_is_refused_without_decompressing_it() {
    let cfg = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let archive = work.path().join("bomb.tar.zst");
    bomb_archive(cfg.path(), &archive, false, 64 << 10);
    assert!(std::fs::metadata(&archive).unwrap().len() < 4 << 20);
    let a = archive.to_str().unwrap();
    let out = run_bounded_in(work.path(), cfg.path(), &["verify", a]);
    assert_eq!(super::hostile::code(&out), 1, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("does not verify with the trusted key"),
        "{text}"
    );
    assert!(text.contains("not read further"), "{text}");
    let target = work.path().join("out");
    let out = run_bounded_in(
        work.path(),
        cfg.path(),
        &["unpack", a, target.to_str().unwrap()],
    );
    assert_eq!(super::hostile::code(&out), 1, "{}", stderr(&out));
    assert!(!target.exists());
}

/// A bomb signed by the trusted key (a hostile signer; 100 MiB here, since a signed archive is
/// read in full by `verify`: its signer is trusted with its size): `unpack` refuses the entry
/// as larger than declared and writes nothing; memory stays bounded (streaming).
#[test]
fn a_signed_zstd_bomb_is_refused_as_larger_than_declared() {
    let cfg = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let archive = work.path().join("bomb.tar.zst");
    bomb_archive(cfg.path(), &archive, true, 100);
    let target = work.path().join("out");
    let a = archive.to_str().unwrap();
    let out = run_bounded_in(
        work.path(),
        cfg.path(),
        &["unpack", a, target.to_str().unwrap()],
    );
    assert_eq!(super::hostile::code(&out), 1, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains(".claude/big"), "{text}");
    assert!(text.contains("the manifest says 6"), "{text}");
    assert!(!target.exists());
}

/// Truncated archives: cut after signing (the signature no longer matches), and cut before
/// signing (a valid signature over a stream that ends early): both refused, nothing written.
#[test]
fn truncated_archives_are_refused() {
    let d: &[u8] = &[b'z'; 300_000];
    for resign in [false, true] {
        let cfg = tempfile::tempdir().unwrap();
        let work = tempfile::tempdir().unwrap();
        let archive = work.path().join("t.tar.zst");
        let incompressible: Vec<u8> = {
            let mut f = Fake::new(620);
            f.alnum(d.len()).into_bytes()
        };
        let m = manifest(&[(".claude/data.bin", &incompressible)]);
        signed_archive(
            cfg.path(),
            &archive,
            &[(".claude/data.bin", &incompressible)],
            vec![Raw::file(".claude/data.bin", &incompressible)],
        );
        let full = std::fs::read(&archive).unwrap();
        let cut = &full[..full.len() * 2 / 3];
        std::fs::write(&archive, cut).unwrap();
        if resign {
            let key = sign::load_or_create(cfg.path(), None).unwrap();
            let sig = sign::sign(
                &key,
                &amplihack_remote::digest::sha256_hex(&m),
                &amplihack_remote::digest::sha256_hex(cut),
            );
            std::fs::write(sign::signature_path(&archive), sig.to_bytes()).unwrap();
        }
        let a = archive.to_str().unwrap();
        let out = run_bounded_in(work.path(), cfg.path(), &["verify", a]);
        assert_eq!(super::hostile::code(&out), 1, "{}", stderr(&out));
        let text = stdout(&out);
        if resign {
            assert!(text.contains(".claude/data.bin"), "{text}");
        } else {
            assert!(text.contains("changed after it was signed"), "{text}");
        }
        let target = work.path().join("out");
        let out = run_bounded_in(
            work.path(),
            cfg.path(),
            &["unpack", a, target.to_str().unwrap()],
        );
        assert_eq!(
            super::hostile::code(&out),
            1,
            "{}{}",
            stdout(&out),
            stderr(&out)
        );
        assert!(!target.exists());
    }
}
