//! One wrapper around the `git` executable: arguments as a list (never a shell), a clean
//! environment, stdin closed unless it carries data, stderr kept in errors, a timeout on
//! every call.

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Environment variable naming the git executable to use (default: `git` on `PATH`).
pub const GIT_ENV_OVERRIDE: &str = "AMPLIHACK_REMOTE_GIT";

/// Variables passed through to git; everything else is dropped. The `GIT_*` ones matter in
/// hooks: during `git commit -a` or a partial commit, git points `GIT_INDEX_FILE` at a
/// temporary index, and that index is what the commit will contain.
const KEPT_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "USERPROFILE",
    "SYSTEMROOT",
    "TMPDIR",
    "XDG_CONFIG_HOME",
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_CEILING_DIRECTORIES",
    "GIT_CONFIG_NOSYSTEM",
    "GIT_CONFIG_GLOBAL",
    "GIT_CONFIG_SYSTEM",
];

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("git could not be started ({program}): {source}. Install git 2.30 or later, or set {GIT_ENV_OVERRIDE}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("`git {args}` failed ({status}): {stderr}")]
    Failed {
        args: String,
        status: String,
        stderr: String,
    },
    #[error("`git {args}` did not finish within {seconds} s and was stopped")]
    Timeout { args: String, seconds: u64 },
    #[error("`git {args}`: {message}")]
    Io { args: String, message: String },
    #[error("unexpected output from `git {args}`: {message}")]
    Parse { args: String, message: String },
}

/// A git invocation context: which executable, in which directory, with what time limit.
#[derive(Debug, Clone)]
pub struct Git {
    program: PathBuf,
    dir: PathBuf,
    timeout: Duration,
}

impl Git {
    /// Git in `dir`, from `AMPLIHACK_REMOTE_GIT` or `PATH`, with a 5-minute limit per call.
    pub fn new(dir: impl Into<PathBuf>) -> Git {
        Git {
            program: std::env::var_os(GIT_ENV_OVERRIDE)
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("git")),
            dir: dir.into(),
            timeout: Duration::from_secs(300),
        }
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Git {
        self.timeout = timeout;
        self
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Runs `git ARGS` and returns its stdout; a non-zero exit is an error carrying stderr.
    pub fn run<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<Vec<u8>, GitError> {
        self.run_with_input(args, None)
    }

    /// Like [`Git::run`], writing `input` to git's stdin.
    pub fn run_with_input<S: AsRef<OsStr>>(
        &self,
        args: &[S],
        input: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, GitError> {
        let (status, stdout, stderr) = self.output(args, input)?;
        if status.success() {
            Ok(stdout)
        } else {
            Err(GitError::Failed {
                args: shown(args),
                status: status.to_string(),
                stderr: String::from_utf8_lossy(&stderr).trim().to_string(),
            })
        }
    }

    /// Runs git and returns `(status, stdout, stderr)` whatever the status.
    pub fn output<S: AsRef<OsStr>>(
        &self,
        args: &[S],
        input: Option<Vec<u8>>,
    ) -> Result<(ExitStatus, Vec<u8>, Vec<u8>), GitError> {
        let mut cmd = Command::new(&self.program);
        cmd.args(args)
            .current_dir(&self.dir)
            .env_clear()
            .envs(
                KEPT_ENV
                    .iter()
                    .filter_map(|k| std::env::var_os(k).map(|v| (k, v))),
            )
            .env("LC_ALL", "C")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_OPTIONAL_LOCKS", "0")
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|source| GitError::Spawn {
            program: self.program.display().to_string(),
            source,
        })?;
        let io_err = |e: std::io::Error| GitError::Io {
            args: shown(args),
            message: e.to_string(),
        };
        let writer = match (input, child.stdin.take()) {
            (Some(data), Some(mut stdin)) => Some(std::thread::spawn(move || {
                // A write error means git exited early; its status tells why.
                let _ = stdin.write_all(&data);
            })),
            _ => None,
        };
        let mut stderr_pipe = child
            .stderr
            .take()
            .ok_or_else(|| io_err(std::io::ErrorKind::BrokenPipe.into()))?;
        let stderr_reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = stderr_pipe.read_to_end(&mut buf);
            buf
        });
        let mut stdout_pipe = child
            .stdout
            .take()
            .ok_or_else(|| io_err(std::io::ErrorKind::BrokenPipe.into()))?;
        let (done_tx, done_rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let result = stdout_pipe.read_to_end(&mut buf).map(|_| buf);
            let _ = done_tx.send(result);
        });
        let stdout = match done_rx.recv_timeout(self.timeout) {
            Ok(result) => result.map_err(io_err)?,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(GitError::Timeout {
                    args: shown(args),
                    seconds: self.timeout.as_secs(),
                });
            }
        };
        let status = child.wait().map_err(io_err)?;
        if let Some(w) = writer {
            let _ = w.join();
        }
        let stderr = stderr_reader.join().unwrap_or_default();
        Ok((status, stdout, stderr))
    }

    /// The top of the work tree.
    pub fn toplevel(&self) -> Result<PathBuf, GitError> {
        let out = self.run(&["rev-parse", "--show-toplevel"])?;
        let text = String::from_utf8(out).map_err(|e| GitError::Parse {
            args: "rev-parse --show-toplevel".into(),
            message: e.to_string(),
        })?;
        Ok(PathBuf::from(text.trim_end_matches(['\n', '\r'])))
    }
}

fn shown<S: AsRef<OsStr>>(args: &[S]) -> String {
    args.iter()
        .map(|a| a.as_ref().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}
