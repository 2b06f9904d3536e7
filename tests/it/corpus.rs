//! The corpus: 100 % recall on planted fakes, no finding on hard negatives, and the project
//! itself scans clean with its own config.

use std::collections::BTreeSet;

use super::support::*;

#[derive(serde::Deserialize)]
struct Expected {
    positive: Vec<Entry>,
}

#[derive(serde::Deserialize)]
struct Entry {
    path: String,
    line: u64,
    rule: String,
}

fn scan_json(dir: &std::path::Path, target: &str) -> serde_json::Value {
    // An empty config so that the project's own allowlist does not apply.
    let empty = tempfile::NamedTempFile::new().unwrap();
    let out = run(
        dir,
        &[
            "scan",
            "--no-ignore",
            "--config",
            empty.path().to_str().unwrap(),
            "--format",
            "json",
            target,
        ],
    );
    assert_ne!(
        out.status.code(),
        Some(2),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    json(&out)
}

#[test]
fn corpus_positives_are_all_found_and_nothing_else() {
    let corpus = project_root().join("corpus");
    let expected: Expected =
        toml::from_str(&std::fs::read_to_string(corpus.join("expected.toml")).unwrap()).unwrap();
    let v = scan_json(&corpus, "positives");
    let found: BTreeSet<(String, u64, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["rule_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let wanted: BTreeSet<(String, u64, String)> = expected
        .positive
        .iter()
        .map(|e| (e.path.clone(), e.line, e.rule.clone()))
        .collect();
    let missed: Vec<_> = wanted.difference(&found).collect();
    let unexpected: Vec<_> = found.difference(&wanted).collect();
    assert!(
        missed.is_empty() && unexpected.is_empty(),
        "recall: missed {missed:#?}\nunexpected {unexpected:#?}"
    );
    assert!(wanted.len() >= 60, "the corpus plants at least 60 secrets");
}

#[test]
fn corpus_negatives_produce_no_finding() {
    let corpus = project_root().join("corpus");
    let v = scan_json(&corpus, "negatives");
    let findings = v["findings"].as_array().unwrap();
    let shown: Vec<String> = findings
        .iter()
        .map(|f| {
            format!(
                "{}:{} {} {}",
                f["path"], f["line"], f["rule_id"], f["excerpt"]
            )
        })
        .collect();
    assert!(
        findings.is_empty(),
        "false positives:\n{}",
        shown.join("\n")
    );
    assert!(v["summary"]["files_scanned"].as_u64().unwrap() >= 15);
}

#[test]
fn the_project_scans_clean_with_its_own_config() {
    let root = project_root();
    let out = run(&root, &["scan", "--format", "json", "."]);
    let v = json(&out);
    assert_eq!(out.status.code(), Some(0), "{v:#}");
    assert!(v["summary"]["files_scanned"].as_u64().unwrap() > 20);
}
