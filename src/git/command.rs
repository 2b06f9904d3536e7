//! One wrapper around the `git` executable: arguments as a list (never a shell), a clean
//! environment, stdin closed unless it carries data, stderr kept in errors, a timeout on
//! every call.

use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

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
    /// Variables set (`Some`) or removed (`None`) explicitly by the caller, applied after the
    /// allow-listed ones, so they win.
    envs: Vec<(OsString, Option<OsString>)>,
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
            envs: Vec::new(),
        }
    }

    /// Sets `key=value` for every git call made through this wrapper. This is the one way to
    /// give git a variable that is not in the allow-list (e.g. a temporary `GIT_INDEX_FILE`
    /// or `GIT_OBJECT_DIRECTORY`): nothing else of the parent environment leaks through.
    pub fn with_env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Git {
        let key = key.into();
        self.envs.retain(|(k, _)| *k != key);
        self.envs.push((key, Some(value.into())));
        self
    }

    /// Makes sure git does not see `key`, even if it is allow-listed and set in our
    /// environment (e.g. the user's `GIT_DIR` when git must run in another repository).
    pub fn without_env(mut self, key: impl Into<OsString>) -> Git {
        let key = key.into();
        self.envs.retain(|(k, _)| *k != key);
        self.envs.push((key, None));
        self
    }

    /// The same wrapper in another directory.
    pub fn in_dir(&self, dir: impl Into<PathBuf>) -> Git {
        Git {
            dir: dir.into(),
            ..self.clone()
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
        let mut cmd = self.command(args);
        cmd.stdin(if input.is_some() {
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

    /// The git program this wrapper runs.
    pub fn program(&self) -> &std::path::Path {
        &self.program
    }

    /// `git ARGS` with the clean environment, in this wrapper's directory.
    fn command<S: AsRef<OsStr>>(&self, args: &[S]) -> Command {
        let mut cmd = Command::new(&self.program);
        // A repository's own config may name programs that git runs for read-only commands
        // (`core.fsmonitor` runs a hook on `status`, `ls-files`, `update-index`): a repository
        // handed to us is not trusted to run code, so that one is switched off.
        cmd.args(["-c", "core.fsmonitor=false"])
            .args(args)
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
            // `refs/replace/` makes readers show one object in place of another, while a
            // bundle ships the originals: what we scan must be what ships.
            .env("GIT_NO_REPLACE_OBJECTS", "1");
        for (k, v) in &self.envs {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        cmd
    }

    /// Runs a long-lived `git ARGS` whose stdin is written by `feed` (on its own thread) and
    /// whose stdout is read by `consume` (on the calling thread), both streaming. The time
    /// limit is an idle limit here: git is stopped if its output makes no progress for that
    /// long. Errors of `consume` win over git's exit status; both carry git's stderr.
    pub fn stream<S, F, C, R>(&self, args: &[S], feed: F, consume: C) -> Result<R, GitError>
    where
        S: AsRef<OsStr>,
        F: FnOnce(&mut dyn Write) -> std::io::Result<()> + Send,
        C: FnOnce(&mut dyn BufRead) -> Result<R, GitError>,
    {
        let mut cmd = self.command(args);
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|source| GitError::Spawn {
            program: self.program.display().to_string(),
            source,
        })?;
        let broken = || GitError::Io {
            args: shown(args),
            message: "a pipe to git could not be opened".into(),
        };
        let stdin = child.stdin.take().ok_or_else(broken)?;
        let stdout = child.stdout.take().ok_or_else(broken)?;
        let mut stderr_pipe = child.stderr.take().ok_or_else(broken)?;
        let child = Arc::new(Mutex::new(child));
        let progress = Arc::new(AtomicU64::new(0));
        let finished = AtomicBool::new(false);
        let timed_out = AtomicBool::new(false);
        let timeout = self.timeout;
        let result = std::thread::scope(|scope| {
            scope.spawn(move || {
                let mut stdin = stdin;
                // A write error means git exited early; its status tells why.
                let _ = feed(&mut stdin);
            });
            let stderr = scope.spawn(move || {
                let mut buf = Vec::new();
                let _ = stderr_pipe.read_to_end(&mut buf);
                buf
            });
            let watchdog = {
                let (child, progress, finished, timed_out) = (
                    Arc::clone(&child),
                    Arc::clone(&progress),
                    &finished,
                    &timed_out,
                );
                scope.spawn(move || {
                    let mut last = (0, Instant::now());
                    while !finished.load(Ordering::Acquire) {
                        std::thread::sleep(Duration::from_millis(50));
                        let now = progress.load(Ordering::Relaxed);
                        if now != last.0 {
                            last = (now, Instant::now());
                        } else if last.1.elapsed() > timeout {
                            timed_out.store(true, Ordering::Release);
                            if let Ok(mut c) = child.lock() {
                                let _ = c.kill();
                            }
                            return;
                        }
                    }
                })
            };
            let mut reader = BufReader::with_capacity(
                256 * 1024,
                Progress {
                    inner: stdout,
                    bytes: Arc::clone(&progress),
                },
            );
            let consumed = consume(&mut reader);
            if consumed.is_err() {
                if let Ok(mut c) = child.lock() {
                    let _ = c.kill();
                }
            }
            drop(reader);
            let status = child.lock().map_err(|_| broken()).and_then(|mut c| {
                c.wait().map_err(|e| GitError::Io {
                    args: shown(args),
                    message: e.to_string(),
                })
            });
            finished.store(true, Ordering::Release);
            let _ = watchdog.join();
            let stderr = stderr.join().unwrap_or_default();
            (consumed, status, stderr)
        });
        let (consumed, status, stderr) = result;
        let stderr = String::from_utf8_lossy(&stderr).trim().to_string();
        if timed_out.load(Ordering::Acquire) {
            return Err(GitError::Timeout {
                args: shown(args),
                seconds: self.timeout.as_secs(),
            });
        }
        let status = status?;
        match consumed {
            Err(e) if stderr.is_empty() => Err(e),
            Err(e) => Err(GitError::Io {
                args: shown(args),
                message: format!("{e} (git said: {stderr})"),
            }),
            Ok(_) if !status.success() => Err(GitError::Failed {
                args: shown(args),
                status: status.to_string(),
                stderr,
            }),
            Ok(r) => Ok(r),
        }
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

/// Counts the bytes read through it, for the idle watchdog of [`Git::stream`].
struct Progress<R> {
    inner: R,
    bytes: Arc<AtomicU64>,
}

impl<R: Read> Read for Progress<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn shown<S: AsRef<OsStr>>(args: &[S]) -> String {
    args.iter()
        .map(|a| a.as_ref().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}
