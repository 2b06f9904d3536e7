//! What a run is asked to do: the VM ([`VMOptions`]) and the run itself ([`RunOptions`]),
//! with the checks that happen before anything is provisioned.

use std::time::Duration;

use crate::config::RunConfig;

use super::clock::UtcTime;
use super::template::Templates;

/// The default VM size (the seed's).
pub const DEFAULT_VM_SIZE: &str = "Standard_D2s_v3";
/// `--max-turns` range and default.
pub const MAX_TURNS: std::ops::RangeInclusive<u32> = 1..=50;
pub const DEFAULT_MAX_TURNS: u32 = 10;
/// `--timeout` range and default, in minutes.
pub const TIMEOUT_MINUTES: std::ops::RangeInclusive<u64> = 5..=480;
pub const DEFAULT_TIMEOUT_MINUTES: u64 = 120;
/// The longest prompt accepted: it travels inside the remote script, which travels as one
/// command-line word (Linux caps a single argument at 128 KiB).
pub const MAX_PROMPT_BYTES: usize = 32 * 1024;
/// The tag that marks VMs this tool may reuse.
pub const REUSE_TAG_KEY: &str = "amplihack_workflow";
pub const REUSE_TAG_VALUE: &str = "true";

/// The seed's size shortcuts (the user's table, not azlin's tiers).
pub const SIZE_SHORTCUTS: [(&str, &str); 4] = [
    ("s", "Standard_D2s_v3"),
    ("m", "Standard_D4s_v3"),
    ("l", "Standard_E16as_v5"),
    ("xl", "Standard_E32as_v5"),
];

/// The amplihack mode: which template runs on the VM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Auto,
    Ultrathink,
    Analyze,
    Fix,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Auto => "auto",
            Mode::Ultrathink => "ultrathink",
            Mode::Analyze => "analyze",
            Mode::Fix => "fix",
        }
    }
}

/// Which VM to run on, and what happens to it.
#[derive(Debug, Clone)]
pub struct VMOptions {
    /// Full Azure size (`Standard_D2s_v3`); see [`resolve_vm_size`].
    pub size: String,
    /// Use exactly this VM (never created, never deleted by the run).
    pub name: Option<String>,
    /// Keep the VM after a successful run.
    pub keep_vm: bool,
    /// Never reuse a tagged VM: always provision.
    pub no_reuse: bool,
    pub region: Option<String>,
    /// Pass azlin's `--yes` to `new` (it forwards local credentials to the VM).
    pub yes: bool,
}

impl Default for VMOptions {
    fn default() -> Self {
        VMOptions {
            size: DEFAULT_VM_SIZE.into(),
            name: None,
            keep_vm: false,
            no_reuse: false,
            region: None,
            yes: false,
        }
    }
}

/// How the run behaves.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub max_turns: u32,
    /// The wall-clock limit of the remote command.
    pub timeout: Duration,
    /// Validate, scan, print the plan; provision nothing.
    pub dry_run: bool,
    /// `[run]` settings; `None`: the `[run]` table of the repository's
    /// `.amplihack-remote.toml` (unset values take the defaults of [`Limits`]).
    pub config: Option<RunConfig>,
    /// Worker threads of the packaging scan (0: one per core).
    pub threads: usize,
    /// Ignore the record of clean history (`git::scan_cache`): scan every blob.
    pub full_scan: bool,
    /// Caps the time limit of every azlin call (a testing aid; `None`: the real limits).
    pub call_timeout: Option<Duration>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            max_turns: DEFAULT_MAX_TURNS,
            timeout: Duration::from_secs(DEFAULT_TIMEOUT_MINUTES * 60),
            dry_run: false,
            config: None,
            threads: 0,
            full_scan: false,
            call_timeout: None,
        }
    }
}

/// `[run]` with every default applied.
#[derive(Debug, Clone)]
pub struct Limits {
    pub provision_attempts: u32,
    pub retry_delay: Duration,
    pub transfer_attempts: u32,
    pub max_result_bytes: u64,
    pub max_log_bytes: u64,
}

impl Limits {
    pub fn from_config(c: &RunConfig) -> Result<Limits, String> {
        let l = Limits {
            provision_attempts: c.provision_attempts.unwrap_or(3),
            retry_delay: Duration::from_secs(c.retry_delay_seconds.unwrap_or(30)),
            transfer_attempts: c.transfer_attempts.unwrap_or(2),
            max_result_bytes: c.max_result_bytes.unwrap_or(2 << 30),
            max_log_bytes: c.max_log_bytes.unwrap_or(512 << 20),
        };
        if !(1..=10).contains(&l.provision_attempts) {
            return Err("[run] provision_attempts must be between 1 and 10".into());
        }
        if !(1..=10).contains(&l.transfer_attempts) {
            return Err("[run] transfer_attempts must be between 1 and 10".into());
        }
        if l.retry_delay > Duration::from_secs(3600) {
            return Err("[run] retry_delay_seconds must be at most 3600".into());
        }
        if l.max_result_bytes == 0 || l.max_log_bytes == 0 {
            return Err("[run] max_result_bytes and max_log_bytes must be positive".into());
        }
        Ok(l)
    }
}

/// `s`/`m`/`l`/`xl` to the seed's SKUs; a full size (`Standard_...`, `Basic_...`) as is.
pub fn resolve_vm_size(input: &str) -> Result<String, String> {
    let t = input.trim();
    if let Some((_, sku)) = SIZE_SHORTCUTS
        .iter()
        .find(|(s, _)| s.eq_ignore_ascii_case(t))
    {
        return Ok((*sku).to_string());
    }
    let full = (t.starts_with("Standard_") || t.starts_with("Basic_"))
        && t.len() <= 64
        && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !t.ends_with('_');
    if full {
        Ok(t.to_string())
    } else {
        Err(format!(
            "{input:?} is not a VM size: use s, m, l or xl ({}) or a full Azure size such as Standard_D4s_v3",
            SIZE_SHORTCUTS
                .iter()
                .map(|(s, k)| format!("{s}={k}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }
}

/// azlin's VM name rules: 1 to 64 characters, letters, digits, `-` and `.`, not starting or
/// ending with `-` or `.`.
pub fn check_vm_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && !name.starts_with(['-', '.'])
        && !name.ends_with(['-', '.']);
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{:?} is not a valid VM name: at most 64 letters, digits, '-' and '.', not starting or ending with '-' or '.'",
            name
        ))
    }
}

/// A region name: letters, digits and `-` (`eastus`, `westeurope`).
pub fn check_region(region: &str) -> Result<(), String> {
    let ok = !region.is_empty()
        && region.len() <= 64
        && region
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !region.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{region:?} is not an Azure region name (e.g. eastus)"
        ))
    }
}

/// `amplihack-{user}-{YYYYMMDD-HHMMSS}`, sanitised to azlin's rules: the user name is
/// lowercased, every character other than `a-z`, `0-9`, `.` and `-` becomes `-`, it is cut
/// so the name fits 64 characters, and `-`/`.` are trimmed from its ends (`user` if nothing
/// is left).
pub fn vm_name_for(user: &str, at: UtcTime) -> String {
    let mut u: String = user
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let stamp = at.compact();
    let room = 64 - "amplihack-".len() - 1 - stamp.len();
    u.truncate(room);
    let u = u.trim_matches(['-', '.']);
    let u = if u.is_empty() { "user" } else { u };
    format!("amplihack-{u}-{stamp}")
}

/// The local user, from `USER` or `USERNAME`.
pub fn local_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_default()
}

/// The prompt must say something, fit the script, and hold no NUL.
pub fn check_prompt(prompt: &str) -> Result<(), String> {
    if prompt.trim().is_empty() {
        return Err("the prompt is empty: say what the agent should do".into());
    }
    if prompt.contains('\0') {
        return Err("the prompt contains a NUL character".into());
    }
    if prompt.len() > MAX_PROMPT_BYTES {
        return Err(format!(
            "the prompt is {} bytes; at most {MAX_PROMPT_BYTES} are accepted (put long instructions in a file of the repository and point the prompt at it)",
            prompt.len()
        ));
    }
    Ok(())
}

/// Everything checked, resolved and ready.
#[derive(Debug, Clone)]
pub struct Checked {
    pub mode: Mode,
    pub prompt: String,
    pub vm: VMOptions,
    pub run: RunOptions,
    pub limits: Limits,
    pub templates: Templates,
}

/// Checks the options that do not need the network or the repository (`config`: the
/// `[run]` table in force).
pub fn check(
    mode: Mode,
    prompt: &str,
    vm: &VMOptions,
    run: &RunOptions,
    config: &RunConfig,
) -> Result<Checked, String> {
    check_prompt(prompt)?;
    if !MAX_TURNS.contains(&run.max_turns) {
        return Err(format!(
            "--max-turns {} is out of range (allowed: {}-{})",
            run.max_turns,
            MAX_TURNS.start(),
            MAX_TURNS.end()
        ));
    }
    if run.timeout < Duration::from_secs(1) || run.timeout > Duration::from_secs(480 * 60) {
        return Err("the timeout must be between 1 second and 480 minutes".into());
    }
    let mut vm = vm.clone();
    vm.size = resolve_vm_size(&vm.size)?;
    if let Some(n) = &vm.name {
        check_vm_name(n)?;
    }
    if let Some(r) = &vm.region {
        check_region(r)?;
    }
    let limits = Limits::from_config(config)?;
    let templates = Templates::from_config(&config.templates)?;
    Ok(Checked {
        mode,
        prompt: prompt.to_string(),
        vm,
        run: run.clone(),
        limits,
        templates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcuts_map_to_the_seeds_table() {
        assert_eq!(resolve_vm_size("s").unwrap(), "Standard_D2s_v3");
        assert_eq!(resolve_vm_size("m").unwrap(), "Standard_D4s_v3");
        assert_eq!(resolve_vm_size("L").unwrap(), "Standard_E16as_v5");
        assert_eq!(resolve_vm_size("xl").unwrap(), "Standard_E32as_v5");
        assert_eq!(
            resolve_vm_size("Standard_D8s_v5").unwrap(),
            "Standard_D8s_v5"
        );
        for bad in [
            "",
            "xxl",
            "huge",
            "Standard_",
            "Standard_D2 --yes",
            "-s",
            "D2s_v3",
        ] {
            assert!(resolve_vm_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_follow_azlins_rules() {
        for good in ["a", "amplihack-me-20261122-100000", "vm.1", &"a".repeat(64)] {
            assert!(check_vm_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "-x",
            "x-",
            ".x",
            "x.",
            "a b",
            "a:b",
            "a/b",
            "ä",
            "--yes",
            &"a".repeat(65),
        ] {
            assert!(check_vm_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn generated_names_are_always_valid() {
        let at = UtcTime::from_unix(1_795_000_000);
        assert_eq!(vm_name_for("Ryan", at), "amplihack-ryan-20261118-110640");
        assert_eq!(
            vm_name_for("DOMAIN\\first last", at),
            "amplihack-domain-first-last-20261118-110640"
        );
        assert_eq!(vm_name_for("", at), "amplihack-user-20261118-110640");
        assert_eq!(vm_name_for("...", at), "amplihack-user-20261118-110640");
        assert_eq!(vm_name_for("é", at), "amplihack-user-20261118-110640");
        let long = vm_name_for(&"x".repeat(200), at);
        assert_eq!(long.len(), 64);
        for user in [
            "a-",
            "-a",
            "a.",
            "x".repeat(37).as_str(),
            "ab.-.-",
            "日本語",
            "a b",
        ] {
            let n = vm_name_for(user, at);
            assert!(check_vm_name(&n).is_ok(), "{user:?} -> {n}");
            assert!(!n.contains("--"), "{n}");
        }
        // A name cut at the limit never ends in '-' or '.'.
        let n = vm_name_for(&format!("{}-.rest", "y".repeat(37)), at);
        assert!(check_vm_name(&n).is_ok(), "{n}");
    }

    #[test]
    fn options_are_range_checked() {
        let vm = VMOptions::default();
        let mut run = RunOptions::default();
        let c = RunConfig::default();
        let check = |m, p: &str, v: &VMOptions, r: &RunOptions| check(m, p, v, r, &c);
        assert!(check(Mode::Auto, "do it", &vm, &run).is_ok());
        assert!(check(Mode::Auto, "  \n", &vm, &run).is_err());
        assert!(check(Mode::Auto, "a\0b", &vm, &run).is_err());
        assert!(check(Mode::Auto, &"x".repeat(MAX_PROMPT_BYTES + 1), &vm, &run).is_err());
        run.max_turns = 51;
        let e = check(Mode::Auto, "x", &vm, &run).unwrap_err();
        assert!(e.contains("1-50"), "{e}");
        run.max_turns = 0;
        assert!(check(Mode::Auto, "x", &vm, &run).is_err());
        run.max_turns = 50;
        assert!(check(Mode::Auto, "x", &vm, &run).is_ok());
        let bad_region = VMOptions {
            region: Some("east us".into()),
            ..VMOptions::default()
        };
        assert!(check(Mode::Auto, "x", &bad_region, &run).is_err());
        let bad = RunConfig {
            provision_attempts: Some(0),
            ..RunConfig::default()
        };
        assert!(super::check(Mode::Auto, "x", &vm, &run, &bad).is_err());
    }
}
