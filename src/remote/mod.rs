//! `amplihack-remote run` (feature `exec`): the seed's remote workflow in seven reported
//! steps, against azlin 2.7.3's contract.
//!
//! 1. validate (azlin, the repository, `.claude`, the API key);
//! 2. package (the packager's scan gate and signed archive, in a private temporary
//!    directory);
//! 3. provision or reuse a VM ([`vm`]);
//! 4. transfer ([`transfer`]);
//! 5. execute one remote script ([`script`], [`execute`]);
//! 6. retrieve ([`retrieve`]) and integrate ([`integrate`]) the results;
//! 7. clean up.
//!
//! [`execute_remote_workflow`] is the library entry point; errors are [`RemoteError`]s with
//! the exit codes of [`exit`].
//!
//! The API key is read from our environment and reaches the VM only through the standard
//! input of the one `azlin connect` call that runs the script; it is removed from the
//! environment of every process we start. Everything that comes back from the VM is hostile
//! (see [`retrieve`] and [`integrate`]).

pub mod azlin;
pub mod clock;
pub mod error;
pub mod execute;
pub mod integrate;
pub mod interrupt;
pub mod options;
pub mod parse;
pub mod progress;
pub mod redact;
pub mod retrieve;
pub mod script;
pub mod template;
pub mod transfer;
pub mod vm;
mod workflow;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use error::{exit, ErrorContext, RemoteError};
pub use integrate::Summary;
pub use options::{Mode, RunOptions, VMOptions};
pub use vm::{Vm, VmOrigin};

/// What a run produced.
#[derive(Debug)]
pub enum RunOutcome {
    /// `--dry-run`: the plan, nothing provisioned.
    DryRun(Plan),
    /// The workflow ran to its end (the remote command may still have failed or timed out:
    /// see [`Finished::exit_code`]).
    Finished(Box<Finished>),
}

impl RunOutcome {
    pub fn exit_code(&self) -> i32 {
        match self {
            RunOutcome::DryRun(_) => exit::SUCCESS,
            RunOutcome::Finished(f) => f.exit_code(),
        }
    }
}

/// The plan of a dry run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// For people: what would happen and the exact azlin command lines.
    pub text: String,
    /// The azlin calls, as argument lists (without the program).
    pub calls: Vec<Vec<String>>,
}

/// A run that went through all seven steps.
#[derive(Debug)]
pub struct Finished {
    pub run_id: String,
    pub vm: Vm,
    /// The VM was deleted in step 7.
    pub vm_deleted: bool,
    /// The remote command's exit status (from the VM's status file).
    pub remote_exit: i32,
    pub timed_out: bool,
    pub timeout: Duration,
    /// `.claude/runtime/remote/<run-id>/`: the retrieved files (kept).
    pub results_dir: PathBuf,
    /// `.claude/runtime/logs/remote/<run-id>/`, when logs were extracted.
    pub logs_dir: Option<PathBuf>,
    pub summary: Summary,
    /// The seed's summary report.
    pub report: String,
    /// Retrieval or integration problems (hostile or missing results): exit 7.
    pub problems: Vec<String>,
    /// Warnings (entries skipped, tag failures, ...).
    pub warnings: Vec<String>,
    /// Deleting the VM failed ([`RemoteError::Cleanup`]): exit 8.
    pub cleanup_error: Option<RemoteError>,
    /// Ctrl-C came during step 7: the deletion in progress was finished first (exit 130).
    pub interrupted: bool,
}

impl Finished {
    /// 130 interrupted (Ctrl-C during cleanup), 6 timed out, 5 the command failed, 7 results
    /// refused or not integrated, 8 the VM could not be deleted, else 0.
    pub fn exit_code(&self) -> i32 {
        if self.interrupted {
            exit::INTERRUPTED
        } else if self.timed_out {
            exit::TIMEOUT
        } else if self.remote_exit != 0 {
            exit::EXECUTION
        } else if !self.problems.is_empty() {
            exit::INTEGRATION
        } else if self.cleanup_error.is_some() {
            exit::CLEANUP
        } else {
            exit::SUCCESS
        }
    }

    /// `Execution timed out after 120 minutes` (seconds when not whole minutes).
    pub fn timeout_message(&self) -> String {
        timeout_message(self.timeout)
    }
}

pub(crate) fn timeout_message(t: Duration) -> String {
    let s = t.as_secs();
    if s % 60 == 0 {
        format!("Execution timed out after {} minutes", s / 60)
    } else {
        format!("Execution timed out after {s} seconds")
    }
}

/// Runs the whole workflow for the repository holding `repo` (see the module documentation).
/// Progress goes to stderr, the remote command's output (redacted) to stdout and stderr.
///
/// It installs its own Ctrl-C/SIGTERM handling (exit code 130 after cleanup, reported as
/// [`RemoteError::Interrupted`]); call it before anything else in the process installs
/// the packager's default handler.
pub fn execute_remote_workflow(
    repo: &Path,
    command: Mode,
    prompt: &str,
    vm: &VMOptions,
    run: &RunOptions,
) -> Result<RunOutcome, RemoteError> {
    crate::package::tempdir::take_over_interrupts();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| RemoteError::validation(format!("cannot start the async runtime: {e}")))?;
    let result = rt.block_on(workflow::run(repo, command, prompt, vm, run));
    // A packaging thread still running after Ctrl-C is not waited for.
    rt.shutdown_background();
    crate::package::tempdir::remove_registered();
    result
}
