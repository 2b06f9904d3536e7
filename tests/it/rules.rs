//! The rule catalogue: every rule proven against its own examples, and its coverage.

use amplihack_remote::scan::rules::check::check;
use amplihack_remote::scan::RuleSet;

use super::support::*;

#[test]
fn every_builtin_rule_passes_its_examples() {
    let rules = RuleSet::builtin().expect("the built-in rules load");
    let report = check(&rules);
    let failures: Vec<String> = report.failures.iter().map(ToString::to_string).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(report.examples >= 2 * rules.len());
    assert!(report.negative_examples >= 2 * rules.len());
}

#[test]
fn every_provider_of_the_format_facts_is_covered() {
    let rules = RuleSet::builtin().unwrap();
    let ids: Vec<&str> = rules.rules().iter().map(|r| r.def.id.as_str()).collect();
    for id in [
        "anthropic-api-key",
        "anthropic-admin-key",
        "anthropic-oauth-access-token",
        "anthropic-oauth-refresh-token",
        "openai-project-key",
        "openai-service-account-key",
        "openai-admin-key",
        "openai-legacy-key",
        "openai-legacy-key-48",
        "github-pat-classic",
        "github-oauth-token",
        "github-user-to-server-token",
        "github-server-to-server-token",
        "github-refresh-token",
        "github-fine-grained-pat",
        "azure-storage-account-key-identifiable",
        "azure-storage-account-key",
        "azure-storage-connection-string",
        "azure-service-bus-connection-string",
        "azure-app-configuration-connection-string",
        "azure-sas-token",
        "azure-entra-client-secret",
        "azure-container-registry-password",
        "azure-cache-redis-key",
        "azure-devops-pat",
        "aws-access-key-id",
        "aws-secret-access-key",
        "gcp-service-account-key",
        "gcp-api-key",
        "slack-bot-token",
        "slack-user-token",
        "slack-workspace-access-token",
        "slack-refresh-token",
        "slack-config-token",
        "slack-webhook-url",
        "stripe-secret-key",
        "stripe-restricted-key",
        "private-key-pem",
        "private-key-pgp",
        "private-key-putty",
        "jwt",
        "generic-password",
        "generic-secret",
        "generic-api-key",
    ] {
        assert!(ids.contains(&id), "missing rule {id}");
    }
}

#[test]
fn rules_check_and_list_subcommands() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["rules", "check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains(": 0 failures"));
    let out = run(dir.path(), &["rules", "list"]);
    assert!(stdout(&out).contains("anthropic-api-key"));
    // A user rule whose example does not match fails the check.
    write(
        dir.path(),
        "c.toml",
        "[[rules]]\nid = \"acme\"\nname = \"ACME\"\nconfidence = \"high\"\nkeywords = [\"acme_\"]\npattern = '''acme_[0-9]{8}'''\nexamples = [\"acme_12ab\"]\nnegative_examples = [\"acme_\"]\n",
    );
    let out = run(dir.path(), &["rules", "check", "--config", "c.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("FAIL acme"), "{}", stdout(&out));
}

#[test]
fn keywordless_positive_is_a_check_failure() {
    use amplihack_remote::scan::rules::{Confidence, RuleDef};
    let def = RuleDef {
        id: "t".into(),
        name: "T".into(),
        description: String::new(),
        confidence: Confidence::Low,
        keywords: vec!["zzz".into()],
        pattern: "[a-z]{4}".into(),
        max_len: 16,
        min_entropy: None,
        checksum: None,
        placeholder_check: false,
        context: None,
        require: Vec::new(),
        paths: Vec::new(),
        example_path: None,
        examples: vec!["qwer".into()],
        negative_examples: vec!["12".into()],
    };
    let set = RuleSet::builder()
        .without_builtin()
        .rule(def, "test")
        .build()
        .unwrap();
    let report = check(&set);
    assert!(report
        .failures
        .iter()
        .any(|f| f.message.contains("none of the keywords")));
    assert!(report
        .failures
        .iter()
        .any(|f| f.message.contains("is not found")));
}

/// A hostile configuration of many rules, each within the per-regex size limit, must not add
/// up to unbounded memory: the rules' compiled regexes together are capped
/// (`USER_REGEX_BUDGET`, 256 MiB; a small budget here to keep the test fast), and so are the
/// allowlist's. Over the cap is an error naming it, never a scan with fewer rules.
#[test]
fn many_large_user_regexes_are_refused_over_the_total_budget() {
    use amplihack_remote::config::AllowlistConfig;
    use amplihack_remote::scan::allowlist::Allowlist;
    use amplihack_remote::scan::rules::{parse_rule_file, RuleSet};
    let mut text = String::new();
    for i in 0..20 {
        text.push_str(&format!(
            "[[rules]]\nid = \"big-{i}\"\nname = \"big\"\nkeywords = [\"kw{i:04}\"]\nconfidence = \"low\"\npattern = 'kw{i:04}(?:[a-z0-9]{{1,20}}){{10}}'\n\n"
        ));
    }
    let defs = parse_rule_file("evil.toml", &text).unwrap();
    let build = |budget: usize| {
        let mut b = RuleSet::builder().without_builtin().regex_budget(budget);
        for d in &defs {
            b = b.rule(d.clone(), "evil.toml");
        }
        b.build()
    };
    let one = {
        let set = build(usize::MAX).unwrap();
        set.rule(0).compiled().unwrap().memory_usage()
    };
    assert!(one > 10_000, "{one}");
    // Room for half of them: refused, with the reason.
    let err = build(one * 10).unwrap_err().to_string();
    assert!(err.contains("regexes together: refused"), "{err}");
    assert!(build(one * 25).is_ok());

    let secrets: Vec<String> = (0..20)
        .map(|i| format!("^x{i}(?:[a-z0-9]{{1,20}}){{10}}"))
        .collect();
    let config = AllowlistConfig {
        paths: Vec::new(),
        secrets,
    };
    let err = Allowlist::with_regex_budget(&config, one * 5)
        .unwrap_err()
        .to_string();
    assert!(err.contains("together: refused"), "{err}");
    assert!(Allowlist::with_regex_budget(&config, usize::MAX).is_ok());
}
