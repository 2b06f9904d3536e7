//! Bringing the result bundle home: verified by git, only `refs/heads/<name>` with a clean
//! name accepted, fetched (forced) into `refs/remotes/remote-exec/<name>` with a reflog, so a
//! second run updates the ref and the old value stays in the reflog. Local branches, the
//! index, the stash and the working tree are never touched. Then the counts, the divergence
//! check, a scan of the incoming blobs for secrets, and the seed's summary report.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;
use std::sync::mpsc::sync_channel;

use crate::git::{stream_blob_batches, Git, HistoryBlob};
use crate::scan::{InputName, Scanner, Scratch};

/// Where imported branches go.
pub const NAMESPACE: &str = "refs/remotes/remote-exec/";
/// At most this many branches are imported from one bundle.
pub const MAX_BRANCHES: usize = 1000;
/// Incoming blobs larger than this are not scanned (and say so).
const MAX_SCANNED_BLOB: u64 = 64 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BranchStatus {
    New,
    Updated,
    Unchanged,
}

impl BranchStatus {
    pub fn label(self) -> &'static str {
        match self {
            BranchStatus::New => "NEW",
            BranchStatus::Updated => "UPDATED",
            BranchStatus::Unchanged => "UNCHANGED",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchResult {
    pub name: String,
    pub status: BranchStatus,
    pub tip: String,
    pub previous: Option<String>,
    /// The local branch of the same name, if any.
    pub local: Option<String>,
    /// Commits on the remote branch that the local branch (or, without one, no local
    /// branch) has.
    pub new_commits: u64,
    pub files_changed: u64,
    pub diverged: bool,
}

/// Everything the report needs.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub branches: Vec<BranchResult>,
    /// Distinct new commits over all branches.
    pub commits: u64,
    /// Distinct paths changed over all branches.
    pub files_changed: u64,
    pub logs_copied: bool,
    /// Refs of the bundle that were not imported, with the reason.
    pub refused: Vec<String>,
    /// Secrets the agent committed (redacted).
    pub secrets: Vec<String>,
    /// Blobs that could not be scanned.
    pub unscanned: Vec<String>,
}

/// Our own checks of a branch name from the VM, before git's `check-ref-format --branch`.
pub fn check_branch_name(name: &str) -> Result<(), String> {
    let bad = name.is_empty()
        || name.len() > 200
        || name.starts_with('-')
        || name.starts_with('/')
        || name.ends_with('/')
        || name.ends_with(".lock")
        || name.ends_with('.')
        || name == "HEAD"
        || name.contains("..")
        || name.contains("//")
        || name.contains("@{")
        || name.contains('\\')
        || name
            .chars()
            .any(|c| c.is_control() || c == ' ' || "~^:?*[".contains(c))
        || name.split('/').any(|c| c.starts_with('.') || c == "@");
    if bad {
        Err(format!("{:?}: not an acceptable branch name", name))
    } else {
        Ok(())
    }
}

fn is_oid(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn text(out: Vec<u8>) -> String {
    String::from_utf8_lossy(&out).trim().to_string()
}

fn rev(git: &Git, spec: &str) -> Option<String> {
    git.run(&["rev-parse", "-q", "--verify", &format!("{spec}^{{commit}}")])
        .ok()
        .map(text)
        .filter(|s| is_oid(s))
}

/// `(branch, commit)` pairs to import, and the refused refs with reasons.
pub type Heads = (Vec<(String, String)>, Vec<String>);

/// The heads of `bundle` that may be imported, and the refused ones with reasons.
pub fn acceptable_heads(git: &Git, bundle: &Path) -> Result<Heads, String> {
    let b = bundle.to_string_lossy();
    git.run(&["bundle", "verify", "-q", &b])
        .map_err(|e| format!("the result bundle does not verify: {e}"))?;
    let listed = git
        .run(&["bundle", "list-heads", &b])
        .map_err(|e| format!("cannot list the result bundle's heads: {e}"))?;
    let listed = String::from_utf8_lossy(&listed);
    // Counted before any per-ref work (one `git check-ref-format` each): a bundle of
    // thousands of branches is refused at once, not after thousands of processes.
    let branches = listed
        .lines()
        .filter(|l| {
            l.split_once(' ')
                .is_some_and(|(_, n)| n.starts_with("refs/heads/"))
        })
        .count();
    if branches > MAX_BRANCHES {
        return Err(format!(
            "the result bundle has {branches} branches; at most {MAX_BRANCHES} are imported"
        ));
    }
    let mut heads = Vec::new();
    let mut refused = Vec::new();
    let mut seen = HashSet::new();
    for line in listed.lines() {
        let Some((oid, name)) = line.split_once(' ') else {
            return Err(format!("unexpected bundle head line {:?}", line));
        };
        if !is_oid(oid) {
            return Err(format!("unexpected bundle head line {:?}", line));
        }
        let Some(branch) = name.strip_prefix("refs/heads/") else {
            if name != "HEAD" {
                refused.push(format!(
                    "{name}: not a branch (only refs/heads/* are imported)"
                ));
            }
            continue;
        };
        if let Err(e) = check_branch_name(branch) {
            refused.push(e);
            continue;
        }
        let checked = git
            .run(&["check-ref-format", "--branch", branch])
            .map(text)
            .ok();
        if checked.as_deref() != Some(branch) {
            refused.push(format!("{branch:?}: git refuses it as a branch name"));
            continue;
        }
        if !seen.insert(branch.to_string()) {
            continue;
        }
        heads.push((branch.to_string(), oid.to_string()));
    }
    if heads.len() > MAX_BRANCHES {
        return Err(format!(
            "the result bundle has {} branches; at most {MAX_BRANCHES} are imported",
            heads.len()
        ));
    }
    Ok((heads, refused))
}

/// Imports the bundle's branches and computes the summary. `start` is the commit the agent
/// started from (for branches with no local counterpart).
pub fn integrate(
    root: &Path,
    bundle: &Path,
    start: &str,
    scanner: &Scanner,
) -> Result<Summary, String> {
    let git = Git::new(root);
    let (heads, refused) = acceptable_heads(&git, bundle)?;
    let mut summary = Summary {
        refused,
        ..Summary::default()
    };
    if heads.is_empty() {
        return Ok(summary);
    }
    // Before the fetch: every ref's target (what is already known and scanned) and the
    // previous imports.
    let known: BTreeSet<String> = String::from_utf8_lossy(
        &git.run(&["for-each-ref", "--format=%(objectname)"])
            .map_err(|e| e.to_string())?,
    )
    .lines()
    .filter(|l| is_oid(l))
    .map(str::to_string)
    .collect();
    let previous: Vec<Option<String>> = heads
        .iter()
        .map(|(b, _)| rev(&git, &format!("{NAMESPACE}{b}")))
        .collect();
    let mut args: Vec<String> = [
        "-c",
        "core.logAllRefUpdates=always",
        "-c",
        "transfer.fsckObjects=true",
        "-c",
        "gc.auto=0",
        "-c",
        "maintenance.auto=false",
        "fetch",
        "--quiet",
        "--no-tags",
        "--no-write-fetch-head",
        "--no-recurse-submodules",
        "--",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(bundle.to_string_lossy().into_owned());
    for (b, _) in &heads {
        args.push(format!("+refs/heads/{b}:{NAMESPACE}{b}"));
    }
    git.run(&args)
        .map_err(|e| format!("importing the result bundle failed: {e}"))?;

    let mut all_commits = HashSet::new();
    let mut all_files = HashSet::new();
    for ((name, tip), previous) in heads.iter().zip(previous) {
        let imported = rev(&git, &format!("{NAMESPACE}{name}"));
        if imported.as_deref() != Some(tip.as_str()) {
            return Err(format!(
                "remote-exec/{name} is not at the bundle's {tip} after the import"
            ));
        }
        let local = rev(&git, &format!("refs/heads/{name}"));
        let status = match &previous {
            None => BranchStatus::New,
            Some(p) if p == tip => BranchStatus::Unchanged,
            Some(_) => BranchStatus::Updated,
        };
        let mut list_args = vec!["rev-list".to_string(), tip.clone(), "--not".into()];
        match &local {
            Some(l) => list_args.push(l.clone()),
            None => list_args.push("--branches".into()),
        }
        let commits: Vec<String> =
            String::from_utf8_lossy(&git.run(&list_args).map_err(|e| e.to_string())?)
                .lines()
                .map(str::to_string)
                .collect();
        let base = match &local {
            Some(l) => merge_base(&git, l, tip),
            None => merge_base(&git, start, tip),
        };
        let files = changed_files(&git, base.as_deref(), tip)?;
        let diverged = match &local {
            Some(l) if l != tip => !git
                .output(
                    &["merge-base", "--is-ancestor", l.as_str(), tip.as_str()],
                    None,
                )
                .map(|(s, _, _)| s.success())
                .unwrap_or(false),
            _ => false,
        };
        summary.branches.push(BranchResult {
            name: name.clone(),
            status,
            tip: tip.clone(),
            previous,
            local,
            new_commits: commits.len() as u64,
            files_changed: files.len() as u64,
            diverged,
        });
        all_commits.extend(commits);
        all_files.extend(files);
    }
    summary.commits = all_commits.len() as u64;
    summary.files_changed = all_files.len() as u64;
    let tips: Vec<String> = heads.iter().map(|(_, t)| t.clone()).collect();
    scan_incoming(&git, &tips, &known, scanner, &mut summary);
    Ok(summary)
}

fn merge_base(git: &Git, a: &str, b: &str) -> Option<String> {
    git.run(&["merge-base", a, b])
        .ok()
        .map(text)
        .filter(|s| is_oid(s))
}

/// Paths that differ between `base` and `tip` (everything in `tip` without a base).
fn changed_files(git: &Git, base: Option<&str>, tip: &str) -> Result<Vec<String>, String> {
    let out = match base {
        Some(b) => git.run(&["diff", "--name-only", "-z", "--no-renames", b, tip]),
        None => git.run(&["ls-tree", "-r", "-z", "--name-only", tip]),
    }
    .map_err(|e| e.to_string())?;
    Ok(out
        .split(|&b| b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect())
}

/// Scans the blobs the import brought (reachable from the new tips, not from any ref that
/// existed before) and records findings, redacted.
fn scan_incoming(
    git: &Git,
    tips: &[String],
    known: &BTreeSet<String>,
    scanner: &Scanner,
    summary: &mut Summary,
) {
    let mut input = String::new();
    for t in tips {
        input.push_str(t);
        input.push('\n');
    }
    for k in known {
        input.push('^');
        input.push_str(k);
        input.push('\n');
    }
    let listed = match git.run_with_input(
        &["rev-list", "--objects", "--stdin"],
        Some(input.into_bytes()),
    ) {
        Ok(o) => o,
        Err(e) => {
            summary
                .unscanned
                .push(format!("the incoming commits could not be listed: {e}"));
            return;
        }
    };
    let mut candidates: Vec<HistoryBlob> = Vec::new();
    for line in String::from_utf8_lossy(&listed).lines() {
        let (oid, path) = line.split_once(' ').unwrap_or((line, ""));
        if !path.is_empty() && is_oid(oid) {
            candidates.push(HistoryBlob {
                oid: oid.to_string(),
                path: path.to_string(),
            });
        }
    }
    if candidates.is_empty() {
        return;
    }
    // Keep blobs (paths also name trees), within the size bound.
    let mut request = String::new();
    for c in &candidates {
        request.push_str(&c.oid);
        request.push('\n');
    }
    let checked = match git.run_with_input(
        &[
            "cat-file",
            "--batch-check=%(objectname) %(objecttype) %(objectsize)",
        ],
        Some(request.into_bytes()),
    ) {
        Ok(o) => o,
        Err(e) => {
            summary
                .unscanned
                .push(format!("the incoming objects could not be read: {e}"));
            return;
        }
    };
    let mut blobs = Vec::new();
    for (c, line) in candidates
        .into_iter()
        .zip(String::from_utf8_lossy(&checked).lines())
    {
        let parts: Vec<&str> = line.split(' ').collect();
        if parts.len() == 3 && parts[1] == "blob" {
            let size: u64 = parts[2].parse().unwrap_or(u64::MAX);
            if size > MAX_SCANNED_BLOB {
                summary
                    .unscanned
                    .push(format!("{} ({} bytes): too large to scan", c.path, size));
            } else {
                blobs.push(c);
            }
        }
    }
    if blobs.is_empty() {
        return;
    }
    let (tx, rx) = sync_channel(1);
    let _ = tx.send(blobs);
    drop(tx);
    let mut scratch = Scratch::default();
    let mut found = Vec::new();
    let result = stream_blob_batches(git, rx, |blob, bytes| {
        let name = InputName::plain(blob.path.clone());
        match scanner.scan_buffer(&name, &bytes, &mut scratch) {
            Ok(f) => found.extend(f.findings),
            Err(e) => summary.unscanned.push(format!("{}: {e}", blob.path)),
        }
        true
    });
    if let Err(e) = result {
        summary
            .unscanned
            .push(format!("the incoming blobs could not be read: {e}"));
    }
    for f in found {
        summary.secrets.push(format!(
            "{}:{} ({}): {}",
            f.path,
            f.line,
            f.rule_id,
            crate::output::printable(f.excerpt.trim())
        ));
    }
}

/// The seed's summary report, with correct counts.
pub fn report(s: &Summary) -> String {
    let rule = "=".repeat(60);
    let mut r = format!("{rule}\nRemote Execution Results\n{rule}\n");
    r.push_str(&format!("Branches ({}):\n", s.branches.len()));
    for b in &s.branches {
        r.push_str(&format!(
            "  - {} ({}): {}\n",
            b.name,
            b.status.label(),
            &b.tip[..8.min(b.tip.len())]
        ));
        r.push_str(&format!(
            "      {} new commit{}, {} file{} changed{}\n",
            b.new_commits,
            if b.new_commits == 1 { "" } else { "s" },
            b.files_changed,
            if b.files_changed == 1 { "" } else { "s" },
            match &b.local {
                Some(_) => format!(" (relative to local {})", b.name),
                None => " (no local branch of that name)".to_string(),
            }
        ));
    }
    r.push_str(&format!("Commits: {}\n", s.commits));
    r.push_str(&format!("Files changed: {}\n", s.files_changed));
    r.push_str(&format!(
        "Logs copied: {}\n",
        if s.logs_copied { "Yes" } else { "No" }
    ));
    if !s.refused.is_empty() {
        r.push_str("Not imported:\n");
        for x in &s.refused {
            r.push_str(&format!("  - {}\n", crate::output::printable(x)));
        }
    }
    if !s.secrets.is_empty() {
        r.push_str("WARNING: the agent committed what looks like a secret (do not push these commits; rotate the secret if it is real):\n");
        for x in &s.secrets {
            r.push_str(&format!("  - {x}\n"));
        }
    }
    let diverged: Vec<&BranchResult> = s.branches.iter().filter(|b| b.diverged).collect();
    if !diverged.is_empty() {
        r.push_str("\nWARNING: Conflicts detected!\n");
        for b in &diverged {
            let local = b.local.as_deref().unwrap_or("");
            r.push_str(&format!(
                "  Branch '{}' has diverged: local={}, remote={}\n",
                b.name,
                &local[..8.min(local.len())],
                &b.tip[..8.min(b.tip.len())]
            ));
        }
        r.push_str("\nBranches available in 'remote-exec/' namespace for manual merge:\n");
    } else {
        r.push_str("Status: No conflicts detected\n");
        if !s.branches.is_empty() {
            r.push_str("\nTo merge remote changes:\n");
        }
    }
    for b in &s.branches {
        r.push_str(&format!("  git merge remote-exec/{}\n", b.name));
    }
    r.push_str(&rule);
    r.push('\n');
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::RuleSet;

    fn g(dir: &Path, args: &[&str]) -> String {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "T")
            .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
            .env("GIT_COMMITTER_NAME", "T")
            .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn commit(dir: &Path, file: &str, text: &str) -> String {
        std::fs::write(dir.join(file), text).unwrap();
        g(dir, &["add", "-A"]);
        g(dir, &["commit", "-q", "-m", file]);
        g(dir, &["rev-parse", "HEAD"])
    }

    /// Real repositories: counts are distinct commits and paths, divergence follows the
    /// seed's rule, a second import updates the ref with the old value in the reflog, and a
    /// hostile branch name is refused.
    #[test]
    fn imports_count_and_detect_divergence() {
        let tmp = tempfile::tempdir().unwrap();
        let (user, vm) = (tmp.path().join("user"), tmp.path().join("vm"));
        std::fs::create_dir(&user).unwrap();
        g(&user, &["init", "-q", "-b", "main"]);
        g(&user, &["config", "core.logAllRefUpdates", "false"]);
        let a = commit(&user, "a.txt", "a\n");
        g(&user, &["checkout", "-q", "-b", "feature"]);
        let f = commit(&user, "f.txt", "f\n");
        g(&user, &["checkout", "-q", "main"]);
        g(tmp.path(), &["clone", "-q", user.to_str().unwrap(), "vm"]);
        // On the VM: main gains one commit touching two files; feature is rebuilt from A
        // (diverged from the user's F); a new branch.
        std::fs::write(vm.join("a.txt"), "a2\n").unwrap();
        commit(&vm, "b.txt", "b\n");
        g(&vm, &["checkout", "-q", "-B", "feature", &a]);
        let gg = commit(&vm, "g.txt", "g\n");
        g(&vm, &["checkout", "-q", "-b", "newb", &a]);
        commit(&vm, "n.txt", "n\n");
        g(&vm, &["update-ref", "refs/heads/-evil", &a]);
        let bundle = tmp.path().join("r.bundle");
        g(
            &vm,
            &[
                "bundle",
                "create",
                "-q",
                bundle.to_str().unwrap(),
                "--branches",
            ],
        );
        let scanner = Scanner::new(RuleSet::builtin().unwrap());
        let s = integrate(&user, &bundle, &a, &scanner).unwrap();
        let by = |n: &str| s.branches.iter().find(|b| b.name == n).unwrap().clone();
        assert_eq!(s.branches.len(), 3, "{:?}", s.branches);
        assert!(
            s.refused.iter().any(|r| r.contains("-evil")),
            "{:?}",
            s.refused
        );
        let main = by("main");
        assert_eq!(
            (
                main.status,
                main.new_commits,
                main.files_changed,
                main.diverged
            ),
            (BranchStatus::New, 1, 2, false)
        );
        let feature = by("feature");
        assert_eq!(
            (feature.new_commits, feature.files_changed, feature.diverged),
            (1, 1, true)
        );
        assert_eq!(feature.local.as_deref(), Some(f.as_str()));
        let newb = by("newb");
        assert_eq!(
            (newb.new_commits, newb.files_changed, newb.local.is_some()),
            (1, 1, false)
        );
        assert_eq!((s.commits, s.files_changed), (3, 4));
        let r = report(&s);
        assert!(
            r.contains(&format!(
                "Branch 'feature' has diverged: local={}, remote={}",
                &f[..8],
                &gg[..8]
            )),
            "{r}"
        );
        // The user's branches did not move.
        assert_eq!(g(&user, &["rev-parse", "main"]), a);
        assert_eq!(g(&user, &["rev-parse", "feature"]), f);
        assert_eq!(g(&user, &["status", "--porcelain"]), "");

        // Second import: main moves on (forced even if not a fast-forward), feature stays.
        let old_main = g(&user, &["rev-parse", "remote-exec/main"]);
        g(&vm, &["checkout", "-q", "-B", "main", &a]);
        commit(&vm, "c.txt", "c\n");
        g(&vm, &["update-ref", "-d", "refs/heads/-evil"]);
        std::fs::remove_file(&bundle).unwrap();
        g(
            &vm,
            &[
                "bundle",
                "create",
                "-q",
                bundle.to_str().unwrap(),
                "--branches",
            ],
        );
        let s2 = integrate(&user, &bundle, &a, &scanner).unwrap();
        let by2 = |n: &str| s2.branches.iter().find(|b| b.name == n).unwrap().clone();
        assert_eq!(by2("main").status, BranchStatus::Updated);
        assert_eq!(by2("main").previous.as_deref(), Some(old_main.as_str()));
        assert_eq!(by2("feature").status, BranchStatus::Unchanged);
        let reflog = g(
            &user,
            &[
                "reflog",
                "show",
                "--format=%H",
                "refs/remotes/remote-exec/main",
            ],
        );
        assert!(reflog.contains(&old_main), "{reflog}");
    }

    #[test]
    fn branch_names_from_the_vm_are_checked() {
        for ok in [
            "main",
            "feature/x",
            "amplihack-remote/20261122-100000-abcdef",
            "v1.2",
        ] {
            assert!(check_branch_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-x",
            "--upload-pack=evil",
            "a..b",
            "../x",
            "a/../b",
            "a b",
            "a\nb",
            "a\x1b[31m",
            "x.lock",
            "HEAD",
            "@{-1}",
            "@",
            "a/@",
            "a:b",
            "a~1",
            "a^",
            "a*",
            ".hidden",
            "a/.b",
            "a//b",
            "a/",
            "a\\b",
        ] {
            assert!(check_branch_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn report_has_the_seeds_shape() {
        let s = Summary {
            branches: vec![BranchResult {
                name: "main".into(),
                status: BranchStatus::New,
                tip: "0123456789abcdef0123456789abcdef01234567".into(),
                previous: None,
                local: Some("a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2".into()),
                new_commits: 1,
                files_changed: 1,
                diverged: true,
            }],
            commits: 1,
            files_changed: 1,
            logs_copied: true,
            ..Summary::default()
        };
        let r = report(&s);
        let lines: Vec<&str> = r.lines().collect();
        assert_eq!(lines[0], "=".repeat(60));
        assert_eq!(lines[1], "Remote Execution Results");
        assert_eq!(lines[3], "Branches (1):");
        assert_eq!(lines[4], "  - main (NEW): 01234567");
        assert!(r.contains("Commits: 1\nFiles changed: 1\nLogs copied: Yes\n"));
        assert!(r.contains("WARNING: Conflicts detected!"));
        assert!(r.contains("Branch 'main' has diverged: local=a1b2c3d4, remote=01234567"));
        assert!(r.contains("  git merge remote-exec/main"));
        assert_eq!(*lines.last().unwrap(), "=".repeat(60));
        let clean = Summary {
            branches: vec![BranchResult {
                diverged: false,
                ..s.branches[0].clone()
            }],
            ..s
        };
        assert!(report(&clean).contains("Status: No conflicts detected\n\nTo merge remote changes:\n  git merge remote-exec/main\n"));
    }
}
