//! The hostile-input matrix for `scan --git` and `package`: corrupt objects and packs, shallow
//! clones, submodules and linked worktrees, refs with odd names, a 100k-file tree. Every run
//! is bounded in time, checked for panics, and must fail closed (exit 2) when something could
//! not be read, never report clean.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use super::hostile::{bounded, code, run_bounded, BOUND};
use super::support::*;

fn commit_all(dir: &Path, message: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
    git(dir, &["rev-parse", "HEAD"]).trim().to_string()
}

fn both(o: &Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

/// `package` into a fresh output directory with a private key; returns the output and the
/// list of files left in the output directory.
fn package(dir: &Path) -> (Output, Vec<String>) {
    let cfg = tempfile::tempdir().unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let archive = out_dir.path().join("context.tar.zst");
    let mut cmd = Command::new(BIN);
    cmd.args(["package", "-o", archive.to_str().unwrap()])
        .env("AMPLIHACK_REMOTE_CONFIG_DIR", cfg.path())
        .env("AMPLIHACK_REMOTE_CACHE_DIR", cfg.path().join("cache"));
    let out = bounded(cmd, dir, BOUND);
    let mut left: Vec<String> = std::fs::read_dir(out_dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    (out, left)
}

fn assert_fails_closed(dir: &Path, why: &str) {
    let out = run_bounded(dir, &["scan", "--git"], BOUND);
    assert_eq!(code(&out), 2, "{why}: scan --git {}", both(&out));
    assert!(
        !stdout(&out).contains("No secrets found:"),
        "{why}: reported clean: {}",
        both(&out)
    );
    let (out, left) = package(dir);
    assert_eq!(code(&out), 2, "{why}: package {}", both(&out));
    assert!(left.is_empty(), "{why}: package left {left:?}");
}

/// A small repository: a README, a source file, a second commit.
fn small_repo() -> tempfile::TempDir {
    let repo = git_repo();
    let d = repo.path();
    write(d, "README.md", "hello\n");
    write(d, ".claude/settings.json", "{}\n");
    write(d, "src/lib.rs", &"pub fn f() -> u32 { 42 }\n".repeat(40));
    commit_all(d, "one");
    write(d, "src/more.rs", &"pub fn g() -> u32 { 7 }\n".repeat(40));
    commit_all(d, "two");
    repo
}

fn flip_middle(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut bytes = std::fs::read(p).unwrap();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 4] {
        *b ^= 0x5a;
    }
    std::fs::write(p, bytes).unwrap();
}

#[test]
fn a_corrupt_loose_object_fails_closed() {
    let repo = small_repo();
    let d = repo.path();
    let oid = git(d, &["rev-parse", "HEAD:src/more.rs"])
        .trim()
        .to_string();
    flip_middle(&d.join(".git/objects").join(&oid[..2]).join(&oid[2..]));
    assert_fails_closed(d, "corrupt loose blob");
}

#[test]
fn a_corrupt_packfile_fails_closed() {
    let repo = small_repo();
    let d = repo.path();
    git(d, &["repack", "-adq"]);
    git(d, &["prune-packed"]);
    let pack = std::fs::read_dir(d.join(".git/objects/pack"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "pack"))
        .expect("a pack");
    flip_middle(&pack);
    assert_fails_closed(d, "corrupt pack");
}

#[test]
fn a_truncated_packfile_fails_closed() {
    use std::os::unix::fs::PermissionsExt;
    let repo = small_repo();
    let d = repo.path();
    git(d, &["repack", "-adq"]);
    git(d, &["prune-packed"]);
    let pack = std::fs::read_dir(d.join(".git/objects/pack"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "pack"))
        .expect("a pack");
    std::fs::set_permissions(&pack, std::fs::Permissions::from_mode(0o644)).unwrap();
    let len = std::fs::metadata(&pack).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&pack)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    assert_fails_closed(d, "truncated pack");
}

/// A shallow clone: the history beyond the boundary is not there to scan. `scan --git` scans
/// what is there and warns; `package` refuses (its bundle would be incomplete) with a clear
/// message instead of git's "Could not read" errors.
#[test]
fn a_shallow_clone_is_scanned_as_far_as_it_goes_and_says_so() {
    let origin = git_repo();
    let o = origin.path();
    let key = Fake::new(611).anthropic_key();
    write(o, ".claude/settings.json", "{}\n");
    write(o, "old.env", &format!("K={key}\n"));
    commit_all(o, "secret");
    std::fs::remove_file(o.join("old.env")).unwrap();
    write(o, "README.md", "hello\n");
    commit_all(o, "removed");
    let parent = tempfile::tempdir().unwrap();
    git(
        parent.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            &format!("file://{}", o.display()),
            "clone",
        ],
    );
    let c = parent.path().join("clone");
    assert!(c.join(".git/shallow").exists());
    let out = run_bounded(&c, &["scan", "--git"], BOUND);
    let text = both(&out);
    assert_eq!(code(&out), 0, "{text}");
    assert!(text.contains("is a shallow clone"), "{text}");
    // Packaging needs the whole history (the bundle must be complete): refused up front.
    let (out, left) = package(&c);
    assert_eq!(code(&out), 2, "{}", both(&out));
    assert!(both(&out).contains("shallow clone"), "{}", both(&out));
    assert!(
        both(&out).contains("git fetch --unshallow"),
        "{}",
        both(&out)
    );
    assert!(left.is_empty(), "{left:?}");
}

/// A linked worktree's branch and a submodule: the worktree's commits are history (found);
/// the gitlink of a submodule is not a blob to read (no error), and packaging succeeds.
#[test]
fn linked_worktrees_and_submodules() {
    let sub = small_repo();
    let repo = small_repo();
    let d = repo.path();
    git(
        d,
        &[
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "-q",
            &format!("file://{}", sub.path().display()),
            "vendor/sub",
        ],
    );
    commit_all(d, "add submodule");
    let out = run_bounded(d, &["scan", "--git"], BOUND);
    assert_eq!(code(&out), 0, "{}", both(&out));
    let (out, left) = package(d);
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert_eq!(left, ["context.tar.zst", "context.tar.zst.sig"]);

    let wt_parent = tempfile::tempdir().unwrap();
    let wt = wt_parent.path().join("wt");
    git(
        d,
        &["worktree", "add", "-q", "-b", "side", wt.to_str().unwrap()],
    );
    let key = Fake::new(612).github_pat();
    write(&wt, "side.txt", &format!("token {key}\n"));
    commit_all(&wt, "side secret");
    for dir in [d, wt.as_path()] {
        let out = run_bounded(dir, &["scan", "--git", "--format", "json"], BOUND);
        assert_eq!(code(&out), 1, "{}", both(&out));
        assert!(stdout(&out).contains("side.txt"), "{}", stdout(&out));
        let (out, left) = package(dir);
        assert_eq!(code(&out), 1, "{}", both(&out));
        assert!(left.is_empty(), "{left:?}");
    }
}

/// A secret reachable only from refs with odd names: unicode, 250 bytes long, names that
/// look like options. Found by `scan --git`, stops `package`; no option is taken from a name.
#[test]
fn refs_with_odd_names_are_scanned_and_never_read_as_options() {
    let repo = small_repo();
    let d = repo.path();
    let key = Fake::new(613).anthropic_key();
    git(d, &["checkout", "-q", "-b", "tmp"]);
    write(d, "odd.env", &format!("K={key}\n"));
    let secret = commit_all(d, "secret");
    git(d, &["checkout", "-q", "main"]);
    git(d, &["branch", "-q", "-D", "tmp"]);
    let long = format!("refs/heads/{}", "l".repeat(240));
    let odd = [
        "refs/heads/ünïcødé-☃",
        long.as_str(),
        "refs/heads/-x",
        "refs/heads/--output=pwned",
        "refs/tags/--upload-pack=touch_pwned2",
        "refs/notes/-n",
        "refs/odd/--all",
    ];
    for (i, r) in odd.iter().enumerate() {
        let out = Command::new("git")
            .args(["update-ref", r, &secret])
            .current_dir(d)
            .envs(pinned_git_env(d))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{r}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Each ref alone must be enough: delete the others for a first round.
        let _ = i;
    }
    let before = tree_digest(d);
    let out = run_bounded(d, &["scan", "--git", "--format", "json"], BOUND);
    assert_eq!(code(&out), 1, "{}", both(&out));
    assert!(stdout(&out).contains("odd.env"), "{}", stdout(&out));
    let (out, left) = package(d);
    assert_eq!(code(&out), 1, "{}", both(&out));
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(before, tree_digest(d), "the repository changed");
    for f in ["pwned", "touch_pwned2", "--output=pwned"] {
        assert!(!d.join(f).exists(), "{f} was created");
    }
    // One ref at a time: each alone keeps the secret reachable and found.
    for keep in odd {
        for r in odd {
            if r != keep {
                let _ = Command::new("git")
                    .args(["update-ref", "-d", r])
                    .current_dir(d)
                    .envs(pinned_git_env(d))
                    .output();
            }
        }
        let out = run_bounded(d, &["scan", "--git"], BOUND);
        assert_eq!(code(&out), 1, "only {keep}: {}", both(&out));
        git(d, &["update-ref", keep, &secret]);
        for r in odd {
            git(d, &["update-ref", r, &secret]);
        }
    }
}

/// A tree of 100,000 paths (one shared blob, built with `update-index --index-info`, so it
/// is cheap) for `scan --git`, and 100,000 small files on disk for `scan`: both finish.
/// Their peak memory is measured by `benches/memory_bounds.sh`, not here.
/// `git replace` makes git's readers show another commit in place of one, but a bundle
/// ships the original objects (pack-objects ignores replacements): a secret hidden behind a
/// replacement must still be found, and stop `package`.
#[test]
fn a_secret_hidden_behind_a_replace_ref_is_found() {
    let repo = small_repo();
    let d = repo.path();
    let key = Fake::new(614).anthropic_key();
    write(d, "src/config.py", &format!("KEY = '{key}'\n"));
    let leaked = commit_all(d, "add config");
    // A look-alike commit without the secret, put in place of the leaking one.
    write(d, "src/config.py", "KEY = os.environ['KEY']\n");
    git(d, &["add", "-A"]);
    let tree = git(d, &["write-tree"]).trim().to_string();
    let parent = git(d, &["rev-parse", &format!("{leaked}^")])
        .trim()
        .to_string();
    let clean = git(
        d,
        &["commit-tree", &tree, "-p", &parent, "-m", "add config"],
    )
    .trim()
    .to_string();
    git(d, &["replace", &leaked, &clean]);
    git(d, &["reset", "-q", "--hard", &leaked]);
    // git's own log now shows the clean look-alike at the tip.
    assert!(git(d, &["show", "HEAD:src/config.py"]).contains("environ"));

    let out = run_bounded(d, &["scan", "--git"], BOUND);
    assert_eq!(code(&out), 1, "scan --git: {}", both(&out));
    assert!(both(&out).contains("src/config.py"), "{}", both(&out));
    let (out, left) = package(d);
    assert_eq!(code(&out), 1, "package: {}", both(&out));
    assert!(left.is_empty(), "package left {left:?}");
}

#[test]
fn a_100k_file_tree_is_scanned_by_scan_git_and_scan() {
    let repo = git_repo();
    let d = repo.path();
    let mut hash = Command::new("git")
        .args(["hash-object", "-w", "--stdin"])
        .current_dir(d)
        .envs(pinned_git_env(d))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        hash.stdin
            .take()
            .unwrap()
            .write_all(b"fn x() {}\n")
            .unwrap();
    }
    let blob = String::from_utf8(hash.wait_with_output().unwrap().stdout)
        .unwrap()
        .trim()
        .to_string();
    let mut info = String::new();
    for i in 0..100_000 {
        info.push_str(&format!("100644 {blob}\td{}/f{i}.rs\n", i / 1000));
    }
    let mut ui = Command::new("git")
        .args(["update-index", "--index-info"])
        .current_dir(d)
        .envs(pinned_git_env(d))
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        ui.stdin.take().unwrap().write_all(info.as_bytes()).unwrap();
    }
    assert!(ui.wait().unwrap().success());
    let tree = git(d, &["write-tree"]).trim().to_string();
    let commit = git(d, &["commit-tree", &tree, "-m", "100k"])
        .trim()
        .to_string();
    git(d, &["update-ref", "refs/heads/main", &commit]);
    std::fs::remove_file(d.join(".git/index")).unwrap();
    let out = run_bounded(
        d,
        &["scan", "--git", "--format", "json"],
        Duration::from_secs(120),
    );
    assert_eq!(code(&out), 0, "{}", both(&out));
    let v = json(&out);
    assert_eq!(v["summary"]["files_scanned"], 1, "one unique blob: {v}");

    let files = tempfile::tempdir().unwrap();
    let f: PathBuf = files.path().to_path_buf();
    for dir in 0..100 {
        let sub = f.join(format!("d{dir}"));
        std::fs::create_dir(&sub).unwrap();
        for i in 0..1000 {
            std::fs::write(sub.join(format!("f{i}.rs")), b"fn x() {}\n").unwrap();
        }
    }
    let out = run_bounded(
        &f,
        &["scan", "--format", "json", "."],
        Duration::from_secs(120),
    );
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert_eq!(json(&out)["summary"]["files_scanned"], 100_000);
}
