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
    /// Scan files, directories, stdin (`-`), the staged changes or the git history for secrets
    #[command(after_help = EXIT_CODES)]
    Scan(ScanArgs),
    /// Write (or rewrite) the baseline: accept every current finding
    Baseline(BaselineArgs),
    /// List the rules, or check every rule against its own examples
    Rules(RulesArgs),
    /// Install a git pre-commit hook that runs `scan --staged`
    InstallHook(HookArgs),
    /// Scan every byte that would ship, then write the signed context archive
    ///
    /// `context.tar.zst` holds a git bundle of every ref plus a snapshot of uncommitted work,
    /// the `.claude` tree, and a manifest; `context.tar.zst.sig` its Ed25519 signature.
    #[command(after_help = PACKAGE_EXIT_CODES)]
    Package(PackageArgs),
    /// Check a context archive: its signature, then every entry against the manifest
    #[command(after_help = VERIFY_EXIT_CODES)]
    Verify(VerifyArgs),
    /// Verify a context archive, then extract it into a new or empty directory
    #[command(after_help = VERIFY_EXIT_CODES)]
    Unpack(UnpackArgs),
    /// Print the public key that signs context archives (creating the key on first use)
    Key,
    /// Run amplihack on an Azure VM (through azlin) and bring the results back
    ///
    /// Seven steps: validate, package (the scan gate), provision or reuse a VM, transfer,
    /// execute, retrieve and integrate the results (branches into `remote-exec/<branch>`,
    /// logs into `.claude/runtime/logs/remote/<run-id>/`), clean up. ANTHROPIC_API_KEY is
    /// read from the environment and reaches the VM only on ssh's standard input.
    #[cfg(feature = "exec")]
    #[command(after_help = RUN_EXIT_CODES)]
    Run(RunArgs),
}

#[cfg(feature = "exec")]
const RUN_EXIT_CODES: &str = "\
Exit codes:
  0    success: results integrated (and the VM deleted unless kept)
  1    secrets found by the packaging gate: nothing was provisioned
  2    usage, validation or preflight error: nothing was provisioned
  3    provisioning failed
  4    transfer failed
  5    the remote command failed (non-zero exit) or the remote setup failed
  6    timed out
  7    retrieving or integrating the results failed (hostile or missing results)
  8    cleanup failed (the VM could not be deleted: its kill command is printed)
  130  interrupted (Ctrl-C): a VM created by this run is deleted, or reported
On any failure the VM is kept and the commands to continue are printed:
  azlin connect NAME      azlin kill NAME --force";

/// The amplihack mode (`run`).
#[cfg(feature = "exec")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RunMode {
    /// `amplihack claude --auto` with the prompt
    Auto,
    /// the same, with the prompt prefixed by `/amplihack:ultrathink`
    Ultrathink,
    /// the same, with the prompt prefixed by `/amplihack:analyze`
    Analyze,
    /// the same, with the prompt prefixed by `/amplihack:fix`
    Fix,
}

#[cfg(feature = "exec")]
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The amplihack mode (the command run on the VM comes from its template)
    #[arg(value_enum, value_name = "COMMAND")]
    pub command: RunMode,
    /// The task for the agent (passed as one safely quoted argument)
    #[arg(value_name = "PROMPT")]
    pub prompt: String,
    /// Maximum agent turns
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub max_turns: u32,
    /// VM size: s, m, l, xl (Standard_D2s_v3, Standard_D4s_v3, Standard_E16as_v5,
    /// Standard_E32as_v5) or a full Azure size
    #[arg(long, value_name = "SIZE", default_value = "Standard_D2s_v3", value_parser = parse_vm_size)]
    pub vm_size: String,
    /// Use exactly this VM (it must exist; it is never deleted by run)
    #[arg(long, value_name = "NAME", value_parser = parse_vm_name)]
    pub vm_name: Option<String>,
    /// Keep the VM after a successful run (it is tagged for reuse)
    #[arg(long)]
    pub keep_vm: bool,
    /// Always provision a fresh VM (skip the reuse search)
    #[arg(long, conflicts_with = "vm_name")]
    pub no_reuse: bool,
    /// Time limit of the remote command, in minutes
    #[arg(long, value_name = "MINUTES", default_value_t = 120, value_parser = clap::value_parser!(u64).range(5..=480))]
    pub timeout: u64,
    /// Time limit in seconds, overriding --timeout (a testing aid)
    #[arg(long, value_name = "SECONDS", hide = true, value_parser = clap::value_parser!(u64).range(1..=28800))]
    pub timeout_seconds: Option<u64>,
    /// Caps the time limit of every azlin call, the remote command's included, in seconds
    /// (a testing aid: the real limits are minutes long)
    #[arg(long, value_name = "SECONDS", hide = true, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub call_timeout_seconds: Option<u64>,
    /// Azure region for a new VM (default: azlin's configuration)
    #[arg(long, value_name = "REGION", value_parser = parse_region)]
    pub region: Option<String>,
    /// Validate and scan, print the plan and the azlin calls; provision nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Pass azlin's --yes to `azlin new` (it forwards local credentials to the VM)
    #[arg(long)]
    pub yes: bool,
    /// Worker threads for the packaging scan (default: one per core)
    #[arg(short = 'j', long = "threads", value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// Scan the whole history when packaging, ignoring what earlier clean scans of this
    /// repository with the same rules and suppressions recorded
    #[arg(long)]
    pub full_scan: bool,
}

#[cfg(feature = "exec")]
fn parse_vm_size(s: &str) -> Result<String, String> {
    amplihack_remote::remote::options::resolve_vm_size(s)
}

#[cfg(feature = "exec")]
fn parse_vm_name(s: &str) -> Result<String, String> {
    amplihack_remote::remote::options::check_vm_name(s).map(|_| s.to_string())
}

#[cfg(feature = "exec")]
fn parse_region(s: &str) -> Result<String, String> {
    amplihack_remote::remote::options::check_region(s).map(|_| s.to_string())
}

const PACKAGE_EXIT_CODES: &str = "\
Exit codes:
  0  packaged (or, with --dry-run, everything scanned clean)
  1  secrets found: nothing was written
  2  error: preflight, git, size limit, or something that could not be scanned";

const VERIFY_EXIT_CODES: &str = "\
Exit codes:
  0  the archive is intact and signed by the trusted key
  1  it is not: every difference is listed (unpack extracts nothing)
  2  error: the archive or its signature could not be read, no trusted key";

#[derive(Debug, Args)]
pub struct PackageArgs {
    /// The archive to write (its signature goes next to it, with `.sig` appended)
    #[arg(
        long,
        short = 'o',
        value_name = "FILE",
        default_value = "context.tar.zst"
    )]
    pub output: PathBuf,
    /// Limit on the compressed archive (B, KB, MB, GB; binary units: 500MB = 500 MiB)
    #[arg(long, value_name = "SIZE", default_value = "500MB", value_parser = parse_size)]
    pub max_size: u64,
    /// Run the preflight, the snapshot and the scan; write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Configuration file (default: .amplihack-remote.toml at the repository root)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Baseline of accepted findings (default: the config's, or .amplihack-remote-baseline.json)
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Worker threads for the scan (default: one per core)
    #[arg(short = 'j', long = "threads", value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// Scan the whole history, ignoring what earlier clean scans of this repository with the
    /// same rules and suppressions recorded (in the user's cache directory)
    #[arg(long)]
    pub full_scan: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The archive (`ARCHIVE.sig` must sit next to it)
    #[arg(value_name = "ARCHIVE")]
    pub archive: PathBuf,
    /// The trusted public key (64 hex digits, or a file holding them); default: this
    /// machine's own key (`amplihack-remote key`)
    #[arg(long, value_name = "PUBKEY")]
    pub key: Option<String>,
}

#[derive(Debug, Args)]
pub struct UnpackArgs {
    /// The archive (`ARCHIVE.sig` must sit next to it)
    #[arg(value_name = "ARCHIVE")]
    pub archive: PathBuf,
    /// Where to extract (created if missing; must be empty)
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// The trusted public key (64 hex digits, or a file holding them); default: this
    /// machine's own key
    #[arg(long, value_name = "PUBKEY")]
    pub key: Option<String>,
}

/// `500MB`, `1.5GB`, `2048`, `64KiB`: binary units, as the original's 500 MB limit.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a size (e.g. 500MB)"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => return Err(format!("unknown size unit {other:?} (use B, KB, MB or GB)")),
    };
    let bytes = value * mult as f64;
    if !(bytes >= 1.0 && bytes < u64::MAX as f64) {
        return Err(format!("{s:?} is not a usable size"));
    }
    Ok(bytes as u64)
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
    /// Report only findings of at least this confidence (the others are counted as
    /// suppressed); `package` always uses every level
    #[arg(long, value_enum, value_name = "LEVEL", default_value = "low")]
    pub min_confidence: MinConfidence,
}

/// `--min-confidence` levels.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum MinConfidence {
    Low,
    Medium,
    High,
}

impl From<MinConfidence> for amplihack_remote::scan::Confidence {
    fn from(m: MinConfidence) -> Self {
        match m {
            MinConfidence::Low => Self::Low,
            MinConfidence::Medium => Self::Medium,
            MinConfidence::High => Self::High,
        }
    }
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
    fn sizes_parse_in_binary_units() {
        assert_eq!(parse_size("500MB"), Ok(500 * 1024 * 1024));
        assert_eq!(parse_size("1.5 GB"), Ok(1536 * 1024 * 1024));
        assert_eq!(parse_size("2048"), Ok(2048));
        assert!(parse_size("5 parsecs").is_err());
        assert!(parse_size("0").is_err());
    }

    #[cfg(feature = "exec")]
    #[test]
    fn run_options_are_range_checked() {
        let parse = |extra: &[&str]| {
            let mut a = vec!["amplihack-remote", "run"];
            a.extend_from_slice(extra);
            Cli::try_parse_from(a)
        };
        let cli = parse(&["auto", "do it"]).unwrap();
        let Command::Run(r) = cli.command else {
            panic!("run expected")
        };
        assert_eq!((r.max_turns, r.timeout), (10, 120));
        assert_eq!(r.vm_size, "Standard_D2s_v3");
        assert_eq!(r.command, RunMode::Auto);
        for bad in [
            &["auto", "x", "--max-turns", "0"][..],
            &["auto", "x", "--max-turns", "51"],
            &["auto", "x", "--timeout", "4"],
            &["auto", "x", "--timeout", "481"],
            &["auto", "x", "--timeout-seconds", "0"],
            &["auto", "x", "--vm-size", "huge"],
            &["auto", "x", "--vm-name", "-bad-"],
            &["auto", "x", "--region", "east us"],
            &["auto", "x", "--vm-name", "a", "--no-reuse"],
            &["ship", "x"],
            &["auto"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        let e = parse(&["auto", "x", "--max-turns", "51"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("1..=50"), "{e}");
        let cli = parse(&["fix", "x", "--vm-size", "l", "--timeout-seconds", "3"]).unwrap();
        let Command::Run(r) = cli.command else {
            panic!("run expected")
        };
        assert_eq!(r.vm_size, "Standard_E16as_v5");
        assert_eq!(r.timeout_seconds, Some(3));
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
