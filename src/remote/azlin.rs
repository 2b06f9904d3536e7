//! THE azlin wrapper: every azlin call of `run` goes through [`Azlin::call`]. Arguments are a
//! list (never a shell), the API key is removed from azlin's environment, stdin is closed
//! unless it carries data on purpose, every call has a time limit and can be cancelled
//! (the child is killed), output is bounded, and stderr is redacted (GUIDs, `sig=` values,
//! anything secret-shaped) before it is kept in an error or shown.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

use crate::scan::Scratch;

use super::interrupt::Cancel;
use super::redact::{redact_ids, Redactor};
use super::script::display_command;

/// Environment variable naming the azlin executable (default: `azlin` on `PATH`).
pub const AZLIN_ENV: &str = "AMPLIHACK_REMOTE_AZLIN";
/// The variable that holds the API key: never passed to any child process.
pub const KEY_ENV: &str = "ANTHROPIC_API_KEY";
/// Captured stdout is bounded (JSON of `list`/`show`).
const MAX_STDOUT: usize = 16 << 20;
/// Captured stderr is bounded (kept for error messages).
const MAX_STDERR: usize = 64 << 10;
/// Streamed lines longer than this are shown in pieces.
const MAX_LINE: usize = 64 << 10;
/// After azlin exits, how long its output pipes may stay open (held by a remote process
/// that outlived it) before we stop reading them.
const DRAIN_GRACE: Duration = Duration::from_secs(5);
/// The signal number of SIGINT (2 on every Unix).
#[cfg(unix)]
const SIGINT: i32 = 2;

/// Why a call did not produce an exit status.
#[derive(Debug, thiserror::Error)]
pub enum AzlinError {
    #[error("Azlin not found ({program}). Please install it:\n  pip install azlin   (or install the azlin release binary)\n  azlin auth setup\nthen retry (or set {AZLIN_ENV} to azlin's path).")]
    NotFound { program: String },
    #[error("azlin could not be started ({program}): {message}")]
    Spawn { program: String, message: String },
    #[error("`{command}` did not finish within {} and was stopped", super::clock::human_duration(*.limit))]
    Timeout { command: String, limit: Duration },
    #[error("`{command}` was interrupted")]
    Interrupted { command: String },
    #[error("`{command}` printed more than {MAX_STDOUT} bytes on stdout")]
    TooMuchOutput { command: String },
    #[error("`{command}`: {message}")]
    Io { command: String, message: String },
}

/// One call.
#[derive(Debug)]
pub struct Request<'a> {
    pub args: Vec<String>,
    pub timeout: Duration,
    pub cwd: Option<&'a Path>,
    /// Written to azlin's stdin, which is then closed.
    pub stdin: Option<&'a [u8]>,
    /// Show stdout and stderr live (redacted) instead of capturing stdout.
    pub stream: bool,
    /// Streamed stdout lines starting with this are kept in [`Output::hidden`], not shown.
    pub hide_prefix: Option<&'a str>,
    pub cancel: &'a Cancel,
}

impl<'a> Request<'a> {
    pub fn new(args: Vec<String>, timeout: Duration, cancel: &'a Cancel) -> Request<'a> {
        Request {
            args,
            timeout,
            cwd: None,
            stdin: None,
            stream: false,
            hide_prefix: None,
            cancel,
        }
    }
}

/// What a call returned.
#[derive(Debug, Clone, Default)]
pub struct Output {
    /// The exit status (`None`: killed by a signal).
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    /// Redacted; in stream mode, the last lines only.
    pub stderr: String,
    /// Streamed stdout lines that matched `hide_prefix`.
    pub hidden: Vec<String>,
    pub command: String,
}

impl Output {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// `exit status 1: Error: ...`, for messages.
    pub fn describe(&self) -> String {
        let status = match self.code {
            Some(c) => format!("exit status {c}"),
            None => "killed by a signal".to_string(),
        };
        let err = self.stderr.trim();
        if err.is_empty() {
            format!("`{}` failed ({status})", self.command)
        } else {
            format!("`{}` failed ({status}): {err}", self.command)
        }
    }

    /// Whether stderr says the VM does not exist.
    pub fn says_not_found(&self) -> bool {
        let e = self.stderr.to_ascii_lowercase();
        self.code == Some(1) && e.contains("not found")
    }
}

/// The azlin executable and how its output is cleaned.
#[derive(Debug, Clone)]
pub struct Azlin {
    program: PathBuf,
    scrub: Option<Redactor>,
    /// Caps every call's time limit (the hidden testing option `--call-timeout-seconds`).
    call_limit: Option<Duration>,
}

impl Azlin {
    /// From `AMPLIHACK_REMOTE_AZLIN`, else `azlin` on `PATH`.
    pub fn from_env() -> Azlin {
        let program = std::env::var_os(AZLIN_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("azlin"));
        // Some calls run in another directory (`cp`): a relative path with a directory part
        // is made absolute now, against ours.
        let program = if program.is_relative() && program.components().count() > 1 {
            std::env::current_dir()
                .map(|d| d.join(&program))
                .unwrap_or(program)
        } else {
            program
        };
        Azlin {
            program,
            scrub: None,
            call_limit: None,
        }
    }

    /// Redacts stderr and streamed output with `r` (secrets, the key) besides GUIDs and SAS.
    pub fn with_redactor(mut self, r: Redactor) -> Azlin {
        self.scrub = Some(r);
        self
    }

    /// Caps the time limit of every call at `limit` (a testing aid: the real limits are
    /// minutes long, see `vm.rs`, `transfer.rs` and `execute.rs`).
    pub fn with_call_limit(mut self, limit: Option<Duration>) -> Azlin {
        self.call_limit = limit;
        self
    }

    /// `azlin ARGS` as a person would type it.
    pub fn display(args: &[String]) -> String {
        display_command("azlin", args)
    }

    fn clean(&self, bytes: &[u8], scratch: &mut Scratch) -> String {
        match &self.scrub {
            Some(r) => r.redact(bytes, scratch),
            None => {
                super::redact::printable_keep_newlines(&redact_ids(&String::from_utf8_lossy(bytes)))
            }
        }
    }

    /// Runs one call. A non-zero exit is not an error here: see [`Output::success`].
    pub async fn call(&self, req: Request<'_>) -> Result<Output, AzlinError> {
        let command = Azlin::display(&req.args);
        let limit = self.call_limit.map_or(req.timeout, |c| c.min(req.timeout));
        let mut cmd = Command::new(&self.program);
        cmd.args(&req.args)
            .env_remove(KEY_ENV)
            .stdin(if req.stdin.is_some() {
                std::process::Stdio::piped()
            } else {
                std::process::Stdio::null()
            })
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        if let Some(d) = req.cwd {
            cmd.current_dir(d);
        }
        let program = self.program.display().to_string();
        let mut child = cmd.spawn().map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                AzlinError::NotFound {
                    program: program.clone(),
                }
            } else {
                AzlinError::Spawn {
                    program: program.clone(),
                    message: e.to_string(),
                }
            }
        })?;
        let io = |e: std::io::Error| AzlinError::Io {
            command: command.clone(),
            message: e.to_string(),
        };
        if let (Some(data), Some(mut stdin)) = (req.stdin, child.stdin.take()) {
            let data = data.to_vec();
            tokio::spawn(async move {
                // A write error means azlin exited early; its status tells why.
                let _ = stdin.write_all(&data).await;
                let _ = stdin.shutdown().await;
            });
        }
        let (Some(out), Some(err)) = (child.stdout.take(), child.stderr.take()) else {
            return Err(io(std::io::ErrorKind::BrokenPipe.into()));
        };
        let collected = Arc::new(Mutex::new(Collected::default()));
        let stream = req.stream;
        let out_task = {
            let c = Arc::clone(&collected);
            let this = self.clone();
            let hide = req.hide_prefix.map(str::to_string);
            tokio::spawn(async move {
                if stream {
                    stream_lines(out, &this, false, hide.as_deref(), &c).await
                } else {
                    capture(out, MAX_STDOUT, &c, false).await
                }
            })
        };
        let err_task = {
            let c = Arc::clone(&collected);
            let this = self.clone();
            tokio::spawn(async move {
                if stream {
                    stream_lines(err, &this, true, None, &c).await
                } else {
                    capture(err, MAX_STDERR, &c, true).await
                }
            })
        };
        let waited = tokio::select! {
            s = child.wait() => Ok(s),
            _ = tokio::time::sleep(limit) => Err(AzlinError::Timeout { command: command.clone(), limit }),
            _ = req.cancel.cancelled() => Err(AzlinError::Interrupted { command: command.clone() }),
        };
        let status = match waited {
            Ok(s) => s.map_err(io)?,
            Err(e) => {
                // kill_on_drop would do it too; make it explicit and reap.
                let _ = child.start_kill();
                let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
                out_task.abort();
                err_task.abort();
                return Err(e);
            }
        };
        // A Ctrl-C in a terminal reaches azlin too (the whole foreground group): azlin
        // dying of SIGINT is the user's interruption, not a failed call, even if our own
        // handler has not seen the signal yet.
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            if status.signal() == Some(SIGINT) {
                out_task.abort();
                err_task.abort();
                return Err(AzlinError::Interrupted { command });
            }
        }
        // The pipes may be held open by something azlin started: do not wait forever.
        let drained = async {
            let a = out_task.await;
            let b = err_task.await;
            (a, b)
        };
        let results = tokio::time::timeout(DRAIN_GRACE, drained).await;
        let c = std::mem::take(&mut *collected.lock().unwrap_or_else(|p| p.into_inner()));
        if let Ok((Ok(Err(e)), _)) | Ok((_, Ok(Err(e)))) = &results {
            if matches!(e, ReadError::TooMuch) {
                return Err(AzlinError::TooMuchOutput { command });
            }
        }
        let mut scratch = Scratch::default();
        let stderr = if stream {
            c.stderr_tail.join("")
        } else {
            self.clean(&c.stderr, &mut scratch)
        };
        Ok(Output {
            code: status.code(),
            stdout: c.stdout,
            stderr,
            hidden: c.hidden,
            command,
        })
    }
}

#[derive(Debug, Default)]
struct Collected {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    /// Stream mode: the last redacted stderr lines.
    stderr_tail: Vec<String>,
    hidden: Vec<String>,
}

#[derive(Debug)]
enum ReadError {
    TooMuch,
    Io,
}

async fn capture<R: AsyncRead + Unpin>(
    mut r: R,
    limit: usize,
    c: &Mutex<Collected>,
    is_stderr: bool,
) -> Result<(), ReadError> {
    let mut buf = vec![0u8; 64 << 10];
    let mut total = 0usize;
    loop {
        let n = r.read(&mut buf).await.map_err(|_| ReadError::Io)?;
        if n == 0 {
            return Ok(());
        }
        total += n;
        let mut g = c.lock().unwrap_or_else(|p| p.into_inner());
        let dest = if is_stderr {
            &mut g.stderr
        } else {
            &mut g.stdout
        };
        let room = limit.saturating_sub(dest.len());
        dest.extend_from_slice(&buf[..n.min(room)]);
        if total > limit && !is_stderr {
            return Err(ReadError::TooMuch);
        }
        // stderr beyond the limit is drained and dropped.
    }
}

async fn stream_lines<R: AsyncRead + Unpin>(
    r: R,
    azlin: &Azlin,
    is_stderr: bool,
    hide: Option<&str>,
    c: &Mutex<Collected>,
) -> Result<(), ReadError> {
    let mut reader = BufReader::with_capacity(64 << 10, r);
    let mut line = Vec::new();
    let mut scratch = Scratch::default();
    loop {
        let buf = reader.fill_buf().await.map_err(|_| ReadError::Io)?;
        let complete = if buf.is_empty() {
            if line.is_empty() {
                return Ok(());
            }
            true
        } else {
            match memchr::memchr(b'\n', buf) {
                Some(i) => {
                    line.extend_from_slice(&buf[..=i]);
                    reader.consume(i + 1);
                    true
                }
                None => {
                    let n = buf.len();
                    line.extend_from_slice(buf);
                    reader.consume(n);
                    line.len() >= MAX_LINE
                }
            }
        };
        if !complete {
            continue;
        }
        let shown = azlin.clean(&line, &mut scratch);
        line.clear();
        if let Some(p) = hide {
            if shown.starts_with(p) {
                let mut g = c.lock().unwrap_or_else(|p| p.into_inner());
                if g.hidden.len() < 16 {
                    g.hidden.push(shown.trim_end().to_string());
                }
                continue;
            }
        }
        if is_stderr {
            use std::io::Write;
            let mut e = std::io::stderr().lock();
            let _ = e.write_all(shown.as_bytes());
            let _ = e.flush();
            let mut g = c.lock().unwrap_or_else(|p| p.into_inner());
            g.stderr_tail.push(shown);
            if g.stderr_tail.len() > 20 {
                g.stderr_tail.remove(0);
            }
        } else {
            use std::io::Write;
            let mut o = std::io::stdout().lock();
            let _ = o.write_all(shown.as_bytes());
            let _ = o.flush();
        }
    }
}
