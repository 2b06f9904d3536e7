//! The checks behind the fuzz targets of `fuzz/` and the corpus replay test
//! (`tests/it/fuzz_replay.rs`): each function takes arbitrary bytes, runs one parser or the
//! scanner on them, and panics if an invariant breaks (a panic of the product itself counts
//! too). Errors are the expected outcome for most inputs; they must simply be errors.
//!
//! Kept in the library so the fuzz targets (one line each) and the ordinary test suite run the
//! very same checks; not part of the supported API.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::sync::OnceLock;

use ed25519_dalek::SigningKey;

use crate::config::{Config, LoadedConfig};
use crate::package::manifest::{Attestation, Entry, Manifest, Source, Tool, FORMAT_VERSION};
use crate::package::sign::{sign, signature_path};
use crate::scan::finding::MAX_SHOWN_PREFIX;
use crate::scan::rules::{parse_rule_file, RuleSet};
use crate::scan::{Baseline, BufferFindings, InputName, Scanner, Scratch};

/// xorshift64*: a small deterministic generator for the randomized tests of the library and
/// of `tests/` (no `rand` dependency).
pub struct Xorshift(u64);

impl Xorshift {
    /// Any seed gives a usable state (never zero).
    pub fn new(seed: u64) -> Xorshift {
        Xorshift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

/// Inputs larger than this are cut (the targets look for logic errors, not for slowness on
/// megabytes; `scan` bounds its own inputs elsewhere).
const MAX_INPUT: usize = 1 << 20;

fn cut(data: &[u8]) -> &[u8] {
    &data[..data.len().min(MAX_INPUT)]
}

fn builtin_scanner() -> &'static Scanner {
    static SCANNER: OnceLock<Scanner> = OnceLock::new();
    SCANNER.get_or_init(|| Scanner::new(RuleSet::builtin().expect("built-in rules build")))
}

/// Every finding lies inside `hay`, has consistent line and column numbers, and is shown
/// redacted (at most [`MAX_SHOWN_PREFIX`] characters and a fifth of its characters); no
/// excerpt holds the whole value of a secret of 12 characters or more.
pub fn check_findings(hay: &[u8], found: &BufferFindings) {
    for f in found
        .findings
        .iter()
        .chain(found.suppressed.iter().map(|(f, _)| f))
    {
        assert!(
            f.start < f.end && f.end <= hay.len(),
            "finding {}..{} outside an input of {} bytes",
            f.start,
            f.end,
            hay.len()
        );
        // A finding inside base64 or percent-encoded text is reported at the encoded span
        // with the decoded value (`scan::encoded`), so only the span is checked here, not that
        // the value is its bytes.
        let line = 1 + memchr::memchr_iter(b'\n', &hay[..f.start]).count();
        let end_line = 1 + memchr::memchr_iter(b'\n', &hay[..f.end]).count();
        assert_eq!((f.line, f.end_line), (line, end_line), "line numbers");
        assert!(f.column >= 1 && f.end_column >= 1, "columns are 1-based");
        if f.line == f.end_line {
            assert!(f.end_column > f.column, "end column before start column");
        }
        check_redaction(f.secret.expose());
        let whole = String::from_utf8_lossy(f.secret.expose());
        if f.secret.len() >= 12 && whole.chars().count() >= 12 {
            assert!(
                !f.excerpt.contains(&*whole),
                "the excerpt shows the whole secret"
            );
        }
    }
}

/// The redacted form of `secret` is exactly its first `min(characters / 5, 8)` characters
/// (escaped) followed by `…(LEN chars)`: never more of it.
pub fn check_redaction(secret: &[u8]) {
    let s = crate::scan::Secret::new(secret);
    let shown = s.shown_prefix_len();
    let chars = String::from_utf8_lossy(secret).chars().count();
    assert!(
        shown <= MAX_SHOWN_PREFIX && shown <= secret.len() / 5 && shown <= chars / 5,
        "{shown} characters shown of a {chars}-character secret"
    );
    let prefix: String = String::from_utf8_lossy(secret)
        .chars()
        .take(shown)
        .flat_map(char::escape_default)
        .collect();
    assert_eq!(
        s.redacted(),
        format!("{prefix}…({} chars)", secret.len()),
        "redaction format"
    );
}

/// `scan_bytes`: the built-in scanner on arbitrary bytes.
pub fn scan_bytes(data: &[u8]) {
    let hay = cut(data);
    let mut scratch = Scratch::default();
    let found = builtin_scanner()
        .scan_buffer(&InputName::plain("fuzz/input"), hay, &mut scratch)
        .expect("the built-in rules always compile");
    check_findings(hay, &found);
}

/// Builds every user rule's regexes and scans `hay` with `rules`: errors are fine, panics and
/// out-of-range findings are not.
fn exercise_rules(rules: RuleSet, first_user_rule: usize, hay: &[u8]) {
    for rule in &rules.rules()[first_user_rule.min(rules.len())..] {
        let _ = rule.compiled();
    }
    let scanner = Scanner::new(rules);
    let mut scratch = Scratch::default();
    if let Ok(found) = scanner.scan_buffer(&InputName::plain("fuzz/input"), hay, &mut scratch) {
        check_findings(hay, &found);
    }
}

/// A buffer that holds every keyword of the rules from `first`, so their regexes run.
fn keyword_buffer(rules: &RuleSet, first: usize, tail: &[u8]) -> Vec<u8> {
    let mut hay = Vec::new();
    for rule in &rules.rules()[first.min(rules.len())..] {
        for kw in &rule.def.keywords {
            hay.extend_from_slice(kw.as_bytes());
            hay.extend_from_slice(b" = \"Zx81QmT0vKp3Lr7Wn2Ys5Hd9Fb4Gc6Ja\"\n");
        }
    }
    hay.extend_from_slice(&tail[..tail.len().min(4096)]);
    hay
}

/// `config_parse`: `.amplihack-remote.toml` text, then the rule set and allowlist built from
/// it, then a scan with them.
pub fn config_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(cut(data)) else {
        return;
    };
    let Ok(config) = Config::parse(text, "fuzz.toml") else {
        return;
    };
    let loaded = LoadedConfig {
        config,
        path: None,
        root: std::path::PathBuf::from("."),
    };
    let user_rules = loaded.config.rules.len();
    let _ = crate::scan::allowlist::Allowlist::new(&loaded.config.allowlist);
    if user_rules == 0 && loaded.config.disable_rules.is_empty() {
        return; // the built-in rules alone: nothing of the input reaches them
    }
    let Ok(rules) = crate::scan::rule_set_from_config(&loaded) else {
        return;
    };
    let first = rules.len().saturating_sub(user_rules);
    let hay = keyword_buffer(&rules, first, data);
    exercise_rules(rules, first, &hay);
}

/// `rule_file_parse`: a rule file (`docs/rules.md`), then a rule set of its rules alone.
pub fn rule_file_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(cut(data)) else {
        return;
    };
    let Ok(defs) = parse_rule_file("fuzz.toml", text) else {
        return;
    };
    let mut builder = RuleSet::builder().without_builtin();
    for def in defs {
        builder = builder.rule(def, "fuzz.toml");
    }
    let Ok(rules) = builder.build() else {
        return;
    };
    let _ = crate::scan::rules::check::check(&rules);
    let hay = keyword_buffer(&rules, 0, data);
    exercise_rules(rules, 0, &hay);
}

/// `baseline_parse`: a baseline file; a parsed one survives a write and re-read unchanged.
pub fn baseline_parse(data: &[u8]) {
    let Ok(b) = Baseline::parse(cut(data), "fuzz.json") else {
        return;
    };
    let again = Baseline::parse(b.to_json().as_bytes(), "again.json").expect("re-read");
    assert_eq!(
        b.to_json(),
        again.to_json(),
        "a baseline changes when written and read back"
    );
}

/// `manifest_parse`: a package manifest; a parsed one survives a write and re-read unchanged.
pub fn manifest_parse(data: &[u8]) {
    let Ok(m) = Manifest::parse(cut(data)) else {
        return;
    };
    let again = Manifest::parse(&m.to_bytes()).expect("a written manifest re-reads");
    assert_eq!(m, again, "a manifest changes when written and read back");
}

/// The fixed key the archive target signs with (a test key, never a real one).
pub fn fuzz_signing_key() -> SigningKey {
    SigningKey::from_bytes(&[0x42; 32])
}

/// The SHA-256 of the first `manifest.json` entry of a tar stream (zeros if none), read with
/// bounds.
fn manifest_sha_of_tar(tar_bytes: impl Read) -> String {
    let mut archive = tar::Archive::new(tar_bytes.take(16 << 20));
    if let Ok(entries) = archive.entries() {
        for entry in entries {
            let Ok(mut e) = entry else { break };
            if &*e.path_bytes() == b"manifest.json" {
                let mut bytes = Vec::new();
                if (&mut e).take(16 << 20).read_to_end(&mut bytes).is_ok() {
                    return crate::digest::sha256_hex(&bytes);
                }
                break;
            }
        }
    }
    "0".repeat(64)
}

/// One entry of an archive built by [`build_entries_archive`].
struct RawEntry {
    kind: u8,
    name: Vec<u8>,
    content: Vec<u8>,
}

/// Parses `[flags][name length][name][content length u16 LE][content]...`.
fn raw_entries(mut data: &[u8]) -> Vec<RawEntry> {
    let mut out = Vec::new();
    while data.len() >= 2 && out.len() < 64 {
        let kind = data[0];
        let name_len = (data[1] as usize).min(data.len() - 2);
        let name = data[2..2 + name_len].to_vec();
        data = &data[2 + name_len..];
        let content_len = if data.len() >= 2 {
            let n = u16::from_le_bytes([data[0], data[1]]) as usize;
            data = &data[2..];
            n.min(data.len())
        } else {
            data = &[];
            0
        };
        out.push(RawEntry {
            kind,
            name,
            content: data[..content_len].to_vec(),
        });
        data = &data[content_len..];
    }
    out
}

/// A tar stream of the entries of `data` plus a `manifest.json` that lists them (with their
/// real sizes and digests unless the entry's flags ask for a lie). Names are raw bytes
/// written into the header (`..`, absolute paths and all), types come from the flags.
fn build_entries_archive(data: &[u8]) -> Vec<u8> {
    let entries = raw_entries(data);
    let mut listed = Vec::new();
    for e in &entries {
        if e.kind & 0x40 != 0 {
            continue; // not listed
        }
        let mut size = e.content.len() as u64;
        if e.kind & 0x80 != 0 {
            size = size.wrapping_add(1); // declared smaller than it is, or larger
        }
        let sha = if e.kind & 0x20 != 0 {
            "0".repeat(64)
        } else {
            crate::digest::sha256_hex(&e.content)
        };
        listed.push(Entry {
            path: String::from_utf8_lossy(&e.name).into_owned(),
            size,
            sha256: sha,
            mode: if e.kind & 0x10 != 0 { 0o755 } else { 0o644 },
        });
    }
    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        tool: Tool {
            name: "amplihack-remote".into(),
            version: "fuzz".into(),
        },
        created_from: Source {
            head: None,
            head_ref: None,
            refs: BTreeMap::new(),
            snapshot: None,
        },
        mtime: 0,
        entries: listed,
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
    };
    let mut builder = tar::Builder::new(Vec::new());
    let manifest_bytes = manifest.to_bytes();
    let mut h = tar::Header::new_ustar();
    h.set_size(manifest_bytes.len() as u64);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    let _ = h.set_path("manifest.json");
    h.set_cksum();
    let _ = builder.append(&h, &manifest_bytes[..]);
    for e in &entries {
        let mut h = tar::Header::new_old();
        let kind = match e.kind & 0x07 {
            0 | 1 => tar::EntryType::Regular,
            2 => tar::EntryType::Directory,
            3 => tar::EntryType::Symlink,
            4 => tar::EntryType::Link,
            5 => tar::EntryType::Char,
            6 => tar::EntryType::Fifo,
            _ => tar::EntryType::new(e.kind >> 3),
        };
        h.set_entry_type(kind);
        h.set_mode(0o644);
        let name = &e.name[..e.name.len().min(99)];
        h.as_old_mut().name[..name.len()].copy_from_slice(name);
        if matches!(kind, tar::EntryType::Symlink | tar::EntryType::Link) {
            let target = &e.content[..e.content.len().min(99)];
            h.as_old_mut().linkname[..target.len()].copy_from_slice(target);
            h.set_size(0);
            h.set_cksum();
            let _ = builder.append(&h, &[][..]);
        } else {
            h.set_size(e.content.len() as u64);
            h.set_cksum();
            let _ = builder.append(&h, &e.content[..]);
        }
    }
    builder.into_inner().unwrap_or_default()
}

/// Writes `archive` and a signature by [`fuzz_signing_key`] over it (or the raw `sig`
/// bytes), runs `verify` and `unpack` into a fresh directory, and checks that nothing was
/// written anywhere but there, that a refused archive left nothing behind, and that an
/// accepted one produced exactly the files its manifest lists, with their digests.
fn verify_and_unpack(archive: &[u8], sig: Option<&[u8]>) -> Option<usize> {
    let key = fuzz_signing_key();
    let root = tempfile_dir();
    let case = root.join("case");
    std::fs::create_dir(&case).expect("mkdir");
    let archive_path = case.join("context.tar.zst");
    std::fs::write(&archive_path, archive).expect("write archive");
    let sig_bytes = match sig {
        Some(s) => s.to_vec(),
        None => {
            let manifest_sha = match zstd::stream::read::Decoder::new(archive) {
                Ok(d) => manifest_sha_of_tar(d),
                Err(_) => "0".repeat(64),
            };
            let archive_sha = crate::digest::sha256_hex(archive);
            sign(&key, &manifest_sha, &archive_sha).to_bytes()
        }
    };
    std::fs::write(signature_path(&archive_path), sig_bytes).expect("write signature");
    let trusted = key.verifying_key();
    let verified = crate::package::verify::verify(&archive_path, &trusted);
    let out = case.join("out");
    let unpacked = crate::package::unpack::unpack(&archive_path, &out, &trusted);
    if let (Ok(v), Ok(_)) = (&verified, &unpacked) {
        assert!(v.ok(), "unpack accepted an archive verify refused");
    }
    // Nothing but the case directory in the root, nothing but our files and `out` in it.
    let top: Vec<_> = names(&root);
    assert_eq!(
        top,
        vec!["case".to_string()],
        "something was written outside"
    );
    let mut inside = names(&case);
    inside.retain(|n| n != "out");
    assert_eq!(
        inside,
        vec![
            "context.tar.zst".to_string(),
            "context.tar.zst.sig".to_string()
        ],
        "something was written next to the output directory"
    );
    let outcome = match unpacked {
        Err(_) => {
            assert!(
                std::fs::symlink_metadata(&out).is_err(),
                "a refused archive left {} behind",
                out.display()
            );
            None
        }
        Ok(count) => {
            let manifest = verified
                .ok()
                .and_then(|v| v.manifest)
                .expect("an unpacked archive has a manifest");
            let mut files = Vec::new();
            walk_regular(&out, &out, &mut files);
            files.sort();
            let mut declared: Vec<(String, u64, String)> = manifest
                .entries
                .iter()
                .map(|e| (e.path.clone(), e.size, e.sha256.clone()))
                .collect();
            declared.sort();
            assert_eq!(count, files.len(), "count of files written");
            assert_eq!(files, declared, "the files written are not the manifest's");
            Some(count)
        }
    };
    let _ = std::fs::remove_dir_all(&root);
    outcome
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Every regular file under `dir` as `(relative path, size, sha256)`; anything that is
/// neither a regular file nor a directory (a link, a device) fails the check.
fn walk_regular(base: &Path, dir: &Path, out: &mut Vec<(String, u64, String)>) {
    for e in std::fs::read_dir(dir).expect("read_dir") {
        let e = e.expect("entry");
        let p = e.path();
        let meta = std::fs::symlink_metadata(&p).expect("lstat");
        if meta.is_dir() {
            walk_regular(base, &p, out);
        } else {
            assert!(
                meta.is_file(),
                "unpack wrote a non-regular file {}",
                p.display()
            );
            let rel = p
                .strip_prefix(base)
                .expect("inside")
                .to_string_lossy()
                .into_owned();
            let bytes = std::fs::read(&p).expect("read");
            out.push((rel, meta.len(), crate::digest::sha256_hex(&bytes)));
        }
    }
}

/// A fresh private directory under the system temporary directory.
fn tempfile_dir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let dir =
        std::env::temp_dir().join(format!("amplihack-remote-fuzz-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir temp");
    dir
}

/// `archive_verify_unpack`. The first byte picks how the rest is used:
/// - `0`: a `.tar.zst` archive, signed by the fixed key (so only its content decides);
/// - `1`: a tar stream, compressed and signed by the harness;
/// - `2`: a list of entries (`[flags][name length][name][u16 LE length][content]...`) made into an archive with a
///   manifest listing them, compressed and signed;
/// - `3`: the signature file's bytes, for an archive of one `.claude` file;
/// - else: a `.tar.zst` archive with no valid signature.
pub fn archive_verify_unpack(data: &[u8]) {
    let _ = archive_outcome(data);
}

/// [`archive_verify_unpack`], returning how many files were unpacked (`None`: refused).
pub fn archive_outcome(data: &[u8]) -> Option<usize> {
    let (&mode, rest) = data.split_first()?;
    let rest = cut(rest);
    match mode {
        0 => verify_and_unpack(rest, None),
        1 => {
            let z = zstd::encode_all(rest, 1).expect("compress");
            verify_and_unpack(&z, None)
        }
        2 => {
            let z = zstd::encode_all(&build_entries_archive(rest)[..], 1).expect("compress");
            verify_and_unpack(&z, None)
        }
        3 => {
            let mut entries = vec![0u8, 9];
            entries.extend_from_slice(b".claude/s");
            entries.extend_from_slice(&[3, 0, b'a', b'b', b'c']);
            let z = zstd::encode_all(&build_entries_archive(&entries)[..], 1).expect("compress");
            verify_and_unpack(&z, Some(rest))
        }
        _ => verify_and_unpack(rest, Some(b"{}")),
    }
}

/// `azlin_parsers`: `azlin list` / `azlin show` JSON and the VM's `status.json`.
#[cfg(feature = "exec")]
pub fn azlin_parsers(data: &[u8]) {
    use crate::remote::parse::{is_running, parse_list, parse_show, parse_status};
    let data = cut(data);
    if let Ok(vms) = parse_list(data) {
        assert!(vms.len() <= 10_000, "more VMs than the bound");
        for vm in &vms {
            assert!(!vm.name.is_empty(), "a listed VM without a name");
            let _ = is_running(vm.power_state.as_deref());
        }
    }
    if let Ok(vm) = parse_show(data) {
        let _ = is_running(vm.power_state.as_deref());
    }
    if let Ok(status) = parse_status(data) {
        let again = serde_json::json!({
            "exit": status.exit,
            "timed_out": status.timed_out,
            "bundle": status.bundle,
            "logs": status.logs,
        });
        assert_eq!(
            parse_status(again.to_string().as_bytes()).expect("re-read"),
            status
        );
    }
}

/// `pack_delta`: git delta application (`git::pack::apply_delta`). The first byte splits the
/// rest into a base and a delta (at `first * rest.len() / 256`). Errors are expected; on
/// success the target has the header's size, at most the limit, and the inserted ranges are
/// sorted, disjoint, merged and inside it; the same delta under a limit one byte smaller than
/// its target is refused.
pub fn pack_delta(data: &[u8]) {
    use crate::git::pack::{apply_delta, delta_sizes, DeltaError};
    const LIMIT: u64 = 1 << 16;
    let Some((&first, rest)) = cut(data).split_first() else {
        return;
    };
    let (base, delta) = rest.split_at(usize::from(first) * rest.len() / 256);
    let Ok((out, inserted)) = apply_delta(base, delta, LIMIT) else {
        return;
    };
    let (source, target, _) = delta_sizes(delta).expect("an applied delta has a header");
    assert_eq!(source, base.len() as u64, "source size");
    assert_eq!(out.len() as u64, target, "target size");
    assert!(target <= LIMIT);
    let mut end = None;
    for r in &inserted {
        assert!(
            r.start < r.end && r.end <= out.len(),
            "range {r:?} outside the target"
        );
        if let Some(e) = end {
            assert!(
                r.start > e,
                "ranges sorted, disjoint and merged: {inserted:?}"
            );
        }
        end = Some(r.end);
    }
    if target > 0 {
        assert_eq!(
            apply_delta(base, delta, target - 1).err(),
            Some(DeltaError::TargetTooLarge {
                declared: target,
                limit: target - 1
            })
        );
    }
}

/// `pack_files`: a pack index and its pack file, as the in-process reader finds them in a
/// repository (`git::pack`). Input: a little-endian `u32` index length, the index, then the
/// pack. The reader opens the directory and visits every blob: no panic, and every blob it
/// hands out hashes to its id (the property the history scan relies on), with inserted
/// ranges sorted, disjoint and inside the content.
pub fn pack_files(data: &[u8]) {
    use crate::git::pack::{ObjectId, PackLimits, PackedObjects};
    let data = cut(data);
    let Some((len, rest)) = data.split_first_chunk::<4>() else {
        return;
    };
    let at = (u32::from_le_bytes(*len) as usize).min(rest.len());
    let (idx, pack) = rest.split_at(at);
    let objects = tempfile_dir();
    let dir = objects.join("pack");
    std::fs::create_dir_all(&dir).expect("mkdir pack");
    let name = "pack-0000000000000000000000000000000000000000";
    std::fs::write(dir.join(format!("{name}.idx")), idx).expect("write idx");
    std::fs::write(dir.join(format!("{name}.pack")), pack).expect("write pack");
    let packs = PackedObjects::open(&objects).expect("a listable directory opens");
    let limits = PackLimits {
        max_object: 1 << 20,
        max_chain_bytes: 4 << 20,
    };
    let visit = |b: crate::git::pack::PackedBlob<'_>| {
        assert_eq!(
            ObjectId::for_blob(b.content),
            b.id,
            "a visited blob hashes to its id"
        );
        let mut end = 0;
        for r in b.inserted.unwrap_or(&[]) {
            assert!(r.start >= end && r.start < r.end && r.end <= b.content.len());
            end = r.end;
        }
        true
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("one thread");
    let stats = pool.install(|| packs.for_each_blob(&limits, &visit));
    assert!(stats.skipped.len() as u64 <= stats.skipped_total);
    let _ = std::fs::remove_dir_all(&objects);
}

/// One target's check.
pub type Check = fn(&[u8]);

/// Every target by name (`fuzz/fuzz_targets/NAME.rs` calls the same function).
pub const TARGETS: &[(&str, Check)] = &[
    ("scan_bytes", scan_bytes),
    ("config_parse", config_parse),
    ("rule_file_parse", rule_file_parse),
    ("baseline_parse", baseline_parse),
    ("manifest_parse", manifest_parse),
    ("archive_verify_unpack", archive_verify_unpack),
    ("pack_delta", pack_delta),
    ("pack_files", pack_files),
    #[cfg(feature = "exec")]
    ("azlin_parsers", azlin_parsers),
];
