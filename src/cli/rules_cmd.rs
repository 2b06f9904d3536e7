//! `amplihack-remote rules list|check`.

use std::path::Path;

use amplihack_remote::config::LoadedConfig;
use amplihack_remote::scan::rules::check::check;
use amplihack_remote::scan::{exit, rule_set_from_config, RuleSet};

use super::args::{RulesAction, RulesArgs};

pub fn run(args: RulesArgs) -> Result<i32, String> {
    match args.action {
        RulesAction::List { config, json } => {
            let rules = load(config.as_deref())?;
            if json {
                let list: Vec<_> = rules
                    .rules()
                    .iter()
                    .map(|r| {
                        serde_json::json!({
                            "id": r.def.id, "name": r.def.name, "confidence": r.def.confidence,
                            "keywords": r.def.keywords, "description": r.def.description,
                        })
                    })
                    .collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&list).map_err(|e| e.to_string())?
                );
            } else {
                println!("{:<42} {:<8} {:<48} KEYWORDS", "ID", "CONF", "NAME");
                for r in rules.rules() {
                    println!(
                        "{:<42} {:<8} {:<48} {}",
                        r.def.id,
                        r.def.confidence,
                        r.def.name,
                        r.def.keywords.join(", ")
                    );
                }
                println!(
                    "{} rules (rule set digest {})",
                    rules.len(),
                    &rules.digest()[..16]
                );
            }
            Ok(exit::CLEAN)
        }
        RulesAction::Check { config } => {
            let rules = load(config.as_deref())?;
            let report = check(&rules);
            for f in &report.failures {
                println!("FAIL {f}");
            }
            println!(
                "{} rules, {} examples, {} negative examples: {} failure{}",
                report.rules,
                report.examples,
                report.negative_examples,
                report.failures.len(),
                if report.failures.len() == 1 { "" } else { "s" }
            );
            Ok(if report.failures.is_empty() {
                exit::CLEAN
            } else {
                exit::FINDINGS
            })
        }
    }
}

fn load(config: Option<&Path>) -> Result<RuleSet, String> {
    let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
    let loaded = LoadedConfig::discover(config, &cwd).map_err(|e| e.to_string())?;
    rule_set_from_config(&loaded).map_err(|e| e.to_string())
}
