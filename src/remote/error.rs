//! The error hierarchy of the seed: packaging, provisioning, transfer, execution,
//! integration and cleanup errors, plus validation and interruption. Each carries what is
//! needed to continue by hand (the VM, the results folder), and maps to one exit code.

use std::path::PathBuf;

use crate::package::PackageError;

/// Exit codes of `run` (README and `run --help`).
pub mod exit {
    pub const SUCCESS: i32 = 0;
    /// The packaging gate found secrets.
    pub const SECRETS: i32 = 1;
    /// Usage, validation or preflight error (nothing was provisioned).
    pub const USAGE: i32 = 2;
    pub const PROVISIONING: i32 = 3;
    pub const TRANSFER: i32 = 4;
    /// The remote command failed (non-zero), or the remote setup did.
    pub const EXECUTION: i32 = 5;
    pub const TIMEOUT: i32 = 6;
    pub const INTEGRATION: i32 = 7;
    pub const CLEANUP: i32 = 8;
    pub const INTERRUPTED: i32 = 130;
}

/// Where a failed run left things.
#[derive(Debug, Clone, Default)]
pub struct ErrorContext {
    pub run_id: Option<String>,
    /// The VM the run used or created, if any; it was kept (or, after Ctrl-C, see
    /// `vm_deleted`).
    pub vm: Option<String>,
    /// The VM was deleted on the way out (Ctrl-C on a VM created by this run).
    pub vm_deleted: bool,
    /// Where results were (or would have been) copied.
    pub results: Option<PathBuf>,
}

impl ErrorContext {
    /// The commands to continue by hand, for the end of a message.
    pub fn guidance(&self) -> String {
        let mut s = String::new();
        if let Some(vm) = &self.vm {
            if self.vm_deleted {
                s.push_str(&format!("VM {vm} (created by this run) was deleted.\n"));
            } else {
                s.push_str(&format!(
                    "VM preserved for inspection: {vm}\n  connect: azlin connect {vm}\n  delete:  azlin kill {vm} --force\n"
                ));
            }
        }
        if let Some(r) = &self.results {
            if r.exists() {
                s.push_str(&format!("Results kept in {}\n", r.display()));
            }
        }
        s
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// A bad option, a missing prerequisite (azlin, the API key, `.claude`): nothing was
    /// provisioned.
    #[error("{message}")]
    Validation { message: String },
    /// The packager stopped (secrets found: exit 1; anything else: exit 2).
    #[error("Packaging failed: {source}")]
    Packaging {
        #[source]
        source: PackageError,
    },
    #[error("Provisioning failed: {message}")]
    Provisioning {
        message: String,
        context: ErrorContext,
    },
    #[error("Transfer failed: {message}")]
    Transfer {
        message: String,
        context: ErrorContext,
    },
    #[error("Execution failed: {message}")]
    Execution {
        message: String,
        context: ErrorContext,
    },
    /// The local guard (the remote time limit plus 5 minutes) expired.
    #[error("{message}")]
    Timeout {
        message: String,
        context: ErrorContext,
    },
    #[error("Retrieving or integrating the results failed: {message}")]
    Integration {
        message: String,
        context: ErrorContext,
    },
    #[error("Cleanup failed: {message}")]
    Cleanup {
        message: String,
        context: ErrorContext,
    },
    #[error("Interrupted{}", if .note.is_empty() { String::new() } else { format!(": {}", .note) })]
    Interrupted { note: String, context: ErrorContext },
}

impl RemoteError {
    pub fn exit_code(&self) -> i32 {
        match self {
            RemoteError::Validation { .. } => exit::USAGE,
            RemoteError::Packaging {
                source: PackageError::Secrets(_),
            } => exit::SECRETS,
            RemoteError::Packaging { .. } => exit::USAGE,
            RemoteError::Provisioning { .. } => exit::PROVISIONING,
            RemoteError::Transfer { .. } => exit::TRANSFER,
            RemoteError::Execution { .. } => exit::EXECUTION,
            RemoteError::Timeout { .. } => exit::TIMEOUT,
            RemoteError::Integration { .. } => exit::INTEGRATION,
            RemoteError::Cleanup { .. } => exit::CLEANUP,
            RemoteError::Interrupted { .. } => exit::INTERRUPTED,
        }
    }

    pub fn context(&self) -> Option<&ErrorContext> {
        match self {
            RemoteError::Validation { .. } | RemoteError::Packaging { .. } => None,
            RemoteError::Provisioning { context, .. }
            | RemoteError::Transfer { context, .. }
            | RemoteError::Execution { context, .. }
            | RemoteError::Timeout { context, .. }
            | RemoteError::Integration { context, .. }
            | RemoteError::Cleanup { context, .. }
            | RemoteError::Interrupted { context, .. } => Some(context),
        }
    }

    pub(crate) fn context_mut(&mut self) -> Option<&mut ErrorContext> {
        match self {
            RemoteError::Validation { .. } | RemoteError::Packaging { .. } => None,
            RemoteError::Provisioning { context, .. }
            | RemoteError::Transfer { context, .. }
            | RemoteError::Execution { context, .. }
            | RemoteError::Timeout { context, .. }
            | RemoteError::Integration { context, .. }
            | RemoteError::Cleanup { context, .. }
            | RemoteError::Interrupted { context, .. } => Some(context),
        }
    }

    pub(crate) fn validation(message: impl Into<String>) -> RemoteError {
        RemoteError::Validation {
            message: message.into(),
        }
    }
}

/// The step an error belongs to, to build it without repeating the context.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stage {
    Provisioning,
    Transfer,
    Execution,
    Integration,
    Cleanup,
}

impl Stage {
    pub(crate) fn error(self, message: impl Into<String>, context: &ErrorContext) -> RemoteError {
        let (message, context) = (message.into(), context.clone());
        match self {
            Stage::Provisioning => RemoteError::Provisioning { message, context },
            Stage::Transfer => RemoteError::Transfer { message, context },
            Stage::Execution => RemoteError::Execution { message, context },
            Stage::Integration => RemoteError::Integration { message, context },
            Stage::Cleanup => RemoteError::Cleanup { message, context },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_exit_code_and_guidance() {
        let ctx = ErrorContext {
            vm: Some("vm-1".into()),
            ..ErrorContext::default()
        };
        assert_eq!(Stage::Provisioning.error("x", &ctx).exit_code(), 3);
        assert_eq!(Stage::Transfer.error("x", &ctx).exit_code(), 4);
        assert_eq!(Stage::Execution.error("x", &ctx).exit_code(), 5);
        assert_eq!(Stage::Integration.error("x", &ctx).exit_code(), 7);
        assert_eq!(Stage::Cleanup.error("x", &ctx).exit_code(), 8);
        assert_eq!(RemoteError::validation("x").exit_code(), 2);
        let g = ctx.guidance();
        assert!(g.contains("azlin connect vm-1"));
        assert!(g.contains("azlin kill vm-1 --force"));
    }
}
