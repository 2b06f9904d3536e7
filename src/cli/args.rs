//! Flag definitions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use amplihack_remote::output::Format;

const EXIT_CODES: &str = "\
Exit codes:
  0  clean: every input was scanned and no secret was found
  1  secrets found
  2  error: bad arguments or configuration, or an input that could not be scanned
     (named in the output; a scan that could not read everything is never reported clean)";

#[derive(Debug, Parser)]
#[command(
    name = "amplihack-remote",
    version,
    about = "Security-first secret scanner and gate for remote amplihack runs",
    after_help = EXIT_CODES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files, directories, stdin (`-`) or the staged changes for secrets
    #[command(after_help = EXIT_CODES)]
    Scan(ScanArgs),
    /// Write (or rewrite) the baseline: accept every current finding
    Baseline(BaselineArgs),
    /// List the rules, or check every rule against its own examples
    Rules(RulesArgs),
    /// Install a git pre-commit hook that runs `scan --staged`
    InstallHook(HookArgs),
}

/// Options shared by `scan` and `baseline`.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Files or directories to scan; `-` reads standard input
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Scan what the next commit will contain (the staged blobs, not the working tree)
    #[arg(long, conflicts_with = "paths")]
    pub staged: bool,
    /// Scan the whole git history of the repository at PATH (default: the current one): every
    /// blob reachable from any branch, tag, stash or HEAD, merge commits included, each once
    #[arg(long, conflicts_with = "staged")]
    pub git: bool,
    /// Scan files that .gitignore and git's excludes would skip
    #[arg(long)]
    pub no_ignore: bool,
    /// Configuration file (default: .amplihack-remote.toml at the repository root)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Worker threads (default: one per core)
    #[arg(short = 'j', long = "threads", value_name = "N", default_value_t = 0)]
    pub threads: usize,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Write the report to FILE instead of standard output
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Baseline of accepted findings (default: the config's, or .amplihack-remote-baseline.json)
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Print each secret in full (never the default: output may end up in logs)
    #[arg(long)]
    pub show_secrets: bool,
}

#[derive(Debug, Args)]
pub struct BaselineArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Baseline file to write (default: the config's, or .amplihack-remote-baseline.json at the root)
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub action: RulesAction,
}

#[derive(Debug, Subcommand)]
pub enum RulesAction {
    /// List every rule: id, name, confidence, keywords
    List {
        /// Configuration file whose extra rules and disabled rules apply
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Print JSON instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Prove every rule finds its examples and none of its negative examples
    Check {
        /// Configuration file whose extra rules are checked too
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct HookArgs {
    /// Replace an existing pre-commit hook that amplihack-remote did not write
    #[arg(long)]
    pub force: bool,
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;

    #[test]
    fn argument_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn staged_conflicts_with_paths_and_defaults_apply() {
        assert!(Cli::try_parse_from(["amplihack-remote", "scan", "--staged", "src"]).is_err());
        let cli = Cli::try_parse_from(["amplihack-remote", "scan"]).unwrap();
        let Command::Scan(args) = cli.command else {
            panic!("scan expected")
        };
        assert_eq!(args.input.paths, vec![PathBuf::from(".")]);
        assert_eq!(args.format, Format::Human);
        assert_eq!(args.input.threads, 0);
        assert!(!args.show_secrets);
    }
}
