//! End-to-end tests of `amplihack-remote run`: the built binary against the stand-in azlin
//! (`tests/fixtures/azlin/`), a real git repository, real tar/zstd and real processes.
//!
//! After every run, [`Cloud::check`] asserts over every recorded azlin call that the API key
//! never appeared in an argv, that `kill` always had `--force`, that `new` always had
//! `--no-auto-connect` (and never `--yes` or `--size`), that `connect` always had `--` and
//! `--no-reconnect`, and that no file under the stand-in's state, the repository or our
//! temporary directory holds the key; and that the user's repository (branches, index, stash,
//! working tree, HEAD) is unchanged apart from `remote-exec/` refs and the results folders.

#![cfg(feature = "exec")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use amplihack_remote::remote::clock::UtcTime;
use serde_json::Value;

use super::support::*;

/// The real python3 (not a version-manager shim: those cost ~200 ms a call).
pub(super) fn python() -> &'static (PathBuf, String) {
    static PY: std::sync::OnceLock<(PathBuf, String)> = std::sync::OnceLock::new();
    PY.get_or_init(|| {
        let out = Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .expect("python3 is needed by the stand-in azlin (tests/fixtures/azlin)");
        assert!(out.status.success(), "python3 does not run");
        let exe = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        let path = format!(
            "{}:{}",
            exe.parent().unwrap().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        (exe, path)
    })
}

/// One test's world: the user's repository, the stand-in's state, a config dir for the
/// signing key, a private TMPDIR and HOME.
pub(super) struct Cloud {
    pub(super) tmp: tempfile::TempDir,
    pub(super) key: String,
}

pub(super) struct Snapshot {
    tree: String,
    refs: String,
    index: Vec<u8>,
    head: Vec<u8>,
    stash: String,
}

impl Cloud {
    pub(super) fn new() -> Cloud {
        let tmp = tempfile::tempdir().unwrap();
        for d in ["repo", "state", "cfg", "tmp", "home", "bin"] {
            std::fs::create_dir(tmp.path().join(d)).unwrap();
        }
        let (py, _) = python();
        let wrapper = tmp.path().join("bin/azlin");
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\nexec '{}' -S '{}' \"$@\"\n",
                py.display(),
                project_root().join("tests/fixtures/azlin/azlin").display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
        let c = Cloud {
            tmp,
            key: Fake::new(77).anthropic_key(),
        };
        let r = c.repo();
        git(&r, &["init", "-q", "-b", "main"]);
        write(&r, ".claude/settings.json", "{\"model\": \"opus\"}\n");
        write(&r, ".claude/agents/reviewer.md", "# Reviewer\n");
        write(&r, "README.md", "hello\n");
        write(&r, "src/lib.rs", "pub fn f() {}\n");
        write(
            &r,
            ".amplihack-remote.toml",
            "[run]\nretry_delay_seconds = 0\n",
        );
        git(&r, &["add", "-A"]);
        git(&r, &["commit", "-q", "-m", "init"]);
        c
    }

    pub(super) fn repo(&self) -> PathBuf {
        self.tmp.path().join("repo")
    }
    pub(super) fn state(&self) -> PathBuf {
        self.tmp.path().join("state")
    }

    pub(super) fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.arg("run")
            .args(args)
            .current_dir(self.repo())
            .env_clear()
            .envs(pinned_git_env(&self.tmp.path().join("home")))
            .env("PATH", &python().1)
            .env("USER", "tester")
            .env("TMPDIR", self.tmp.path().join("tmp"))
            .env("AMPLIHACK_REMOTE_AZLIN", self.tmp.path().join("bin/azlin"))
            .env("FAKE_AZLIN_STATE", self.state())
            .env("AMPLIHACK_REMOTE_CONFIG_DIR", self.tmp.path().join("cfg"))
            .env("ANTHROPIC_API_KEY", &self.key)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// Runs `run ARGS`, then checks every invariant.
    pub(super) fn run(&self, args: &[&str]) -> Output {
        let before = self.snapshot();
        let out = self.command(args).output().unwrap();
        self.check(&out, &before);
        out
    }

    pub(super) fn snapshot(&self) -> Snapshot {
        let r = self.repo();
        let refs: String = git(&r, &["for-each-ref", "--format=%(objectname) %(refname)"])
            .lines()
            .filter(|l| !l.contains(" refs/remotes/remote-exec/"))
            .map(|l| format!("{l}\n"))
            .collect();
        Snapshot {
            tree: work_tree_digest(&r),
            refs,
            index: std::fs::read(r.join(".git/index")).unwrap_or_default(),
            head: std::fs::read(r.join(".git/HEAD")).unwrap(),
            stash: git(&r, &["stash", "list"]),
        }
    }

    /// The invariants of every run (see the module documentation).
    pub(super) fn check(&self, out: &Output, before: &Snapshot) {
        let ctx = || format!("stdout:\n{}\nstderr:\n{}", stdout(out), stderr(out));
        for c in self.calls() {
            let argv: Vec<String> = c["argv"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_string())
                .collect();
            assert!(
                !argv.iter().any(|a| a.contains(&self.key)),
                "the key is in an argv: {argv:?}"
            );
            let sub = argv
                .iter()
                .find(|a| !a.starts_with('-') && *a != "json")
                .cloned()
                .unwrap_or_default();
            match sub.as_str() {
                "kill" => assert!(argv.contains(&"--force".into()), "{argv:?}"),
                "new" => {
                    assert!(argv.contains(&"--no-auto-connect".into()), "{argv:?}");
                    assert!(
                        !argv
                            .iter()
                            .any(|a| a == "--yes" || a == "-y" || a == "--size"),
                        "{argv:?}"
                    );
                }
                "connect" => {
                    assert!(argv.contains(&"--".into()), "{argv:?}");
                    assert!(argv.contains(&"--no-reconnect".into()), "{argv:?}");
                }
                "list" => assert!(!argv.contains(&"--json".into()), "{argv:?}"),
                _ => {}
            }
        }
        // Never in a file, on either "machine", nor in our output.
        for dir in [self.state(), self.repo(), self.tmp.path().join("tmp")] {
            assert_no_key(&dir, self.key.as_bytes());
        }
        assert!(!stdout(out).contains(&self.key), "{}", ctx());
        assert!(!stderr(out).contains(&self.key), "{}", ctx());
        // Temporary files are gone.
        let left: Vec<_> = std::fs::read_dir(self.tmp.path().join("tmp"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert!(left.is_empty(), "temporary files left: {left:?}\n{}", ctx());
        // The user's repository is unchanged.
        let after = self.snapshot();
        assert_eq!(
            before.tree,
            after.tree,
            "the working tree changed\n{}",
            ctx()
        );
        assert_eq!(before.refs, after.refs, "refs changed\n{}", ctx());
        assert!(before.index == after.index, "the index changed");
        assert_eq!(before.head, after.head, "HEAD changed");
        assert_eq!(before.stash, after.stash, "the stash changed");
        // The stand-in amplihack saw the key (by its digest) and no terminal.
        let want = amplihack_remote::digest::sha256_hex(self.key.as_bytes());
        for call in jsonl(&self.state().join("amplihack-calls.jsonl")) {
            if !call["key_sha256"].is_null() {
                assert_eq!(call["key_sha256"].as_str().unwrap(), want);
            }
            assert_eq!(call["stdin_is_tty"], Value::Bool(false));
        }
    }

    /// The start lines of the call log.
    pub(super) fn calls(&self) -> Vec<Value> {
        jsonl(&self.state().join("calls.jsonl"))
            .into_iter()
            .filter(|c| c["phase"] == "start")
            .collect()
    }

    /// How many calls of subcommand `sub` were made.
    pub(super) fn count(&self, sub: &str) -> usize {
        self.calls()
            .iter()
            .filter(|c| {
                c["argv"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|a| a.as_str() == Some(sub))
            })
            .count()
    }

    pub(super) fn faults(&self, json: &str) {
        std::fs::write(self.state().join("faults.json"), json).unwrap();
    }

    pub(super) fn amplihack(&self, json: &str) {
        std::fs::write(self.state().join("amplihack.json"), json).unwrap();
    }

    pub(super) fn vms(&self) -> Vec<String> {
        names(&self.state().join("vms"))
    }

    pub(super) fn deleted(&self) -> Vec<String> {
        names(&self.state().join("deleted"))
    }

    /// A VM as a test would find it in azlin (`extra` merged into its meta).
    pub(super) fn make_vm(&self, name: &str, extra: Value) {
        let dir = self.state().join("vms").join(name);
        std::fs::create_dir_all(dir.join("home")).unwrap();
        let now = UtcTime::now();
        let created = format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
            now.year, now.month, now.day, now.hour, now.minute, now.second
        );
        let mut meta = serde_json::json!({
            "name": name, "resource_group": "amplihack-rg", "vm_size": "Standard_D2s_v3",
            "location": "eastus", "power_state": "Running", "provisioning_state": "Succeeded",
            "created_time": created,
            "tags": {"azlin-session": name, "amplihack_workflow": "true"},
            "os": "Ubuntu 24.04", "public_ip": null, "private_ip": "10.0.0.9"
        });
        if let (Some(m), Some(e)) = (meta.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                m.insert(k.clone(), v.clone());
            }
        }
        std::fs::write(dir.join("meta.json"), meta.to_string()).unwrap();
    }

    pub(super) fn git(&self, args: &[&str]) -> String {
        git(&self.repo(), args)
    }

    /// The remote command's recorded argv (the last call).
    pub(super) fn agent_argv(&self) -> Vec<String> {
        let calls = jsonl(&self.state().join("amplihack-calls.jsonl"));
        calls.last().expect("amplihack ran")["argv"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect()
    }
}

pub(super) fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

pub(super) fn jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

pub(super) fn assert_no_key(dir: &Path, key: &[u8]) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let m = std::fs::symlink_metadata(&p).unwrap();
        if m.is_dir() {
            assert_no_key(&p, key);
        } else if m.is_file() {
            let bytes = std::fs::read(&p).unwrap_or_default();
            assert!(
                memchr::memmem::find(&bytes, key).is_none(),
                "the API key is in {}",
                p.display()
            );
        }
    }
}

/// The working tree without `.git` and the two results folders.
pub(super) fn work_tree_digest(root: &Path) -> String {
    use sha2::{Digest, Sha256};
    fn walk(dir: &Path, root: &Path, h: &mut Sha256) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            if rel == ".git"
                || rel == ".claude/runtime/remote"
                || rel == ".claude/runtime/logs/remote"
            {
                continue;
            }
            let m = std::fs::symlink_metadata(&p).unwrap();
            if m.is_dir() {
                // The parents of the results folders may be created by a run.
                if rel != ".claude/runtime" && rel != ".claude/runtime/logs" {
                    h.update(rel.as_bytes());
                    h.update(b"/dir\n");
                }
                walk(&p, root, h);
            } else {
                h.update(rel.as_bytes());
                h.update(b"\0");
                h.update(std::fs::read(&p).unwrap_or_default());
                h.update(b"\n");
            }
        }
    }
    let mut h = Sha256::new();
    walk(root, root, &mut h);
    amplihack_remote::digest::hex(&h.finalize())
}

pub(super) fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

pub(super) fn expect(out: &Output, want: i32) {
    assert_eq!(
        code(out),
        want,
        "stdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
}

pub(super) fn run_id(out: &Output) -> String {
    let e = stderr(out);
    let line = e
        .lines()
        .find(|l| l.starts_with("Results of run "))
        .unwrap_or_else(|| panic!("no results line:\n{e}"));
    line.split_whitespace().nth(3).unwrap().to_string()
}

#[test]
fn a_full_run_imports_the_branch_copies_the_logs_and_deletes_the_vm() {
    let c = Cloud::new();
    write(&c.repo(), "README.md", "hello\nuncommitted line\n");
    write(&c.repo(), "notes/untracked.md", "new, not committed\n");
    std::fs::remove_file(c.repo().join("src/lib.rs")).unwrap();
    let out = c.run(&["auto", "create hello.txt"]);
    expect(&out, 0);
    let o = stdout(&out);
    for line in [
        "Remote Execution Results",
        "Branches (1):",
        "  - main (NEW): ",
        "Commits: 1\nFiles changed: 1\nLogs copied: Yes\n",
        "Status: No conflicts detected",
        "  git merge remote-exec/main",
    ] {
        assert!(o.contains(line), "{line:?} missing:\n{o}");
    }
    assert!(o.starts_with(&format!("{}\n", "=".repeat(60))) || o.contains(&"=".repeat(60)));
    let e = stderr(&out);
    for n in 1..=7 {
        assert!(e.contains(&format!("[{n}/7] ")), "step {n} missing:\n{e}");
    }
    // The commit is reachable as remote-exec/main, on top of the user's main.
    assert_eq!(
        c.git(&["log", "-1", "--format=%s", "remote-exec/main"])
            .trim(),
        "amplihack: create hello.txt"
    );
    assert_eq!(
        c.git(&["rev-parse", "remote-exec/main~1"]),
        c.git(&["rev-parse", "main"])
    );
    // The agent started from what the user sees (uncommitted work included).
    assert_eq!(
        c.git(&["show", "remote-exec/main:hello.txt"]),
        "Hello Remote\n"
    );
    let id = run_id(&out);
    let logs = c.repo().join(".claude/runtime/logs/remote").join(&id);
    let log_files = names(&logs);
    assert!(
        log_files.iter().any(|n| n.starts_with("auto_claude_")),
        "{log_files:?}"
    );
    assert!(c
        .repo()
        .join(".claude/runtime/remote")
        .join(&id)
        .join("results.bundle")
        .is_file());
    // `git status` stays clean of our folders.
    assert_eq!(
        c.git(&["status", "--porcelain"]),
        " M README.md\n D src/lib.rs\n?? notes/\n"
    );
    // The VM is gone, and it was the only one.
    assert!(c.vms().is_empty(), "{:?}", c.vms());
    assert_eq!(c.deleted().len(), 1);
    assert_eq!(c.count("new"), 1);
    assert!(c.deleted()[0].starts_with("amplihack-tester-"));
    // The exact command of the contract, the prompt as one argument.
    assert_eq!(
        c.agent_argv(),
        [
            "claude",
            "--auto",
            "--max-turns",
            "10",
            "--",
            "-p",
            "create hello.txt"
        ]
    );
    // The uncommitted line reached the VM's workspace.
    let ws = c
        .state()
        .join("deleted")
        .join(&c.deleted()[0])
        .join("home/workspace")
        .join(&id);
    assert_eq!(
        std::fs::read_to_string(ws.join("README.md")).unwrap(),
        "hello\nuncommitted line\n"
    );
    assert!(ws.join("notes/untracked.md").is_file());
    assert!(
        !ws.join("src/lib.rs").exists(),
        "a deletion is part of what the user sees"
    );
    assert!(ws.join(".claude/agents/reviewer.md").is_file());
    // The busy lock was released.
    assert!(!c
        .state()
        .join("deleted")
        .join(&c.deleted()[0])
        .join("home/.amplihack-remote/busy.lock")
        .exists());
}

#[test]
fn a_detached_head_gets_a_branch_of_its_own() {
    let c = Cloud::new();
    c.git(&["checkout", "-q", "--detach"]);
    let out = c.run(&["auto", "task"]);
    expect(&out, 0);
    let id = run_id(&out);
    let branch = format!("amplihack-remote/{id}");
    assert!(
        stdout(&out).contains(&format!("  - {branch} (NEW): ")),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        c.git(&["rev-parse", &format!("remote-exec/{branch}~1")]),
        c.git(&["rev-parse", "HEAD"])
    );
}

#[test]
fn keep_vm_then_a_second_run_reuses_it_and_updates_the_branch() {
    let c = Cloud::new();
    let first = c.run(&["auto", "first task", "--keep-vm"]);
    expect(&first, 0);
    assert_eq!(c.vms().len(), 1, "--keep-vm keeps the VM");
    assert!(stderr(&first).contains("kept (--keep-vm)"));
    let vm = c.vms()[0].clone();
    let old = c.git(&["rev-parse", "remote-exec/main"]);

    let second = c.run(&["fix", "second task"]);
    expect(&second, 0);
    assert_eq!(c.count("new"), 1, "the second run must reuse the VM");
    assert!(stderr(&second).contains(&format!("reusing VM {vm}")));
    assert!(
        stdout(&second).contains("  - main (UPDATED): "),
        "{}",
        stdout(&second)
    );
    // Forced update: the new tip is not a descendant of the old one; the old value is in the
    // reflog.
    let new = c.git(&["rev-parse", "remote-exec/main"]);
    assert_ne!(old, new);
    let reflog = c.git(&[
        "reflog",
        "show",
        "--format=%H",
        "refs/remotes/remote-exec/main",
    ]);
    assert!(reflog.contains(old.trim()), "{reflog}");
    assert_eq!(
        c.git(&["log", "-1", "--format=%s", "remote-exec/main"])
            .trim(),
        "amplihack: /amplihack:fix second task"
    );
    assert_eq!(c.agent_argv().last().unwrap(), "/amplihack:fix second task");
    // A reused (tool-tagged) VM follows the seed: deleted after a successful run.
    assert!(c.vms().is_empty());
    assert_eq!(c.deleted(), [vm]);
}

#[test]
fn no_reuse_provisions_a_new_vm_even_when_one_is_reusable() {
    let c = Cloud::new();
    c.make_vm("amplihack-old-1", serde_json::json!({}));
    let out = c.run(&["auto", "task", "--no-reuse"]);
    expect(&out, 0);
    assert_eq!(c.count("list"), 0);
    assert_eq!(c.count("new"), 1);
    assert_eq!(c.vms(), ["amplihack-old-1"], "the other VM is untouched");
    assert_eq!(c.deleted().len(), 1);
}

#[test]
fn reuse_skips_vms_that_are_old_stopped_untagged_of_another_size_or_busy() {
    let c = Cloud::new();
    c.make_vm(
        "old",
        serde_json::json!({"created_time": "2020-01-01 00:00:00 UTC"}),
    );
    c.make_vm("stopped", serde_json::json!({"power_state": "Deallocated"}));
    c.make_vm(
        "untagged",
        serde_json::json!({"tags": {"azlin-session": "untagged"}}),
    );
    c.make_vm("big", serde_json::json!({"vm_size": "Standard_E16as_v5"}));
    c.make_vm("busy", serde_json::json!({}));
    // A live run holds busy's lock.
    let lock = c.state().join("vms/busy/home/.amplihack-remote/busy.lock");
    std::fs::create_dir_all(&lock).unwrap();
    std::fs::write(lock.join("pid"), format!("{}\n", std::process::id())).unwrap();
    std::fs::write(lock.join("run"), "other-run\n").unwrap();
    let out = c.run(&["auto", "task"]);
    expect(&out, 0);
    assert_eq!(c.count("new"), 1, "nothing was reusable");
    assert!(
        stderr(&out).contains("busy: busy with run other-run"),
        "{}",
        stderr(&out)
    );
    assert_eq!(c.vms(), ["big", "busy", "old", "stopped", "untagged"]);
}

#[test]
fn a_stale_lock_does_not_block_reuse() {
    let c = Cloud::new();
    c.make_vm("stale", serde_json::json!({}));
    let lock = c.state().join("vms/stale/home/.amplihack-remote/busy.lock");
    std::fs::create_dir_all(&lock).unwrap();
    // A pid that cannot be alive.
    std::fs::write(lock.join("pid"), "999999999\n").unwrap();
    let out = c.run(&["auto", "task", "--keep-vm"]);
    expect(&out, 0);
    assert_eq!(c.count("new"), 0);
    assert!(!lock.exists(), "the stale lock was taken over and released");
}

#[test]
fn vm_name_uses_exactly_that_vm_and_never_deletes_it() {
    let c = Cloud::new();
    c.make_vm(
        "mine",
        serde_json::json!({"tags": {"azlin-session": "mine"}}),
    );
    c.make_vm("mine2", serde_json::json!({}));
    let out = c.run(&["auto", "task", "--vm-name", "mine"]);
    expect(&out, 0);
    assert_eq!(c.count("new"), 0);
    assert_eq!(c.count("list"), 0);
    assert_eq!(c.vms(), ["mine", "mine2"]);
    assert!(stderr(&out).contains("named with --vm-name"));

    let missing = c.run(&["auto", "task", "--vm-name", "min"]);
    expect(&missing, 3);
    assert!(
        stderr(&missing).contains("VM 'min' not found"),
        "{}",
        stderr(&missing)
    );
    assert_eq!(c.count("new"), 0);
}

#[test]
fn a_transient_new_failure_is_retried_and_one_vm_is_created() {
    let c = Cloud::new();
    c.faults(r#"{"new": [{"exit": 1, "stderr": "Error: transient network error"}]}"#);
    let out = c.run(&["auto", "task"]);
    expect(&out, 0);
    assert_eq!(c.count("new"), 2);
    assert_eq!(c.deleted().len(), 1, "exactly one VM was created");
    assert!(c.vms().is_empty());
}

#[test]
fn a_failed_new_that_created_the_vm_is_used_not_duplicated() {
    let c = Cloud::new();
    c.faults(r#"{"new": [{"create": true}]}"#);
    let out = c.run(&["auto", "task"]);
    expect(&out, 0);
    assert_eq!(c.count("new"), 1, "no second `new` for a VM that exists");
    assert_eq!(c.deleted().len(), 1);
    assert!(c.vms().is_empty());
    assert!(stderr(&out).contains("exists after the failed attempt"));
}

#[test]
fn a_quota_failure_fails_fast() {
    let c = Cloud::new();
    c.faults(r#"{"new": [{"exit": 1, "stderr": "Error: QuotaExceeded: operation would exceed the regional vCPU limit"}]}"#);
    let out = c.run(&["auto", "task"]);
    expect(&out, 3);
    assert_eq!(c.count("new"), 1);
    assert!(stderr(&out).contains("quota"), "{}", stderr(&out));
    assert!(c.vms().is_empty());
}

#[test]
fn provisioning_that_keeps_failing_ends_with_exit_3_and_no_vm() {
    let c = Cloud::new();
    c.faults(r#"{"new": [{"exit": 1}, {"exit": 1}, {"exit": 1}]}"#);
    let out = c.run(&["auto", "task"]);
    expect(&out, 3);
    assert_eq!(c.count("new"), 3);
    assert!(c.vms().is_empty());
}

#[test]
fn a_transfer_failure_is_retried() {
    let c = Cloud::new();
    c.faults(r#"{"cp": [{"match": "context.tar.zst ", "exit": 1, "stderr": "Error: connection reset"}]}"#);
    let out = c.run(&["auto", "task"]);
    expect(&out, 0);
    let archive_copies = c
        .calls()
        .iter()
        .filter(|x| x["argv"][1] == "context.tar.zst")
        .count();
    assert_eq!(archive_copies, 2);
}

#[test]
fn a_transfer_that_keeps_failing_keeps_the_vm_and_says_how_to_continue() {
    let c = Cloud::new();
    c.faults(r#"{"cp": [{"match": "context.tar.zst ", "exit": 1}, {"match": "context.tar.zst ", "exit": 1}]}"#);
    let out = c.run(&["auto", "task"]);
    expect(&out, 4);
    let vm = c.vms()[0].clone();
    let e = stderr(&out);
    assert!(e.contains(&format!("azlin connect {vm}")), "{e}");
    assert!(e.contains(&format!("azlin kill {vm} --force")), "{e}");
}

#[test]
fn a_failing_remote_command_keeps_the_vm_and_still_brings_the_results() {
    let c = Cloud::new();
    c.amplihack(r#"{"exit": 3}"#);
    let out = c.run(&["auto", "task"]);
    expect(&out, 5);
    let e = stderr(&out);
    assert!(e.contains("failed with exit status 3"), "{e}");
    assert!(e.contains("VM preserved for inspection"), "{e}");
    assert_eq!(c.vms().len(), 1);
    assert!(c.git(&["rev-parse", "--verify", "remote-exec/main"]).len() >= 40);
}

#[test]
fn a_timeout_kills_the_remote_group_keeps_the_vm_and_retrieves_the_logs() {
    let c = Cloud::new();
    c.amplihack(r#"{"sleep": 60, "spawn_child": true}"#);
    let started = Instant::now();
    let out = c.run(&["auto", "task", "--timeout-seconds", "2"]);
    expect(&out, 6);
    assert!(started.elapsed() < Duration::from_secs(45));
    assert!(
        stderr(&out).contains("Execution timed out after 2 seconds"),
        "{}",
        stderr(&out)
    );
    assert_eq!(c.vms().len(), 1, "the VM is kept");
    let id = run_id(&out);
    assert!(!names(&c.repo().join(".claude/runtime/logs/remote").join(&id)).is_empty());
    // The agent's background child died with its process group.
    let pid_file = c
        .state()
        .join("vms")
        .join(&c.vms()[0])
        .join("home/standin-child.pid");
    let pid = std::fs::read_to_string(pid_file).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Path::new(&format!("/proc/{}", pid.trim())).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !Path::new(&format!("/proc/{}", pid.trim())).exists(),
        "child {pid} alive"
    );
}

/// A tar.zst with one raw entry.
pub(super) fn hostile_archive(path: &Path, name: &[u8], kind: tar::EntryType, data: &[u8]) {
    let mut h = tar::Header::new_gnu();
    h.as_old_mut().name[..name.len()].copy_from_slice(name);
    h.set_entry_type(kind);
    h.set_mode(0o644);
    h.set_size(data.len() as u64);
    h.set_cksum();
    let mut raw = h.as_bytes().to_vec();
    raw.extend_from_slice(data);
    raw.resize(raw.len().div_ceil(512) * 512 + 1024, 0);
    std::fs::write(path, zstd::encode_all(raw.as_slice(), 1).unwrap()).unwrap();
}

#[test]
fn hostile_log_archives_are_refused_and_nothing_is_written_outside() {
    let cases: Vec<(&[u8], &str)> = vec![
        (b"../../../../evil", "outside"),
        (b".claude/runtime/logs/../../../../evil", "`..`"),
        (b"/tmp/amplihack-remote-e2e-evil", "absolute"),
        (b".claude/runtime/logs/big.log", "exceed"),
    ];
    for (name, why) in cases {
        let c = Cloud::new();
        write(
            &c.repo(),
            ".amplihack-remote.toml",
            "[run]\nretry_delay_seconds = 0\nmax_log_bytes = 1000\n",
        );
        c.git(&["commit", "-q", "-am", "small log limit"]);
        let evil = c.tmp.path().join("evil.tar.zst");
        hostile_archive(&evil, name, tar::EntryType::Regular, &[b'x'; 4096]);
        c.faults(&format!(
            r#"{{"cp": [{{"match": "logs.tar.zst", "replace_with": "{}"}}]}}"#,
            evil.display()
        ));
        let out = c.run(&["auto", "task"]);
        expect(&out, 7);
        let e = stderr(&out);
        assert!(e.contains("log archive was refused"), "{why}: {e}");
        assert!(e.contains(why), "{why}: {e}");
        let id = run_id(&out);
        assert!(!c
            .repo()
            .join(".claude/runtime/logs/remote")
            .join(&id)
            .exists());
        assert_eq!(
            names(&c.repo().join(".claude/runtime/logs/remote")),
            [".gitignore"]
        );
        assert!(!Path::new("/tmp/amplihack-remote-e2e-evil").exists());
        for dir in [c.tmp.path(), c.repo().as_path(), &c.repo().join(".claude")] {
            assert!(!dir.join("evil").exists(), "{why}");
        }
        assert_eq!(c.vms().len(), 1, "the VM is kept for inspection");
        // The branches were still imported (git checked the bundle itself).
        assert!(c.git(&["rev-parse", "--verify", "remote-exec/main"]).len() >= 40);
    }
}

#[test]
fn a_log_symlink_is_skipped_and_reported() {
    let c = Cloud::new();
    c.amplihack(r#"{"log_symlink": true}"#);
    let out = c.run(&["auto", "task"]);
    expect(&out, 0);
    assert!(stderr(&out).contains("evil: a link"), "{}", stderr(&out));
    let logs = c
        .repo()
        .join(".claude/runtime/logs/remote")
        .join(run_id(&out));
    assert!(std::fs::symlink_metadata(logs.join("evil")).is_err());
}

#[test]
fn a_hostile_result_bundle_is_refused() {
    let c = Cloud::new();
    let evil = c.tmp.path().join("evil.bundle");
    std::fs::write(&evil, b"# v2 git bundle\nnot really\n").unwrap();
    c.faults(&format!(
        r#"{{"cp": [{{"match": "results.bundle", "replace_with": "{}"}}]}}"#,
        evil.display()
    ));
    let out = c.run(&["auto", "task"]);
    expect(&out, 7);
    assert!(stderr(&out).contains("does not verify"), "{}", stderr(&out));
    assert!(c
        .git(&["for-each-ref", "refs/remotes/remote-exec/"])
        .is_empty());
}

#[test]
fn an_oversized_result_from_the_vm_is_stopped_and_removed() {
    let c = Cloud::new();
    write(
        &c.repo(),
        ".amplihack-remote.toml",
        "[run]\nretry_delay_seconds = 0\nmax_result_bytes = 100000\n",
    );
    c.git(&["commit", "-q", "-am", "small result limit"]);
    // 64 MiB where at most 100 kB is allowed.
    let big = c.tmp.path().join("big.bundle");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(64 << 20)
        .unwrap();
    c.faults(&format!(
        r#"{{"cp": [{{"match": "results.bundle", "replace_with": "{}"}}]}}"#,
        big.display()
    ));
    let out = c.run(&["auto", "task"]);
    expect(&out, 7);
    let e = stderr(&out);
    // Stopped while arriving (the watchdog), or refused once arrived if the copy was faster
    // than one polling interval: either way, over the limit and gone.
    assert!(e.contains("100000"), "{e}");
    let results = c.repo().join(".claude/runtime/remote").join(run_id(&out));
    assert!(!results.join("results.bundle").exists());
    assert!(c
        .git(&["for-each-ref", "refs/remotes/remote-exec/"])
        .is_empty());
}

#[test]
fn a_hostile_prompt_arrives_byte_identical_and_runs_nothing() {
    let c = Cloud::new();
    let prompt = "it's \"quoted\" $(touch pwned1) `touch pwned2`; touch pwned3 && echo $HOME\nsecond line\t'\\'' {max_turns} {prompt}";
    let out = c.run(&["ultrathink", prompt, "--max-turns", "7"]);
    expect(&out, 0);
    let argv = c.agent_argv();
    assert_eq!(argv[3], "7");
    assert_eq!(
        argv.last().unwrap(),
        &format!("/amplihack:ultrathink {prompt}")
    );
    let mut stack = vec![c.tmp.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            assert!(!n.starts_with("pwned"), "{} exists", e.path().display());
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            }
        }
    }
}

#[test]
fn amplihack_missing_on_the_vm_is_a_clear_error() {
    let c = Cloud::new();
    c.make_vm("bare", serde_json::json!({"amplihack_installed": false}));
    let out = c.run(&["auto", "task", "--vm-name", "bare"]);
    expect(&out, 5);
    let e = stderr(&out);
    assert!(e.contains("amplihack is not installed on VM bare"), "{e}");
    assert_eq!(c.vms(), ["bare"]);
    // The lock was released for the next run.
    assert!(!c
        .state()
        .join("vms/bare/home/.amplihack-remote/busy.lock")
        .exists());
}

#[test]
fn dry_run_calls_only_version_and_prints_the_exact_calls() {
    let c = Cloud::new();
    let out = c.run(&[
        "auto",
        "task",
        "--dry-run",
        "--vm-size",
        "m",
        "--region",
        "westeurope",
    ]);
    expect(&out, 0);
    let calls = c.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["argv"], serde_json::json!(["--version"]));
    let o = stdout(&out);
    assert!(
        o.contains("azlin -o json list --tag amplihack_workflow=true"),
        "{o}"
    );
    assert!(
        o.contains("azlin new --vm-size Standard_D4s_v3 --name amplihack-tester-"),
        "{o}"
    );
    assert!(o.contains("--region westeurope --no-auto-connect"), "{o}");
    assert!(
        o.contains("command on the VM: amplihack claude --auto --max-turns 10 -- -p task"),
        "{o}"
    );
    assert!(!c.repo().join(".claude/runtime/remote").exists());
}

#[test]
fn nothing_is_provisioned_without_a_key_or_with_secrets_in_the_repository() {
    let c = Cloud::new();
    let mut cmd = c.command(&["auto", "task"]);
    cmd.env_remove("ANTHROPIC_API_KEY");
    let out = cmd.output().unwrap();
    expect(&out, 2);
    assert!(stderr(&out).contains("ANTHROPIC_API_KEY is not set"));
    assert!(c.calls().is_empty());
    let mut cmd = c.command(&["auto", "task"]);
    cmd.env("ANTHROPIC_API_KEY", "");
    expect(&cmd.output().unwrap(), 2);

    write(
        &c.repo(),
        "src/config.py",
        &format!(
            "AWS_ACCESS_KEY_ID = \"{}\"\n",
            Fake::new(3).aws_access_key_id()
        ),
    );
    let out = c.run(&["auto", "task"]);
    expect(&out, 1);
    assert!(stdout(&out).contains("Secret detected during packaging"));
    assert_eq!(c.calls().len(), 1, "only `azlin --version`");
}

#[test]
fn usage_errors_name_the_allowed_range() {
    let c = Cloud::new();
    let out = c.run(&["auto", "task", "--max-turns", "99"]);
    expect(&out, 2);
    assert!(stderr(&out).contains("1..=50"), "{}", stderr(&out));
    let out = c.run(&["auto", "task", "--timeout", "2"]);
    expect(&out, 2);
    assert!(stderr(&out).contains("5..=480"), "{}", stderr(&out));
    let out = c.run(&["auto", "   "]);
    expect(&out, 2);
    assert!(stderr(&out).contains("prompt is empty"));
    assert!(c.calls().is_empty());
}

#[test]
fn a_secret_the_agent_commits_is_reported_redacted() {
    let c = Cloud::new();
    c.amplihack(r#"{"secret": true, "branch": "agent-work"}"#);
    let out = c.run(&["auto", "task"]);
    expect(&out, 0);
    let o = stdout(&out);
    assert!(
        o.contains("WARNING: the agent committed what looks like a secret"),
        "{o}"
    );
    assert!(o.contains("aws-credentials.env:"), "{o}");
    assert!(o.contains("  - agent-work (NEW): "), "{o}");
    assert!(o.contains("(no local branch of that name)"), "{o}");
    // Shown redacted only.
    let secret_line = c.git(&["show", "remote-exec/agent-work:aws-credentials.env"]);
    for line in secret_line.lines() {
        if let Some((_, v)) = line.split_once(" = ") {
            assert!(!o.contains(v.trim()), "secret shown in full");
        }
    }
}

#[test]
fn ctrl_c_deletes_the_vm_this_run_created_and_exits_130() {
    let c = Cloud::new();
    c.amplihack(r#"{"sleep": 60}"#);
    let before = c.snapshot();
    let child = c.command(&["auto", "task"]).spawn().unwrap();
    let pid = child.id();
    // Wait until the remote command runs.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !c.state().join("amplihack-calls.jsonl").exists() {
        assert!(
            Instant::now() < deadline,
            "the remote command never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    c.check(&out, &before);
    expect(&out, 130);
    assert!(c.vms().is_empty(), "the VM this run created was deleted");
    assert_eq!(c.deleted().len(), 1);
    assert!(stderr(&out).contains("was deleted"), "{}", stderr(&out));
}
