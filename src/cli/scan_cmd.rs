//! `amplihack-remote scan`.

use std::io::Write;
use std::path::{Path, PathBuf};

use amplihack_remote::config::LoadedConfig;
use amplihack_remote::git::{scan_history, staged_blobs, Git};
use amplihack_remote::output::{write_report, OutputOptions};
use amplihack_remote::scan::report::Skipped;
use amplihack_remote::scan::{InputName, ScanOptions, ScanReport, Scanner, WalkOptions};

use super::args::{InputArgs, ScanArgs};

pub fn run(args: ScanArgs) -> Result<i32, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let loaded = load_config(&args.input, &cwd)?;
    let scanner = Scanner::from_config(&loaded, args.baseline.as_deref(), true)
        .map_err(|e| e.to_string())?
        .with_min_confidence(args.min_confidence.into());
    let report = collect(&args.input, &scanner, &loaded, &cwd)?;
    let options = OutputOptions {
        show_secrets: args.show_secrets,
    };
    let mut buf = Vec::new();
    write_report(&mut buf, args.format, &report, scanner.rules(), options)
        .map_err(|e| format!("cannot format the report: {e}"))?;
    match &args.output {
        Some(path) => std::fs::write(path, &buf)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(&buf)
                .and_then(|_| stdout.flush())
                .map_err(|e| format!("cannot write the report: {e}"))?;
        }
    }
    Ok(report.exit_code())
}

/// The configuration for these inputs: `--config`, or the repository's own file.
/// With `--git REPO`, the repository's own file is looked for in REPO.
pub fn load_config(input: &InputArgs, cwd: &Path) -> Result<LoadedConfig, String> {
    let start = if input.git {
        cwd.join(git_repo_arg(input)?)
    } else {
        cwd.to_path_buf()
    };
    LoadedConfig::discover(input.config.as_deref(), &start).map_err(|e| e.to_string())
}

/// The one repository `--git` scans.
fn git_repo_arg(input: &InputArgs) -> Result<&Path, String> {
    match input.paths.as_slice() {
        [one] if one.as_os_str() != "-" => Ok(one),
        _ => Err("--git scans one repository: give at most one PATH (default: .)".into()),
    }
}

/// Scans what `input` names: the staged blobs, or paths and stdin.
pub fn collect(
    input: &InputArgs,
    scanner: &Scanner,
    loaded: &LoadedConfig,
    cwd: &Path,
) -> Result<ScanReport, String> {
    if input.staged {
        return scan_staged(scanner, cwd, input.threads);
    }
    if input.git {
        let git = Git::new(cwd.join(git_repo_arg(input)?));
        return Ok(scan_history(scanner, &git, &[], input.threads).0);
    }
    let (stdin, paths): (Vec<&PathBuf>, Vec<&PathBuf>) =
        input.paths.iter().partition(|p| p.as_os_str() == "-");
    if stdin.len() > 1 {
        return Err("`-` (standard input) can be given only once".into());
    }
    let options = ScanOptions {
        walk: WalkOptions {
            respect_gitignore: !input.no_ignore,
        },
        threads: input.threads,
        root: loaded.root.clone(),
    };
    let paths: Vec<PathBuf> = paths.into_iter().cloned().collect();
    let mut report = if paths.is_empty() {
        scanner.empty_report()
    } else {
        scanner.scan_paths(&paths, &options)
    };
    if !stdin.is_empty() {
        report.merge(scanner.scan_reader(&InputName::plain("<stdin>"), std::io::stdin().lock()));
        report.sort();
    }
    Ok(report)
}

fn scan_staged(scanner: &Scanner, cwd: &Path, threads: usize) -> Result<ScanReport, String> {
    let git = Git::new(cwd);
    let (blobs, submodules) = staged_blobs(&git).map_err(|e| {
        format!("cannot read the staged changes: {e}\n  (--staged must run inside a git work tree)")
    })?;
    let inputs: Vec<(InputName, Vec<u8>)> = blobs
        .into_iter()
        .map(|b| (InputName::plain(b.path), b.bytes))
        .collect();
    let mut report = scanner.scan_buffers(inputs, threads);
    report
        .skipped
        .extend(submodules.into_iter().map(|path| Skipped {
            path,
            reason:
                "submodule commit: its content is scanned in the submodule's own repository".into(),
        }));
    Ok(report)
}
