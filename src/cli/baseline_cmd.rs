//! `amplihack-remote baseline`: accept every current finding.

use amplihack_remote::config::DEFAULT_BASELINE_NAME;
use amplihack_remote::scan::{exit, Baseline, Scanner};

use super::args::BaselineArgs;
use super::scan_cmd::{collect, load_config};

pub fn run(args: BaselineArgs) -> Result<i32, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let loaded = load_config(&args.input, &cwd)?;
    // Scan without any baseline, so that accepted findings are written again.
    let scanner = Scanner::from_config(&loaded, None, false).map_err(|e| e.to_string())?;
    let report = collect(&args.input, &scanner, &loaded, &cwd)?;
    if !report.errors.is_empty() {
        for e in &report.errors {
            eprintln!("  {}: {}", e.path, e.message);
        }
        return Err(format!(
            "{} input(s) could not be scanned; the baseline was not written (it would be incomplete)",
            report.errors.len()
        ));
    }
    let path = args
        .output
        .or_else(|| loaded.config.baseline.as_ref().map(|b| loaded.root.join(b)))
        .unwrap_or_else(|| loaded.root.join(DEFAULT_BASELINE_NAME));
    let previous = if path.is_file() {
        Baseline::load(&path).map_err(|e| e.to_string())?
    } else {
        Baseline::new()
    };
    let mut baseline = Baseline::new();
    let accepted = report.findings.iter().chain(
        report
            .suppressed
            .iter()
            .filter(|(_, why)| *why == amplihack_remote::scan::Suppression::Baseline)
            .map(|(f, _)| f),
    );
    for f in accepted {
        baseline.insert(&f.rule_id, &f.secret.sha256());
    }
    let added = baseline
        .entries()
        .filter(|e| !previous.contains(&e.rule_id, &e.secret_sha256))
        .count();
    let removed = previous
        .entries()
        .filter(|e| !baseline.contains(&e.rule_id, &e.secret_sha256))
        .count();
    baseline.save(&path).map_err(|e| e.to_string())?;
    println!(
        "Wrote {} ({} entr{}: {added} added, {removed} removed). Commit it so that every clone and the pre-commit hook use it.",
        path.display(),
        baseline.len(),
        if baseline.len() == 1 { "y" } else { "ies" }
    );
    Ok(exit::CLEAN)
}
