//! Result bundles from the VM whose refs try to write outside `refs/remotes/remote-exec/`:
//! crafted bundle headers (git itself will not create such refs) with traversal, `:`, `..`,
//! `@{`, option-like, `HEAD`, tag and remote names, and a bundle of 10,000 refs. Through the
//! library's `integrate` on real repositories, and once end to end through `run` against the
//! stand-in azlin.

#![cfg(feature = "exec")]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use amplihack_remote::remote::integrate::{integrate, MAX_BRANCHES};
use amplihack_remote::scan::{RuleSet, Scanner};

use super::hostile::{bounded, code};
use super::support::*;

const NAMESPACE: &str = "refs/remotes/remote-exec/";

/// The user's repository and a clone standing for the VM, with one new commit on `main`.
struct World {
    tmp: tempfile::TempDir,
    start: String,
    tip: String,
}

impl World {
    fn new() -> World {
        let tmp = tempfile::tempdir().unwrap();
        let user = tmp.path().join("user");
        std::fs::create_dir(&user).unwrap();
        git(&user, &["init", "-q", "-b", "main"]);
        write(&user, "README.md", "hello\n");
        git(&user, &["add", "-A"]);
        git(&user, &["commit", "-q", "-m", "init"]);
        let start = git(&user, &["rev-parse", "HEAD"]).trim().to_string();
        git(tmp.path(), &["clone", "-q", user.to_str().unwrap(), "vm"]);
        let vm = tmp.path().join("vm");
        write(&vm, "work.txt", "the agent's work\n");
        git(&vm, &["add", "-A"]);
        git(&vm, &["commit", "-q", "-m", "work"]);
        let tip = git(&vm, &["rev-parse", "HEAD"]).trim().to_string();
        World { tmp, start, tip }
    }

    fn user(&self) -> PathBuf {
        self.tmp.path().join("user")
    }

    /// A bundle holding the VM's objects, its header listing `names` (each at the VM's tip).
    fn bundle(&self, file: &str, names: &[String]) -> PathBuf {
        let vm = self.tmp.path().join("vm");
        let real = self.tmp.path().join("real.bundle");
        git(
            &vm,
            &["bundle", "create", "-q", real.to_str().unwrap(), "main"],
        );
        let bytes = std::fs::read(&real).unwrap();
        let split = bytes.windows(2).position(|w| w == b"\n\n").unwrap();
        let mut out = b"# v2 git bundle\n".to_vec();
        for n in names {
            out.extend_from_slice(format!("{} {n}\n", self.tip).as_bytes());
        }
        out.push(b'\n');
        out.extend_from_slice(&bytes[split + 2..]);
        let p = self.tmp.path().join(file);
        std::fs::write(&p, out).unwrap();
        p
    }

    /// Everything of the user's repository except the namespace, objects and logs of the
    /// namespace: refs (all of them), and every file under `.git` and the work tree.
    fn outside_namespace(&self) -> (String, Vec<String>) {
        let u = self.user();
        let refs: String = git(&u, &["for-each-ref", "--format=%(objectname) %(refname)"])
            .lines()
            .filter(|l| !l.contains(&format!(" {NAMESPACE}")))
            .map(|l| format!("{l}\n"))
            .collect();
        let mut files = Vec::new();
        fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
            for e in std::fs::read_dir(dir).unwrap().flatten() {
                let p = e.path();
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                if rel.starts_with(".git/objects")
                    || rel.starts_with(".git/refs/remotes")
                    || rel.starts_with(".git/logs/refs/remotes")
                    || rel == ".git/logs"
                    || rel == ".git/logs/refs"
                    || rel == ".git/refs"
                {
                    if !rel.starts_with(".git/objects") && p.is_dir() {
                        walk(&p, root, out);
                    }
                    continue;
                }
                let m = std::fs::symlink_metadata(&p).unwrap();
                if m.is_dir() {
                    out.push(format!("{rel}/"));
                    walk(&p, root, out);
                } else {
                    let data = std::fs::read(&p).unwrap_or_default();
                    out.push(format!(
                        "{rel} {}",
                        amplihack_remote::digest::sha256_hex(&data)
                    ));
                }
            }
        }
        walk(&u, &u, &mut files);
        files.sort();
        (refs, files)
    }

    fn namespace_refs(&self) -> Vec<String> {
        git(
            &self.user(),
            &["for-each-ref", "--format=%(refname)", NAMESPACE],
        )
        .lines()
        .map(str::to_string)
        .collect()
    }
}

fn scanner() -> Scanner {
    Scanner::new(RuleSet::builtin().unwrap())
}

fn hostile_names() -> Vec<String> {
    [
        "refs/heads/../../x",
        "refs/heads/a/../../../../x",
        "refs/heads/main/../../../../../etc/passwd",
        "refs/heads/a:b",
        "refs/heads/x@{1}",
        "refs/heads/@{-1}",
        "refs/heads/@",
        "refs/heads/HEAD",
        "HEAD",
        "refs/tags/v1",
        "refs/remotes/remote-exec/../../heads/main",
        "refs/remotes/origin/main",
        "refs/heads/-x",
        "refs/heads/--upload-pack=touch pwned",
        "refs/heads/a..b",
        "refs/heads/.git/config",
        "refs/heads/x.lock",
        "refs/heads/tab\there",
        "refs/heads/esc\u{1b}[31m",
        "refs/heads/back\\slash",
        "refs/heads/star*",
        "refs/heads//double",
        "refs/heads/trailing/",
        "refs/heads/trailing.",
        "refs/heads/",
        "refs/../heads/main",
        "refs/heads",
        "main",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain(std::iter::once(format!("refs/heads/{}", "l".repeat(300))))
    .collect()
}

/// Each hostile name next to one good branch: the good one lands in the namespace, the
/// hostile one is refused (or the whole bundle is), nothing else of the repository changes.
#[test]
fn hostile_ref_names_in_a_result_bundle_never_write_outside_the_namespace() {
    let w = World::new();
    let s = scanner();
    let before = w.outside_namespace();
    for (i, name) in hostile_names().iter().enumerate() {
        let b = w.bundle(
            &format!("b{i}.bundle"),
            &["refs/heads/ok".to_string(), name.clone()],
        );
        match integrate(&w.user(), &b, &w.start, &s) {
            Ok(summary) => {
                let imported: Vec<&str> =
                    summary.branches.iter().map(|b| b.name.as_str()).collect();
                assert_eq!(imported, ["ok"], "{name:?}: {summary:?}");
                if name != "HEAD" {
                    assert_eq!(summary.refused.len(), 1, "{name:?}: {summary:?}");
                }
            }
            Err(e) => assert!(!e.is_empty(), "{name:?}"),
        }
        assert_eq!(before, w.outside_namespace(), "{name:?} wrote outside");
        for r in w.namespace_refs() {
            assert_eq!(r, format!("{NAMESPACE}ok"), "{name:?}");
        }
        assert!(!w.user().join("pwned").exists());
        assert!(!w.tmp.path().join("x").exists());
    }
    // A unicode name is a valid branch: it lands inside the namespace.
    let b = w.bundle("u.bundle", &["refs/heads/ünïcødé-☃".to_string()]);
    let summary = integrate(&w.user(), &b, &w.start, &s).unwrap();
    assert_eq!(summary.branches.len(), 1);
    assert!(w
        .namespace_refs()
        .contains(&format!("{NAMESPACE}ünïcødé-☃")));
    assert_eq!(before, w.outside_namespace());
}

/// A bundle of 10,000 branches is refused as a whole, quickly (before any per-ref work), and
/// imports nothing.
#[test]
fn a_bundle_with_10k_refs_is_refused_before_any_per_ref_work() {
    let w = World::new();
    let names: Vec<String> = (0..10_000).map(|i| format!("refs/heads/b{i}")).collect();
    let b = w.bundle("many.bundle", &names);
    let before = w.outside_namespace();
    let started = Instant::now();
    let err = integrate(&w.user(), &b, &w.start, &scanner()).unwrap_err();
    let took = started.elapsed();
    assert!(err.contains(&format!("at most {MAX_BRANCHES}")), "{err}");
    eprintln!("10k refs refused in {took:?}");
    assert!(
        took < Duration::from_secs(20),
        "{took:?}: a hang detector, not a benchmark"
    );
    assert!(w.namespace_refs().is_empty());
    assert_eq!(before, w.outside_namespace());
    // 10,000 tags (never imported) plus one branch: the branch is imported, the tags refused.
    let mut names: Vec<String> = (0..10_000).map(|i| format!("refs/tags/t{i}")).collect();
    names.push("refs/heads/ok".into());
    let b = w.bundle("tags.bundle", &names);
    let summary = integrate(&w.user(), &b, &w.start, &scanner()).unwrap();
    assert_eq!(summary.branches.len(), 1);
    assert_eq!(summary.refused.len(), 10_000);
    assert_eq!(w.namespace_refs(), [format!("{NAMESPACE}ok")]);
    assert_eq!(before, w.outside_namespace());
}

/// End to end: `run` against the stand-in azlin, the VM's `results.bundle` replaced by one
/// with hostile refs and one good branch. The good branch is imported into the namespace,
/// the hostile ones are named as refused, and the user's refs and files are unchanged.
#[test]
fn run_imports_only_the_namespace_from_a_hostile_result_bundle() {
    let w = World::new();
    let mut names = vec!["refs/heads/ok".to_string()];
    names.extend(hostile_names().into_iter().filter(|n| {
        // Names git's bundle reader itself rejects would make the whole bundle fail: tried
        // above through the library.
        !n.contains('\t') && !n.contains('\u{1b}')
    }));
    let bundle = w.bundle("evil.bundle", &names);
    let t = w.tmp.path();
    for d in ["state", "cfg", "tmp", "home", "bin"] {
        std::fs::create_dir(t.join(d)).unwrap();
    }
    let py = String::from_utf8(
        Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_string();
    let wrapper = t.join("bin/azlin");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nexec '{py}' -S '{}' \"$@\"\n",
            project_root().join("tests/fixtures/azlin/azlin").display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(
        t.join("state/faults.json"),
        format!(
            r#"{{"cp": [{{"match": "results.bundle", "replace_with": "{}"}}]}}"#,
            bundle.display()
        ),
    )
    .unwrap();
    let u = w.user();
    write(&u, ".claude/settings.json", "{}\n");
    write(
        &u,
        ".amplihack-remote.toml",
        "[run]\nretry_delay_seconds = 0\n",
    );
    git(&u, &["add", "-A"]);
    git(&u, &["commit", "-q", "-m", "claude"]);
    let before = w.outside_namespace();
    let key = Fake::new(630).anthropic_key();
    let path = format!(
        "{}:{}",
        Path::new(&py).parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new(BIN);
    cmd.args(["run", "auto", "task"])
        .env_clear()
        .env("PATH", path)
        .env("USER", "tester")
        .env("TMPDIR", t.join("tmp"))
        .env("AMPLIHACK_REMOTE_AZLIN", &wrapper)
        .env("FAKE_AZLIN_STATE", t.join("state"))
        .env("AMPLIHACK_REMOTE_CONFIG_DIR", t.join("cfg"))
        .env("ANTHROPIC_API_KEY", &key)
        .stdin(Stdio::null());
    cmd.env("AMPLIHACK_REMOTE_CACHE_DIR", t.join("cache"));
    let out = bounded(cmd, &u, Duration::from_secs(120));
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(code(&out), 0, "{text}");
    assert_eq!(w.namespace_refs(), [format!("{NAMESPACE}ok")], "{text}");
    assert!(
        text.contains("refs/tags/v1"),
        "refused refs are named: {text}"
    );
    let after = w.outside_namespace();
    assert_eq!(before.0, after.0, "refs outside the namespace changed");
    let new_files: Vec<&String> = after
        .1
        .iter()
        .filter(|f| !before.1.contains(f))
        .filter(|f| !f.starts_with(".claude/runtime/"))
        .collect();
    assert!(new_files.is_empty(), "written outside: {new_files:?}");
    assert!(!u.join("pwned").exists());
}
