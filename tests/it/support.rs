//! Test support: fake secret generators, running the binary, git fixtures.
//!
//! Fake secrets are generated at run time from a seed, so no secret-shaped literal sits in
//! the test sources (the repository scans clean with its own scanner).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_amplihack-remote");

/// A small deterministic PRNG (xorshift64*), so every run plants the same fakes.
pub struct Fake(u64);

impl Fake {
    pub fn new(seed: u64) -> Fake {
        Fake(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// `n` characters drawn from `alphabet`, never a run of 3 equal or sequential ones.
    pub fn chars(&mut self, alphabet: &str, n: usize) -> String {
        let a = alphabet.as_bytes();
        let mut out: Vec<u8> = Vec::with_capacity(n);
        while out.len() < n {
            let c = a[(self.next() % a.len() as u64) as usize];
            let l = out.len();
            if l >= 2 {
                let (p, q) = (out[l - 2] as i16, out[l - 1] as i16);
                let d = c as i16 - q;
                if q - p == d && d.abs() <= 1 {
                    continue;
                }
            }
            out.push(c);
        }
        String::from_utf8(out).unwrap()
    }

    pub fn alnum(&mut self, n: usize) -> String {
        self.chars(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            n,
        )
    }

    pub fn anthropic_key(&mut self) -> String {
        let body = self.chars(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-",
            93,
        );
        format!("sk-ant-{}-{body}AA", "api03")
    }

    pub fn github_pat(&mut self) -> String {
        let body = self.alnum(30);
        amplihack_remote::scan::checksum::github_token_with_checksum("ghp_", &body)
    }

    pub fn aws_access_key_id(&mut self) -> String {
        format!("AKIA{}", self.chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16))
    }
}

/// Runs the binary in `dir` with `args`, no stdin.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    run_with_stdin(dir, args, None)
}

pub fn run_with_stdin(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .envs(pinned_git_env(dir))
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    if let Some(data) = stdin {
        child.stdin.take().unwrap().write_all(data).unwrap();
    }
    child.wait_with_output().unwrap()
}

/// Asserts the exit code, showing the output when it differs.
#[track_caller]
pub fn assert_exit(o: &Output, code: i32) {
    assert_eq!(o.status.code(), Some(code), "{}{}", stdout(o), stderr(o));
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The environment every git call in tests runs under: no system or user config, fixed dates.
pub fn pinned_git_env(home: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("GIT_CONFIG_NOSYSTEM", "1".into()),
        ("GIT_CONFIG_GLOBAL", "/dev/null".into()),
        ("HOME", home.display().to_string()),
        ("GIT_AUTHOR_NAME", "Test".into()),
        ("GIT_AUTHOR_EMAIL", "test@example.invalid".into()),
        ("GIT_COMMITTER_NAME", "Test".into()),
        ("GIT_COMMITTER_EMAIL", "test@example.invalid".into()),
        ("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z".into()),
        ("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z".into()),
    ]
}

/// Runs `git ARGS` in `dir` under the pinned environment; panics with stderr on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .envs(pinned_git_env(dir))
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A new git repository in a temporary directory.
pub fn git_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    dir
}

pub fn write(dir: &Path, rel: &str, content: &str) -> PathBuf {
    let p = dir.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, content).unwrap();
    p
}

/// The project's root (where Cargo.toml is).
pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", stdout(o)))
}

pub use amplihack_remote::scan::decode::base64_encode as base64;

/// Percent-encodes every byte outside `A-Za-z0-9-_.~`.
pub fn percent_encode(data: &str) -> String {
    data.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Like [`run`], with extra environment variables.
pub fn run_env(dir: &Path, args: &[&str], extra: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .current_dir(dir)
        .envs(pinned_git_env(dir))
        .stdin(Stdio::null());
    for (k, v) in extra {
        cmd.env(k, v);
        // The history cache goes next to the test's private config, never to ~/.cache.
        if *k == "AMPLIHACK_REMOTE_CONFIG_DIR" {
            cmd.env("AMPLIHACK_REMOTE_CACHE_DIR", v.join("cache"));
        }
    }
    cmd.output().expect("the binary starts")
}

/// Every file, directory and link under `root` with its mode and content (or target),
/// hashed: two equal digests mean a byte-for-byte identical tree.
pub fn tree_digest(root: &Path) -> String {
    use sha2::{Digest, Sha256};
    use std::os::unix::fs::PermissionsExt;
    fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            let m = std::fs::symlink_metadata(&p).unwrap();
            let mode = m.permissions().mode();
            if m.file_type().is_symlink() {
                out.push((rel, format!("link {:?}", std::fs::read_link(&p).unwrap())));
            } else if m.is_dir() {
                out.push((rel.clone(), format!("dir {mode:o}")));
                walk(&p, root, out);
            } else {
                let bytes = std::fs::read(&p).unwrap();
                out.push((
                    rel,
                    format!(
                        "file {mode:o} {}",
                        amplihack_remote::digest::sha256_hex(&bytes)
                    ),
                ));
            }
        }
    }
    let mut all = Vec::new();
    walk(root, root, &mut all);
    let mut h = Sha256::new();
    for (p, d) in &all {
        h.update(p.as_bytes());
        h.update(b"\0");
        h.update(d.as_bytes());
        h.update(b"\n");
    }
    amplihack_remote::digest::hex(&h.finalize())
}
