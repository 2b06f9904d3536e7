//! The command run on the VM for each mode: a list of argv words with `{prompt}` and
//! `{max_turns}` placeholders, overridable in `[run.templates]`.
//!
//! Substitution happens inside words and in one pass: a placeholder never splits a word or
//! joins two, and text coming from the prompt is never substituted again (a prompt holding
//! `{max_turns}` stays as typed). Each resulting word is then shell-quoted on its own by
//! [`super::script`].

use crate::config::TemplatesConfig;

use super::options::Mode;

const PROMPT: &str = "{prompt}";
const MAX_TURNS: &str = "{max_turns}";

/// The four templates, defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Templates {
    pub auto: Vec<String>,
    pub ultrathink: Vec<String>,
    pub analyze: Vec<String>,
    pub fix: Vec<String>,
}

/// `amplihack claude --auto --max-turns {max_turns} -- -p <prefix>{prompt}`: amplihack has
/// only `--auto` and `--max-turns`; the other modes are its slash commands, in the prompt.
pub fn default_template(prefix: &str) -> Vec<String> {
    [
        "amplihack",
        "claude",
        "--auto",
        "--max-turns",
        MAX_TURNS,
        "--",
        "-p",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([format!("{prefix}{PROMPT}")])
    .collect()
}

impl Default for Templates {
    fn default() -> Self {
        Templates {
            auto: default_template(""),
            ultrathink: default_template("/amplihack:ultrathink "),
            analyze: default_template("/amplihack:analyze "),
            fix: default_template("/amplihack:fix "),
        }
    }
}

impl Templates {
    /// The defaults, with the configuration's overrides (each checked).
    pub fn from_config(c: &TemplatesConfig) -> Result<Templates, String> {
        let mut t = Templates::default();
        for (name, given, slot) in [
            ("auto", &c.auto, &mut t.auto),
            ("ultrathink", &c.ultrathink, &mut t.ultrathink),
            ("analyze", &c.analyze, &mut t.analyze),
            ("fix", &c.fix, &mut t.fix),
        ] {
            if let Some(words) = given {
                check_template(words).map_err(|e| format!("[run.templates] {name}: {e}"))?;
                *slot = words.clone();
            }
        }
        Ok(t)
    }

    pub fn for_mode(&self, mode: Mode) -> &[String] {
        match mode {
            Mode::Auto => &self.auto,
            Mode::Ultrathink => &self.ultrathink,
            Mode::Analyze => &self.analyze,
            Mode::Fix => &self.fix,
        }
    }
}

fn check_template(words: &[String]) -> Result<(), String> {
    let Some(first) = words.first() else {
        return Err("the command is empty".into());
    };
    if first.is_empty() || first.contains('{') {
        return Err("the first word must name the program".into());
    }
    if !words.iter().any(|w| w.contains(PROMPT)) {
        return Err("no word holds {prompt}: the prompt would not reach the agent".into());
    }
    if words.iter().any(|w| w.contains('\0')) {
        return Err("a word contains a NUL character".into());
    }
    Ok(())
}

/// Substitutes the placeholders in each word, in one left-to-right pass.
pub fn render(words: &[String], prompt: &str, max_turns: u32) -> Vec<String> {
    let turns = max_turns.to_string();
    words
        .iter()
        .map(|w| {
            let mut out = String::with_capacity(w.len() + prompt.len());
            let mut rest = w.as_str();
            while !rest.is_empty() {
                if let Some(r) = rest.strip_prefix(PROMPT) {
                    out.push_str(prompt);
                    rest = r;
                } else if let Some(r) = rest.strip_prefix(MAX_TURNS) {
                    out.push_str(&turns);
                    rest = r;
                } else {
                    let c = rest.chars().next().unwrap_or_default();
                    out.push(c);
                    rest = &rest[c.len_utf8()..];
                }
            }
            out
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_use_only_flags_amplihack_has() {
        let t = Templates::default();
        let auto = render(&t.auto, "create hello.txt", 10);
        assert_eq!(
            auto,
            [
                "amplihack",
                "claude",
                "--auto",
                "--max-turns",
                "10",
                "--",
                "-p",
                "create hello.txt"
            ]
        );
        let fix = render(t.for_mode(Mode::Fix), "the bug", 3);
        assert_eq!(fix.last().unwrap(), "/amplihack:fix the bug");
        assert!(!fix.iter().any(|w| w == "--fix" || w == "--ultrathink"));
        assert_eq!(
            render(t.for_mode(Mode::Ultrathink), "x", 3).last().unwrap(),
            "/amplihack:ultrathink x"
        );
        assert_eq!(
            render(t.for_mode(Mode::Analyze), "x", 3).last().unwrap(),
            "/amplihack:analyze x"
        );
    }

    #[test]
    fn prompt_text_is_never_substituted_again_nor_split() {
        let t = Templates::default();
        let p = "use {max_turns} and {prompt} literally; $(id) `id` 'q' \"d\"\nline2";
        let words = render(&t.auto, p, 7);
        assert_eq!(words.len(), t.auto.len());
        assert_eq!(words.last().unwrap(), p);
        assert_eq!(words[4], "7");
    }

    #[test]
    fn overrides_are_checked() {
        let c = TemplatesConfig {
            fix: Some(vec!["my-agent".into(), "--task={prompt}".into()]),
            ..TemplatesConfig::default()
        };
        let t = Templates::from_config(&c).unwrap();
        assert_eq!(render(&t.fix, "a b", 1), ["my-agent", "--task=a b"]);
        for bad in [
            vec![],
            vec!["amplihack".to_string()],
            vec!["{prompt}".to_string()],
            vec!["".to_string(), "{prompt}".to_string()],
        ] {
            let c = TemplatesConfig {
                auto: Some(bad.clone()),
                ..TemplatesConfig::default()
            };
            assert!(Templates::from_config(&c).is_err(), "{bad:?}");
        }
    }
}
