//! Inline markers, config allowlists and the baseline: each hides exactly what it names, and
//! is counted.

use super::support::*;

#[test]
fn every_inline_marker_suppresses_and_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = Fake::new(30);
    let mut text = String::new();
    for marker in [
        "amplihack-remote:allow",
        "pragma: allowlist secret",
        "gitleaks:allow",
        "betterleaks:allow",
        "trufflehog:ignore",
        "kingfisher:ignore",
    ] {
        text.push_str(&format!("t = '{}'  # {marker}\n", f.github_pat()));
    }
    text.push_str("# pragma: allowlist nextline secret\n");
    text.push_str(&format!("t = '{}'\n", f.github_pat()));
    write(dir.path(), "a.py", &text);
    let out = run(dir.path(), &["scan", "--format", "json", "."]);
    let v = json(&out);
    assert_eq!(out.status.code(), Some(0), "{v}");
    assert_eq!(v["summary"]["suppressed"]["inline"], 7);
}

#[test]
fn allowlist_paths_and_secrets() {
    let dir = git_repo();
    let mut f = Fake::new(31);
    write(
        dir.path(),
        "fixtures/x.txt",
        &format!("t={}\n", f.github_pat()),
    );
    write(dir.path(), "src/y.txt", &format!("t={}\n", f.github_pat()));
    write(
        dir.path(),
        ".amplihack-remote.toml",
        "[allowlist]\npaths = [\"fixtures/**\"]\n",
    );
    let v = json(&run(dir.path(), &["scan", "--format", "json", "."]));
    assert_eq!(v["findings"].as_array().unwrap().len(), 1);
    assert_eq!(v["findings"][0]["path"], "src/y.txt");
    assert_eq!(v["summary"]["suppressed"]["allowlist"], 1);
    // The same config applies when scanning from a subdirectory.
    let v = json(&run(
        &dir.path().join("src"),
        &["scan", "--format", "json", "../fixtures"],
    ));
    assert_eq!(v["findings"].as_array().unwrap().len(), 0, "{v}");
}

#[test]
fn baseline_accepts_known_secrets_but_not_new_ones_on_the_same_line() {
    let dir = git_repo();
    let mut f = Fake::new(32);
    let old = f.github_pat();
    write(dir.path(), "a.txt", &format!("one\nt={old}\n"));
    let out = run(dir.path(), &["baseline"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(dir.path().join(".amplihack-remote-baseline.json")).unwrap();
    assert!(text.contains("github-pat-classic"));
    assert!(
        !text.contains(&old),
        "the baseline holds hashes, never secrets"
    );
    assert!(!text.contains("\"line\""), "no line numbers");
    assert_eq!(run(dir.path(), &["scan", "."]).status.code(), Some(0));
    // Moving the secret keeps it accepted.
    write(dir.path(), "a.txt", &format!("zero\none\nt={old}\n"));
    assert_eq!(run(dir.path(), &["scan", "."]).status.code(), Some(0));
    // A different secret written on that same line is reported.
    write(
        dir.path(),
        "a.txt",
        &format!("zero\none\nt={}\n", f.github_pat()),
    );
    let out = run(dir.path(), &["scan", "--format", "json", "."]);
    assert_eq!(out.status.code(), Some(1));
    // Rewriting the baseline is deterministic.
    write(dir.path(), "a.txt", &format!("t={old}\n"));
    run(dir.path(), &["baseline"]);
    let again =
        std::fs::read_to_string(dir.path().join(".amplihack-remote-baseline.json")).unwrap();
    assert_eq!(text, again);
}

#[test]
fn an_explicit_missing_baseline_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["scan", "--baseline", "nope.json", "."]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("nope.json"));
}

#[test]
fn well_known_samples_and_placeholders_are_never_reported() {
    let dir = tempfile::tempdir().unwrap();
    // AWS's documented sample key id, the Azurite emulator key prefix, and placeholders.
    let sample_id = format!("AKIAIOSFODNN7{}", "EXAMPLE");
    let azurite = format!(
        "AccountKey={}{}",
        "Eby8vdM02xNOcqFl",
        "qUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
    );
    write(
        dir.path(),
        "docs.md",
        &format!(
            "aws_access_key_id = {sample_id}\nDefaultEndpointsProtocol=http;AccountName=devstoreaccount1;{azurite};\nANTHROPIC_API_KEY=${{ANTHROPIC_API_KEY}}\ntoken: {{{{ secrets.GITHUB_TOKEN }}}}\npassword = \"changeme\"\n"
        ),
    );
    let out = run(dir.path(), &["scan", "--format", "json", "."]);
    let v = json(&out);
    assert_eq!(out.status.code(), Some(0), "{v}");
}
