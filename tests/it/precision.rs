//! The precision machinery shared by all rules: decoding, dotenv strictness, confidence
//! levels and `--min-confidence`, path-gated rules.

use super::support::*;

fn findings(dir: &std::path::Path, args: &[&str]) -> Vec<serde_json::Value> {
    let mut all = vec!["scan", "--format", "json"];
    all.extend_from_slice(args);
    let out = run(dir, &all);
    assert_ne!(out.status.code(), Some(2), "{}", stderr(&out));
    json(&out)["findings"].as_array().unwrap().clone()
}

#[test]
fn a_token_inside_base64_is_found_at_the_encoded_span() {
    let dir = tempfile::tempdir().unwrap();
    let token = Fake::new(31).github_pat();
    let encoded = base64(token.as_bytes());
    write(
        dir.path(),
        "secret.yaml",
        &format!("apiVersion: v1\nkind: Secret\ndata:\n  GH_TOKEN: {encoded}\n"),
    );
    let f = findings(dir.path(), &["--show-secrets", "."]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["rule_id"], "github-pat-classic");
    assert_eq!(f[0]["line"], 4);
    assert_eq!(f[0]["column"], 13, "points at the encoded value");
    assert_eq!(
        f[0]["secret"],
        token.as_str(),
        "the value is the decoded secret"
    );
    assert_eq!(
        f[0]["end"].as_u64().unwrap() - f[0]["start"].as_u64().unwrap(),
        encoded.len() as u64
    );
}

#[test]
fn base64_inside_base64_is_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let token = Fake::new(32).github_pat();
    let inner = base64(format!("GH_TOKEN={token}").as_bytes());
    let outer = base64(format!("settings: {inner}\n").as_bytes());
    write(
        dir.path(),
        "values.yaml",
        &format!("replicas: 2\npayload: {outer}\n"),
    );
    let f = findings(dir.path(), &["--show-secrets", "."]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["rule_id"], "github-pat-classic");
    assert_eq!(f[0]["line"], 2);
    assert_eq!(f[0]["secret"], token.as_str());
}

#[test]
fn a_dockerconfigjson_in_a_kubernetes_secret_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let token = Fake::new(33).github_pat();
    let auth = base64(format!("deploy:{token}").as_bytes());
    let config = format!(r#"{{"auths":{{"ghcr.io":{{"auth":"{auth}"}}}}}}"#);
    write(
        dir.path(),
        "pull-secret.yaml",
        &format!(
            "kind: Secret\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: {}\n",
            base64(config.as_bytes())
        ),
    );
    let f = findings(dir.path(), &["."]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["line"], 4);
    assert_eq!(f[0]["confidence"], "high");
}

#[test]
fn a_percent_encoded_secret_is_found_with_an_exact_span() {
    let dir = tempfile::tempdir().unwrap();
    let mut fake = Fake::new(36);
    // An AWS-style secret with '/' and '+', which percent-encoding hides from the plain rule.
    let secret = format!("{}/{}+{}", fake.alnum(18), fake.alnum(10), fake.alnum(10));
    let encoded = percent_encode(&secret);
    let line =
        format!("curl 'https://deploy.local/hook?aws_secret_access_key={encoded}&region=eu'\n");
    write(dir.path(), "deploy.sh", &line);
    let f = findings(dir.path(), &["--show-secrets", "."]);
    let hit = f
        .iter()
        .find(|f| f["rule_id"] == "aws-secret-access-key")
        .unwrap_or_else(|| panic!("{f:?}"));
    assert_eq!(hit["secret"], secret.as_str());
    let start = hit["start"].as_u64().unwrap() as usize;
    let end = hit["end"].as_u64().unwrap() as usize;
    assert_eq!(&line[start..end], encoded, "the span is the encoded secret");
}

#[test]
fn base64_that_decodes_to_binary_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let mut fake = Fake::new(34);
    let blob: Vec<u8> = (0..96).map(|i| (i * 37 + 11) as u8).collect();
    write(
        dir.path(),
        "icon.json",
        &format!(
            "{{\"icon\": \"{}\", \"id\": \"{}\"}}\n",
            base64(&blob),
            fake.alnum(12)
        ),
    );
    assert!(findings(dir.path(), &["."]).is_empty());
}

#[test]
fn dotenv_files_are_strict_and_other_files_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let text = "DB_HOST=db.internal\nDB_PASSWORD=hunter2\n";
    write(dir.path(), ".env", text);
    write(dir.path(), "config/.env.production", text);
    write(dir.path(), "notes.txt", text);
    write(dir.path(), ".env.example", text);
    write(
        dir.path(),
        "web/.env.sample",
        "DB_PASSWORD=<set-me>\nAPI_TOKEN=changeme\nJWT_SECRET=\nSMTP_PASS=${SMTP_PASS}\n",
    );
    let f = findings(dir.path(), &["."]);
    let mut paths: Vec<&str> = f
        .iter()
        .map(|f| {
            assert_eq!(f["rule_id"], "dotenv-sensitive-value");
            assert_eq!(f["line"], 2);
            f["path"].as_str().unwrap()
        })
        .collect();
    paths.sort();
    // Templates are held to the same standard; their placeholders are never reported.
    assert_eq!(
        paths,
        vec![".env", ".env.example", "config/.env.production"]
    );
}

#[test]
fn min_confidence_hides_lower_levels_and_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut fake = Fake::new(35);
    write(
        dir.path(),
        "app.py",
        &format!(
            "DB_PASSWORD = \"{}!{}\"\nTOKEN = \"{}\"\n",
            fake.alnum(6),
            fake.alnum(6),
            fake.github_pat()
        ),
    );
    let all = findings(dir.path(), &["."]);
    let levels: Vec<&str> = all
        .iter()
        .map(|f| f["confidence"].as_str().unwrap())
        .collect();
    assert_eq!(levels, vec!["low", "high"]);

    let out = run(
        dir.path(),
        &[
            "scan",
            "--format",
            "json",
            "--min-confidence",
            "medium",
            ".",
        ],
    );
    let v = json(&out);
    assert_eq!(v["findings"].as_array().unwrap().len(), 1);
    assert_eq!(v["findings"][0]["confidence"], "high");
    assert_eq!(v["summary"]["suppressed"]["below_min_confidence"], 1);

    let human = stdout(&run(dir.path(), &["scan", "--min-confidence", "high", "."]));
    assert!(human.contains("[high]"), "{human}");
    assert!(human.contains("1 below --min-confidence"), "{human}");
}

#[test]
fn a_path_gated_rule_needs_an_example_path() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "c.toml",
        "[[rules]]\nid = 'acme'\nname = 'Acme'\nconfidence = 'high'\nkeywords = ['acme_']\n\
         pattern = 'acme_[a-z]{8}'\npaths = ['*.acme']\n",
    );
    let out = run(dir.path(), &["scan", "--config", "c.toml", "."]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("example_path"), "{}", stderr(&out));
}

#[test]
fn a_user_rule_can_be_gated_by_path_and_require_classes() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "c.toml",
        "[[rules]]\nid = 'acme'\nname = 'Acme'\nconfidence = 'high'\nkeywords = ['acme_']\n\
         pattern = '(?P<secret>acme_[a-z0-9]{8})'\npaths = ['*.acme']\nexample_path = 'x.acme'\n\
         require = ['digit']\n",
    );
    write(
        dir.path(),
        "a.acme",
        "k = acme_q7wkz3rm\nj = acme_qwkzprmt\n",
    );
    write(dir.path(), "a.txt", "k = acme_q7wkz3rm\n");
    let f = findings(dir.path(), &["--config", "c.toml", "."]);
    let got: Vec<(String, u64)> = f
        .iter()
        .filter(|f| f["rule_id"] == "acme")
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, vec![("a.acme".to_string(), 1)]);
}
