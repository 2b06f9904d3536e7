//! `package`, `verify` and `key`: the scan gate over everything that ships, the archive and
//! its signature, tampering, the size guard, and the user's repository left untouched.

use std::path::{Path, PathBuf};
use std::process::Output;

use super::support::*;

/// A repository with `.claude/` and one commit, plus a private config directory for the key
/// and an output directory outside the repository.
struct Fixture {
    repo: tempfile::TempDir,
    cfg: tempfile::TempDir,
    out: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let repo = git_repo();
        let dir = repo.path();
        write(dir, ".claude/settings.json", "{\"model\": \"opus\"}\n");
        write(dir, ".claude/agents/reviewer.md", "# Reviewer\n");
        write(dir, "src/main.rs", "fn main() {}\n");
        write(dir, "README.md", "hello\n");
        git(dir, &["add", "-A"]);
        git(dir, &["commit", "-q", "-m", "init"]);
        Fixture {
            repo,
            cfg: tempfile::tempdir().unwrap(),
            out: tempfile::tempdir().unwrap(),
        }
    }

    /// [`Fixture::new`] plus a committed, clean `deploy/.env.example` (a tracked file that
    /// matches the exclusion pattern `.env*`).
    fn with_clean_env_example() -> Fixture {
        let f = Fixture::new();
        write(
            f.dir(),
            "deploy/.env.example",
            "API_URL=https://example.invalid\n",
        );
        f.commit("env example");
        f
    }

    fn dir(&self) -> &Path {
        self.repo.path()
    }

    fn archive(&self) -> PathBuf {
        self.out.path().join("context.tar.zst")
    }

    fn run(&self, args: &[&str]) -> Output {
        run_env(
            self.dir(),
            args,
            &[("AMPLIHACK_REMOTE_CONFIG_DIR", self.cfg.path())],
        )
    }

    fn package(&self, extra: &[&str]) -> Output {
        let archive = self.archive();
        let mut args = vec!["package", "-o", archive.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    fn verify(&self) -> Output {
        let archive = self.archive();
        self.run(&["verify", archive.to_str().unwrap()])
    }

    fn commit(&self, message: &str) -> String {
        git(self.dir(), &["add", "-A"]);
        git(self.dir(), &["commit", "-q", "-m", message]);
        git(self.dir(), &["rev-parse", "--short", "HEAD"])
            .trim()
            .to_string()
    }

    /// Nothing was written next to where the archive would go.
    fn assert_nothing_written(&self) {
        let left: Vec<_> = std::fs::read_dir(self.out.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert!(left.is_empty(), "files left behind: {left:?}");
    }
}

fn both(o: &Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

/// Packages (expecting a finding), and checks that nothing was written and the repository
/// did not change.
fn assert_blocked(f: &Fixture, expect: &[&str]) -> String {
    let before = tree_digest(f.dir());
    let out = f.package(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    let text = stdout(&out);
    assert!(text.contains("Secret detected during packaging"), "{text}");
    assert!(text.contains("Action required:"), "{text}");
    for e in expect {
        assert!(text.contains(e), "expected {e:?} in:\n{text}");
    }
    f.assert_nothing_written();
    assert_eq!(before, tree_digest(f.dir()), "the repository changed");
    text
}

#[test]
fn clean_repository_gives_an_archive_that_verifies_and_the_repository_is_unchanged() {
    let f = Fixture::new();
    let dir = f.dir();
    // Uncommitted work of every kind, a stash, another branch, a staged change.
    git(dir, &["checkout", "-q", "-b", "feature"]);
    write(dir, "feature.txt", "feature\n");
    f.commit("feature");
    git(dir, &["checkout", "-q", "main"]);
    write(dir, "README.md", "stashed\n");
    git(dir, &["stash", "-q"]);
    write(dir, "src/main.rs", "fn main() { println!(\"hi\"); }\n");
    write(dir, "staged.txt", "staged\n");
    git(dir, &["add", "staged.txt"]);
    write(dir, "untracked.txt", "untracked\n");
    write(dir, ".claude/untracked-note.md", "note\n");
    let before = tree_digest(dir);
    let out = f.package(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert!(stdout(&out).contains("Packaged"), "{}", stdout(&out));
    assert_eq!(before, tree_digest(dir), "the repository changed");
    assert!(f.archive().is_file());
    assert!(f.out.path().join("context.tar.zst.sig").is_file());
    let v = f.verify();
    assert_eq!(v.status.code(), Some(0), "{}", both(&v));
    assert!(stdout(&v).contains("OK:"), "{}", stdout(&v));

    // The bundle restores every branch and the snapshot of exactly what the user sees.
    let (x, target) = unpacked(&f);
    assert_eq!(
        std::fs::read_to_string(target.join(".claude/untracked-note.md")).unwrap(),
        "note\n"
    );
    let bundle = target.join("repo.bundle");
    let heads = git(
        x.path(),
        &["bundle", "list-heads", bundle.to_str().unwrap()],
    );
    assert!(heads.contains("refs/heads/main"), "{heads}");
    assert!(heads.contains("refs/heads/feature"), "{heads}");
    assert!(heads.contains("refs/stash"), "{heads}");
    assert!(heads.contains("refs/amplihack-remote/snapshot"), "{heads}");
    let clone = x.path().join("clone");
    git(
        x.path(),
        &[
            "clone",
            "-q",
            bundle.to_str().unwrap(),
            clone.to_str().unwrap(),
        ],
    );
    fetch_snapshot(&clone, &bundle);
    git(&clone, &["checkout", "-q", "refs/snap"]);
    for (path, content) in [
        ("src/main.rs", "fn main() { println!(\"hi\"); }\n"),
        ("staged.txt", "staged\n"),
        ("untracked.txt", "untracked\n"),
        ("README.md", "hello\n"),
    ] {
        assert_eq!(
            std::fs::read_to_string(clone.join(path)).unwrap(),
            content,
            "{path}"
        );
    }
}

#[test]
fn secret_only_in_an_old_commit_stops_packaging() {
    let f = Fixture::new();
    let key = Fake::new(60).anthropic_key();
    write(f.dir(), "src/settings.py", &format!("KEY = '{key}'\n"));
    let leaked = f.commit("oops");
    write(f.dir(), "src/settings.py", "KEY = os.environ['KEY']\n");
    f.commit("fix");
    let text = assert_blocked(
        &f,
        &[&format!(
            "src/settings.py:1:8 (commit {leaked}): anthropic-api-key"
        )],
    );
    assert!(!text.contains(&key));
}

/// In a packed history (after `git gc`), the packager's history scan decodes the user's packs
/// through its staging repository's borrowed object directory: a secret in a delta-compressed
/// old version, and one in a version since removed, still stop packaging, named as before.
#[test]
fn secrets_in_a_packed_history_stop_packaging() {
    let f = Fixture::new();
    let dir = f.dir();
    let lines: Vec<String> = (0..300).map(|i| format!("value_{i} = {i}")).collect();
    write(dir, "src/settings.py", &(lines.join("\n") + "\n"));
    f.commit("settings");
    let key = Fake::new(62).anthropic_key();
    let mut with_key = lines.clone();
    with_key.insert(150, format!("KEY = '{key}'"));
    write(dir, "src/settings.py", &(with_key.join("\n") + "\n"));
    let leaked = f.commit("key in the middle");
    for i in 0..5 {
        let mut edited = lines.clone();
        edited.insert(20 + i, format!("edit_{i} = True"));
        write(dir, "src/settings.py", &(edited.join("\n") + "\n"));
        f.commit(&format!("edit {i}"));
    }
    git(dir, &["gc", "-q", "--aggressive"]);
    let text = assert_blocked(
        &f,
        &[&format!(
            "src/settings.py:151:8 (commit {leaked}): anthropic-api-key"
        )],
    );
    assert!(!text.contains(&key));
}

#[test]
fn secret_only_in_a_merge_commit_stops_packaging() {
    let f = Fixture::new();
    let dir = f.dir();
    git(dir, &["checkout", "-q", "-b", "side"]);
    write(dir, "side.txt", "side\n");
    f.commit("side");
    git(dir, &["checkout", "-q", "main"]);
    write(dir, "main.txt", "main\n");
    f.commit("main");
    git(dir, &["merge", "-q", "--no-ff", "--no-commit", "side"]);
    write(
        dir,
        "deploy/token.txt",
        &format!("GITHUB_TOKEN={}\n", Fake::new(61).github_pat()),
    );
    let merge = f.commit("merge");
    write(dir, "deploy/token.txt", "GITHUB_TOKEN=${GITHUB_TOKEN}\n");
    f.commit("remove");
    assert_blocked(&f, &[&format!("deploy/token.txt:1:14 (commit {merge})")]);
}

#[test]
fn secret_only_in_an_untracked_ignored_claude_file_stops_packaging() {
    let f = Fixture::new();
    write(f.dir(), ".gitignore", ".claude/runtime/\n");
    f.commit("ignore runtime");
    write(
        f.dir(),
        ".claude/runtime/state.json",
        &format!("{{\"aws\": \"{}\"}}\n", Fake::new(62).aws_access_key_id()),
    );
    assert_blocked(&f, &[".claude/runtime/state.json:1:"]);
}

#[test]
fn secret_only_in_an_uncommitted_change_stops_packaging() {
    let f = Fixture::new();
    write(
        f.dir(),
        "src/main.rs",
        &format!(
            "const K: &str = \"{}\";\nfn main() {{}}\n",
            Fake::new(63).anthropic_key()
        ),
    );
    assert_blocked(&f, &["src/main.rs:1:", "uncommitted work"]);

    // An untracked new file too.
    let g = Fixture::new();
    write(
        g.dir(),
        "notes/todo.md",
        &format!("token {}\n", Fake::new(64).github_pat()),
    );
    assert_blocked(&g, &["notes/todo.md:1:", "uncommitted work"]);
}

#[test]
fn exclusions_apply_at_any_depth_and_history_files_matching_them_are_scanned_and_named() {
    // A tracked, clean file matching a pattern rides in the history: a warning.
    let f = Fixture::with_clean_env_example();
    let dir = f.dir();
    // Untracked, excluded at depth: never taken from the work tree, so never a finding.
    let key = Fake::new(65).anthropic_key();
    write(dir, "config/.env", &format!("ANTHROPIC_API_KEY={key}\n"));
    write(dir, "web/node_modules/x/index.js", &format!("k='{key}'\n"));
    write(dir, "a/b/.DS_Store", "junk\n");
    write(dir, ".claude/runtime/logs/run.log", &format!("{key}\n"));
    write(dir, ".claude/sub/server.pem", "not shipped\n");
    let out = f.package(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let err = stderr(&out);
    assert!(
        err.contains(
            "deploy/.env.example is in the git history and matches the exclusion pattern `.env*`"
        ),
        "{err}"
    );
    let manifest = read_manifest(&f.archive());
    let paths: Vec<&str> = manifest["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        vec![
            ".claude/agents/reviewer.md",
            ".claude/settings.json",
            "repo.bundle"
        ]
    );

    // The same `.env` file committed with a secret in it is in the bundle: it is a finding.
    write(
        dir,
        "deploy/.env.example",
        &format!("ANTHROPIC_API_KEY={key}\n"),
    );
    git(dir, &["add", "deploy/.env.example"]);
    git(dir, &["commit", "-q", "-m", "real env"]);
    std::fs::remove_file(f.archive()).unwrap();
    std::fs::remove_file(f.out.path().join("context.tar.zst.sig")).unwrap();
    assert_blocked(&f, &["deploy/.env.example:1:"]);
}

/// The archive unpacked (with `unpack`, so verified) into `ctx` of a new temporary directory.
fn unpacked(f: &Fixture) -> (tempfile::TempDir, PathBuf) {
    let x = tempfile::tempdir().unwrap();
    let target = x.path().join("ctx");
    let u = f.run(&[
        "unpack",
        f.archive().to_str().unwrap(),
        target.to_str().unwrap(),
    ]);
    assert_eq!(u.status.code(), Some(0), "{}", both(&u));
    (x, target)
}

/// Fetches the packager's snapshot commit from `bundle` into `repo` as `refs/snap`.
fn fetch_snapshot(repo: &Path, bundle: &Path) {
    git(
        repo,
        &[
            "fetch",
            "-q",
            bundle.to_str().unwrap(),
            "refs/amplihack-remote/snapshot:refs/snap",
        ],
    );
}

/// The snapshot commit of a bundle (the packager's `refs/amplihack-remote/snapshot`), as
/// `path → content` of its tree.
fn snapshot_files(f: &Fixture) -> std::collections::BTreeMap<String, String> {
    let (x, target) = unpacked(f);
    let copy = x.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    git(&copy, &["init", "-q"]);
    fetch_snapshot(&copy, &target.join("repo.bundle"));
    git(&copy, &["ls-tree", "-r", "--name-only", "refs/snap"])
        .lines()
        .map(|p| {
            (
                p.to_string(),
                git(&copy, &["show", &format!("refs/snap:{p}")]),
            )
        })
        .collect()
}

#[test]
fn staged_changes_to_excluded_files_are_not_taken_even_before_the_first_commit() {
    let key = Fake::new(66).anthropic_key();
    // A tracked file matching an exclusion pattern, clean in HEAD, with a secret staged in it,
    // and an excluded file staged by force: the snapshot keeps HEAD's version and leaves the
    // new one out, so nothing excluded ships and packaging goes on.
    let f = Fixture::with_clean_env_example();
    let dir = f.dir();
    write(
        dir,
        "deploy/.env.example",
        &format!("ANTHROPIC_API_KEY={key}\n"),
    );
    write(dir, "config/.env", &format!("ANTHROPIC_API_KEY={key}\n"));
    write(dir, "notes.txt", "staged note\n");
    git(
        dir,
        &[
            "add",
            "-f",
            "deploy/.env.example",
            "config/.env",
            "notes.txt",
        ],
    );
    let out = f.package(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let files = snapshot_files(&f);
    assert_eq!(
        files.get("deploy/.env.example").map(String::as_str),
        Some("API_URL=https://example.invalid\n")
    );
    assert!(!files.contains_key("config/.env"), "{files:?}");
    assert_eq!(
        files.get("notes.txt").map(String::as_str),
        Some("staged note\n")
    );

    // Before the first commit (no HEAD): the same for a forced `.env`; the rest is taken.
    let f = Fixture::new();
    let dir = f.dir();
    std::fs::remove_dir_all(dir.join(".git")).unwrap();
    git(dir, &["init", "-q", "-b", "main"]);
    write(dir, "config/.env", &format!("ANTHROPIC_API_KEY={key}\n"));
    git(dir, &["add", "-f", "config/.env", "README.md"]);
    let out = f.package(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let files = snapshot_files(&f);
    assert!(!files.contains_key("config/.env"), "{files:?}");
    for path in ["README.md", "src/main.rs", ".claude/settings.json"] {
        assert!(files.contains_key(path), "{path} missing: {files:?}");
    }
}

#[test]
fn suppressions_and_the_baseline_apply() {
    let f = Fixture::new();
    write(
        f.dir(),
        "tests/fixture.py",
        &format!(
            "KEY = '{}'  # amplihack-remote:allow\n",
            Fake::new(66).anthropic_key()
        ),
    );
    f.commit("fixture");
    let out = f.package(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert_eq!(read_manifest(&f.archive())["scan"]["suppressed"], 1);
}

#[test]
fn over_the_limit_fails_early_and_leaves_no_partial_file() {
    let f = Fixture::new();
    // 4 MB that does not compress.
    let mut fake = Fake::new(67);
    let noise = fake.alnum(4 * 1024 * 1024);
    write(f.dir(), "assets/blob.bin", &noise);
    f.commit("big");
    let before = tree_digest(f.dir());
    let out = f.package(&["--max-size", "1MB"]);
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
    let err = stderr(&out);
    assert!(err.contains("exceeds limit (1.0 MB)"), "{err}");
    assert!(err.contains("repo.bundle"), "{err}");
    assert!(
        err.contains("assets/blob.bin (in the git history)"),
        "{err}"
    );
    f.assert_nothing_written();
    assert_eq!(before, tree_digest(f.dir()));
    // Within the limit it works.
    assert_eq!(f.package(&["--max-size", "20MB"]).status.code(), Some(0));
}

#[test]
fn preflight_errors_are_actionable() {
    let f = Fixture::new();
    std::fs::remove_dir_all(f.dir().join(".claude")).unwrap();
    let out = f.package(&[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(".claude directory not found in repository"),
        "{err}"
    );
    assert!(err.contains("Action required:"), "{err}");

    // A .claude that is a link would package its target, from outside the repository.
    let elsewhere = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), f.dir().join(".claude")).unwrap();
    let out = f.package(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(".claude is a symbolic link"),
        "{}",
        stderr(&out)
    );
    std::fs::remove_file(f.dir().join(".claude")).unwrap();

    let plain = tempfile::tempdir().unwrap();
    let out = run_env(
        plain.path(),
        &["package", "--dry-run"],
        &[("AMPLIHACK_REMOTE_CONFIG_DIR", f.cfg.path())],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not inside a git work tree"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn dry_run_writes_nothing() {
    let f = Fixture::new();
    let out = f.package(&["--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert!(stdout(&out).contains("Would package:"), "{}", stdout(&out));
    f.assert_nothing_written();
}

#[test]
fn same_inputs_give_the_same_tar_layout() {
    let f = Fixture::new();
    assert_eq!(f.package(&[]).status.code(), Some(0));
    let first = tar_layout(&f.archive());
    std::fs::remove_file(f.archive()).unwrap();
    std::fs::remove_file(f.out.path().join("context.tar.zst.sig")).unwrap();
    assert_eq!(f.package(&[]).status.code(), Some(0));
    let second = tar_layout(&f.archive());
    assert_eq!(first, second);
    let names: Vec<&str> = first.iter().map(|l| l.0.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    let head_time: u64 = git(f.dir(), &["log", "-1", "--format=%ct"])
        .trim()
        .parse()
        .unwrap();
    for (name, mode, mtime, uid, gid, user) in &first {
        assert!(*mode == 0o644 || *mode == 0o755, "{name}");
        assert_eq!(*mtime, head_time, "{name}");
        assert_eq!((*uid, *gid, user.as_str()), (0, 0, ""), "{name}");
    }
}

type Layout = Vec<(String, u32, u64, u64, u64, String)>;

fn tar_layout(archive: &Path) -> Layout {
    let file = std::fs::File::open(archive).unwrap();
    let mut tar = tar::Archive::new(zstd::stream::read::Decoder::new(file).unwrap());
    tar.entries()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let h = e.header();
            (
                String::from_utf8_lossy(&e.path_bytes()).into_owned(),
                h.mode().unwrap(),
                h.mtime().unwrap(),
                h.uid().unwrap(),
                h.gid().unwrap(),
                h.username().unwrap().unwrap_or("").to_string(),
            )
        })
        .collect()
}

pub fn read_manifest(archive: &Path) -> serde_json::Value {
    let file = std::fs::File::open(archive).unwrap();
    let mut tar = tar::Archive::new(zstd::stream::read::Decoder::new(file).unwrap());
    for e in tar.entries().unwrap() {
        let mut e = e.unwrap();
        if &*e.path_bytes() == b"manifest.json" {
            return serde_json::from_reader(&mut e).unwrap();
        }
    }
    panic!("no manifest.json");
}

/// Rewrites the archive's entries through `edit` (name, bytes) and recompresses it.
fn rewrite(archive: &Path, edit: impl Fn(&str, Vec<u8>) -> Vec<u8>) {
    let file = std::fs::File::open(archive).unwrap();
    let mut tar = tar::Archive::new(zstd::stream::read::Decoder::new(file).unwrap());
    let mut out = tar::Builder::new(Vec::new());
    for e in tar.entries().unwrap() {
        let mut e = e.unwrap();
        let name = String::from_utf8_lossy(&e.path_bytes()).into_owned();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut bytes).unwrap();
        let bytes = edit(&name, bytes);
        let mut h = e.header().clone();
        h.set_size(bytes.len() as u64);
        out.append_data(&mut h, &name, bytes.as_slice()).unwrap();
    }
    let tar_bytes = out.into_inner().unwrap();
    std::fs::write(archive, zstd::encode_all(tar_bytes.as_slice(), 3).unwrap()).unwrap();
}

fn sig_json(f: &Fixture) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(f.out.path().join("context.tar.zst.sig")).unwrap())
        .unwrap()
}

fn sha256_file(p: &Path) -> String {
    amplihack_remote::digest::sha256_hex(&std::fs::read(p).unwrap())
}

#[test]
fn flipping_any_byte_of_the_archive_fails_verification_and_says_why() {
    let f = Fixture::new();
    assert_eq!(f.package(&[]).status.code(), Some(0));
    let original = std::fs::read(f.archive()).unwrap();
    let n = original.len();
    for at in [0, 5, n / 3, n / 2, n - 10, n - 1] {
        let mut bytes = original.clone();
        bytes[at] ^= 0x01;
        std::fs::write(f.archive(), &bytes).unwrap();
        let out = f.verify();
        assert_eq!(out.status.code(), Some(1), "byte {at}: {}", both(&out));
        assert!(
            stdout(&out).contains("the archive was changed after it was signed"),
            "byte {at}: {}",
            stdout(&out)
        );
    }
    std::fs::write(f.archive(), &original).unwrap();
    assert_eq!(f.verify().status.code(), Some(0));
}

#[test]
fn an_edited_manifest_fails_verification_even_with_updated_digests() {
    let f = Fixture::new();
    assert_eq!(f.package(&[]).status.code(), Some(0));
    rewrite(&f.archive(), |name, bytes| {
        if name == "manifest.json" {
            let text = String::from_utf8(bytes).unwrap();
            let edited = text
                .replace("\"findings\": 0", "\"findings\": 0 ")
                .into_bytes();
            assert_ne!(edited, text.as_bytes());
            edited
        } else {
            bytes
        }
    });
    // Without touching the signature file: both digests differ.
    let out = f.verify();
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    let text = stdout(&out);
    assert!(text.contains("the manifest was edited"), "{text}");
    assert!(text.contains("changed after it was signed"), "{text}");

    // An attacker who also rewrites the digests in the signature file cannot sign them.
    let mut sig = sig_json(&f);
    sig["archive_sha256"] = sha256_file(&f.archive()).into();
    let manifest_bytes = {
        let file = std::fs::File::open(f.archive()).unwrap();
        let mut tar = tar::Archive::new(zstd::stream::read::Decoder::new(file).unwrap());
        let mut found = Vec::new();
        for e in tar.entries().unwrap() {
            let mut e = e.unwrap();
            if &*e.path_bytes() == b"manifest.json" {
                std::io::Read::read_to_end(&mut e, &mut found).unwrap();
            }
        }
        found
    };
    sig["manifest_sha256"] = amplihack_remote::digest::sha256_hex(&manifest_bytes).into();
    std::fs::write(
        f.out.path().join("context.tar.zst.sig"),
        serde_json::to_vec(&sig).unwrap(),
    )
    .unwrap();
    let out = f.verify();
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    assert!(
        stdout(&out).contains("the signature does not verify"),
        "{}",
        stdout(&out)
    );

    // Re-signed with another key: refused against the trusted one.
    let stranger = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
    let resigned = amplihack_remote::package::sign::sign(
        &stranger,
        sig["manifest_sha256"].as_str().unwrap(),
        sig["archive_sha256"].as_str().unwrap(),
    );
    std::fs::write(
        f.out.path().join("context.tar.zst.sig"),
        resigned.to_bytes(),
    )
    .unwrap();
    let out = f.verify();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("does not verify with the trusted key"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn an_entry_that_differs_from_the_manifest_is_named_even_when_signed() {
    let f = Fixture::new();
    assert_eq!(f.package(&[]).status.code(), Some(0));
    rewrite(&f.archive(), |name, bytes| {
        if name == ".claude/settings.json" {
            b"{\"model\": \"evil\"}\n".to_vec()
        } else {
            bytes
        }
    });
    // Signed with the trusted key itself (as if the signer were fooled): the entry check
    // still catches it.
    let key = amplihack_remote::package::sign::load_or_create(f.cfg.path(), None).unwrap();
    let sig = sig_json(&f);
    let resigned = amplihack_remote::package::sign::sign(
        &key,
        sig["manifest_sha256"].as_str().unwrap(),
        &sha256_file(&f.archive()),
    );
    std::fs::write(
        f.out.path().join("context.tar.zst.sig"),
        resigned.to_bytes(),
    )
    .unwrap();
    let out = f.verify();
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    let text = stdout(&out);
    assert!(text.contains(".claude/settings.json: SHA-256 is"), "{text}");
    assert!(!text.contains("repo.bundle:"), "{text}");
}

#[test]
fn verify_without_a_trusted_key_or_signature_is_an_error() {
    let f = Fixture::new();
    assert_eq!(f.package(&[]).status.code(), Some(0));
    let archive = f.archive();
    let other_cfg = tempfile::tempdir().unwrap();
    let out = run_env(
        f.dir(),
        &["verify", archive.to_str().unwrap()],
        &[("AMPLIHACK_REMOTE_CONFIG_DIR", other_cfg.path())],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no trusted key"), "{}", stderr(&out));
    // With the public key given explicitly, it verifies anywhere.
    let key = stdout(&f.run(&["key"])).trim().to_string();
    assert_eq!(key.len(), 64);
    let out = run_env(
        f.dir(),
        &["verify", archive.to_str().unwrap(), "--key", &key],
        &[("AMPLIHACK_REMOTE_CONFIG_DIR", other_cfg.path())],
    );
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    std::fs::remove_file(f.out.path().join("context.tar.zst.sig")).unwrap();
    assert_eq!(f.verify().status.code(), Some(2));
}

#[test]
fn the_key_is_private_and_never_created_inside_the_repository() {
    let f = Fixture::new();
    let out = f.run(&["key"]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(f.cfg.path().join("signing-key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    // Same key on the next call.
    assert_eq!(stdout(&f.run(&["key"])), stdout(&out));

    let inside = f.dir().join(".keys");
    let out = run_env(
        f.dir(),
        &["package", "-o", f.archive().to_str().unwrap()],
        &[("AMPLIHACK_REMOTE_CONFIG_DIR", &inside)],
    );
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
    assert!(
        stderr(&out).contains("inside the repository"),
        "{}",
        stderr(&out)
    );
    assert!(!inside.exists());
}

#[test]
fn ctrl_c_removes_the_temporary_directory_and_partial_files() {
    use std::os::unix::fs::PermissionsExt;
    let f = Fixture::new();
    let tmp = tempfile::tempdir().unwrap();
    // A stand-in git that stalls on `bundle create`, so the interrupt lands mid-run.
    let stand_in = tmp.path().join("slow-git");
    std::fs::write(
        &stand_in,
        "#!/bin/sh\ncase \" $* \" in *\" bundle create \"*) sleep 3 ;; esac\nexec git \"$@\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&stand_in, std::fs::Permissions::from_mode(0o755)).unwrap();
    let private_tmp = tmp.path().join("t");
    std::fs::create_dir(&private_tmp).unwrap();
    let archive = f.archive();
    let mut child = std::process::Command::new(BIN)
        .args(["package", "-o", archive.to_str().unwrap()])
        .current_dir(f.dir())
        .envs(pinned_git_env(f.dir()))
        .env("AMPLIHACK_REMOTE_CONFIG_DIR", f.cfg.path())
        .env("AMPLIHACK_REMOTE_GIT", &stand_in)
        .env("TMPDIR", &private_tmp)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the private directory exists and the bundle is being made.
    let started = std::time::Instant::now();
    loop {
        let busy = std::fs::read_dir(&private_tmp)
            .unwrap()
            .flatten()
            .any(|d| d.path().join("staging.git/packed-refs").exists());
        if busy || started.elapsed().as_secs() > 20 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert_eq!(
        std::fs::read_dir(&private_tmp).unwrap().count(),
        0,
        "the private temporary directory must be gone"
    );
    f.assert_nothing_written();
}

#[test]
fn an_untracked_nested_repository_is_named_not_shipped() {
    let f = Fixture::new();
    let nested = f.dir().join("vendor/lib");
    std::fs::create_dir_all(&nested).unwrap();
    git(&nested, &["init", "-q"]);
    write(&nested, "x.txt", "x\n");
    write(f.dir(), "new.txt", "new\n");
    let out = f.package(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert!(
        stderr(&out).contains("vendor/lib/: not shipped (an untracked nested git repository"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn every_single_byte_flip_is_caught() {
    let f = Fixture::new();
    assert_eq!(f.package(&[]).status.code(), Some(0));
    let key = amplihack_remote::package::sign::load_or_create(f.cfg.path(), None)
        .unwrap()
        .verifying_key();
    let original = std::fs::read(f.archive()).unwrap();
    let copy = f.out.path().join("copy.tar.zst");
    std::fs::copy(
        f.out.path().join("context.tar.zst.sig"),
        f.out.path().join("copy.tar.zst.sig"),
    )
    .unwrap();
    for at in 0..original.len() {
        let mut bytes = original.clone();
        bytes[at] ^= 0x80;
        std::fs::write(&copy, &bytes).unwrap();
        let v = amplihack_remote::package::verify::verify(&copy, &key).unwrap();
        assert!(!v.ok(), "flipping byte {at} went unnoticed");
        assert!(
            v.problems
                .iter()
                .any(|p| p.contains("changed after it was signed")),
            "byte {at}: {:?}",
            v.problems
        );
    }
}

/// Reads `scan.blobs_scanned` and `scan.known_clean` of a manifest.
fn scan_attestation(archive: &Path) -> (u64, Vec<String>) {
    let m = read_manifest(archive);
    let known = m["scan"]["known_clean"]
        .as_array()
        .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect())
        .unwrap_or_default();
    (m["scan"]["blobs_scanned"].as_u64().unwrap(), known)
}

#[test]
fn a_second_package_scans_only_new_history_and_still_stops_new_secrets() {
    let f = Fixture::new();
    let dir = f.dir();
    write(dir, "docs/a.md", "first\n");
    f.commit("a");
    let out = f.package(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let (full, known) = scan_attestation(&f.archive());
    assert!(full >= 5, "{full}");
    assert!(known.is_empty(), "{known:?}");

    // Nothing new: the history is known clean, nothing is rescanned.
    let out = f.package(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let head = git(dir, &["rev-parse", "HEAD"]).trim().to_string();
    let (blobs, known) = scan_attestation(&f.archive());
    assert_eq!(blobs, 0);
    assert!(known.contains(&head), "{known:?}");
    assert!(stdout(&out).contains("found clean by an earlier scan"));

    // One new file: only its blob is scanned.
    write(dir, "docs/b.md", "second\n");
    f.commit("b");
    let out = f.package(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert_eq!(scan_attestation(&f.archive()).0, 1);

    // A secret in a new commit, a new branch or uncommitted work still stops packaging.
    git(dir, &["checkout", "-q", "-b", "leak"]);
    write(
        dir,
        "deploy.sh",
        &format!("export GITHUB_TOKEN={}\n", Fake::new(81).github_pat()),
    );
    f.commit("deploy");
    git(dir, &["checkout", "-q", "main"]);
    std::fs::remove_file(f.archive()).unwrap();
    std::fs::remove_file(f.out.path().join("context.tar.zst.sig")).unwrap();
    assert_blocked(&f, &["deploy.sh"]);

    // --full-scan ignores the record.
    git(dir, &["branch", "-q", "-D", "leak"]);
    let out = f.package(&["--full-scan"]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let (blobs, known) = scan_attestation(&f.archive());
    assert!(blobs > full, "{blobs} vs {full}");
    assert!(known.is_empty());
}

#[test]
fn the_clean_history_record_is_void_when_rules_or_suppressions_change_or_it_is_garbage() {
    let f = Fixture::new();
    let dir = f.dir();
    let out = f.package(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let full = scan_attestation(&f.archive()).0;
    let cache = f.cfg.path().join("cache").join("history");
    let files: Vec<_> = std::fs::read_dir(&cache).unwrap().flatten().collect();
    assert_eq!(files.len(), 1);
    let file = files[0].path();
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "cache file mode {mode:o}");
    }
    // Another configuration (an allowlist entry): another fingerprint, a full scan.
    write(
        dir,
        ".amplihack-remote.toml",
        "[allowlist]\npaths = [\"fixtures/**\"]\n",
    );
    f.commit("config");
    let out = f.package(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let (blobs, known) = scan_attestation(&f.archive());
    assert!(blobs > full && known.is_empty(), "{blobs} {known:?}");

    // Garbage, a foreign fingerprint, or tips the repository does not have: ignored.
    let text = std::fs::read_to_string(&file).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let garbage = [
        "not json".to_string(),
        text.replace(json["fingerprint"].as_str().unwrap(), &"0".repeat(64)),
        serde_json::json!({
            "format": 1,
            "fingerprint": json["fingerprint"],
            "tips": ["a".repeat(40), "--all", "../x"],
            "flagged": [],
        })
        .to_string(),
    ];
    for g in garbage {
        std::fs::write(&file, &g).unwrap();
        let out = f.package(&[]);
        assert_eq!(out.status.code(), Some(0), "{g}: {}", both(&out));
        let (blobs, known) = scan_attestation(&f.archive());
        assert!(blobs > full && known.is_empty(), "{g}: {blobs} {known:?}");
    }
}

#[test]
fn an_old_clean_blob_committed_again_at_a_stricter_path_stops_packaging_despite_the_record() {
    let f = Fixture::new();
    let dir = f.dir();
    write(
        dir,
        ".amplihack-remote.toml",
        "[allowlist]\npaths = [\"fixtures/**\"]\n",
    );
    let token = Fake::new(93).github_pat();
    write(dir, "fixtures/token.txt", &format!("token: {token}\n"));
    f.commit("fixture");
    let out = f.package(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    std::fs::remove_file(f.archive()).unwrap();
    std::fs::remove_file(f.out.path().join("context.tar.zst.sig")).unwrap();
    // The same bytes (an old, recorded-clean blob) outside the allowlisted folder.
    std::fs::copy(dir.join("fixtures/token.txt"), dir.join("src/token.txt")).unwrap();
    f.commit("copy");
    assert_blocked(&f, &["src/token.txt"]);
}
