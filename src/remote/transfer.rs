//! `azlin cp` both ways, one file at a time, with retries. azlin runs in the file's local
//! directory with a relative local name and a `~/`-style remote path: both azlin releases
//! accept that, and no local name ever holds a `:` (which azlin would take for a VM).

use std::path::Path;
use std::time::Duration;

use super::azlin::{Azlin, AzlinError, Request};
use super::interrupt::Cancel;
use super::progress::Progress;
use super::vm::{connect_args, QUERY_TIMEOUT};

/// One `azlin cp` may take this long.
pub const CP_TIMEOUT: Duration = Duration::from_secs(60 * 60);

/// `~/amplihack-remote/<run-id>`: the run's directory on the VM.
pub fn remote_dir(run_id: &str) -> String {
    format!("~/amplihack-remote/{run_id}")
}

/// `connect NAME ... -- mkdir -p -- ~/amplihack-remote/<run-id>`.
pub fn mkdir_args(vm: &str, run_id: &str) -> Vec<String> {
    connect_args(
        vm,
        vec!["mkdir".into(), "-p".into(), "--".into(), remote_dir(run_id)],
    )
}

pub fn upload_args(vm: &str, run_id: &str, file: &str) -> Vec<String> {
    vec![
        "cp".into(),
        file.into(),
        format!("{vm}:{}/{file}", remote_dir(run_id)),
    ]
}

pub fn download_args(vm: &str, run_id: &str, file: &str) -> Vec<String> {
    vec![
        "cp".into(),
        format!("{vm}:{}/{file}", remote_dir(run_id)),
        file.into(),
    ]
}

/// Why a copy failed for good.
#[derive(Debug)]
pub enum CopyError {
    Azlin(AzlinError),
    Failed(String),
}

/// Runs `args` (an `azlin cp`) in `dir` up to `attempts` times, `delay` apart (doubling).
/// `before_retry` runs before each new attempt (to remove a partial download).
#[allow(clippy::too_many_arguments)]
pub async fn copy_with_retries(
    azlin: &Azlin,
    cancel: &Cancel,
    progress: &Progress,
    dir: &Path,
    args: Vec<String>,
    attempts: u32,
    delay: Duration,
    before_retry: &dyn Fn(),
) -> Result<(), CopyError> {
    let mut last = String::new();
    for attempt in 1..=attempts {
        if attempt > 1 {
            let wait = delay * 2u32.saturating_pow(attempt - 2);
            progress.warn(&format!(
                "attempt {}/{attempts} failed: {last}; retrying",
                attempt - 1
            ));
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = cancel.cancelled() => return Err(CopyError::Azlin(AzlinError::Interrupted { command: Azlin::display(&args) })),
            }
            before_retry();
        }
        let mut req = Request::new(args.clone(), CP_TIMEOUT, cancel);
        req.cwd = Some(dir);
        match progress.spin(&Azlin::display(&args), azlin.call(req)).await {
            Ok(out) if out.success() => return Ok(()),
            Ok(out) => last = out.describe(),
            Err(e @ AzlinError::Timeout { .. }) => last = e.to_string(),
            Err(e) => return Err(CopyError::Azlin(e)),
        }
    }
    Err(CopyError::Failed(format!(
        "{last} (after {attempts} attempt(s))"
    )))
}

/// Makes the run's directory on the VM.
pub async fn make_remote_dir(
    azlin: &Azlin,
    cancel: &Cancel,
    vm: &str,
    run_id: &str,
) -> Result<Result<(), String>, AzlinError> {
    let out = azlin
        .call(Request::new(mkdir_args(vm, run_id), QUERY_TIMEOUT, cancel))
        .await?;
    Ok(if out.success() {
        Ok(())
    } else {
        Err(out.describe())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_use_relative_local_names_and_home_paths() {
        assert_eq!(
            upload_args("vm-1", "r1", "context.tar.zst"),
            [
                "cp",
                "context.tar.zst",
                "vm-1:~/amplihack-remote/r1/context.tar.zst"
            ]
        );
        assert_eq!(
            download_args("vm-1", "r1", "status.json"),
            [
                "cp",
                "vm-1:~/amplihack-remote/r1/status.json",
                "status.json"
            ]
        );
        let m = mkdir_args("vm-1", "r1");
        assert_eq!(
            m[m.len() - 4..],
            ["mkdir", "-p", "--", "~/amplihack-remote/r1"]
        );
    }
}
