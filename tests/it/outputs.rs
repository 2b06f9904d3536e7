//! JSON, JSON Lines and SARIF: valid, complete, and what GitHub code scanning requires.

use super::support::*;

fn tree_with_two_findings() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut f = Fake::new(20);
    write(
        dir.path(),
        "src/a b.py",
        &format!("x = 1\nKEY = \"{}\"\n", f.anthropic_key()),
    );
    write(
        dir.path(),
        "deploy.yml",
        &format!("env:\n  TOKEN: {}\n", f.github_pat()),
    );
    dir
}

#[test]
fn json_has_findings_and_summary() {
    let dir = tree_with_two_findings();
    let out = run(dir.path(), &["scan", "--format", "json", "."]);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2);
    for f in findings {
        for key in [
            "path",
            "line",
            "column",
            "rule_id",
            "confidence",
            "fingerprint",
            "redacted",
            "start",
            "end",
        ] {
            assert!(!f[key].is_null(), "missing {key} in {f}");
        }
        assert!(f.get("secret").is_none());
    }
    assert_eq!(findings[0]["path"], "deploy.yml");
    assert_eq!(findings[0]["rule_id"], "github-pat-classic");
    assert_eq!(findings[0]["confidence"], "high");
    assert_eq!(findings[0]["line"], 2);
    assert_eq!(findings[0]["column"], 10);
    let s = &v["summary"];
    assert_eq!(s["files_scanned"], 2);
    assert!(s["bytes_scanned"].as_u64().unwrap() > 100);
    assert!(s["errors"].as_array().unwrap().is_empty());
    assert!(s["duration_ms"].is_number());
}

#[test]
fn jsonl_is_one_record_per_line() {
    let dir = tree_with_two_findings();
    let out = run(dir.path(), &["scan", "--format", "jsonl", "."]);
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["type"], "finding");
    assert_eq!(lines[2]["type"], "summary");
    assert_eq!(lines[2]["findings"], 2);
}

#[test]
fn sarif_meets_github_code_scanning_requirements() {
    let dir = tree_with_two_findings();
    let out = run(dir.path(), &["scan", "--format", "sarif", "."]);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["version"], "2.1.0");
    assert!(v["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let run0 = &v["runs"][0];
    let driver = &run0["tool"]["driver"];
    assert_eq!(driver["name"], "amplihack-remote");
    let rules = driver["rules"].as_array().unwrap();
    assert!(rules.len() >= 40, "every rule is described");
    for r in rules {
        assert!(
            r["id"].is_string() && r["shortDescription"]["text"].is_string(),
            "{r}"
        );
    }
    let results = run0["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for r in results {
        let id = r["ruleId"].as_str().unwrap();
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], id, "ruleIndex points at the rule");
        assert!(r["message"]["text"].as_str().unwrap().contains("…("));
        let loc = &r["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        assert!(
            !uri.starts_with('/') && !uri.contains(' '),
            "relative, encoded URI: {uri}"
        );
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(loc["region"]["startColumn"].as_u64().unwrap() >= 1);
        let fp = r["partialFingerprints"].as_object().unwrap();
        assert_eq!(fp.len(), 1);
        assert!(fp.values().all(|v| v.as_str().unwrap().len() == 32));
    }
    let uris: Vec<&str> = results
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(uris.contains(&"src/a%20b.py"), "{uris:?}");
}

#[test]
fn sarif_parses_back_into_the_typed_structures() {
    let dir = tree_with_two_findings();
    let out = run(dir.path(), &["scan", "--format", "sarif", "."]);
    let log: serde_sarif::sarif::Sarif = serde_json::from_slice(&out.stdout).expect("typed SARIF");
    assert_eq!(log.runs.len(), 1);
}

#[test]
fn sarif_is_written_result_by_result_exactly_as_the_typed_log() {
    use amplihack_remote::output::{sarif_log, write_sarif, OutputOptions};
    use amplihack_remote::scan::{RuleSet, ScanOptions, Scanner};
    let dir = tree_with_two_findings();
    let scanner = Scanner::new(RuleSet::builtin().unwrap());
    let options = ScanOptions {
        root: dir.path().to_path_buf(),
        ..ScanOptions::default()
    };
    let report = scanner.scan_paths(&[dir.path().to_path_buf()], &options);
    assert_eq!(report.findings.len(), 2);
    for show_secrets in [false, true] {
        let out = OutputOptions { show_secrets };
        let mut streamed = Vec::new();
        write_sarif(&mut streamed, &report, scanner.rules(), out).unwrap();
        let typed =
            serde_json::to_string_pretty(&sarif_log(&report, scanner.rules(), out)).unwrap();
        assert_eq!(String::from_utf8(streamed).unwrap(), typed + "\n");
    }
}

#[test]
fn output_file_receives_the_report() {
    let dir = tree_with_two_findings();
    let out = run(
        dir.path(),
        &["scan", "--format", "json", "--output", "report.json", "src"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), 1);
}

#[test]
fn fingerprints_are_stable_when_lines_move() {
    let dir = tempfile::tempdir().unwrap();
    let key = Fake::new(21).github_pat();
    write(dir.path(), "a.txt", &format!("t={key}\n"));
    let first = json(&run(dir.path(), &["scan", "--format", "json", "."]));
    write(dir.path(), "a.txt", &format!("\n\n// moved\nt={key}\n"));
    let second = json(&run(dir.path(), &["scan", "--format", "json", "."]));
    assert_eq!(
        first["findings"][0]["fingerprint"],
        second["findings"][0]["fingerprint"]
    );
    assert_ne!(first["findings"][0]["line"], second["findings"][0]["line"]);
}
