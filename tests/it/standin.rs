//! The stand-in `azlin` 2.7.3 and stand-in `amplihack` (`tests/fixtures/azlin/`): the
//! end-to-end tests of `run` prove something only if these enforce the azlin contract
//! strictly, so every rule of `tests/fixtures/azlin/README.md` that `run` depends on is
//! checked here against the fixtures themselves.

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::support::*;

fn fixture(rel: &str) -> PathBuf {
    project_root().join("tests/fixtures/azlin").join(rel)
}

/// The Python 3 that runs the fixtures: its executable, and a PATH that starts with its
/// directory.
struct Python {
    exe: PathBuf,
    path: String,
}

/// The fixtures are Python 3 scripts: without `python3` these tests fail (never skip).
///
/// Speed: most tests run the stand-in as `<python3> -S <fixture>`, skipping `site` (the
/// fixtures use the standard library only, which `-S` also enforces) and version-manager shims
/// (pyenv's costs ~200 ms a call); the PATH puts the real interpreter first, so the shebangs of
/// nested calls (`amplihack` on the "VM") skip the shims too. `version_and_the_call_log` and
/// `the_fixtures_are_executable_scripts` run them through their own shebang.
fn python() -> &'static Python {
    static PY: std::sync::OnceLock<Python> = std::sync::OnceLock::new();
    PY.get_or_init(|| {
        let out = Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .stderr(Stdio::null())
            .output();
        let exe = match out {
            Ok(o) if o.status.success() => {
                PathBuf::from(String::from_utf8_lossy(&o.stdout).trim().to_string())
            }
            _ => panic!(
                "python3 was not found on PATH: the stand-in azlin and amplihack fixtures \
                 (tests/fixtures/azlin/) are Python 3 scripts; install Python 3 to run these tests"
            ),
        };
        let dir = exe.parent().expect("python3's directory");
        let path = format!(
            "{}:{}",
            dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        Python { exe, path }
    })
}

/// `<python3> -S <fixture>`, PATH set (see [`python`]).
fn fixture_cmd(rel: &str) -> Command {
    let py = python();
    let mut c = Command::new(&py.exe);
    c.arg("-S").arg(fixture(rel)).env("PATH", &py.path);
    c
}

/// One stand-in "cloud": a state directory and a working directory for the caller.
struct Azlin {
    tmp: tempfile::TempDir,
}

impl Azlin {
    fn new() -> Azlin {
        python();
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("state")).unwrap();
        std::fs::create_dir(tmp.path().join("work")).unwrap();
        Azlin { tmp }
    }

    fn state(&self) -> PathBuf {
        self.tmp.path().join("state")
    }

    fn work(&self) -> PathBuf {
        self.tmp.path().join("work")
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = fixture_cmd("azlin");
        c.args(args)
            .current_dir(self.work())
            .env("FAKE_AZLIN_STATE", self.state())
            .env_remove("AZLIN_CONFIG_DIR")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("the stand-in azlin starts")
    }

    fn run_stdin(&self, args: &[&str], input: &[u8]) -> Output {
        let mut child = self.cmd(args).stdin(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().unwrap()
    }

    fn vm(&self, name: &str) -> PathBuf {
        self.state().join("vms").join(name)
    }

    fn home(&self, name: &str) -> PathBuf {
        self.vm(name).join("home")
    }

    /// Creates a running VM the way our tool does.
    fn new_vm(&self, name: &str) {
        let out = self.run(&[
            "new",
            "--name",
            name,
            "--vm-size",
            "Standard_D2s_v3",
            "--no-auto-connect",
        ]);
        expect(&out, 0);
    }

    fn meta(&self, name: &str) -> Value {
        serde_json::from_slice(&std::fs::read(self.vm(name).join("meta.json")).unwrap()).unwrap()
    }

    fn edit_meta(&self, name: &str, f: impl FnOnce(&mut Value)) {
        let mut m = self.meta(name);
        f(&mut m);
        std::fs::write(
            self.vm(name).join("meta.json"),
            serde_json::to_vec(&m).unwrap(),
        )
        .unwrap();
    }

    fn calls(&self) -> Vec<Value> {
        jsonl(&self.state().join("calls.jsonl"))
    }

    fn faults(&self, json: &str) {
        std::fs::write(self.state().join("faults.json"), json).unwrap();
    }

    fn amplihack_config(&self, json: &str) {
        std::fs::write(self.state().join("amplihack.json"), json).unwrap();
    }
}

fn jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

#[track_caller]
fn expect(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status,
        stdout(out),
        stderr(out)
    );
}

/// Exit 1 with an `Error: ...` line containing `what`.
#[track_caller]
fn expect_error(out: &Output, what: &str) {
    expect(out, 1);
    let err = stderr(out);
    assert!(
        err.lines()
            .any(|l| l.starts_with("Error: ") && l.contains(what)),
        "expected a line `Error: ...{what}...`, got: {err}"
    );
}

fn out_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", stdout(out)))
}

/// True while `pid` exists and is not a zombie (Linux `/proc`).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => {
            let state = s.rsplit(") ").next().and_then(|r| r.chars().next());
            !matches!(state, Some('Z') | Some('X') | None)
        }
        Err(_) => false,
    }
}

fn wait_for(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn read_pid(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .args([sig, &pid.to_string()])
        .stderr(Stdio::null())
        .status();
}

// ------------------------------------------------------------------------------ global

#[test]
fn version_and_the_call_log() {
    let az = Azlin::new();
    // Through the shebang, as the code under test runs it.
    let out = Command::new(fixture("azlin"))
        .arg("--version")
        .current_dir(az.work())
        .env("PATH", &python().path)
        .env("FAKE_AZLIN_STATE", az.state())
        .output()
        .unwrap();
    expect(&out, 0);
    assert_eq!(stdout(&out), "azlin 2.7.3\n");
    let calls = az.calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(calls[0]["phase"], "start");
    assert_eq!(calls[0]["argv"], serde_json::json!(["--version"]));
    assert_eq!(
        calls[0]["cwd"].as_str().map(PathBuf::from),
        Some(az.work().canonicalize().unwrap())
    );
    assert_eq!(calls[1]["phase"], "end");
    assert_eq!(calls[1]["exit"], 0);
    assert_eq!(calls[0]["seq"], calls[1]["seq"]);

    // Usage errors are logged too, with their status.
    expect(&az.run(&["list", "--json"]), 2);
    let calls = az.calls();
    assert_eq!(calls[2]["argv"], serde_json::json!(["list", "--json"]));
    assert_eq!(calls[3]["exit"], 2);
    assert_ne!(calls[2]["seq"], calls[0]["seq"]);

    // No state directory: exit 1, as the interface says.
    let out = Command::new(fixture("azlin"))
        .arg("--version")
        .env("PATH", &python().path)
        .env_remove("FAKE_AZLIN_STATE")
        .output()
        .unwrap();
    expect_error(&out, "FAKE_AZLIN_STATE not set");
    let out = Command::new(fixture("azlin"))
        .arg("--version")
        .env("PATH", &python().path)
        .env("FAKE_AZLIN_STATE", "relative/dir")
        .current_dir(az.work())
        .output()
        .unwrap();
    expect_error(&out, "FAKE_AZLIN_STATE");
}

#[test]
fn the_fixtures_are_executable_scripts() {
    use std::os::unix::fs::PermissionsExt;
    python();
    for rel in ["azlin", "vm-bin/amplihack"] {
        let path = fixture(rel);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o111, 0o111, "{} is not executable", path.display());
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("#!/usr/bin/env python3\n"), "{rel}");
    }
    let out = Command::new(fixture("vm-bin/amplihack"))
        .arg("--version")
        .env("PATH", &python().path)
        .output()
        .unwrap();
    expect(&out, 0);
    assert!(stdout(&out).starts_with("amplihack "), "{}", stdout(&out));
}

#[test]
fn concurrent_calls_never_interleave_in_the_call_log() {
    let az = Azlin::new();
    let children: Vec<_> = (0..6)
        .map(|_| az.cmd(&["--version"]).spawn().unwrap())
        .collect();
    for c in children {
        expect(&c.wait_with_output().unwrap(), 0);
    }
    let calls = az.calls();
    assert_eq!(calls.len(), 12);
    let mut seqs: Vec<u64> = calls
        .iter()
        .filter(|c| c["phase"] == "start")
        .map(|c| c["seq"].as_u64().unwrap())
        .collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=6).collect::<Vec<_>>());
}

#[test]
fn calls_of_the_original_module_are_usage_errors() {
    let az = Azlin::new();
    az.new_vm("vm1");
    for args in [
        &["list", "--json"][..],
        &[
            "new",
            "--size",
            "Standard_D2s_v3",
            "--name",
            "vm2",
            "--no-auto-connect",
        ],
        &["connect", "vm1", "echo hi"],
        &["connect", "vm1", "echo", "hi"],
        &["connect", "vm1", "--port", "22", "--", "true"],
        &["ssh", "vm1"],
        &["cp", "-r", "a.txt", "vm1:~/a.txt"],
        &["cp", "--recursive", "a.txt", "vm1:~/a.txt"],
        &["cp", "a.txt", "b.txt", "vm1:~/"],
        &[
            "new",
            "--name",
            "vm3",
            "--vm-size",
            "Standard_D2s_v3",
            "--no-auto",
        ],
        &["-o", "yaml", "list"],
        &["list", "--version"],
        &["--bogus", "list"],
        &[],
    ] {
        let out = az.run(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}{}",
            stdout(&out),
            stderr(&out)
        );
        assert!(
            stderr(&out).contains("usage:"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    assert!(!az.vm("vm2").exists() && !az.vm("vm3").exists());
    // The remote command never ran.
    assert_eq!(std::fs::read_dir(az.home("vm1")).unwrap().count(), 0);
}

// ------------------------------------------------------------------------------ list, show, tag

#[test]
fn list_json_shape_and_filters() {
    let az = Azlin::new();
    let out = az.run(&["-o", "json", "list"]);
    expect(&out, 0);
    assert_eq!(out_json(&out)["vms"], serde_json::json!([]));

    az.new_vm("vm-a");
    az.new_vm("vm-b");
    az.new_vm("other");
    az.edit_meta("vm-b", |m| m["power_state"] = "Deallocated".into());
    az.expect_tag("vm-a", "amplihack_workflow=true");

    // The global flag before or after the subcommand.
    for args in [
        &["-o", "json", "list"][..],
        &["list", "-o", "json"],
        &["list", "--output=json"],
    ] {
        let out = az.run(args);
        expect(&out, 0);
        let v = out_json(&out);
        let names: Vec<&str> = v["vms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|vm| vm["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["other", "vm-a"], "{args:?}");
        let vm = &v["vms"][1];
        for key in [
            "name",
            "resource_group",
            "power_state",
            "ip",
            "public_ip",
            "private_ip",
            "location",
            "vm_size",
            "os",
            "cpu",
            "mem",
            "session",
            "tmux_sessions",
        ] {
            assert!(vm.get(key).is_some(), "missing {key}: {vm}");
        }
        assert!(
            vm.get("tags").is_none() && vm.get("created_time").is_none(),
            "{vm}"
        );
        assert_eq!(vm["vm_size"], "Standard_D2s_v3");
        assert_eq!(vm["power_state"], "Running");
        assert_eq!(vm["session"], "vm-a");
        assert!(v["filters"].is_object());
    }
    let names = |args: &[&str]| -> Vec<String> {
        let out = az.run(args);
        expect(&out, 0);
        out_json(&out)["vms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|vm| vm["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names(&["-o", "json", "list", "--all"]),
        ["other", "vm-a", "vm-b"]
    );
    assert_eq!(
        names(&["-o", "json", "list", "--tag", "amplihack_workflow=true"]),
        ["vm-a"]
    );
    assert_eq!(
        names(&["-o", "json", "list", "--all", "--vm-pattern", "vm-*"]),
        ["vm-a", "vm-b"]
    );
    assert!(names(&["-o", "json", "list", "--rg", "elsewhere"]).is_empty());

    // The human table is not whitespace-separated name/status columns.
    let out = az.run(&["list"]);
    expect(&out, 0);
    assert!(stdout(&out).contains('│'), "{}", stdout(&out));
    assert!(serde_json::from_slice::<Value>(&out.stdout).is_err());
}

impl Azlin {
    fn expect_tag(&self, name: &str, tag: &str) {
        expect(&self.run(&["tag", "add", name, tag]), 0);
    }
}

#[test]
fn show_and_tags() {
    let az = Azlin::new();
    az.new_vm("vm1");
    let out = az.run(&["show", "vm1", "-o", "json"]);
    expect(&out, 0);
    let v = out_json(&out);
    assert_eq!(v["tags"]["azlin-session"], "vm1");
    assert_eq!(v["power_state"], "Running");
    assert_eq!(v["provisioning_state"], "Succeeded");
    assert_eq!(v["vm_size"], "Standard_D2s_v3");
    assert_eq!(v["location"], "eastus");
    assert_eq!(v["resource_group"], "amplihack-rg");
    let created = v["created_time"].as_str().unwrap();
    assert_eq!(created.len(), "2026-11-22 10:00:00 UTC".len(), "{created}");
    assert!(created.ends_with(" UTC") && created.as_bytes()[10] == b' ');

    expect_error(
        &az.run(&["show", "nope", "-o", "json"]),
        "VM 'nope' not found",
    );
    expect_error(&az.run(&["show", "../state", "-o", "json"]), "not found");

    az.expect_tag("vm1", "amplihack_workflow=true");
    let out = az.run(&["-o", "json", "tag", "list", "vm1"]);
    expect(&out, 0);
    assert_eq!(out_json(&out)["amplihack_workflow"], "true");
    assert_eq!(az.meta("vm1")["tags"]["amplihack_workflow"], "true");
    expect_error(&az.run(&["tag", "add", "vm1", "novalue"]), "key=value");
    expect_error(&az.run(&["tag", "add", "nope", "a=b"]), "not found");
}

// ------------------------------------------------------------------------------ new

#[test]
fn new_maps_tiers_and_needs_no_auto_connect() {
    let az = Azlin::new();
    let out = az.run(&["new", "--name", "t1", "--size", "m", "--no-auto-connect"]);
    expect(&out, 0);
    assert_eq!(az.meta("t1")["vm_size"], "Standard_D8s_v5");
    let out = az.run(&[
        "new",
        "--name",
        "t2",
        "--size",
        "xl",
        "--vm-size",
        "Standard_E16as_v5",
        "--region",
        "westus2",
        "--no-auto-connect",
    ]);
    expect(&out, 0);
    let m = az.meta("t2");
    assert_eq!(m["vm_size"], "Standard_E16as_v5");
    assert_eq!(m["location"], "westus2");
    assert_eq!(m["tags"]["azlin-session"], "t2");
    assert!(az.home("t2").is_dir());

    // Without --no-auto-connect: the VM exists, and the call fails.
    let out = az.run(&["new", "--name", "t3", "--vm-size", "Standard_D2s_v3"]);
    expect_error(&out, "interactive SSH session requires a terminal");
    assert_eq!(az.meta("t3")["power_state"], "Running");

    // An existing name.
    let out = az.run(&["new", "--name", "t1", "--size", "s", "--no-auto-connect"]);
    expect_error(&out, "already exists");
    assert_eq!(az.meta("t1")["vm_size"], "Standard_D8s_v5");
}

#[test]
fn new_rejects_bad_names() {
    let az = Azlin::new();
    let long = "a".repeat(65);
    for name in ["-vm", "vm.", "vm_1", "vm/1", long.as_str()] {
        let arg = format!("--name={name}");
        let out = az.run(&[
            "new",
            &arg,
            "--vm-size",
            "Standard_D2s_v3",
            "--no-auto-connect",
        ]);
        expect_error(&out, "invalid VM name");
    }
    let vms = az.state().join("vms");
    assert!(!vms.exists() || std::fs::read_dir(&vms).unwrap().count() == 0);
    let ok = "a".repeat(64);
    for name in ["vm.1-b", ok.as_str()] {
        let out = az.run(&[
            "new",
            "--name",
            name,
            "--vm-size",
            "Standard_D2s_v3",
            "--no-auto-connect",
        ]);
        expect(&out, 0);
        assert!(az.vm(name).join("meta.json").is_file());
    }
    assert_eq!(std::fs::read_dir(&vms).unwrap().count(), 2);
}

// ------------------------------------------------------------------------------ connect

#[test]
fn connect_runs_the_joined_words_in_the_vm_home() {
    let az = Azlin::new();
    az.new_vm("vm1");
    let out = az.run(&[
        "connect",
        "vm1",
        "--no-tmux",
        "--no-reconnect",
        "--no-status",
        "--",
        "echo",
        "hi",
    ]);
    expect(&out, 0);
    assert_eq!(stdout(&out), "hi\n");

    let out = az.run(&["connect", "vm1", "--no-reconnect", "--", "pwd"]);
    expect(&out, 0);
    assert_eq!(
        PathBuf::from(stdout(&out).trim()).canonicalize().unwrap(),
        az.home("vm1").canonicalize().unwrap()
    );

    // The reduced environment: nothing of the caller's leaks in.
    let out = az
        .cmd(&[
            "connect",
            "vm1",
            "--no-reconnect",
            "--",
            "echo \"$HOME|$USER|$LOGNAME|$SHELL|$LANG|${LEAK:-unset}|$AMPLIHACK_STANDIN_STATE\"",
        ])
        .env("LEAK", "caller-secret")
        .output()
        .unwrap();
    expect(&out, 0);
    assert_eq!(
        stdout(&out).trim(),
        format!(
            "{}|azureuser|azureuser|/bin/bash|C.UTF-8|unset|{}",
            az.home("vm1").display(),
            az.state().display()
        )
    );
    let out = az.run(&[
        "connect",
        "vm1",
        "--no-reconnect",
        "--",
        "command -v amplihack",
    ]);
    expect(&out, 0);
    assert_eq!(
        stdout(&out).trim(),
        fixture("vm-bin/amplihack").display().to_string()
    );

    // Joined with single spaces and re-parsed by the shell: arguments are not preserved.
    let out = az.run(&[
        "connect",
        "vm1",
        "--no-reconnect",
        "--",
        "printf",
        "%s.",
        "a  b",
    ]);
    expect(&out, 0);
    assert_eq!(stdout(&out), "a.b.");
    // Words after `--` are the command even when they look like flags.
    let out = az.run(&["connect", "vm1", "--", "echo", "--no-tmux", "--", "x"]);
    expect(&out, 0);
    assert_eq!(stdout(&out), "--no-tmux -- x\n");
}

#[test]
fn connect_streams_output_while_the_command_runs() {
    use std::io::{BufRead, BufReader, Read};
    let az = Azlin::new();
    az.new_vm("vm1");
    let mut child = az
        .cmd(&[
            "connect",
            "vm1",
            "--no-reconnect",
            "--",
            "echo first; for i in $(seq 250); do [ -e go ] && break; sleep 0.02; done; \
             if [ -e go ]; then echo second; else echo late; fi",
        ])
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line, "first\n");
    std::fs::write(az.home("vm1").join("go"), "").unwrap();
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    assert_eq!(
        rest, "second\n",
        "the first line was held back until the command ended"
    );
    assert!(child.wait().unwrap().success());
}

#[test]
fn connect_status_and_errors() {
    let az = Azlin::new();
    az.new_vm("vm1");
    az.new_vm("off");
    az.edit_meta("off", |m| m["power_state"] = "Stopped".into());
    expect(
        &az.run(&["connect", "vm1", "--no-reconnect", "--", "exit", "7"]),
        7,
    );
    expect(
        &az.run(&["connect", "vm1", "--no-reconnect", "--", "kill -TERM $$"]),
        255,
    );
    expect_error(&az.run(&["connect", "vm1"]), "requires a terminal");
    expect_error(&az.run(&["connect", "vm1", "--"]), "requires a terminal");
    expect_error(&az.run(&["connect", "--", "true"]), "requires a terminal");
    expect_error(&az.run(&["connect", "nope", "--", "true"]), "not found");
    expect_error(&az.run(&["connect", "off", "--", "true"]), "not running");
}

#[test]
fn connect_stdin_reaches_the_command_and_never_the_call_log() {
    let az = Azlin::new();
    az.new_vm("vm1");
    let key = Fake::new(501).anthropic_key();
    let out = az.run_stdin(
        &[
            "connect",
            "vm1",
            "--no-tmux",
            "--no-reconnect",
            "--no-status",
            "--",
            "read -r K; printf %s \"$K\" | wc -c; cat",
        ],
        format!("{key}\nrest of stdin\n").as_bytes(),
    );
    expect(&out, 0);
    assert_eq!(stdout(&out), format!("{}\nrest of stdin\n", key.len()));
    let log = std::fs::read_to_string(az.state().join("calls.jsonl")).unwrap();
    assert!(
        !log.contains(&key) && !log.contains("rest of stdin"),
        "{log}"
    );
    let end = az.calls().into_iter().last().unwrap();
    assert_eq!(end["phase"], "end");
    assert_eq!(end["stdin_bytes"], key.len() + 15);
}

#[test]
fn connect_without_no_reconnect_reruns_a_failing_command() {
    let az = Azlin::new();
    az.new_vm("vm1");
    let cmd = "echo run >> runs.txt; exit 3";
    let out = az.run(&["connect", "vm1", "--no-tmux", "--no-status", "--", cmd]);
    expect(&out, 3);
    let runs = std::fs::read_to_string(az.home("vm1").join("runs.txt")).unwrap();
    assert_eq!(runs.lines().count(), 4);
    assert_eq!(az.calls().last().unwrap()["runs"], 4);

    std::fs::remove_file(az.home("vm1").join("runs.txt")).unwrap();
    expect(&az.run(&["connect", "vm1", "--no-reconnect", "--", cmd]), 3);
    let runs = std::fs::read_to_string(az.home("vm1").join("runs.txt")).unwrap();
    assert_eq!(runs.lines().count(), 1);
    // A success is not re-run.
    expect(&az.run(&["connect", "vm1", "--", "echo ok >> ok.txt"]), 0);
    assert_eq!(
        std::fs::read_to_string(az.home("vm1").join("ok.txt")).unwrap(),
        "ok\n"
    );
}

#[test]
fn sigterm_to_the_stand_in_terminates_the_remote_process_group() {
    let az = Azlin::new();
    az.new_vm("vm1");
    let home = az.home("vm1");
    let mut child = az
        .cmd(&[
            "connect",
            "vm1",
            "--no-reconnect",
            "--",
            "echo $$ > sh.pid; sleep 30 & echo $! > bg.pid; wait",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the remote pids", Duration::from_secs(5), || {
        read_pid(&home.join("bg.pid")).is_some() && read_pid(&home.join("sh.pid")).is_some()
    });
    let pids = [
        read_pid(&home.join("sh.pid")).unwrap(),
        read_pid(&home.join("bg.pid")).unwrap(),
    ];
    assert!(pids.iter().all(|p| alive(*p)));
    signal(child.id(), "-TERM");
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(15), "{status:?}");
    let gone = || pids.iter().all(|p| !alive(*p));
    let start = Instant::now();
    while !gone() && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    for p in pids {
        signal(p, "-KILL");
    }
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "the remote processes survived SIGTERM"
    );
    let end = az.calls().into_iter().last().unwrap();
    assert_eq!(end["signal"], 15);
}

#[test]
fn sigkill_to_the_stand_in_still_ends_the_remote_group_and_amplihacks_child() {
    let az = Azlin::new();
    az.new_vm("vm1");
    let home = az.home("vm1");
    let repo = home.join("repo");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    az.amplihack_config(r#"{"sleep": 30, "spawn_child": true}"#);
    let mut child = az
        .cmd(&[
            "connect",
            "vm1",
            "--no-tmux",
            "--no-reconnect",
            "--no-status",
            "--",
            "cd repo && ANTHROPIC_API_KEY=k amplihack claude --auto --max-turns 1 -- -p x",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pidfile = home.join("standin-child.pid");
    wait_for("standin-child.pid", Duration::from_secs(5), || {
        read_pid(&pidfile).is_some()
    });
    let pid = read_pid(&pidfile).unwrap();
    assert!(alive(pid));
    child.kill().unwrap(); // SIGKILL, as a caller's timeout does
    child.wait().unwrap();
    let start = Instant::now();
    while alive(pid) && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let survived = alive(pid);
    signal(pid, "-KILL");
    assert!(!survived, "amplihack's child survived the dropped session");
}

// ------------------------------------------------------------------------------ kill

#[test]
fn kill_requires_force_and_moves_the_vm_to_deleted() {
    let az = Azlin::new();
    az.new_vm("vm1");
    std::fs::write(az.home("vm1").join("left.txt"), "x").unwrap();
    expect_error(&az.run(&["kill", "vm1"]), "--force");
    assert!(az.vm("vm1").is_dir());
    expect(&az.run(&["kill", "vm1", "--force"]), 0);
    assert!(!az.vm("vm1").exists());
    let dead = az.state().join("deleted/vm1");
    assert!(dead.join("meta.json").is_file() && dead.join("home/left.txt").is_file());
    expect_error(&az.run(&["show", "vm1", "-o", "json"]), "not found");
    expect_error(&az.run(&["connect", "vm1", "--", "true"]), "not found");
    expect_error(&az.run(&["kill", "vm1", "--force"]), "not found");
}

// ------------------------------------------------------------------------------ cp

#[test]
fn cp_both_directions_and_its_rules() {
    let az = Azlin::new();
    az.new_vm("vm1");
    let work = az.work();
    std::fs::write(work.join("a.txt"), "payload\n").unwrap();
    std::fs::create_dir(work.join("dir")).unwrap();
    let home = az.home("vm1");

    expect(&az.run(&["cp", "a.txt", "vm1:~/a.txt"]), 0);
    assert_eq!(
        std::fs::read_to_string(home.join("a.txt")).unwrap(),
        "payload\n"
    );
    let abs = work.join("a.txt").display().to_string();
    expect(&az.run(&["cp", &abs, "vm1:~/"]), 0);
    std::fs::create_dir(home.join("sub")).unwrap();
    expect(&az.run(&["cp", "a.txt", "vm1:~/sub/b.txt"]), 0);
    assert!(home.join("sub/b.txt").is_file());
    expect(&az.run(&["cp", "vm1:~/sub/b.txt", "back.txt"]), 0);
    assert_eq!(
        std::fs::read_to_string(work.join("back.txt")).unwrap(),
        "payload\n"
    );
    expect(&az.run(&["cp", "vm1:~/a.txt", "dir"]), 0);
    assert!(work.join("dir/a.txt").is_file());

    // Recursive copies and extra operands are usage errors.
    expect(&az.run(&["cp", "-r", "dir", "vm1:~/dir"]), 2);
    expect(&az.run(&["cp", "a.txt", "back.txt", "vm1:~/"]), 2);
    // Remote paths stay in the VM home and are written ~/...
    expect_error(&az.run(&["cp", "a.txt", "vm1:~/../escape.txt"]), "escapes");
    assert!(!az.vm("vm1").join("escape.txt").exists());
    expect_error(&az.run(&["cp", "vm1:/etc/passwd", "x.txt"]), "~/");
    std::os::unix::fs::symlink("/etc", home.join("etc")).unwrap();
    expect_error(&az.run(&["cp", "vm1:~/etc/passwd", "x.txt"]), "escapes");
    expect_error(&az.run(&["cp", "a.txt", "vm1:~/etc/x"]), "escapes");
    // Exactly one side remote; a local name with ':' is taken for a remote one.
    std::fs::write(work.join("we:ird.txt"), "x").unwrap();
    expect_error(
        &az.run(&["cp", "we:ird.txt", "vm1:~/weird.txt"]),
        "exactly one",
    );
    expect_error(&az.run(&["cp", "a.txt", "c.txt"]), "exactly one");
    // Sources and destinations.
    expect_error(&az.run(&["cp", "dir", "vm1:~/dir"]), "not a regular file");
    expect_error(&az.run(&["cp", "missing.txt", "vm1:~/m.txt"]), "not found");
    expect_error(&az.run(&["cp", "vm1:~/missing.txt", "m.txt"]), "not found");
    expect_error(
        &az.run(&["cp", "a.txt", "vm1:~/no/such/dir.txt"]),
        "does not exist",
    );
    expect_error(
        &az.run(&["cp", "vm1:~/a.txt", "no/such.txt"]),
        "does not exist",
    );
    expect_error(&az.run(&["cp", "a.txt", "nope:~/a.txt"]), "not found");
}

// ------------------------------------------------------------------------------ faults

#[test]
fn faults_pop_in_order() {
    let az = Azlin::new();
    az.new_vm("vm1");
    let hostile = az.tmp.path().join("hostile.bin");
    std::fs::write(&hostile, b"hostile bytes").unwrap();
    std::fs::write(az.home("vm1").join("results.tar"), b"real").unwrap();
    az.faults(
        &serde_json::json!({
            "new": [
                {"exit": 1, "stderr": "Error: transient network error"},
                {"create": true, "stderr": "Error: VM reported DEGRADED"}
            ],
            "connect": [{"match": "marker", "exit": 255, "stderr": "ssh: connection reset"}],
            "list": [{"sleep": 0.3}],
            "cp": [{"replace_with": hostile}],
            "version": [{"kill_self": true}]
        })
        .to_string(),
    );
    let new = [
        "new",
        "--name",
        "n1",
        "--vm-size",
        "Standard_D2s_v3",
        "--no-auto-connect",
    ];
    let out = az.run(&new);
    expect_error(&out, "transient network error");
    assert!(!az.vm("n1").exists());
    let out = az.run(&new);
    expect_error(&out, "DEGRADED");
    assert!(
        az.vm("n1").join("meta.json").is_file(),
        "create: the VM exists after the failure"
    );
    expect_error(&az.run(&new), "already exists");

    // `match`: only a call whose argv contains it takes the fault.
    expect(&az.run(&["connect", "vm1", "--", "true"]), 0);
    let out = az.run(&["connect", "vm1", "--", "echo marker"]);
    expect(&out, 255);
    assert!(stdout(&out).is_empty() && stderr(&out).contains("connection reset"));
    expect(&az.run(&["connect", "vm1", "--", "echo marker"]), 0);

    let start = Instant::now();
    let out = az.run(&["-o", "json", "list"]);
    expect(&out, 0);
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert_eq!(out_json(&out)["vms"].as_array().unwrap().len(), 2);

    expect(&az.run(&["cp", "vm1:~/results.tar", "got.tar"]), 0);
    assert_eq!(
        std::fs::read(az.work().join("got.tar")).unwrap(),
        b"hostile bytes"
    );
    expect(&az.run(&["cp", "vm1:~/results.tar", "got.tar"]), 0);
    assert_eq!(std::fs::read(az.work().join("got.tar")).unwrap(), b"real");

    let out = az.run(&["--version"]);
    assert_eq!(out.status.signal(), Some(9), "{:?}", out.status);
    expect(&az.run(&["--version"]), 0);

    let left: Value =
        serde_json::from_slice(&std::fs::read(az.state().join("faults.json")).unwrap()).unwrap();
    for key in ["new", "connect", "list", "cp", "version"] {
        assert_eq!(left[key], serde_json::json!([]), "{key}: {left}");
    }
}

// ------------------------------------------------------------------------------ amplihack

/// Runs the stand-in amplihack directly in `dir` with `key` (if any).
fn amplihack(az: &Azlin, dir: &Path, args: &[&str], key: Option<&str>) -> Output {
    let mut c = fixture_cmd("vm-bin/amplihack");
    c.args(args)
        .current_dir(dir)
        .env_remove("ANTHROPIC_API_KEY")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", az.work())
        .env("AMPLIHACK_STANDIN_STATE", az.state())
        .env(
            "AMPLIHACK_STANDIN_CONFIG",
            az.state().join("amplihack.json"),
        )
        .stdin(Stdio::null());
    if let Some(k) = key {
        c.env("ANTHROPIC_API_KEY", k);
    }
    c.output().unwrap()
}

#[test]
fn amplihack_accepts_only_auto_and_needs_the_key() {
    let az = Azlin::new();
    let dir = az.work();
    for args in [
        &[
            "claude",
            "--ultrathink",
            "--max-turns",
            "3",
            "--",
            "-p",
            "x",
        ][..],
        &["claude", "--analyze", "--", "-p", "x"],
        &["claude", "--fix", "--", "-p", "x"],
        &["claude", "--max-turns", "3", "--", "-p", "x"],
        &["claude", "--auto", "--max-turns", "3", "x"],
        &["claude", "--auto", "--max-turns", "0", "--", "-p", "x"],
        &["claude", "--auto", "--", "--print", "x"],
        &["claude", "--auto", "--", "-p", "x", "extra"],
        &["--auto", "--", "-p", "x"],
    ] {
        let out = amplihack(&az, &dir, args, Some("k"));
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
    let out = amplihack(
        &az,
        &dir,
        &["claude", "--auto", "--max-turns", "3", "--", "-p", "x"],
        None,
    );
    expect(&out, 3);
    assert!(
        stderr(&out).contains("ANTHROPIC_API_KEY"),
        "{}",
        stderr(&out)
    );
    let out = amplihack(&az, &dir, &["claude", "--auto", "--", "-p", "x"], Some(""));
    expect(&out, 3);
    // Nothing was done in the directory.
    assert!(!dir.join("hello.txt").exists());
}

#[test]
fn amplihack_commits_hello_and_records_only_the_key_hash() {
    let az = Azlin::new();
    az.new_vm("vm1");
    let repo = az.home("vm1").join("repo");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    write(&repo, "README.md", "hi\n");
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "init"]);
    // No identity anywhere: a commit without amplihack's own would fail.
    git(&repo, &["config", "user.useConfigOnly", "true"]);
    let key = Fake::new(502).anthropic_key();
    let prompt = "create hello.txt with a greeting; then say \"done\" and 'stop' $HOME";
    let script = format!(
        "read -r ANTHROPIC_API_KEY && export ANTHROPIC_API_KEY GIT_CONFIG_NOSYSTEM=1 && cd repo && \
         amplihack claude --auto --max-turns 3 -- -p '{}'",
        prompt.replace('\'', "'\\''")
    );
    let out = az.run_stdin(
        &[
            "connect",
            "vm1",
            "--no-tmux",
            "--no-reconnect",
            "--no-status",
            "--",
            &script,
        ],
        format!("{key}\n").as_bytes(),
    );
    expect(&out, 0);
    assert!(stdout(&out).contains("amplihack"), "{}", stdout(&out));

    assert_eq!(
        std::fs::read_to_string(repo.join("hello.txt")).unwrap(),
        "Hello Remote\n"
    );
    let log = git(&repo, &["log", "-1", "--format=%an <%ae>%n%s", "main"]);
    assert_eq!(
        log,
        format!(
            "amplihack <amplihack@example.invalid>\namplihack: {}\n",
            &prompt[..60]
        )
    );
    assert_eq!(
        git(&repo, &["status", "--porcelain", "--untracked-files=no"]),
        ""
    );
    let logs: Vec<_> = std::fs::read_dir(repo.join(".claude/runtime/logs"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(logs.len(), 1, "{logs:?}");
    let name = logs[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("auto_claude_") && name.ends_with(".log"),
        "{name}"
    );
    let text = std::fs::read_to_string(&logs[0]).unwrap();
    assert!(
        text.contains(prompt) && text.contains("--max-turns"),
        "{text}"
    );

    let calls = jsonl(&az.state().join("amplihack-calls.jsonl"));
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0]["key_sha256"],
        amplihack_remote::digest::sha256_hex(key.as_bytes())
    );
    assert_eq!(calls[0]["stdin_is_tty"], false);
    assert_eq!(
        calls[0]["argv"],
        serde_json::json!(["claude", "--auto", "--max-turns", "3", "--", "-p", prompt])
    );
    // The key is nowhere in the state (call logs, VM home, logs): only in memory.
    fn walk(dir: &Path, key: &[u8]) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            let m = std::fs::symlink_metadata(&p).unwrap();
            if m.is_dir() {
                walk(&p, key);
            } else if m.is_file() {
                let bytes = std::fs::read(&p).unwrap();
                assert!(
                    !bytes.windows(key.len()).any(|w| w == key),
                    "the key is in {}",
                    p.display()
                );
            }
        }
    }
    walk(&az.state(), key.as_bytes());
}

#[test]
fn amplihack_configured_behaviours() {
    let az = Azlin::new();
    let repo = git_repo();
    let dir = repo.path();
    write(dir, "README.md", "hi\n");
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "init"]);
    let args = [
        "claude",
        "--auto",
        "--max-turns",
        "2",
        "--",
        "-p",
        "add things",
    ];

    az.amplihack_config(
        r#"{"branch": "feature/x", "secret": true, "log_symlink": true, "exit": 4}"#,
    );
    let out = amplihack(&az, dir, &args, Some("k"));
    expect(&out, 4);
    assert_eq!(
        git(dir, &["rev-parse", "--abbrev-ref", "HEAD"]),
        "feature/x\n"
    );
    assert_eq!(
        git(dir, &["show", "--name-only", "--format=", "feature/x"]),
        "aws-credentials.env\nhello.txt\n"
    );
    assert_eq!(
        git(dir, &["rev-parse", "main"]),
        git(dir, &["rev-parse", "feature/x~1"])
    );
    let link = dir.join(".claude/runtime/logs/evil");
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        PathBuf::from("/etc/passwd")
    );
    // The committed pair is a secret to the project's own scanner.
    let out = run(dir, &["scan", "aws-credentials.env"]);
    expect(&out, 1);
    assert!(
        stdout(&out).contains("aws-access-key-id")
            && stdout(&out).contains("aws-secret-access-key"),
        "{}",
        stdout(&out)
    );

    // A second run on the same branch adds to it.
    az.amplihack_config(r#"{"branch": "feature/x"}"#);
    expect(&amplihack(&az, dir, &args, Some("k")), 0);
    assert_eq!(git(dir, &["rev-list", "--count", "main..feature/x"]), "2\n");
    assert_eq!(
        std::fs::read_to_string(dir.join("hello.txt")).unwrap(),
        "Hello Remote\nHello Remote\n"
    );

    // no_commit: nothing changes in the repository; the log is still written.
    let head = git(dir, &["rev-parse", "HEAD"]);
    az.amplihack_config(r#"{"no_commit": true}"#);
    expect(&amplihack(&az, dir, &args, Some("k")), 0);
    assert_eq!(git(dir, &["rev-parse", "HEAD"]), head);
    assert_eq!(
        git(dir, &["status", "--porcelain", "--untracked-files=no"]),
        ""
    );
    let logs = std::fs::read_dir(dir.join(".claude/runtime/logs"))
        .unwrap()
        .count();
    assert_eq!(logs, 4, "three logs and the symlink");
}

#[test]
fn amplihack_missing_from_the_vm() {
    let az = Azlin::new();
    az.new_vm("bare");
    az.edit_meta("bare", |m| m["amplihack_installed"] = false.into());
    let out = az.run(&[
        "connect",
        "bare",
        "--no-reconnect",
        "--",
        "command -v amplihack || exit 42",
    ]);
    expect(&out, 42);
}
