//! `scan` on files, directories and stdin: findings, redaction, exit codes, fail-closed errors.

use super::support::*;

#[test]
fn planted_anthropic_key_is_found_redacted_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let key = Fake::new(1).anthropic_key();
    write(
        dir.path(),
        "src/config.py",
        &format!("import os\n\nANTHROPIC_API_KEY = \"{key}\"\n"),
    );
    let out = run(dir.path(), &["scan", "."]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(text.contains("src/config.py:3:"), "{text}");
    assert!(text.contains("anthropic-api-key"), "{text}");
    assert!(text.contains("sk-ant-a…(108 chars)"), "{text}");
    assert!(text.contains("Action required:"), "{text}");
    assert!(!text.contains(&key), "the full key must never be printed");
    assert!(
        !text.contains(&key[..20]),
        "no more than the short prefix is printed"
    );
}

#[test]
fn clean_tree_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "main.rs",
        "fn main() { println!(\"hello\"); }\n",
    );
    let out = run(dir.path(), &["scan"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("No secrets found: 1 file"));
}

#[test]
fn show_secrets_is_the_only_way_to_see_the_value() {
    let dir = tempfile::tempdir().unwrap();
    let key = Fake::new(2).anthropic_key();
    write(dir.path(), "a.env", &format!("KEY={key}\n"));
    for format in ["human", "json", "jsonl", "sarif"] {
        let hidden = run(dir.path(), &["scan", "--format", format, "."]);
        assert_eq!(hidden.status.code(), Some(1));
        assert!(
            !stdout(&hidden).contains(&key),
            "{format} leaked the secret"
        );
        let shown = run(
            dir.path(),
            &["scan", "--format", format, "--show-secrets", "."],
        );
        assert!(stdout(&shown).contains(&key), "{format} --show-secrets");
    }
}

#[test]
fn stdin_is_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let key = Fake::new(3).github_pat();
    let out = run_with_stdin(
        dir.path(),
        &["scan", "-"],
        Some(format!("token: {key}\n").as_bytes()),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("<stdin>:1:8"), "{}", stdout(&out));
}

#[test]
fn binary_and_large_files_are_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let key = Fake::new(4).github_pat();
    // A binary file (NUL bytes) with the key in the middle.
    let mut bin = vec![0u8; 5000];
    bin.extend_from_slice(key.as_bytes());
    bin.extend_from_slice(&[0u8, 1, 2, 255]);
    std::fs::write(dir.path().join("blob.bin"), &bin).unwrap();
    // A large file (memory-mapped) with the key near the end.
    let mut big = "let x = 1;\n".repeat(400_000).into_bytes();
    big.extend_from_slice(format!("const T = \"{}\";\n", Fake::new(5).github_pat()).as_bytes());
    std::fs::write(dir.path().join("big.js"), &big).unwrap();
    let out = run(dir.path(), &["scan", "--format", "json", "."]);
    let v = json(&out);
    let paths: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, vec!["big.js", "blob.bin"], "{v}");
    assert_eq!(v["findings"][0]["line"], 400_001);
}

#[cfg(unix)]
#[test]
fn unreadable_file_is_an_error_named_by_path_exit_2() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "locked.txt", "nothing here\n");
    write(dir.path(), "open.txt", "nothing here either\n");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&p).is_ok() {
        // Running as root: permission bits do not stop reads. /proc/self/mem is a regular file
        // that cannot be read from offset 0 (EIO): a real unreadable input for root too.
        let out = run(dir.path(), &["scan", "open.txt", "/proc/self/mem"]);
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(text.contains("/proc/self/mem: cannot read"), "{text}");
        assert!(text.contains("could not be scanned"), "{text}");
        assert!(
            !text.contains("No secrets found:"),
            "an incomplete scan is never reported clean"
        );
        return;
    }
    let out = run(dir.path(), &["scan", "."]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(stdout(&out).contains("locked.txt"));
    assert!(
        !stdout(&out).contains("No secrets found:"),
        "an incomplete scan is never reported clean"
    );
}

#[test]
fn missing_path_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["scan", "--format", "json", "does-not-exist"]);
    assert_eq!(out.status.code(), Some(2));
    let v = json(&out);
    assert_eq!(v["summary"]["errors"][0]["path"], "does-not-exist");
}

#[cfg(unix)]
#[test]
fn fifo_is_reported_not_hung_on() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let out = run(dir.path(), &["scan", "--format", "json", "."]);
    assert_eq!(out.status.code(), Some(2));
    let v = json(&out);
    assert_eq!(v["summary"]["errors"][0]["path"], "pipe", "{v}");
}

#[cfg(unix)]
#[test]
fn symlinks_are_listed_as_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "real.txt", "hello\n");
    std::os::unix::fs::symlink("/etc/hostname", dir.path().join("link")).unwrap();
    let out = run(dir.path(), &["scan", "--format", "json", "."]);
    let v = json(&out);
    assert_eq!(out.status.code(), Some(0), "{v}");
    assert_eq!(v["summary"]["skipped"][0]["path"], "link", "{v}");
}

#[test]
fn gitignore_is_respected_unless_no_ignore() {
    let dir = git_repo();
    let key = Fake::new(6).github_pat();
    write(dir.path(), ".gitignore", "build/\n");
    write(dir.path(), "build/out.txt", &format!("t={key}\n"));
    let out = run(dir.path(), &["scan", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let out = run(dir.path(), &["scan", "--no-ignore", "."]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
}

#[test]
fn hidden_files_such_as_env_are_scanned() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        ".env",
        &format!("GITHUB_TOKEN={}\n", Fake::new(7).github_pat()),
    );
    let out = run(dir.path(), &["scan", "."]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains(".env:1:14"), "{}", stdout(&out));
}

#[test]
fn bad_arguments_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        run(dir.path(), &["scan", "--format", "xml"]).status.code(),
        Some(2)
    );
    assert_eq!(run(dir.path(), &["scan", "--bogus"]).status.code(), Some(2));
    write(dir.path(), "bad.toml", "unknown_key = 1\n");
    let out = run(dir.path(), &["scan", "--config", "bad.toml", "."]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown field"), "{}", stderr(&out));
}

#[test]
fn config_rules_and_disable_rules_apply() {
    let dir = tempfile::tempdir().unwrap();
    let token = format!(
        "acme_{}",
        Fake::new(8).chars("abcdefghijklmnopqrstuvwxyz0123456789", 32)
    );
    write(
        dir.path(),
        "a.txt",
        &format!("x = {token}\ny = {}\n", Fake::new(9).github_pat()),
    );
    write(
        dir.path(),
        ".amplihack-remote.toml",
        "disable_rules = [\"github-pat-classic\"]\n[[rules]]\nid = \"acme-key\"\nname = \"ACME key\"\nconfidence = \"high\"\nkeywords = [\"acme_\"]\npattern = '''\\bacme_[a-z0-9]{32}\\b'''\n",
    );
    let out = run(dir.path(), &["scan", "--format", "json", "a.txt"]);
    let v = json(&out);
    let ids: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["acme-key"], "{v}");
}

#[test]
fn a_bad_user_pattern_is_reported_before_scanning() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "c.toml",
        "[[rules]]\nid = \"bad\"\nname = \"Bad\"\nconfidence = \"low\"\nkeywords = [\"ab\"]\npattern = '''(ab'''\n",
    );
    let out = run(dir.path(), &["scan", "--config", "c.toml", "."]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("rule `bad`"), "{}", stderr(&out));
}

#[test]
fn disabling_every_rule_is_an_error_not_a_clean_scan() {
    let dir = tempfile::tempdir().unwrap();
    let all = amplihack_remote::scan::RuleSet::builtin().unwrap();
    let ids: Vec<String> = all
        .rules()
        .iter()
        .map(|r| format!("\"{}\"", r.def.id))
        .collect();
    write(
        dir.path(),
        "c.toml",
        &format!("disable_rules = [{}]\n", ids.join(", ")),
    );
    write(dir.path(), "a.txt", "hello\n");
    let out = run(dir.path(), &["scan", "--config", "c.toml", "a.txt"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no rules are enabled"),
        "{}",
        stderr(&out)
    );
}

#[cfg(unix)]
#[test]
fn hostile_file_names_cannot_send_escape_sequences_to_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let name = "evil\x1b[2J\x1b]0;owned\x07.txt";
    write(
        dir.path(),
        name,
        &format!("t={}\n", Fake::new(15).github_pat()),
    );
    let out = run(dir.path(), &["scan", "."]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text:?}");
    assert!(text.contains("evil\\u{1b}[2J"), "{text}");
}

#[test]
fn overlapping_paths_scan_each_file_once() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "src/a.txt",
        &format!("t={}\n", Fake::new(16).github_pat()),
    );
    write(dir.path(), "b.txt", "plain\n");
    let v = json(&run(
        dir.path(),
        &["scan", "--format", "json", ".", "src", "./src/a.txt"],
    ));
    assert_eq!(v["findings"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["summary"]["files_scanned"], 2);
}
