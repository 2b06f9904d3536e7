//! `rules check`: every rule is proven against its own examples.
//!
//! For each rule, alone (so another rule cannot mask it): every positive example must yield
//! a candidate through the whole pipeline (prefilter, windowed regex, filters), every negative
//! example must yield none, and every positive must contain one of the rule's keywords (so the
//! prefilter can never drop a true positive).

use crate::scan::engine::{find_candidates, Scratch};

use super::set::RuleSet;

/// One failed expectation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckFailure {
    pub rule_id: String,
    pub origin: String,
    pub message: String,
}

impl std::fmt::Display for CheckFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.rule_id, self.origin, self.message)
    }
}

/// Summary of a check run.
#[derive(Debug, Default)]
pub struct CheckReport {
    pub rules: usize,
    pub examples: usize,
    pub negative_examples: usize,
    pub failures: Vec<CheckFailure>,
}

/// Checks every rule of `set`.
pub fn check(set: &RuleSet) -> CheckReport {
    let mut report = CheckReport {
        rules: set.len(),
        ..CheckReport::default()
    };
    let mut scratch = Scratch::default();
    for (index, rule) in set.rules().iter().enumerate() {
        let def = &rule.def;
        let origin = set.origin(index).to_string();
        let fail = |message: String| CheckFailure {
            rule_id: def.id.clone(),
            origin: origin.clone(),
            message,
        };
        if let Err(e) = rule.compiled() {
            report.failures.push(fail(e));
            continue;
        }
        let alone = match RuleSet::builder()
            .without_builtin()
            .rule(def.clone(), origin.clone())
            .build()
        {
            Ok(s) => s,
            Err(e) => {
                report.failures.push(fail(e.to_string()));
                continue;
            }
        };
        if def.examples.is_empty() {
            report
                .failures
                .push(fail("has no positive examples".into()));
        }
        if def.negative_examples.is_empty() {
            report
                .failures
                .push(fail("has no negative examples".into()));
        }
        let path = def.example_path.as_deref().unwrap_or("example.txt");
        for (i, example) in def.examples.iter().enumerate() {
            report.examples += 1;
            let lower = example.to_ascii_lowercase();
            if !def
                .keywords
                .iter()
                .any(|k| lower.contains(&k.to_ascii_lowercase()))
            {
                report.failures.push(fail(format!(
                    "example #{} ({}) contains none of the keywords {:?}",
                    i + 1,
                    preview(example),
                    def.keywords
                )));
            }
            match find_candidates(&alone, example.as_bytes(), path, &mut scratch) {
                Ok(c) if !c.is_empty() => {}
                Ok(_) => report.failures.push(fail(format!(
                    "example #{} ({}) is not found",
                    i + 1,
                    preview(example)
                ))),
                Err(e) => report.failures.push(fail(e.to_string())),
            }
        }
        for (i, example) in def.negative_examples.iter().enumerate() {
            report.negative_examples += 1;
            match find_candidates(&alone, example.as_bytes(), path, &mut scratch) {
                Ok(c) if c.is_empty() => {}
                Ok(_) => report.failures.push(fail(format!(
                    "negative example #{} ({}) is found",
                    i + 1,
                    preview(example)
                ))),
                Err(e) => report.failures.push(fail(e.to_string())),
            }
        }
    }
    report
}

/// The first characters of an example, enough to locate it in the rule file.
fn preview(example: &str) -> String {
    let cut: String = example.chars().take(24).collect();
    let more = if example.chars().count() > 24 {
        "…"
    } else {
        ""
    };
    format!("{:?}", format!("{cut}{more}"))
}
