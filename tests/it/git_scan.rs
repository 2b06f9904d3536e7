//! `scan --git`: every blob of every ref's history, merge commits included, each scanned once,
//! findings named by path and first commit; any git failure is exit 2.

use super::support::*;

fn commit_all(dir: &std::path::Path, message: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
    git(dir, &["rev-parse", "--short", "HEAD"])
        .trim()
        .to_string()
}

/// Commits `side.txt` on a new branch `side` and `main.txt` on `main`, then starts merging
/// `side` without committing: what the caller writes now exists only in the merge's tree (an
/// "evil merge", which `git log -p` never shows).
fn start_merge_of_a_side_branch(dir: &std::path::Path) {
    git(dir, &["checkout", "-q", "-b", "side"]);
    write(dir, "side.txt", "side\n");
    commit_all(dir, "side");
    git(dir, &["checkout", "-q", "main"]);
    write(dir, "main.txt", "main\n");
    commit_all(dir, "main");
    git(dir, &["merge", "-q", "--no-ff", "--no-commit", "side"]);
}

#[test]
fn secret_only_in_an_old_commit_is_found_with_its_commit() {
    let repo = git_repo();
    let dir = repo.path();
    write(dir, "README.md", "hello\n");
    commit_all(dir, "init");
    let key = Fake::new(40).anthropic_key();
    write(dir, "src/config.py", &format!("KEY = '{key}'\n"));
    let leaked = commit_all(dir, "add config");
    write(dir, "src/config.py", "KEY = os.environ['KEY']\n");
    commit_all(dir, "fix");
    // The working tree is clean; only history holds the secret.
    assert_eq!(run(dir, &["scan", "."]).status.code(), Some(0));
    let out = run(dir, &["scan", "--git"]);
    assert_exit(&out, 1);
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "src/config.py:1:8 (commit {leaked}): anthropic-api-key"
        )),
        "{text}"
    );
    assert!(!text.contains(&key), "the secret must be redacted: {text}");
}

#[test]
fn secret_only_in_a_merge_commit_is_found() {
    let repo = git_repo();
    let dir = repo.path();
    write(dir, "a.txt", "a\n");
    commit_all(dir, "init");
    start_merge_of_a_side_branch(dir);
    // An "evil merge": content that neither parent has, visible only in the merge's tree.
    write(
        dir,
        "merge.env",
        &format!("token={}\n", Fake::new(41).github_pat()),
    );
    let merge = commit_all(dir, "merge side");
    // `git log -p` shows no diff for merges: a scanner reading it would miss this.
    let log = git(dir, &["log", "-p", "--all"]);
    assert!(!log.contains("merge.env"), "{log}");
    let out = run(dir, &["scan", "--git", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["findings"][0]["path"], "merge.env");
    assert_eq!(v["findings"][0]["commit"], merge);
}

#[test]
fn each_unique_blob_is_scanned_once_and_a_clean_history_exits_0() {
    let repo = git_repo();
    let dir = repo.path();
    // The same content under 3 paths and over 5 commits is one blob.
    for i in 0..5 {
        write(dir, "same1.txt", "shared content\n");
        write(dir, "dir/same2.txt", "shared content\n");
        write(dir, "other/same3.txt", "shared content\n");
        write(dir, "counter.txt", &format!("{i}\n"));
        commit_all(dir, &format!("c{i}"));
    }
    git(dir, &["tag", "v1"]);
    let out = run(dir, &["scan", "--git", "--format", "json"]);
    assert_exit(&out, 0);
    let v = json(&out);
    // 1 shared blob + 5 counter versions.
    assert_eq!(v["summary"]["files_scanned"], 6, "{v}");
}

#[test]
fn secrets_in_other_branches_tags_and_the_stash_are_found() {
    let repo = git_repo();
    let dir = repo.path();
    write(dir, "a.txt", "a\n");
    commit_all(dir, "init");
    git(dir, &["checkout", "-q", "-b", "feature"]);
    write(
        dir,
        "feature.py",
        &format!("K = '{}'\n", Fake::new(42).anthropic_key()),
    );
    commit_all(dir, "feature");
    git(dir, &["checkout", "-q", "main"]);
    write(
        dir,
        "a.txt",
        &format!("AWS_ACCESS_KEY_ID={}\n", Fake::new(43).aws_access_key_id()),
    );
    git(dir, &["stash", "-q"]);
    let out = run(dir, &["scan", "--git"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("feature.py:1:"), "{text}");
    assert!(text.contains("a.txt:1:"), "{text}");
}

#[test]
fn an_unreadable_object_fails_closed() {
    let repo = git_repo();
    let dir = repo.path();
    write(dir, "a.txt", "hello\n");
    commit_all(dir, "init");
    let oid = git(dir, &["rev-parse", "HEAD:a.txt"]).trim().to_string();
    let loose = dir.join(".git/objects").join(&oid[..2]).join(&oid[2..]);
    std::fs::remove_file(&loose).unwrap();
    let out = run(dir, &["scan", "--git"]);
    assert_exit(&out, 2);
    assert!(
        stdout(&out).contains("could not be scanned"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn outside_a_repository_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["scan", "--git"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
}

#[test]
fn the_repository_can_be_named() {
    let repo = git_repo();
    let dir = repo.path();
    write(
        dir,
        "x.py",
        &format!("K = '{}'\n", Fake::new(44).anthropic_key()),
    );
    commit_all(dir, "x");
    let elsewhere = tempfile::tempdir().unwrap();
    let out = run(elsewhere.path(), &["scan", "--git", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        run(elsewhere.path(), &["scan", "--git", "a", "b"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn gits_without_the_type_filter_list_the_same_blobs() {
    use amplihack_remote::git::{for_each_reachable_blob, reachable_blobs, Git, GitVersion};
    let repo = git_repo();
    let dir = repo.path();
    write(dir, "a.txt", "a\n");
    write(dir, "sub/b.txt", "b\n");
    commit_all(dir, "one");
    write(dir, "sub/b.txt", "b2\n");
    write(dir, "odd\nname.txt", "newline in the name\n");
    commit_all(dir, "two");
    let git = Git::new(dir);
    let mut old: Vec<_> = reachable_blobs(&git, GitVersion::new(2, 30, 0), &[], &[])
        .unwrap()
        .into_iter()
        .map(|b| (b.oid, b.path))
        .collect();
    let mut new = Vec::new();
    for_each_reachable_blob(&git, GitVersion::new(2, 47, 0), &[], &[], |b| {
        new.push((b.oid, b.path));
        true
    })
    .unwrap();
    old.sort();
    new.sort();
    assert_eq!(old.len(), 4, "{old:?}");
    assert_eq!(old, new);
    // rev-list cuts a name at its newline: the blob is still listed (and scanned).
    assert!(new.iter().any(|(_, p)| p == "odd"), "{new:?}");
}

/// A blob is read once, but its result can depend on its path: the same bytes as `.env`
/// (where the dotenv rule runs) and as `notes.txt`, or in an allowlisted folder and outside
/// it. Each must be judged under every path it was committed at.
#[test]
fn the_same_blob_at_a_stricter_path_is_judged_there_too() {
    let repo = git_repo();
    let dir = repo.path();
    write(dir, "README.md", "hello\n");
    // Low entropy: reported only in dotenv files.
    write(dir, ".env", "DB_PASSWORD=hunter2bunny\n");
    let leaked = commit_all(dir, "env");
    git(dir, &["mv", ".env", "notes.txt"]);
    commit_all(dir, "rename");
    // rev-list names the blob after its newest path, notes.txt.
    let out = run(dir, &["scan", "--git"]);
    assert_exit(&out, 1);
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            ".env:1:13 (commit {leaked}): dotenv-sensitive-value"
        )),
        "{text}"
    );
}

#[test]
fn a_blob_in_an_allowlisted_folder_is_still_reported_where_it_is_not_allowlisted() {
    let repo = git_repo();
    let dir = repo.path();
    write(
        dir,
        ".amplihack-remote.toml",
        "[allowlist]\npaths = [\"fixtures/**\"]\n",
    );
    let token = Fake::new(91).github_pat();
    write(dir, "src/token.txt", &format!("token: {token}\n"));
    let leaked = commit_all(dir, "token");
    std::fs::create_dir(dir.join("fixtures")).unwrap();
    git(dir, &["mv", "src/token.txt", "fixtures/token.txt"]);
    commit_all(dir, "move to fixtures");
    let out = run(dir, &["scan", "--git"]);
    assert_exit(&out, 1);
    let text = stdout(&out);
    assert!(
        text.contains(&format!("src/token.txt:1:8 (commit {leaked})")),
        "{text}"
    );
    assert!(!text.contains("fixtures/token.txt:1"), "{text}");
}

/// A repository's config is not trusted to run code: `core.fsmonitor` names a program git
/// would run on `status`, `ls-files` or `update-index`.
#[test]
fn a_repository_config_cannot_make_scans_or_package_run_a_program() {
    let repo = git_repo();
    let dir = repo.path();
    let marker = dir.parent().unwrap().join(format!(
        "fsmonitor-ran-{}",
        dir.file_name().unwrap().to_string_lossy()
    ));
    let hook = dir.join(".git/evil-fsmonitor.sh");
    std::fs::write(
        &hook,
        format!("#!/bin/sh\ntouch '{}'\nexit 1\n", marker.display()),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    write(dir, ".claude/settings.json", "{}\n");
    write(dir, "README.md", "hello\n");
    commit_all(dir, "init");
    git(dir, &["config", "core.fsmonitor", hook.to_str().unwrap()]);
    write(dir, "README.md", "changed\n"); // uncommitted work: package stages a snapshot
                                          // The hook works when git is run plainly (so the test can fail).
    git(dir, &["status", "--porcelain"]);
    assert!(
        marker.exists(),
        "the fsmonitor hook did not run under plain git"
    );
    std::fs::remove_file(&marker).unwrap();

    for args in [
        &["scan", "--git"][..],
        &["scan", "--staged"][..],
        &["package", "--dry-run"][..],
    ] {
        let cfg = tempfile::tempdir().unwrap();
        let out = run_env(dir, args, &[("AMPLIHACK_REMOTE_CONFIG_DIR", cfg.path())]);
        assert!(
            out.status.code().is_some_and(|c| c < 2),
            "{args:?}: {}{}",
            stdout(&out),
            stderr(&out)
        );
        assert!(
            !marker.exists(),
            "{args:?} ran the repository's fsmonitor hook"
        );
    }
}

/// Found by the pack/unpack property test: `rev-list --filter=object:type=blob` still prints
/// the tips it is given, so an annotated tag's object came out as `<oid> <tag name>` and was
/// read as a blob: `scan --git` and `package` failed (exit 2) on any repository with an
/// annotated tag. A secret only reachable from an annotated tag is still found.
#[test]
fn annotated_tags_are_walked_not_taken_for_blobs() {
    let repo = git_repo();
    let dir = repo.path();
    write(dir, "a.txt", "a\n");
    commit_all(dir, "init");
    git(dir, &["tag", "-a", "v1", "-m", "release"]);
    let clean = run(dir, &["scan", "--git"]);
    assert_eq!(clean.status.code(), Some(0), "{}", stderr(&clean));
    // A commit reachable only from a second annotated tag (its branch deleted).
    git(dir, &["checkout", "-q", "-b", "gone"]);
    write(
        dir,
        "leak.py",
        &format!("K = '{}'\n", Fake::new(44).anthropic_key()),
    );
    commit_all(dir, "leak");
    git(dir, &["tag", "-a", "v2", "-m", "leaky"]);
    git(dir, &["checkout", "-q", "main"]);
    git(dir, &["branch", "-q", "-D", "gone"]);
    let out = run(dir, &["scan", "--git"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("leak.py:1:"), "{}", stdout(&out));
    // And the old-git path (type check by `cat-file`) agrees.
    use amplihack_remote::git::{for_each_reachable_blob, reachable_blobs, Git, GitVersion};
    let git = Git::new(dir);
    let mut old: Vec<_> = reachable_blobs(&git, GitVersion::new(2, 30, 0), &[], &[])
        .unwrap()
        .into_iter()
        .map(|b| b.oid)
        .collect();
    let mut new = Vec::new();
    for_each_reachable_blob(&git, GitVersion::new(2, 47, 0), &[], &[], |b| {
        new.push(b.oid);
        true
    })
    .unwrap();
    old.sort();
    new.sort();
    assert_eq!(old, new);
    assert_eq!(new.len(), 2);
}

/// The packed first pass takes the reachable blobs from the path walk (`git log --raw`), not
/// from `rev-list --objects`: on a history with every kind of change, both must name the same
/// blobs, or a blob would ship unscanned.
#[test]
fn the_path_walk_names_every_blob_rev_list_names() {
    use std::collections::BTreeSet;
    let repo = git_repo();
    let d = repo.path();
    write(d, "a.txt", "a\n");
    write(d, "dir/b.txt", "b\n");
    commit_all(d, "init");
    // Rename, mode change, file to symbolic link, a deletion.
    git(d, &["mv", "a.txt", "renamed.txt"]);
    git(d, &["update-index", "--chmod=+x", "dir/b.txt"]);
    std::fs::remove_file(d.join("dir/b.txt")).unwrap();
    std::os::unix::fs::symlink("renamed.txt", d.join("dir/b.txt")).unwrap();
    commit_all(d, "rename, chmod, link");
    // A side branch, and an evil merge with content neither parent has.
    start_merge_of_a_side_branch(d);
    write(d, "evil.txt", "only in the merge\n");
    commit_all(d, "merge");
    // A second root commit on an orphan branch, a tag, a stash, a detached HEAD.
    git(d, &["checkout", "-q", "--orphan", "orphan"]);
    git(d, &["rm", "-rq", "--cached", "."]);
    write(d, "orphan.txt", "orphan\n");
    git(d, &["add", "orphan.txt"]);
    git(d, &["commit", "-q", "-m", "orphan root"]);
    git(d, &["tag", "-a", "-m", "t", "v1"]);
    git(d, &["checkout", "-q", "-f", "main"]);
    write(d, "main.txt", "stashed change\n");
    git(d, &["stash", "-q"]);
    git(d, &["checkout", "-q", "--detach", "HEAD~1"]);
    write(d, "detached.txt", "detached\n");
    commit_all(d, "detached");
    // A file replaced by a directory of the same name.
    git(d, &["rm", "-q", "main.txt"]);
    write(d, "main.txt/inner.txt", "inner\n");
    commit_all(d, "file to dir");
    git(d, &["gc", "-q"]);

    let listed: BTreeSet<String> = git(
        d,
        &[
            "rev-list",
            "--objects",
            "--all",
            "--filter=object:type=blob",
            "--filter-provided-objects",
        ],
    )
    .lines()
    .map(|l| l.split(' ').next().unwrap().to_string())
    .collect();
    let mut walked = BTreeSet::new();
    amplihack_remote::git::blob_paths::for_each_introduction(
        &amplihack_remote::git::Git::new(d),
        &[],
        &[],
        |_, oid, _| {
            walked.insert(oid.to_string());
        },
    )
    .unwrap();
    assert!(listed.len() >= 10, "{listed:?}");
    assert_eq!(walked, listed);
}

/// `scan --git` in JSON with the history reader chosen by `AMPLIHACK_REMOTE_HISTORY_READER`
/// (`git` forces `rev-list` + `cat-file`): the findings as (path, line, rule, commit), and the
/// summary's blob and byte counts.
fn history_scan_by(dir: &std::path::Path, reader: &str) -> (Vec<String>, serde_json::Value) {
    let out = std::process::Command::new(BIN)
        .args(["scan", "--git", "--format", "json", "-j", "2"])
        .current_dir(dir)
        .envs(pinned_git_env(dir))
        .env("AMPLIHACK_REMOTE_HISTORY_READER", reader)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{reader}: {}{}",
        stdout(&out),
        stderr(&out)
    );
    let v = json(&out);
    let mut found: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {} {} {}",
                f["path"], f["line"], f["rule_id"], f["commit"]
            )
        })
        .collect();
    found.sort();
    let s = &v["summary"];
    (
        found,
        serde_json::json!([s["files_scanned"], s["bytes_scanned"]]),
    )
}

/// The packed first pass (the packs decoded in process) reports exactly what reading every
/// blob through git reports, on a packed history with secrets in delta-compressed versions,
/// in a delta base, in a merge only, under a path-restricted rule, next to loose objects.
#[test]
fn the_packed_pass_reports_what_git_reads_report() {
    let repo = git_repo();
    let d = repo.path();
    let mut fake = Fake::new(77);
    let body: Vec<String> = (0..400)
        .map(|i| format!("fn item_{i}(x: u32) -> u32 {{ x.wrapping_mul({i}) ^ 0x5f }}"))
        .collect();
    let file = |extra: &[(usize, String)]| {
        let mut lines = body.clone();
        for (at, line) in extra {
            lines.insert(*at, line.clone());
        }
        lines.join("\n") + "\n"
    };
    write(d, "src/big.rs", &file(&[]));
    write(d, ".claude/settings.json", "{}\n");
    commit_all(d, "base");
    // Versions with small edits (stored as deltas after gc); one inserts a secret mid-file,
    // a later one removes it again.
    for i in 0..12 {
        let mut extra = vec![(10 + i * 7, format!("// edit {i}"))];
        if i == 5 {
            extra.push((
                200,
                format!("const KEY: &str = \"{}\";", fake.anthropic_key()),
            ));
        }
        write(d, "src/big.rs", &file(&extra));
        commit_all(d, &format!("edit {i}"));
    }
    // A secret in the first version of a file that later versions edit (a delta base, or a
    // delta of the newer version: git chooses).
    write(
        d,
        "conf/app.toml",
        &format!(
            "[auth]\ntoken = \"{}\"\n{}",
            fake.github_pat(),
            "x = 1\n".repeat(200)
        ),
    );
    commit_all(d, "conf");
    write(
        d,
        "conf/app.toml",
        &format!("[auth]\n{}", "x = 1\n".repeat(201)),
    );
    commit_all(d, "conf without the token");
    // Content only in a merge commit.
    start_merge_of_a_side_branch(d);
    write(
        d,
        "merge.txt",
        &format!(
            "AWS_ACCESS_KEY_ID={}\naws secret\n",
            fake.aws_access_key_id()
        ),
    );
    commit_all(d, "merge");
    // A dotenv value (a rule restricted to .env files) committed as notes.txt, then as .env.
    write(d, "notes.txt", "DB_PASSWORD=hunter2-but-longer\n");
    commit_all(d, "notes");
    std::fs::create_dir_all(d.join("config")).unwrap();
    git(d, &["mv", "notes.txt", "config/.env"]);
    commit_all(d, "move to .env");
    git(d, &["gc", "-q", "--aggressive"]);
    // Loose objects after the pack.
    write(d, "late.py", &format!("KEY = '{}'\n", fake.anthropic_key()));
    commit_all(d, "late");

    let packs = std::fs::read_dir(d.join(".git/objects/pack"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "pack")
        })
        .count();
    assert!(packs >= 1, "gc made no pack");
    let (by_git, counts_git) = history_scan_by(d, "git");
    let (by_packs, counts_packs) = history_scan_by(d, "packs");
    assert!(by_git.len() >= 5, "{by_git:#?}");
    assert_eq!(by_packs, by_git);
    assert_eq!(counts_packs, counts_git);
}

/// Refs may name a tree or a blob directly (`git tag t <tree>`): no commit introduces what
/// they hold, so the path walk would not list it. Such a repository keeps the `rev-list`
/// listing, and the secret is found, packed or not; `package` ships such a tag, so it must stop.
#[test]
fn a_secret_reachable_only_through_a_tag_on_a_tree_or_a_blob_is_found() {
    for kind in ["tree", "blob"] {
        let repo = git_repo();
        let d = repo.path();
        write(d, "README.md", "hello\n");
        commit_all(d, "init");
        let key = Fake::new(78).anthropic_key();
        let blob = {
            write(d, "side.py", &format!("KEY = '{key}'\n"));
            let b = git(d, &["hash-object", "-w", "side.py"]).trim().to_string();
            std::fs::remove_file(d.join("side.py")).unwrap();
            b
        };
        let target = match kind {
            "blob" => blob,
            _ => {
                let tree = std::process::Command::new("git")
                    .args(["mktree"])
                    .current_dir(d)
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .spawn()
                    .and_then(|mut c| {
                        use std::io::Write;
                        c.stdin
                            .take()
                            .unwrap()
                            .write_all(format!("100644 blob {blob}\tside.py\n").as_bytes())?;
                        c.wait_with_output()
                    })
                    .unwrap();
                String::from_utf8(tree.stdout).unwrap().trim().to_string()
            }
        };
        git(d, &["tag", &format!("t-{kind}"), &target]);
        git(d, &["gc", "-q"]);
        let out = run(d, &["scan", "--git"]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{kind}: {}{}",
            stdout(&out),
            stderr(&out)
        );
        assert!(stdout(&out).contains("anthropic-api-key"), "{kind}");
    }
}

/// A packed blob that no ref reaches (an amended commit's old content, kept by the reflog) is
/// not shipped by the bundle: the packed first pass decodes it but must not report it.
#[test]
fn an_unreachable_packed_secret_is_not_reported() {
    let repo = git_repo();
    let d = repo.path();
    write(d, "README.md", "hello\n");
    commit_all(d, "init");
    let key = Fake::new(79).anthropic_key();
    write(d, "config.py", &format!("KEY = '{key}'\n"));
    commit_all(d, "oops");
    write(d, "config.py", "KEY = os.environ['KEY']\n");
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "--amend", "-m", "config"]);
    // Pack everything, the unreachable objects included (`-A` keeps them in the pack).
    git(d, &["repack", "-Adq"]);
    let packed = git(d, &["count-objects", "-v"]);
    assert!(packed.contains("count: 0"), "{packed}");
    let out = run(d, &["scan", "--git", "--format", "json"]);
    assert_exit(&out, 0);
    // The same secret is found once something reaches it again.
    git(d, &["tag", "back", "HEAD@{1}"]);
    let out = run(d, &["scan", "--git"]);
    assert_exit(&out, 1);
}

/// A SHA-256 repository (its ids are 64 hex digits, which the in-process pack reader does not
/// read) keeps the listing pass: a secret in its packed history is found, with its commit.
#[test]
fn a_sha256_repository_is_scanned_whole() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main", "--object-format=sha256"]);
    let key = Fake::new(80).anthropic_key();
    write(d, "config.py", &format!("KEY = '{key}'\n"));
    let leaked = commit_all(d, "oops");
    write(d, "config.py", "KEY = os.environ['KEY']\n");
    commit_all(d, "fix");
    git(d, &["gc", "-q"]);
    let out = run(d, &["scan", "--git"]);
    assert_exit(&out, 1);
    assert!(
        stdout(&out).contains(&format!("config.py:1:8 (commit {leaked})")),
        "{}",
        stdout(&out)
    );
}
