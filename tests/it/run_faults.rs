//! Failure injection for `amplihack-remote run` (issue 6): the built binary against the
//! stand-in azlin (`tests/fixtures/azlin/`, its `faults.json`), with azlin killed mid-call,
//! hung calls, ssh failures, failed copies, a full local disk and Ctrl-C at every step.
//!
//! Every scenario ends with the invariants of [`Cloud::check`] (the API key in no argv, file
//! or output; `kill` always `--force`; temporary files gone; the user's branches, index,
//! stash, HEAD and working tree unchanged), the documented exit code, and [`accounted`]:
//! every VM that still exists at the end and was not there before was reported with its
//! exact cleanup command, `azlin kill NAME --force`.
//!
//! Scenarios of one kind run in parallel threads (each with its own [`Cloud`]: repository,
//! stand-in state, TMPDIR, HOME), so the file costs about as long as its slowest scenario
//! per test. Hung calls use the hidden `--call-timeout-seconds` (the real per-call limits
//! are minutes long); the rows of `docs/reliability.md` name these tests and cases.

#![cfg(feature = "exec")]

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::run_e2e::{expect, hostile_archive, names, python, run_id, Cloud};
use super::support::*;

/// The per-call cap of the hung-call scenarios: long enough for every call that is not hung
/// (on a loaded 2-core machine), short enough to keep the file fast.
const CAP: &str = "6";

/// Runs `f` on every case in its own thread; reports every failing case by name.
fn par<T: Sync + std::fmt::Debug>(cases: &[T], f: impl Fn(&T) + Sync) {
    let failed: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = cases
            .iter()
            .map(|case| (case, s.spawn(|| f(case))))
            .collect();
        handles
            .into_iter()
            .filter_map(|(case, h)| {
                h.join().err().map(|p| {
                    let msg = p
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default();
                    format!("case {case:?}: {msg}")
                })
            })
            .collect()
    });
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

fn argv(call: &Value) -> Vec<String> {
    call["argv"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

/// Whether a call of `sub` whose joined argv contains `needle` has started.
fn started(c: &Cloud, sub: &str, needle: &str) -> bool {
    c.calls().iter().any(|call| {
        let a = argv(call);
        a.iter().any(|w| w == sub) && a.join(" ").contains(needle)
    })
}

/// The VM name of this run's `new` call, if any.
fn new_name(c: &Cloud) -> Option<String> {
    c.calls().iter().find_map(|call| {
        let a = argv(call);
        (a.first().map(String::as_str) == Some("new"))
            .then(|| a.iter().skip_while(|w| *w != "--name").nth(1).cloned())
            .flatten()
    })
}

/// Every VM that exists at the end and was not in `before` is reported with its exact
/// cleanup command.
fn accounted(c: &Cloud, out: &Output, before: &[&str]) {
    let e = stderr(out);
    for vm in c.vms() {
        if !before.contains(&vm.as_str()) {
            assert!(
                e.contains(&format!("azlin kill {vm} --force")),
                "VM {vm} exists and was not reported:\n{e}"
            );
        }
    }
    for vm in before {
        assert!(
            c.vms().contains(&vm.to_string()),
            "VM {vm} (not this run's) was deleted"
        );
    }
}

/// A VM an earlier `--keep-vm` run left: tagged, young, the default size, running.
fn reusable_vm(c: &Cloud) {
    c.make_vm("earlier", serde_json::json!({}));
}

fn copies_of(c: &Cloud, needle: &str) -> usize {
    c.calls()
        .iter()
        .filter(|call| argv(call)[0] == "cp" && argv(call).join(" ").contains(needle))
        .count()
}

// ------------------------------------------------------------------ azlin killed mid-call

#[test]
fn azlin_killed_mid_call() {
    let cases = [
        "version",
        "list",
        "show",
        "new",
        "tag",
        "cp-up",
        "cp-down",
        "probe",
        "mkdir",
        "connect-run",
        "kill",
    ];
    par(&cases, |&case| {
        let c = Cloud::new();
        let mut before = vec![];
        if matches!(case, "show" | "probe") {
            reusable_vm(&c);
            before.push("earlier");
        }
        let fault = match case {
            "version" => r#"{"version": [{"kill_self": true}]}"#,
            "list" => r#"{"list": [{"kill_self": true}]}"#,
            "show" => r#"{"show": [{"kill_self": true}]}"#,
            "new" => r#"{"new": [{"kill_self": true}]}"#,
            "tag" => r#"{"tag": [{"kill_self": true}]}"#,
            "cp-up" => r#"{"cp": [{"match": "context.tar.zst ", "kill_self": true}]}"#,
            "cp-down" => r#"{"cp": [{"match": "results.bundle", "kill_self": true}]}"#,
            "probe" => r#"{"connect": [{"match": "amplihack-remote-probe", "kill_self": true}]}"#,
            "mkdir" => r#"{"connect": [{"match": "mkdir -p", "kill_self": true}]}"#,
            "connect-run" => {
                r#"{"connect": [{"match": "amplihack-remote-run", "kill_self": true}]}"#
            }
            "kill" => r#"{"kill": [{"kill_self": true}]}"#,
            _ => unreachable!(),
        };
        c.faults(fault);
        let out = c.run(&["auto", "task"]);
        let e = stderr(&out);
        accounted(&c, &out, &before);
        match case {
            "version" => {
                expect(&out, 2);
                assert!(e.contains("killed by a signal"), "{e}");
                assert_eq!(c.calls().len(), 1);
            }
            "list" => {
                expect(&out, 3);
                assert!(e.contains("listing VMs failed"), "{e}");
                assert!(c.vms().is_empty() && c.deleted().is_empty());
            }
            "show" => {
                expect(&out, 0);
                assert!(e.contains("earlier: not considered for reuse"), "{e}");
                assert_eq!(c.vms(), ["earlier"]);
                assert_eq!(c.deleted().len(), 1, "a VM of its own, deleted");
            }
            "probe" => {
                expect(&out, 0);
                assert!(e.contains("the busy probe failed"), "{e}");
                assert_eq!(c.vms(), ["earlier"]);
                assert_eq!(c.deleted().len(), 1);
            }
            "new" => {
                expect(&out, 0);
                assert_eq!(c.count("new"), 2, "retried");
                assert_eq!(c.deleted().len(), 1, "exactly one VM");
                assert!(c.vms().is_empty());
            }
            "tag" => {
                expect(&out, 0);
                assert!(e.contains("will not be found for reuse"), "{e}");
                assert_eq!(c.deleted().len(), 1);
                assert!(c.vms().is_empty());
            }
            "cp-up" => {
                expect(&out, 0);
                assert_eq!(copies_of(&c, "context.tar.zst "), 2, "retried");
                assert!(c.vms().is_empty());
            }
            "cp-down" => {
                expect(&out, 0);
                assert_eq!(copies_of(&c, "results.bundle"), 2, "retried");
                assert!(c.git(&["rev-parse", "--verify", "remote-exec/main"]).len() >= 40);
                assert!(c.vms().is_empty());
            }
            "mkdir" => {
                expect(&out, 4);
                assert_eq!(c.vms().len(), 1, "kept and reported");
            }
            "connect-run" => {
                expect(&out, 5);
                assert!(e.contains("killed by a signal"), "{e}");
                assert_eq!(c.vms().len(), 1, "kept and reported");
            }
            "kill" => {
                expect(&out, 8);
                assert!(e.contains("Cleanup failed"), "{e}");
                assert_eq!(c.vms().len(), 1, "still there, and reported");
                // The branch was imported before cleanup failed.
                assert!(c.git(&["rev-parse", "--verify", "remote-exec/main"]).len() >= 40);
            }
            _ => unreachable!(),
        }
    });
}

// ------------------------------------------------------------------ hung calls

#[test]
fn a_hung_call_is_stopped_by_its_time_limit() {
    let cases = [
        "version",
        "list",
        "show",
        "probe",
        "new",
        "tag",
        "cp-up",
        "mkdir",
        "connect-run",
        "cp-down",
        "kill",
    ];
    par(&cases, |&case| {
        let c = Cloud::new();
        let mut before = vec![];
        if matches!(case, "show" | "probe") {
            reusable_vm(&c);
            before.push("earlier");
        }
        let (key, matching) = match case {
            "version" => ("version", ""),
            "list" => ("list", ""),
            "show" => ("show", ""),
            "probe" => ("connect", "amplihack-remote-probe"),
            "new" => ("new", ""),
            "tag" => ("tag", ""),
            "cp-up" => ("cp", "context.tar.zst.sig"),
            "mkdir" => ("connect", "mkdir -p"),
            "connect-run" => ("connect", "amplihack-remote-run"),
            "cp-down" => ("cp", "status.json"),
            "kill" => ("kill", ""),
            _ => unreachable!(),
        };
        c.faults(&format!(
            r#"{{"{key}": [{{"match": "{matching}", "sleep": 60}}]}}"#
        ));
        let t = Instant::now();
        let out = c.run(&["auto", "task", "--call-timeout-seconds", CAP]);
        let e = stderr(&out);
        assert!(t.elapsed() < Duration::from_secs(50), "{case}: too slow");
        accounted(&c, &out, &before);
        assert!(
            e.contains("did not finish within 6s") || e.contains("did not finish within"),
            "{e}"
        );
        match case {
            "version" => {
                expect(&out, 2);
                assert!(e.contains("does not answer"), "{e}");
            }
            "list" => {
                expect(&out, 3);
                assert!(c.vms().is_empty() && c.deleted().is_empty());
            }
            "show" | "probe" => {
                // A VM that cannot be looked at in time is not reused; the run goes on.
                expect(&out, 0);
                assert_eq!(c.vms(), ["earlier"]);
                assert_eq!(c.deleted().len(), 1);
            }
            "new" => {
                expect(&out, 0);
                assert_eq!(c.count("new"), 2);
                assert_eq!(c.deleted().len(), 1);
            }
            "tag" => {
                // The tag only serves a later reuse: a warning, and the run goes on.
                expect(&out, 0);
                assert!(e.contains("will not be found for reuse"), "{e}");
                assert_eq!(c.deleted().len(), 1);
                assert!(c.vms().is_empty());
            }
            "cp-up" | "cp-down" => {
                expect(&out, 0);
                assert!(c.vms().is_empty());
            }
            "mkdir" => {
                expect(&out, 4);
                assert_eq!(c.vms().len(), 1);
            }
            "connect-run" => {
                expect(&out, 6);
                assert_eq!(c.vms().len(), 1);
            }
            "kill" => {
                expect(&out, 8);
                assert_eq!(c.vms().len(), 1);
            }
            _ => unreachable!(),
        }
    });
}

// ------------------------------------------------------------------ ssh failures

#[test]
fn ssh_failure_on_connect() {
    let cases = ["probe-reuse", "probe-named", "mkdir", "connect-run"];
    par(&cases, |&case| {
        let c = Cloud::new();
        let mut before = vec![];
        if case.starts_with("probe") {
            reusable_vm(&c);
            before.push("earlier");
        }
        let needle = match case {
            "probe-reuse" | "probe-named" => "amplihack-remote-probe",
            "mkdir" => "mkdir -p",
            "connect-run" => "amplihack-remote-run",
            _ => unreachable!(),
        };
        c.faults(&format!(
            r#"{{"connect": [{{"match": "{needle}", "exit": 255, "stderr": "ssh: connect to host 10.0.0.9 port 22: Connection refused"}}]}}"#
        ));
        let mut args = vec!["auto", "task"];
        if case == "probe-named" {
            args.extend(["--vm-name", "earlier"]);
        }
        let out = c.run(&args);
        let e = stderr(&out);
        accounted(&c, &out, &before);
        match case {
            "probe-reuse" => {
                expect(&out, 0);
                assert!(e.contains("the busy probe failed"), "{e}");
                assert_eq!(c.deleted().len(), 1);
            }
            "probe-named" => {
                expect(&out, 3);
                assert!(e.contains("VM 'earlier' cannot be reached"), "{e}");
                assert!(e.contains("exit status 255"), "{e}");
                assert!(c.deleted().is_empty(), "never deletes a named VM");
                assert_eq!(c.count("new"), 0);
            }
            "mkdir" => {
                expect(&out, 4);
                assert!(e.contains("exit status 255"), "{e}");
                assert_eq!(c.vms().len(), 1);
            }
            "connect-run" => {
                expect(&out, 5);
                assert!(e.contains("ssh status 255"), "{e}");
                assert_eq!(c.vms().len(), 1);
            }
            _ => unreachable!(),
        }
    });
}

// ------------------------------------------------------------------ failed copies

#[test]
fn copy_failure_at_each_transfer() {
    let files = [
        "context.tar.zst ",
        "context.tar.zst.sig",
        "status.json",
        "results.bundle",
        "logs.tar.zst",
    ];
    let cases: Vec<(&str, bool)> = files
        .iter()
        .flat_map(|f| [(*f, true), (*f, false)])
        .collect();
    par(&cases, |&(file, recovers)| {
        let c = Cloud::new();
        let fault = format!(
            r#"{{"match": "{file}", "exit": 1, "stderr": "Error: connection reset by peer"}}"#
        );
        let n = if recovers { 1 } else { 2 };
        c.faults(&format!(r#"{{"cp": [{}]}}"#, vec![fault; n].join(", ")));
        let out = c.run(&["auto", "task"]);
        let e = stderr(&out);
        accounted(&c, &out, &[]);
        assert_eq!(copies_of(&c, file), 2, "tried twice");
        assert!(e.contains("connection reset by peer"), "{e}");
        if recovers {
            expect(&out, 0);
            assert!(c.vms().is_empty());
            assert!(c.git(&["rev-parse", "--verify", "remote-exec/main"]).len() >= 40);
            return;
        }
        assert_eq!(c.vms().len(), 1, "kept for inspection, and reported");
        let imported = !c
            .git(&["for-each-ref", "refs/remotes/remote-exec/"])
            .is_empty();
        match file {
            "context.tar.zst " | "context.tar.zst.sig" => {
                expect(&out, 4);
                assert!(!imported);
            }
            "status.json" => {
                expect(&out, 7);
                assert!(!imported);
            }
            "results.bundle" => {
                expect(&out, 7);
                assert!(!imported);
                let dir = c.repo().join(".claude/runtime/remote").join(run_id(&out));
                assert!(!dir.join("results.bundle").exists());
            }
            "logs.tar.zst" => {
                expect(&out, 7);
                assert!(imported, "the branches still arrive");
                let dir = c.repo().join(".claude/runtime/remote").join(run_id(&out));
                assert!(!dir.join("logs.tar.zst").exists());
            }
            _ => unreachable!(),
        }
    });
}

// ------------------------------------------------------------------ local disk full

/// `run ARGS` with RLIMIT_FSIZE = `limit` bytes on our process (inherited by azlin, git, the
/// remote commands of the stand-in) and SIGXFSZ ignored, so a write past the limit fails
/// with EFBIG, as a write to a full disk fails with ENOSPC: the simulation of a full local
/// disk that needs no privilege.
fn run_with_fsize_limit(c: &Cloud, args: &[&str], limit: u64) -> Output {
    let base = c.command(args);
    let (py, _) = python();
    let mut cmd = Command::new(py);
    cmd.arg("-S")
        .arg("-c")
        .arg(
            "import os, resource, signal, sys\n\
             n = int(sys.argv[1])\n\
             resource.setrlimit(resource.RLIMIT_FSIZE, (n, n))\n\
             signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n\
             os.execv(sys.argv[2], sys.argv[2:])\n",
        )
        .arg(limit.to_string())
        .arg(base.get_program())
        .args(base.get_args())
        .env_clear()
        .current_dir(base.get_current_dir().unwrap())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in base.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    let before = c.snapshot();
    let out = cmd.output().unwrap();
    c.check(&out, &before);
    out
}

#[test]
fn disk_full_while_writing_results() {
    let cases = ["bundle-recovers", "bundle", "logs"];
    par(&cases, |&case| {
        let c = Cloud::new();
        const LIMIT: u64 = 1 << 20;
        match case {
            "bundle-recovers" | "bundle" => {
                // The VM sends a 2 MiB bundle where the disk has room for 1 MiB.
                let big = c.tmp.path().join("big.bundle");
                std::fs::write(&big, vec![b'x'; 2 << 20]).unwrap();
                let fault = format!(
                    r#"{{"match": "results.bundle", "replace_with": "{}"}}"#,
                    big.display()
                );
                let n = if case == "bundle" { 2 } else { 1 };
                c.faults(&format!(r#"{{"cp": [{}]}}"#, vec![fault; n].join(", ")));
            }
            "logs" => {
                // A log archive that is small but holds a 2 MiB log: the extraction fills
                // the disk.
                let evil = c.tmp.path().join("logs.tar.zst");
                hostile_archive(
                    &evil,
                    b".claude/runtime/logs/auto_claude_big.log",
                    tar::EntryType::Regular,
                    &vec![b'y'; 2 << 20],
                );
                c.faults(&format!(
                    r#"{{"cp": [{{"match": "logs.tar.zst", "replace_with": "{}"}}]}}"#,
                    evil.display()
                ));
            }
            _ => unreachable!(),
        }
        let out = run_with_fsize_limit(&c, &["auto", "task"], LIMIT);
        let e = stderr(&out);
        accounted(&c, &out, &[]);
        let dir = c.repo().join(".claude/runtime/remote").join(run_id(&out));
        match case {
            "bundle-recovers" => {
                expect(&out, 0);
                assert!(e.contains("File too large"), "{e}");
                assert!(c.git(&["rev-parse", "--verify", "remote-exec/main"]).len() >= 40);
                assert!(c.vms().is_empty());
            }
            "bundle" => {
                expect(&out, 7);
                assert!(e.contains("File too large"), "{e}");
                assert!(!dir.join("results.bundle").exists(), "partial file left");
                assert!(c
                    .git(&["for-each-ref", "refs/remotes/remote-exec/"])
                    .is_empty());
                assert_eq!(c.vms().len(), 1);
            }
            "logs" => {
                expect(&out, 7);
                assert!(e.contains("log archive was refused"), "{e}");
                let logs = c.repo().join(".claude/runtime/logs/remote");
                assert_eq!(names(&logs), [".gitignore"], "nothing half-extracted");
                assert!(c.git(&["rev-parse", "--verify", "remote-exec/main"]).len() >= 40);
                assert_eq!(c.vms().len(), 1);
            }
            _ => unreachable!(),
        }
    });
}

// ------------------------------------------------------------------ Ctrl-C

/// Sends SIGINT to `pid` (or to the process group `pid` when `group`: a Ctrl-C in a
/// terminal reaches azlin too).
fn sigint(pid: u32, group: bool) {
    let target = if group {
        format!("-{pid}")
    } else {
        pid.to_string()
    };
    let ok = Command::new("kill")
        .args(["-INT", "--", &target])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -INT {target}");
}

/// A moment to wait for: the stand-in's state and our stderr so far.
type Moment<'a> = &'a dyn Fn(&Cloud, &str) -> bool;

fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts `run ARGS`, waits for `ready`, sends SIGINT (then, if `again` is given, waits for
/// it and sends a second one), and checks the invariants.
fn interrupted(
    c: &Cloud,
    args: &[&str],
    group: bool,
    ready: Moment,
    again: Option<Moment>,
) -> Output {
    let before = c.snapshot();
    let mut cmd = c.command(args);
    if group {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = cmd.spawn().unwrap();
    let pid = child.id();
    // stderr is read as it comes (the step lines), and kept.
    let err = child.stderr.take().unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let reader = {
        let seen = std::sync::Arc::clone(&seen);
        std::thread::spawn(move || {
            let mut r = BufReader::new(err);
            let mut line = String::new();
            while r.read_line(&mut line).unwrap_or(0) > 0 {
                seen.lock().unwrap().push_str(&line);
                line.clear();
            }
        })
    };
    let text = || seen.lock().unwrap().clone();
    wait_for("the step", || ready(c, &text()));
    sigint(pid, group);
    if let Some(again) = again {
        wait_for("the second moment", || again(c, &text()));
        sigint(pid, group);
    }
    let mut stdout = Vec::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut stdout)
        .unwrap();
    let status = child.wait().unwrap();
    reader.join().unwrap();
    let out = Output {
        status,
        stdout,
        stderr: text().into_bytes(),
    };
    c.check(&out, &before);
    out
}

#[test]
fn ctrl_c_at_each_step() {
    let cases = [
        "1-version",
        "2-packaging",
        "3-new",
        "3-tag",
        "4-upload",
        "5-execute",
        "6-retrieve",
        "7-cleanup",
    ];
    par(&cases, |&case| {
        let c = Cloud::new();
        let (fault, sub, needle) = match case {
            "1-version" => (r#"{"version": [{"sleep": 60}]}"#, "--version", ""),
            "2-packaging" => ("{}", "", ""),
            "3-new" => (r#"{"new": [{"sleep": 60}]}"#, "new", ""),
            "3-tag" => (r#"{"tag": [{"sleep": 60}]}"#, "tag", ""),
            "4-upload" => (
                r#"{"cp": [{"match": "context.tar.zst ", "sleep": 60}]}"#,
                "cp",
                "context.tar.zst ",
            ),
            "5-execute" => (
                r#"{"connect": [{"match": "amplihack-remote-run", "sleep": 60}]}"#,
                "connect",
                "amplihack-remote-run",
            ),
            "6-retrieve" => (
                r#"{"cp": [{"match": "status.json", "sleep": 60}]}"#,
                "cp",
                "status.json",
            ),
            "7-cleanup" => (r#"{"kill": [{"sleep": 3}]}"#, "kill", ""),
            _ => unreachable!(),
        };
        c.faults(fault);
        if case == "2-packaging" {
            // Enough to scan that packaging lasts a moment (a debug build scans slowly).
            let mut f = Fake::new(5);
            let text: String = (0..40_000).map(|_| format!("{}\n", f.alnum(60))).collect();
            write(&c.repo(), "data/big.txt", &text);
            c.git(&["add", "-A"]);
            c.git(&["commit", "-q", "-m", "big"]);
        }
        let ready = |c: &Cloud, err: &str| {
            if case == "2-packaging" {
                err.contains("[2/7]")
            } else {
                started(c, sub, needle)
            }
        };
        let out = interrupted(&c, &["auto", "task"], false, &ready, None);
        expect(&out, 130);
        let e = stderr(&out);
        accounted(&c, &out, &[]);
        match case {
            "1-version" => {
                assert_eq!(c.calls().len(), 1);
            }
            "2-packaging" => {
                assert!(e.contains("while packaging"), "{e}");
                assert_eq!(c.calls().len(), 1, "nothing provisioned");
            }
            "3-new" => {
                // The `new` was stopped before it acted: nothing exists, and the message
                // still says how to check and delete in case Azure goes on.
                let name = new_name(&c).unwrap();
                assert!(c.vms().is_empty());
                assert!(e.contains(&format!("azlin kill {name} --force")), "{e}");
            }
            "3-tag" | "4-upload" | "5-execute" => {
                assert!(c.vms().is_empty(), "the VM this run created is deleted");
                assert_eq!(c.deleted().len(), 1);
                assert!(e.contains("was deleted"), "{e}");
            }
            "6-retrieve" => {
                // The VM holds the finished run's results: kept and reported, not deleted.
                assert_eq!(c.vms().len(), 1, "{e}");
                assert!(e.contains("holds the results"), "{e}");
            }
            "7-cleanup" => {
                // The deletion in progress is finished, then the run stops.
                assert!(c.vms().is_empty(), "{e}");
                assert_eq!(c.deleted().len(), 1);
                assert!(c.git(&["rev-parse", "--verify", "remote-exec/main"]).len() >= 40);
            }
            _ => unreachable!(),
        }
    });
}

#[test]
fn ctrl_c_in_a_terminal_reaches_azlin_too() {
    // SIGINT to the whole process group, as a terminal sends it: azlin dies of it as well,
    // and that must still read as an interruption (130), not as a failed step.
    let cases = ["3-new", "4-upload", "5-execute"];
    par(&cases, |&case| {
        let c = Cloud::new();
        let (fault, sub, needle) = match case {
            "3-new" => (r#"{"new": [{"sleep": 60}]}"#, "new", ""),
            "4-upload" => (
                r#"{"cp": [{"match": "context.tar.zst ", "sleep": 60}]}"#,
                "cp",
                "context.tar.zst ",
            ),
            "5-execute" => (
                r#"{"connect": [{"match": "amplihack-remote-run", "sleep": 60}]}"#,
                "connect",
                "amplihack-remote-run",
            ),
            _ => unreachable!(),
        };
        c.faults(fault);
        let ready = |c: &Cloud, _: &str| started(c, sub, needle);
        let out = interrupted(&c, &["auto", "task"], true, &ready, None);
        expect(&out, 130);
        accounted(&c, &out, &[]);
        assert!(c.vms().is_empty(), "{}", stderr(&out));
    });
}

#[test]
fn a_second_ctrl_c_gives_up_at_once_and_names_the_vm() {
    let cases = ["during-interrupt-cleanup", "during-step-7"];
    par(&cases, |&case| {
        let c = Cloud::new();
        let (fault, first): (&str, Moment) = match case {
            // First Ctrl-C during the upload; the second while that VM is being deleted.
            "during-interrupt-cleanup" => (
                r#"{"cp": [{"match": "context.tar.zst ", "sleep": 60}], "kill": [{"sleep": 2}]}"#,
                &|c: &Cloud, _: &str| started(c, "cp", "context.tar.zst "),
            ),
            // Both during step 7's deletion.
            "during-step-7" => (r#"{"kill": [{"sleep": 2}]}"#, &|c: &Cloud, _: &str| {
                started(c, "kill", "")
            }),
            _ => unreachable!(),
        };
        c.faults(fault);
        let again =
            |c: &Cloud, err: &str| started(c, "kill", "") && err.contains("Interrupted: stopping");
        let t = Instant::now();
        let out = interrupted(&c, &["auto", "task"], false, first, Some(&again));
        expect(&out, 130);
        assert!(t.elapsed() < Duration::from_secs(30));
        let e = stderr(&out);
        let name = new_name(&c).unwrap();
        assert!(e.contains("Interrupted again"), "{e}");
        assert!(e.contains(&format!("azlin kill {name} --force")), "{e}");
        // The azlin kill we left running still finishes (the stand-in sleeps 2 s).
        wait_for("the orphaned kill", || c.vms().is_empty());
    });
}

// ------------------------------------------------------------------ cleanup failure

#[test]
fn a_failed_cleanup_exits_8_and_names_the_exact_command() {
    let c = Cloud::new();
    c.faults(
        r#"{"kill": [{"exit": 1, "stderr": "Error: AuthorizationFailed: the token expired"}]}"#,
    );
    let out = c.run(&["auto", "task"]);
    expect(&out, 8);
    let e = stderr(&out);
    let vm = c.vms().pop().expect("the VM still exists");
    assert!(e.contains("Cleanup failed"), "{e}");
    assert!(e.contains("AuthorizationFailed"), "{e}");
    assert!(
        e.contains(&format!(
            "The VM may still exist: delete it with `azlin kill {vm} --force`"
        )),
        "{e}"
    );
    accounted(&c, &out, &[]);
    // The results arrived before cleanup failed: nothing lost.
    assert!(c.git(&["rev-parse", "--verify", "remote-exec/main"]).len() >= 40);
    assert!(stdout(&out).contains("Remote Execution Results"));
    // Exactly one kill, with --force (checked for every call by `Cloud::check`).
    assert_eq!(c.count("kill"), 1);
}

#[test]
fn a_vm_left_by_a_failed_new_is_reported_even_when_lookups_fail() {
    // `new` creates the VM but fails; every lookup during the retries fails too, so the
    // retries cannot tell the VM exists. The run fails (3), and still names the VM.
    let c = Cloud::new();
    c.faults(
        r#"{"new": [{"create": true}],
            "show": [{"exit": 1, "stderr": "Error: TooManyRequests"},
                     {"exit": 1, "stderr": "Error: TooManyRequests"},
                     {"exit": 1, "stderr": "Error: TooManyRequests"}]}"#,
    );
    let out = c.run(&["auto", "task"]);
    expect(&out, 3);
    let e = stderr(&out);
    assert!(e.contains("cannot tell whether VM"), "{e}");
    assert_eq!(c.vms().len(), 1, "{e}");
    accounted(&c, &out, &[]);
    assert_eq!(c.count("new"), 3);
}

#[test]
fn garbage_from_azlin_is_never_taken_for_an_answer() {
    // azlin exits 0 but prints something else than what was asked (the `stdout` fault).
    let cases = ["list", "show", "probe"];
    par(&cases, |&case| {
        let c = Cloud::new();
        reusable_vm(&c);
        c.faults(match case {
            "list" => r#"{"list": [{"exit": 0, "stdout": "Total: 0 VMs (table)"}]}"#,
            "show" => r#"{"show": [{"exit": 0, "stdout": "{\"name\": 7}"}]}"#,
            "probe" => {
                r#"{"connect": [{"match": "amplihack-remote-probe", "exit": 0, "stdout": "free-ish"}]}"#
            }
            _ => unreachable!(),
        });
        let out = c.run(&["auto", "task"]);
        let e = stderr(&out);
        accounted(&c, &out, &["earlier"]);
        match case {
            "list" => {
                // An unreadable list is not an empty list: nothing is provisioned.
                expect(&out, 3);
                assert!(e.contains("not an empty list"), "{e}");
                assert_eq!(c.count("new"), 0);
            }
            "show" => {
                expect(&out, 0);
                assert!(e.contains("earlier: not considered for reuse"), "{e}");
                assert_eq!(c.deleted().len(), 1);
            }
            "probe" => {
                expect(&out, 0);
                assert!(e.contains("the busy probe printed"), "{e}");
                assert_eq!(c.deleted().len(), 1);
            }
            _ => unreachable!(),
        }
    });
}
