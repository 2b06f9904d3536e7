//! SARIF 2.1.0, built from the typed structures of `serde-sarif`, with what GitHub code
//! scanning requires: rule ids and descriptions, results with a physical location (a
//! repository-relative URI and a region), and partial fingerprints.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::json;
use serde_sarif::sarif::{
    ArtifactLocation, Location, Message, MultiformatMessageString, PhysicalLocation, PropertyBag,
    Region, ReportingConfiguration, ReportingDescriptor, Result as SarifResult, ResultLevel, Run,
    Sarif, Tool, ToolComponent, SCHEMA_URL,
};

use crate::scan::{Confidence, Finding, RuleSet, ScanReport};

use super::OutputOptions;

/// The key under which each result's fingerprint is given in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "amplihackRemoteSecret/v1";

/// Builds the whole SARIF log for a report as one typed value (for callers that want the
/// structure; [`write_sarif`] writes the same log without holding every result at once).
pub fn sarif_log(report: &ScanReport, rules: &RuleSet, options: OutputOptions) -> Sarif {
    let index = rule_index(rules);
    let results: Vec<SarifResult> = report
        .findings
        .iter()
        .map(|f| sarif_result(f, &index, options))
        .collect();
    let run = Run::builder()
        .tool(tool(rules))
        .results(results)
        .column_kind(json!(COLUMN_KIND))
        .build();
    Sarif::builder()
        .schema(SCHEMA_URL)
        .version(json!(SARIF_VERSION))
        .runs(vec![run])
        .build()
}

/// Writes the SARIF log of [`sarif_log`], byte for byte, turning each finding into a SARIF
/// result only as it is written: about 7 KB of JSON values per finding are never held for a
/// whole report.
pub fn write_sarif(
    out: &mut dyn Write,
    report: &ScanReport,
    rules: &RuleSet,
    options: OutputOptions,
) -> io::Result<()> {
    let log = Log {
        report,
        rules,
        options,
        index: rule_index(rules),
    };
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

const SARIF_VERSION: &str = "2.1.0";
const COLUMN_KIND: &str = "unicodeCodePoints";

/// The log's top level, `{"$schema", "runs": [one run], "version"}`, in the key order of the
/// typed [`Sarif`] (checked by a test against [`sarif_log`]).
struct Log<'a> {
    report: &'a ScanReport,
    rules: &'a RuleSet,
    options: OutputOptions,
    index: BTreeMap<&'a str, usize>,
}

impl Serialize for Log<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("$schema", SCHEMA_URL)?;
        map.serialize_entry("runs", &[OneRun(self)])?;
        map.serialize_entry("version", SARIF_VERSION)?;
        map.end()
    }
}

/// `{"columnKind", "results": [...], "tool"}`.
struct OneRun<'a>(&'a Log<'a>);

impl Serialize for OneRun<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("columnKind", COLUMN_KIND)?;
        map.serialize_entry("results", &Results(self.0))?;
        map.serialize_entry("tool", &tool(self.0.rules))?;
        map.end()
    }
}

struct Results<'a>(&'a Log<'a>);

impl Serialize for Results<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let log = self.0;
        let findings = &log.report.findings;
        let mut seq = serializer.serialize_seq(Some(findings.len()))?;
        for f in findings {
            seq.serialize_element(&sarif_result(f, &log.index, log.options))?;
        }
        seq.end()
    }
}

/// Each rule's position in the driver's `rules`, by id.
fn rule_index(rules: &RuleSet) -> BTreeMap<&str, usize> {
    rules
        .rules()
        .iter()
        .enumerate()
        .map(|(i, r)| (r.def.id.as_str(), i))
        .collect()
}

/// The tool component: this scanner and a descriptor for every rule.
fn tool(rules: &RuleSet) -> Tool {
    let descriptors: Vec<ReportingDescriptor> = rules
        .rules()
        .iter()
        .map(|r| {
            let def = &r.def;
            let description = if def.description.is_empty() {
                def.name.clone()
            } else {
                def.description.clone()
            };
            ReportingDescriptor::builder()
                .id(def.id.clone())
                .name(def.name.clone())
                .short_description(text(&def.name))
                .full_description(text(&description))
                .help(text(&format!(
                    "{description} Remove the secret from the file, rotate it if it was ever committed or shared, and load it at run time instead."
                )))
                .default_configuration(ReportingConfiguration::builder().level(json!("error")).build())
                .properties(properties(vec![
                    ("precision", json!(precision(def.confidence))),
                    ("security-severity", json!(severity(def.confidence))),
                    ("tags", json!(["security", "secret"])),
                ]))
                .build()
        })
        .collect();
    let driver = ToolComponent::builder()
        .name(env!("CARGO_PKG_NAME"))
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .rules(descriptors)
        .build();
    Tool::builder().driver(driver).build()
}

/// One finding as a SARIF result.
fn sarif_result(f: &Finding, index: &BTreeMap<&str, usize>, options: OutputOptions) -> SarifResult {
    let region = Region::builder()
        .start_line(f.line as i64)
        .start_column(f.column as i64)
        .end_line(f.end_line as i64)
        .end_column(f.end_column as i64)
        .build();
    let location = Location::builder()
        .physical_location(
            PhysicalLocation::builder()
                .artifact_location(artifact_location(&f.path))
                .region(region)
                .build(),
        )
        .build();
    let mut props = vec![
        ("confidence", json!(f.confidence)),
        ("redacted", json!(f.secret.redacted())),
    ];
    if let Some(c) = &f.commit {
        props.push(("commit", json!(c)));
    }
    if options.show_secrets {
        props.push(("secret", json!(String::from_utf8_lossy(f.secret.expose()))));
    }
    // -1 is SARIF's "no index"; every finding's rule is in `rules`.
    let rule_index = index.get(&*f.rule_id).map_or(-1, |&i| i as i64);
    SarifResult::builder()
        .rule_id(f.rule_id.to_string())
        .rule_index(rule_index)
        .level(ResultLevel::Error)
        .message(
            Message::builder()
                .text(format!(
                    "{} ({} confidence): {}",
                    f.rule_name,
                    f.confidence,
                    f.secret.redacted()
                ))
                .build(),
        )
        .locations(vec![location])
        .partial_fingerprints(BTreeMap::from([(
            FINGERPRINT_KEY.to_string(),
            f.fingerprint.clone(),
        )]))
        .properties(properties(props))
        .build()
}

/// A repository-relative URI under `%SRCROOT%`, or a `file://` URI for an absolute path.
fn artifact_location(path: &str) -> ArtifactLocation {
    if path.starts_with('/') {
        ArtifactLocation::builder()
            .uri(format!("file://{}", uri(path)))
            .build()
    } else {
        ArtifactLocation::builder()
            .uri(uri(path))
            .uri_base_id("%SRCROOT%")
            .build()
    }
}

fn text(s: &str) -> MultiformatMessageString {
    MultiformatMessageString::builder().text(s).build()
}

fn properties(pairs: Vec<(&str, serde_json::Value)>) -> PropertyBag {
    PropertyBag::builder()
        .additional_properties(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect::<BTreeMap<_, _>>(),
        )
        .build()
}

fn precision(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "very-high",
        Confidence::Medium => "high",
        Confidence::Low => "medium",
    }
}

fn severity(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "9.0",
        Confidence::Medium => "8.0",
        Confidence::Low => "7.0",
    }
}

/// A relative URI reference for a path: `/`-separated, percent-encoding everything but
/// unreserved characters and `/`.
pub fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(super::uri("src/a b/ü.py"), "src/a%20b/%C3%BC.py");
        assert_eq!(super::uri("<stdin>"), "%3Cstdin%3E");
    }
}
