//! Step 5: the one `azlin connect` that runs the remote script, with the API key as the
//! first line of its standard input, its output streamed (redacted), and a local guard of
//! the remote time limit plus five minutes.

use std::time::Duration;

use super::azlin::{Azlin, AzlinError, Output, Request};
use super::interrupt::Cancel;
use super::script::{status, transport_words, DONE_MARKER, SCRIPT_NAME};
use super::vm::connect_args;

/// The local guard's margin over the remote time limit.
pub const GUARD_MARGIN: Duration = Duration::from_secs(5 * 60);

/// The `connect` arguments that run `script`.
pub fn run_args(vm: &str, script: &str) -> Vec<String> {
    connect_args(vm, transport_words(script, SCRIPT_NAME))
}

/// Runs the script. The key goes to stdin (then stdin is closed).
pub async fn run(
    azlin: &Azlin,
    cancel: &Cancel,
    vm: &str,
    script: &str,
    key: &str,
    timeout: Duration,
) -> Result<Output, AzlinError> {
    let mut line = Vec::with_capacity(key.len() + 1);
    line.extend_from_slice(key.as_bytes());
    line.push(b'\n');
    let mut req = Request::new(run_args(vm, script), timeout + GUARD_MARGIN, cancel);
    req.stdin = Some(&line);
    req.stream = true;
    req.hide_prefix = Some(DONE_MARKER);
    azlin.call(req).await
}

/// Whether the script said it packaged the results of this run.
pub fn finished(out: &Output, run_id: &str) -> bool {
    out.success()
        && out
            .hidden
            .iter()
            .any(|l| l.strip_prefix(DONE_MARKER).map(str::trim) == Some(run_id))
}

/// What a failed script status means, and what to do.
pub fn explain(code: Option<i32>, vm: &str) -> String {
    match code {
        Some(status::BUSY) => format!("VM {vm} is busy with another run (its lock is held): wait for it, or retry with --no-reuse"),
        Some(status::TOOLS) => format!("a tool the remote script needs is missing on VM {vm} (see the message above)"),
        Some(status::ARCHIVE) => "the context archive on the VM is missing or differs from what was sent (see the message above); retry".to_string(),
        Some(status::RESTORE) => "the repository could not be restored on the VM (see the message above)".to_string(),
        Some(status::NO_AGENT) => format!("amplihack is not installed on VM {vm}: install it there (azlin connect {vm}, then follow amplihack's installation instructions) and retry"),
        Some(status::NO_KEY) => "the API key did not reach the remote script".to_string(),
        Some(status::SSH) => format!("the connection to VM {vm} failed (ssh status 255): check that it is running (`azlin list`) and retry"),
        Some(status::SETUP) => "a step of the remote script failed (see the message above)".to_string(),
        Some(0) => "the remote script ended without packaging the results".to_string(),
        Some(c) => format!("the remote script failed with status {c} (see the messages above)"),
        None => "azlin was killed by a signal".to_string(),
    }
}
