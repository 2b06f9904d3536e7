//! Command-line interface: argument definitions and one module per subcommand.

mod args;
mod baseline_cmd;
mod hook_cmd;
mod key_cmd;
mod package_cmd;
mod rules_cmd;
#[cfg(feature = "exec")]
mod run_cmd;
mod scan_cmd;
mod unpack_cmd;
mod verify_cmd;

use clap::Parser;

use amplihack_remote::scan::exit;

pub use args::{Cli, Command};

/// Parses arguments, runs the subcommand, and returns the process exit code.
pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                exit::ERROR
            } else {
                exit::CLEAN
            };
        }
    };
    let result = match cli.command {
        Command::Scan(a) => scan_cmd::run(a),
        Command::Baseline(a) => baseline_cmd::run(a),
        Command::Rules(a) => rules_cmd::run(a),
        Command::InstallHook(a) => hook_cmd::run(a),
        Command::Package(a) => package_cmd::run(a),
        Command::Verify(a) => verify_cmd::run(a),
        Command::Unpack(a) => unpack_cmd::run(a),
        Command::Key => key_cmd::run(),
        #[cfg(feature = "exec")]
        Command::Run(a) => run_cmd::run(a),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("ERROR: {message}");
            exit::ERROR
        }
    }
}
