//! `scan --staged`, `install-hook` and the pre-commit framework hook: what the next commit
//! will contain, not the working tree.

use super::support::*;

#[test]
fn staged_secret_blocks_even_when_the_working_tree_no_longer_has_it() {
    let repo = git_repo();
    let dir = repo.path();
    write(dir, "app.py", "print('hi')\n");
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "init"]);
    let key = Fake::new(10).anthropic_key();
    write(dir, "app.py", &format!("KEY = '{key}'\n"));
    git(dir, &["add", "app.py"]);
    // The user "fixes" the file but does not stage the fix: the commit would still leak.
    write(dir, "app.py", "KEY = os.environ['KEY']\n");
    let out = run(dir, &["scan", "--staged"]);
    assert_exit(&out, 1);
    assert!(stdout(&out).contains("app.py:1:"), "{}", stdout(&out));
    // The working tree itself is clean.
    assert_eq!(run(dir, &["scan", "app.py"]).status.code(), Some(0));
}

#[test]
fn unstaged_secret_does_not_block() {
    let repo = git_repo();
    let dir = repo.path();
    write(dir, "a.txt", "hello\n");
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "init"]);
    write(dir, "b.txt", "clean change\n");
    git(dir, &["add", "b.txt"]);
    write(
        dir,
        "a.txt",
        &format!("token={}\n", Fake::new(11).github_pat()),
    );
    let out = run(dir, &["scan", "--staged"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("No secrets found: 1 file"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn staged_works_before_the_first_commit_and_reports_repo_paths() {
    let repo = git_repo();
    let dir = repo.path();
    write(
        dir,
        "sub/dir/x.env",
        &format!("AWS_ACCESS_KEY_ID={}\n", Fake::new(12).aws_access_key_id()),
    );
    git(dir, &["add", "."]);
    let sub = dir.join("sub");
    let out = run(&sub, &["scan", "--staged", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["findings"][0]["path"], "sub/dir/x.env");
}

#[test]
fn staged_outside_a_repository_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["scan", "--staged"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("git work tree"), "{}", stderr(&out));
}

#[cfg(unix)]
#[test]
fn installed_hook_blocks_the_commit_and_lets_clean_ones_through() {
    let repo = git_repo();
    let dir = repo.path();
    let out = run(dir, &["install-hook"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let hook = std::fs::read_to_string(dir.join(".git/hooks/pre-commit")).unwrap();
    assert!(hook.contains("scan --staged"));

    write(dir, "ok.txt", "fine\n");
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "clean"]);

    write(
        dir,
        "leak.py",
        &format!("T = '{}'\n", Fake::new(13).github_pat()),
    );
    git(dir, &["add", "."]);
    let commit = std::process::Command::new("git")
        .args(["commit", "-q", "-m", "leak"])
        .current_dir(dir)
        .envs(pinned_git_env(dir))
        .output()
        .unwrap();
    assert!(!commit.status.success(), "the hook must block the commit");
    // git sends a hook's stdout to stderr.
    assert!(String::from_utf8_lossy(&commit.stderr).contains("leak.py"));

    // A partial commit (`git commit FILE`) uses a temporary index: the hook must scan it.
    git(dir, &["reset", "-q"]);
    write(dir, "ok.txt", "still fine\n");
    let partial = std::process::Command::new("git")
        .args(["commit", "-q", "-m", "partial", "ok.txt"])
        .current_dir(dir)
        .envs(pinned_git_env(dir))
        .output()
        .unwrap();
    assert!(
        partial.status.success(),
        "{}",
        String::from_utf8_lossy(&partial.stdout)
    );

    // `git commit -a` stages into a temporary index (GIT_INDEX_FILE): the hook must scan it.
    write(
        dir,
        "ok.txt",
        &format!("now = '{}'\n", Fake::new(14).anthropic_key()),
    );
    let all = std::process::Command::new("git")
        .args(["commit", "-q", "-a", "-m", "commit -a with a secret"])
        .current_dir(dir)
        .envs(pinned_git_env(dir))
        .output()
        .unwrap();
    assert!(!all.status.success(), "commit -a must be blocked");
    assert!(String::from_utf8_lossy(&all.stderr).contains("ok.txt:1:"));
    git(dir, &["checkout", "-q", "--", "ok.txt"]);

    // Refuses to replace a foreign hook without --force.
    std::fs::write(dir.join(".git/hooks/pre-commit"), "#!/bin/sh\necho mine\n").unwrap();
    assert_eq!(run(dir, &["install-hook"]).status.code(), Some(2));
    assert_eq!(
        run(dir, &["install-hook", "--force"]).status.code(),
        Some(0)
    );
}

#[test]
fn pre_commit_framework_manifest_runs_scan_staged() {
    let text = std::fs::read_to_string(project_root().join(".pre-commit-hooks.yaml")).unwrap();
    assert!(text.contains("id: amplihack-remote"));
    assert!(text.contains("entry: amplihack-remote scan --staged"));
    assert!(text.contains("pass_filenames: false"));
}
