//! `amplihack-remote run`: options in, the workflow, then the report, the messages and the
//! exit code (see `RUN_EXIT_CODES`).

use std::io::Write;
use std::time::Duration;

use amplihack_remote::output::{write_human, OutputOptions};
use amplihack_remote::package::PackageError;
use amplihack_remote::remote::{
    execute_remote_workflow, exit, Mode, RemoteError, RunOptions, RunOutcome, VMOptions,
};

use super::args::{RunArgs, RunMode};

pub fn run(args: RunArgs) -> Result<i32, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let mode = match args.command {
        RunMode::Auto => Mode::Auto,
        RunMode::Ultrathink => Mode::Ultrathink,
        RunMode::Analyze => Mode::Analyze,
        RunMode::Fix => Mode::Fix,
    };
    let vm = VMOptions {
        size: args.vm_size,
        name: args.vm_name,
        keep_vm: args.keep_vm,
        no_reuse: args.no_reuse,
        region: args.region,
        yes: args.yes,
    };
    let options = RunOptions {
        max_turns: args.max_turns,
        timeout: Duration::from_secs(args.timeout_seconds.unwrap_or(args.timeout * 60)),
        dry_run: args.dry_run,
        config: None,
        threads: args.threads,
        full_scan: args.full_scan,
        call_timeout: args.call_timeout_seconds.map(Duration::from_secs),
    };
    let result = execute_remote_workflow(&cwd, mode, &args.prompt, &vm, &options);
    let mut out = std::io::stdout().lock();
    let w = |e: std::io::Error| format!("cannot write the report: {e}");
    match result {
        Ok(RunOutcome::DryRun(plan)) => {
            write!(out, "{}", plan.text).map_err(w)?;
            Ok(exit::SUCCESS)
        }
        Ok(RunOutcome::Finished(f)) => {
            write!(out, "{}", f.report).map_err(w)?;
            out.flush().map_err(w)?;
            let vm = &f.vm.name;
            let keep = format!(
                "VM preserved for inspection: {vm}\n  connect: azlin connect {vm}\n  delete:  azlin kill {vm} --force"
            );
            if f.timed_out {
                eprintln!("{}\n{keep}", f.timeout_message());
            } else if f.remote_exit != 0 {
                eprintln!(
                    "ERROR: the remote command failed with exit status {}.\n{keep}",
                    f.remote_exit
                );
            }
            if !f.problems.is_empty() {
                eprintln!("ERROR: the results were not fully retrieved or integrated:");
                for p in &f.problems {
                    eprintln!("  - {}", amplihack_remote::output::printable(p));
                }
                if f.remote_exit == 0 && !f.timed_out {
                    eprintln!("{keep}");
                }
            }
            if let Some(e) = &f.cleanup_error {
                eprintln!("ERROR: {e}");
            }
            if f.interrupted {
                eprintln!("Interrupted during cleanup: the step in progress was finished first.");
            }
            eprintln!(
                "Results of run {} are in {}",
                f.run_id,
                f.results_dir.display()
            );
            Ok(f.exit_code())
        }
        Err(RemoteError::Packaging {
            source: PackageError::Secrets(report),
        }) => {
            writeln!(
                out,
                "ERROR: Secret detected during packaging; nothing was provisioned or transferred.\n"
            )
            .map_err(w)?;
            write_human(&mut out, &report, OutputOptions::default()).map_err(w)?;
            Ok(exit::SECRETS)
        }
        Err(RemoteError::Packaging {
            source: PackageError::ScanIncomplete(report),
        }) => {
            writeln!(
                out,
                "ERROR: not everything that would ship could be scanned; nothing was provisioned.\n"
            )
            .map_err(w)?;
            write_human(&mut out, &report, OutputOptions::default()).map_err(w)?;
            Ok(exit::USAGE)
        }
        Err(e) => {
            eprintln!("ERROR: {e}");
            if let Some(ctx) = e.context() {
                let g = ctx.guidance();
                if !g.is_empty() {
                    eprint!("{g}");
                }
            }
            Ok(e.exit_code())
        }
    }
}
