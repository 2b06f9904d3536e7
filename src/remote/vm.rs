//! The VM's life: find a reusable one, use a named one, or provision one (with retries that
//! never create a second VM); tag it; delete it. Every call goes through [`Azlin`].

use std::time::Duration;

use super::azlin::{Azlin, AzlinError, Output, Request};
use super::clock::{unix_now, UtcTime};
use super::error::{ErrorContext, RemoteError, Stage};
use super::interrupt::Cancel;
use super::options::{check_vm_name, VMOptions, REUSE_TAG_KEY, REUSE_TAG_VALUE};
use super::parse::{is_running, parse_list, parse_show, VmDetails};
use super::progress::Progress;
use super::script::{probe_script, transport_words};

/// Time limits per call.
pub const VERSION_TIMEOUT: Duration = Duration::from_secs(10);
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(180);
pub const NEW_TIMEOUT: Duration = Duration::from_secs(30 * 60);
pub const KILL_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// A reusable VM is younger than this.
pub const MAX_REUSE_AGE_SECS: i64 = 24 * 3600;

/// How the run came by its VM; decides what cleanup may do with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VmOrigin {
    /// Provisioned by this run.
    Created,
    /// A tagged VM left by an earlier run (`--keep-vm`) and found by the reuse search.
    Reused,
    /// Named by the user with `--vm-name`: never deleted by `run`.
    Named,
}

/// The VM a run uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vm {
    pub name: String,
    pub origin: VmOrigin,
}

pub fn version_args() -> Vec<String> {
    vec!["--version".into()]
}

pub fn list_args() -> Vec<String> {
    ["-o", "json", "list", "--tag"]
        .iter()
        .map(|s| s.to_string())
        .chain([format!("{REUSE_TAG_KEY}={REUSE_TAG_VALUE}")])
        .collect()
}

pub fn show_args(name: &str) -> Vec<String> {
    vec!["show".into(), name.into(), "-o".into(), "json".into()]
}

/// `new --vm-size SKU --name NAME [--region R] --no-auto-connect [--yes]`: a SKU always goes
/// to `--vm-size` (`--size` takes only azlin's tiers).
pub fn new_args(name: &str, opts: &VMOptions) -> Vec<String> {
    let mut a = vec![
        "new".to_string(),
        "--vm-size".into(),
        opts.size.clone(),
        "--name".into(),
        name.into(),
    ];
    if let Some(r) = &opts.region {
        a.push("--region".into());
        a.push(r.clone());
    }
    a.push("--no-auto-connect".into());
    if opts.yes {
        a.push("--yes".into());
    }
    a
}

pub fn tag_args(name: &str) -> Vec<String> {
    vec![
        "tag".into(),
        "add".into(),
        name.into(),
        format!("{REUSE_TAG_KEY}={REUSE_TAG_VALUE}"),
    ]
}

pub fn kill_args(name: &str) -> Vec<String> {
    vec!["kill".into(), name.into(), "--force".into()]
}

/// `connect NAME --no-tmux --no-reconnect --no-status -- WORDS...`: the command after `--`,
/// and no reconnect (which would re-run a failed command).
pub fn connect_args(name: &str, words: Vec<String>) -> Vec<String> {
    let mut a: Vec<String> = [
        "connect",
        name,
        "--no-tmux",
        "--no-reconnect",
        "--no-status",
        "--",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    a.extend(words);
    a
}

/// Turns a wrapper error into the step's error (Ctrl-C into an interruption).
pub(crate) fn step_error(stage: Stage, e: AzlinError, ctx: &ErrorContext) -> RemoteError {
    match e {
        AzlinError::Interrupted { command } => RemoteError::Interrupted {
            note: format!("while running `{command}`"),
            context: ctx.clone(),
        },
        other => stage.error(other.to_string(), ctx),
    }
}

/// `azlin --version`, 10 s.
pub async fn check_installed(azlin: &Azlin, cancel: &Cancel) -> Result<String, RemoteError> {
    let out = azlin
        .call(Request::new(version_args(), VERSION_TIMEOUT, cancel))
        .await
        .map_err(|e| match e {
            AzlinError::Interrupted { .. } => RemoteError::Interrupted {
                note: String::new(),
                context: ErrorContext::default(),
            },
            AzlinError::Timeout { .. } => RemoteError::validation(format!(
                "{e}: azlin is installed but does not answer; check it with `azlin --version`, then `azlin auth setup`"
            )),
            other => RemoteError::validation(other.to_string()),
        })?;
    if !out.success() {
        return Err(RemoteError::validation(format!(
            "{}\nAzlin is not usable. Please install or repair it, then run `azlin auth setup`.",
            out.describe()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// `show NAME -o json`: `Ok(None)` when azlin says the VM does not exist; `Err` when it
/// cannot tell (the caller must not take that for "absent" unless azlin itself would refuse
/// a duplicate).
pub async fn show(
    azlin: &Azlin,
    cancel: &Cancel,
    name: &str,
) -> Result<Result<Option<VmDetails>, String>, AzlinError> {
    let out = azlin
        .call(Request::new(show_args(name), QUERY_TIMEOUT, cancel))
        .await?;
    if out.says_not_found() {
        return Ok(Ok(None));
    }
    if !out.success() {
        return Ok(Err(out.describe()));
    }
    Ok(parse_show(&out.stdout).map(Some))
}

/// Why a VM is not reusable, or its creation time (Unix seconds) when it is (apart from the
/// busy probe).
pub fn reusable(d: &VmDetails, size: &str, now: i64) -> Result<i64, String> {
    if d.tags.get(REUSE_TAG_KEY).map(String::as_str) != Some(REUSE_TAG_VALUE) {
        return Err(format!("no tag {REUSE_TAG_KEY}={REUSE_TAG_VALUE}"));
    }
    let created = d
        .created_time
        .as_deref()
        .and_then(UtcTime::parse_azlin)
        .ok_or("no readable creation time")?
        .to_unix();
    let age = now - created;
    if !(-300..MAX_REUSE_AGE_SECS).contains(&age) {
        return Err(format!("{} h old", age / 3600));
    }
    if !d
        .vm_size
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case(size))
    {
        return Err(format!(
            "size {} is not {size}",
            d.vm_size.as_deref().unwrap_or("unknown")
        ));
    }
    if !is_running(d.power_state.as_deref()) {
        return Err(format!(
            "not running ({})",
            d.power_state.as_deref().unwrap_or("unknown state")
        ));
    }
    if let Some(p) = &d.provisioning_state {
        if !p.eq_ignore_ascii_case("succeeded") {
            return Err(format!("provisioning state {p}"));
        }
    }
    Ok(created)
}

/// The busy probe: `Some(run id)` when a live run holds the VM's lock.
pub async fn busy(
    azlin: &Azlin,
    cancel: &Cancel,
    name: &str,
) -> Result<Result<Option<String>, String>, AzlinError> {
    let words = transport_words(&probe_script(), "amplihack-remote-probe");
    let out = azlin
        .call(Request::new(
            connect_args(name, words),
            QUERY_TIMEOUT,
            cancel,
        ))
        .await?;
    if !out.success() {
        return Ok(Err(out.describe()));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap_or("").trim();
    Ok(if last == "free" {
        Ok(None)
    } else if let Some(run) = last.strip_prefix("busy") {
        Ok(Some(run.trim().to_string()))
    } else {
        Err(format!("the busy probe printed {last:?}"))
    })
}

/// A call that timed out, as a failed answer (for lookups whose failure is not fatal).
fn timeout_as_failure<T>(e: AzlinError) -> Result<Result<T, String>, AzlinError> {
    match e {
        AzlinError::Timeout { .. } => Ok(Err(e.to_string())),
        other => Err(other),
    }
}

/// The reuse search: tagged, under 24 h old, the requested size, running, not busy; the
/// youngest such VM wins. A list that fails or cannot be parsed is an error.
pub async fn find_reusable(
    azlin: &Azlin,
    cancel: &Cancel,
    progress: &Progress,
    size: &str,
    ctx: &ErrorContext,
) -> Result<Option<String>, RemoteError> {
    let fail = |e| step_error(Stage::Provisioning, e, ctx);
    let out = progress
        .spin(
            "looking for a reusable VM",
            azlin.call(Request::new(list_args(), QUERY_TIMEOUT, cancel)),
        )
        .await
        .map_err(fail)?;
    if !out.success() {
        return Err(Stage::Provisioning.error(
            format!("listing VMs failed, so reuse cannot be checked: {}\nFix azlin (`azlin auth setup`), or pass --no-reuse to provision without looking.", out.describe()),
            ctx,
        ));
    }
    let listed = parse_list(&out.stdout).map_err(|e| {
        Stage::Provisioning.error(
            format!("{e}: reuse cannot be checked (a list that cannot be read is not an empty list); pass --no-reuse to provision without looking"),
            ctx,
        )
    })?;
    let now = unix_now();
    let mut candidates = Vec::new();
    for vm in listed {
        if check_vm_name(&vm.name).is_err() {
            continue;
        }
        if vm
            .vm_size
            .as_deref()
            .is_some_and(|s| !s.eq_ignore_ascii_case(size))
            || (vm.power_state.is_some() && !is_running(vm.power_state.as_deref()))
        {
            continue;
        }
        // A VM that cannot be looked at in time is passed over, as one whose `show` fails.
        match show(azlin, cancel, &vm.name)
            .await
            .or_else(timeout_as_failure)
            .map_err(fail)?
        {
            Ok(Some(d)) if d.name == vm.name => match reusable(&d, size, now) {
                Ok(created) => candidates.push((created, vm.name)),
                Err(why) => progress.note(&format!("{}: not reusable ({why})", vm.name)),
            },
            Ok(_) => {}
            Err(e) => progress.warn(&format!("{}: not considered for reuse: {e}", vm.name)),
        }
    }
    candidates.sort_by(|a, b| b.cmp(a));
    for (_, name) in candidates {
        match busy(azlin, cancel, &name)
            .await
            .or_else(timeout_as_failure)
            .map_err(fail)?
        {
            Ok(None) => return Ok(Some(name)),
            Ok(Some(run)) => progress.note(&format!("{name}: busy with run {run}")),
            Err(e) => progress.warn(&format!("{name}: not reused, the busy probe failed: {e}")),
        }
    }
    Ok(None)
}

/// `--vm-name NAME`: exactly that VM, which must exist, be running and not be busy.
pub async fn use_named(
    azlin: &Azlin,
    cancel: &Cancel,
    name: &str,
    ctx: &ErrorContext,
) -> Result<Vm, RemoteError> {
    let fail = |e| step_error(Stage::Provisioning, e, ctx);
    let shown = show(azlin, cancel, name).await.map_err(fail)?;
    let d = match shown {
        Ok(Some(d)) if d.name == name => d,
        Ok(Some(d)) => {
            return Err(Stage::Provisioning.error(
                format!("`azlin show {name}` described VM {:?}, not {name:?}", d.name),
                ctx,
            ))
        }
        Ok(None) => {
            return Err(Stage::Provisioning.error(
                format!("VM '{name}' not found (given by --vm-name). List your VMs with `azlin list --all`, or drop --vm-name to provision one."),
                ctx,
            ))
        }
        Err(e) => return Err(Stage::Provisioning.error(e, ctx)),
    };
    if !is_running(d.power_state.as_deref()) {
        return Err(Stage::Provisioning.error(
            format!(
                "VM '{name}' is not running ({}): start it (`azlin start {name}`) or choose another VM",
                d.power_state.as_deref().unwrap_or("unknown state")
            ),
            ctx,
        ));
    }
    match busy(azlin, cancel, name).await.map_err(fail)? {
        Ok(None) => {}
        Ok(Some(run)) => {
            return Err(Stage::Provisioning.error(
                format!(
                "VM '{name}' is busy with run {run}: wait for it to finish, or choose another VM"
            ),
                ctx,
            ))
        }
        Err(e) => {
            return Err(
                Stage::Provisioning.error(format!("VM '{name}' cannot be reached: {e}"), ctx)
            )
        }
    }
    Ok(Vm {
        name: name.to_string(),
        origin: VmOrigin::Named,
    })
}

/// Whether azlin's error says a quota or limit stopped it (not worth retrying).
pub fn is_quota(out: &Output) -> bool {
    let e = out.stderr.to_ascii_lowercase();
    e.contains("quota") || e.contains("limit")
}

/// Provisions `name` with retries. Before each retry the name is looked up: a failed `new`
/// may still have made the VM, and then that VM is used (never a second one). A quota or
/// limit error fails at once.
pub async fn provision(
    azlin: &Azlin,
    cancel: &Cancel,
    progress: &Progress,
    opts: &VMOptions,
    name: &str,
    limits: &super::options::Limits,
    ctx: &ErrorContext,
) -> Result<Vm, RemoteError> {
    let fail = |e| step_error(Stage::Provisioning, e, ctx);
    let created = || Vm {
        name: name.to_string(),
        origin: VmOrigin::Created,
    };
    let mut last = String::new();
    for attempt in 1..=limits.provision_attempts {
        if attempt > 1 {
            let delay = limits.retry_delay * 2u32.saturating_pow(attempt - 2);
            if !delay.is_zero() {
                progress.note(&format!(
                    "retrying in {}",
                    super::clock::human_duration(delay)
                ));
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = cancel.cancelled() => return Err(RemoteError::Interrupted { note: "while waiting to retry provisioning".into(), context: ctx.clone() }),
                }
            }
            if exists(azlin, cancel, progress, name).await.map_err(fail)? {
                progress.note(&format!(
                    "VM {name} exists after the failed attempt: using it (no second VM is created)"
                ));
                tag(azlin, cancel, progress, name).await.map_err(fail)?;
                return Ok(created());
            }
        }
        progress.note(&format!(
            "attempt {attempt}/{}: {}",
            limits.provision_attempts,
            Azlin::display(&new_args(name, opts))
        ));
        let result = progress
            .spin(
                &format!("provisioning {name}"),
                azlin.call(Request::new(new_args(name, opts), NEW_TIMEOUT, cancel)),
            )
            .await;
        let out = match result {
            Ok(out) => out,
            Err(e @ AzlinError::Interrupted { .. }) => return Err(fail(e)),
            Err(e @ AzlinError::Timeout { .. }) => {
                last = e.to_string();
                progress.warn(&last);
                continue;
            }
            Err(e) => return Err(fail(e)),
        };
        if out.success() {
            tag(azlin, cancel, progress, name).await.map_err(fail)?;
            return Ok(created());
        }
        last = out.describe();
        if is_quota(&out) {
            let mut ctx = ctx.clone();
            if exists(azlin, cancel, progress, name).await.map_err(fail)? {
                ctx.vm = Some(name.to_string());
            }
            return Err(Stage::Provisioning.error(
                format!("{last}\nAzure refused for quota or limit reasons, so this was not retried.\nAction required:\n  1. Request a quota increase for {} in the Azure portal\n  2. Or choose another size (--vm-size) or region (--region)\n  3. Retry", opts.size),
                &ctx,
            ));
        }
        progress.warn(&format!(
            "attempt {attempt}/{} failed: {last}",
            limits.provision_attempts
        ));
    }
    // The last attempt may have left a VM too: use it rather than forget it.
    if exists(azlin, cancel, progress, name).await.map_err(fail)? {
        progress.note(&format!(
            "VM {name} exists after the failed attempts: using it"
        ));
        tag(azlin, cancel, progress, name).await.map_err(fail)?;
        return Ok(created());
    }
    Err(Stage::Provisioning.error(
        format!(
            "`azlin new` failed {} time(s); last: {last}\nCheck your Azure subscription (`azlin auth setup`), quota and region, then retry.",
            limits.provision_attempts
        ),
        ctx,
    ))
}

/// Whether the VM exists. A lookup that fails is reported and counts as "no": a retried
/// `new` with the same name cannot create a duplicate (azlin refuses an existing name).
async fn exists(
    azlin: &Azlin,
    cancel: &Cancel,
    progress: &Progress,
    name: &str,
) -> Result<bool, AzlinError> {
    match show(azlin, cancel, name).await? {
        Ok(Some(_)) => Ok(true),
        Ok(None) => Ok(false),
        Err(e) => {
            progress.warn(&format!("cannot tell whether VM {name} exists: {e}"));
            Ok(false)
        }
    }
}

/// Tags the VM for reuse; a failure is a warning (the run can go on; the VM will not be
/// found by a later reuse search).
async fn tag(
    azlin: &Azlin,
    cancel: &Cancel,
    progress: &Progress,
    name: &str,
) -> Result<(), AzlinError> {
    let out = match azlin
        .call(Request::new(tag_args(name), QUERY_TIMEOUT, cancel))
        .await
    {
        Ok(out) => out,
        // A hung `tag` is no worse than a failed one: the VM exists and can be used.
        Err(e @ AzlinError::Timeout { .. }) => {
            progress.warn(&format!("{e}; the VM will not be found for reuse"));
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    if !out.success() {
        progress.warn(&format!(
            "{}; the VM will not be found for reuse",
            out.describe()
        ));
    }
    Ok(())
}

/// `azlin kill NAME --force`, never cancelled.
pub async fn delete(azlin: &Azlin, name: &str) -> Result<(), String> {
    let never = Cancel::never();
    let out = azlin
        .call(Request::new(kill_args(name), KILL_TIMEOUT, &never))
        .await
        .map_err(|e| e.to_string())?;
    if out.success() {
        Ok(())
    } else {
        Err(out.describe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn details(tag: bool, created: &str, size: &str, power: &str) -> VmDetails {
        let mut tags = BTreeMap::new();
        tags.insert("azlin-session".to_string(), "x".to_string());
        if tag {
            tags.insert(REUSE_TAG_KEY.to_string(), REUSE_TAG_VALUE.to_string());
        }
        VmDetails {
            name: "vm".into(),
            tags,
            created_time: Some(created.into()),
            power_state: Some(power.into()),
            provisioning_state: Some("Succeeded".into()),
            vm_size: Some(size.into()),
            location: None,
        }
    }

    #[test]
    fn reuse_rules() {
        let now = UtcTime::parse_azlin("2026-11-22 12:00:00 UTC")
            .unwrap()
            .to_unix();
        let size = "Standard_D2s_v3";
        let ok = details(true, "2026-11-22 10:00:00 UTC", size, "Running");
        assert!(reusable(&ok, size, now).is_ok());
        assert!(reusable(
            &details(true, "2026-11-22 10:00:00 UTC", size, "VM running"),
            size,
            now
        )
        .is_ok());
        assert!(reusable(
            &details(false, "2026-11-22 10:00:00 UTC", size, "Running"),
            size,
            now
        )
        .is_err());
        assert!(reusable(
            &details(true, "2026-11-21 11:59:59 UTC", size, "Running"),
            size,
            now
        )
        .is_err());
        assert!(reusable(
            &details(true, "2026-11-22T10:00:00Z", size, "Running"),
            size,
            now
        )
        .is_err());
        assert!(reusable(
            &details(
                true,
                "2026-11-22 10:00:00 UTC",
                "Standard_D4s_v3",
                "Running"
            ),
            size,
            now
        )
        .is_err());
        assert!(reusable(
            &details(true, "2026-11-22 10:00:00 UTC", size, "Stopped"),
            size,
            now
        )
        .is_err());
        assert!(reusable(
            &details(true, "2026-11-22 10:00:00 UTC", size, "Deallocated"),
            size,
            now
        )
        .is_err());
        let mut tag_false = ok.clone();
        tag_false
            .tags
            .insert(REUSE_TAG_KEY.to_string(), "false".to_string());
        assert!(reusable(&tag_false, size, now).is_err());
        let mut failed = ok;
        failed.provisioning_state = Some("Failed".into());
        assert!(reusable(&failed, size, now).is_err());
    }

    #[test]
    fn call_shapes_follow_the_contract() {
        let opts = VMOptions {
            region: Some("eastus".into()),
            ..VMOptions::default()
        };
        assert_eq!(
            new_args("vm-1", &opts),
            [
                "new",
                "--vm-size",
                "Standard_D2s_v3",
                "--name",
                "vm-1",
                "--region",
                "eastus",
                "--no-auto-connect"
            ]
        );
        assert!(!new_args("vm-1", &opts).contains(&"--size".to_string()));
        assert!(!new_args("vm-1", &opts).contains(&"--yes".to_string()));
        let yes = VMOptions {
            yes: true,
            size: "Standard_E16as_v5".into(),
            ..VMOptions::default()
        };
        assert_eq!(
            new_args("vm-1", &yes),
            [
                "new",
                "--vm-size",
                "Standard_E16as_v5",
                "--name",
                "vm-1",
                "--no-auto-connect",
                "--yes"
            ]
        );
        assert_eq!(kill_args("v"), ["kill", "v", "--force"]);
        assert_eq!(
            list_args(),
            ["-o", "json", "list", "--tag", "amplihack_workflow=true"]
        );
        let c = connect_args("v", vec!["true".into()]);
        assert_eq!(
            c[..6],
            [
                "connect",
                "v",
                "--no-tmux",
                "--no-reconnect",
                "--no-status",
                "--"
            ]
        );
    }
}
