//! The seven steps, in order, with the bookkeeping that makes Ctrl-C and failures safe: a
//! VM this run asked azlin to create is remembered before the call, so it is deleted (or
//! reported) whatever happens next.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::config::{LoadedConfig, RunConfig};
use crate::package::tempdir::PrivateDir;
use crate::package::{self, sign, PackageOptions};
use crate::scan::Scanner;

use super::azlin::{Azlin, AzlinError, KEY_ENV};
use super::clock::UtcTime;
use super::error::{ErrorContext, RemoteError, Stage};
use super::interrupt::{self, Cancel};
use super::options::{self, Checked, Mode, RunOptions, VMOptions};
use super::progress::Progress;
use super::redact::Redactor;
use super::retrieve::{self, LOGS_DIR, MAX_STATUS_BYTES, RESULTS_DIR};
use super::script::{
    display_command, run_script, ScriptParams, ARCHIVE_NAME, LOGS_ARCHIVE, RESULTS_BUNDLE,
    SIGNATURE_NAME, STATUS_FILE,
};
use super::transfer::{self, CopyError};
use super::vm::{self, step_error, Vm, VmOrigin};
use super::{execute, integrate, parse, template, timeout_message, Finished, Plan, RunOutcome};

/// What cleanup after a failure or Ctrl-C needs to know.
#[derive(Default)]
struct State {
    ctx: ErrorContext,
    /// A VM this run asked azlin to create: it may exist even if `new` failed.
    creating: Option<String>,
    vm: Option<Vm>,
    azlin: Option<Azlin>,
    /// The remote command finished and its results wait on the VM (step 5 done): a VM
    /// this run created is then kept on Ctrl-C, not deleted with them.
    results_on_vm: bool,
}

pub(super) async fn run(
    repo: &Path,
    mode: Mode,
    prompt: &str,
    vm_opts: &VMOptions,
    run_opts: &RunOptions,
) -> Result<RunOutcome, RemoteError> {
    let cancel = interrupt::listen();
    let mut st = State::default();
    match body(repo, mode, prompt, vm_opts, run_opts, &cancel, &mut st).await {
        Err(RemoteError::Interrupted { note, .. }) => {
            Err(on_interrupt(note, &st, vm_opts.keep_vm, &cancel).await)
        }
        Err(mut e) => {
            if let (Some(ctx), Some(vm)) = (e.context_mut(), &st.vm) {
                ctx.vm.get_or_insert_with(|| vm.name.clone());
            }
            if let (None, Some(name)) = (&st.vm, &st.creating) {
                // Provisioning failed after asking azlin to create `name`: if it exists
                // (or azlin cannot tell), it is reported with its cleanup command.
                if e.context().is_some_and(|c| c.vm.is_none()) {
                    let azlin = st.azlin.clone().unwrap_or_else(Azlin::from_env);
                    let absent =
                        matches!(vm::show(&azlin, &Cancel::never(), name).await, Ok(Ok(None)));
                    if let (false, Some(ctx)) = (absent, e.context_mut()) {
                        ctx.vm = Some(name.clone());
                    }
                }
            }
            Err(e)
        }
        ok => ok,
    }
}

/// After Ctrl-C: temporary files go; a VM created by this run is deleted unless
/// `--keep-vm` or it holds the finished command's results (or reported with its kill
/// command if that fails); a reused or named VM is left as it is and reported. A second
/// Ctrl-C during the deletion names the VM (see [`interrupt::listen`]).
async fn on_interrupt(mut note: String, st: &State, keep_vm: bool, cancel: &Cancel) -> RemoteError {
    crate::package::tempdir::remove_registered();
    let mut ctx = st.ctx.clone();
    let azlin = st.azlin.clone().unwrap_or_else(Azlin::from_env);
    let created = match &st.vm {
        Some(v) if v.origin == VmOrigin::Created => Some(v.name.clone()),
        Some(_) => None,
        None => st.creating.clone(),
    };
    if let Some(name) = created {
        ctx.vm = Some(name.clone());
        if keep_vm {
            note.push_str(&format!("; VM {name} kept (--keep-vm)"));
        } else if st.results_on_vm {
            let dir = st
                .ctx
                .run_id
                .as_deref()
                .map(transfer::remote_dir)
                .unwrap_or_default();
            note.push_str(&format!(
                "; VM {name} holds the results of the finished command (in {dir}), which were not all retrieved: it was kept, not deleted"
            ));
        } else {
            cancel.set_pending_vm(Some(&name));
            eprintln!("Deleting VM {name} (created by this run)...");
            let never = Cancel::never();
            match vm::show(&azlin, &never, &name).await {
                Ok(Ok(None)) => {
                    // Azure may still be creating it from a request azlin sent before it was
                    // stopped: say so, with the commands, rather than "nothing was created".
                    note.push_str(&format!(
                        "; VM {name} does not exist yet, but Azure may still be creating it from the request azlin had sent: check with `azlin list` in a few minutes and delete it with `azlin kill {name} --force`"
                    ));
                }
                _ => match vm::delete(&azlin, &name).await {
                    Ok(()) => ctx.vm_deleted = true,
                    Err(e) => note.push_str(&format!("; deleting VM {name} failed: {e}")),
                },
            }
            cancel.set_pending_vm(None);
        }
    } else if let Some(v) = &st.vm {
        ctx.vm = Some(v.name.clone());
    }
    RemoteError::Interrupted { note, context: ctx }
}

fn read_key() -> Result<String, RemoteError> {
    let missing = || {
        RemoteError::validation(format!(
            "{KEY_ENV} is not set (or is empty): export it in this shell and retry. It is sent to the VM only on the standard input of one ssh session, never in a command line or a file."
        ))
    };
    let key = std::env::var(KEY_ENV).map_err(|e| match e {
        std::env::VarError::NotPresent => missing(),
        std::env::VarError::NotUnicode(_) => {
            RemoteError::validation(format!("{KEY_ENV} is not valid UTF-8"))
        }
    })?;
    if key.trim().is_empty() {
        return Err(missing());
    }
    if key.contains(['\n', '\r', '\0']) {
        return Err(RemoteError::validation(format!(
            "{KEY_ENV} contains a line break or NUL: it must be one line"
        )));
    }
    Ok(key)
}

fn new_run_id() -> String {
    let mut r = [0u8; 3];
    if getrandom::fill(&mut r).is_err() {
        let n = std::process::id();
        r = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
    }
    format!("{}-{}", UtcTime::now().compact(), crate::digest::hex(&r))
}

fn copy_error(e: CopyError, stage: Stage, ctx: &ErrorContext) -> RemoteError {
    match e {
        CopyError::Azlin(e) => step_error(stage, e, ctx),
        CopyError::Failed(m) => stage.error(m, ctx),
    }
}

#[allow(clippy::too_many_arguments)]
async fn body(
    repo: &Path,
    mode: Mode,
    prompt: &str,
    vm_opts: &VMOptions,
    run_opts: &RunOptions,
    cancel: &Cancel,
    st: &mut State,
) -> Result<RunOutcome, RemoteError> {
    let mut progress = Progress::new();

    // [1/7]
    progress.step(1, "Validating environment");
    let key = read_key()?;
    let repo_info =
        package::preflight::preflight(repo).map_err(|source| RemoteError::Packaging { source })?;
    let root = repo_info.root.clone();
    let loaded =
        LoadedConfig::discover(None, &root).map_err(|e| RemoteError::validation(e.to_string()))?;
    let run_config: RunConfig = run_opts
        .config
        .clone()
        .unwrap_or_else(|| loaded.config.run.clone());
    let checked = options::check(mode, prompt, vm_opts, run_opts, &run_config)
        .map_err(RemoteError::validation)?;
    let scanner = Arc::new(
        Scanner::from_config(&loaded, None, true)
            .map_err(|e| RemoteError::validation(e.to_string()))?,
    );
    let azlin = Azlin::from_env()
        .with_redactor(Redactor::new(Arc::clone(&scanner), Some(&key)))
        .with_call_limit(run_opts.call_timeout);
    st.azlin = Some(azlin.clone());
    let version = vm::check_installed(&azlin, cancel).await?;
    progress.note(&format!(
        "{version}; repository {}; {KEY_ENV} present",
        root.display()
    ));
    if checked.vm.yes {
        progress.warn("--yes: azlin forwards local credentials (~/.claude.json, gh config, Azure token caches) to the VM");
    }
    progress.done("environment ok");

    // [2/7]
    progress.step(2, "Packaging context");
    let tmp = PrivateDir::new("amplihack-remote-run")
        .map_err(|e| RemoteError::validation(format!("cannot make a temporary directory: {e}")))?;
    let archive = tmp.path().join(ARCHIVE_NAME);
    let pack_options = PackageOptions {
        start: root.clone(),
        output: archive.clone(),
        max_size: package::DEFAULT_MAX_SIZE,
        dry_run: checked.run.dry_run,
        threads: checked.run.threads,
        config_dir: sign::config_dir().map_err(|e| RemoteError::validation(e.to_string()))?,
        history_cache: if checked.run.full_scan {
            None
        } else {
            crate::git::scan_cache::cache_dir()
        },
    };
    let sc = Arc::clone(&scanner);
    let job = tokio::task::spawn_blocking(move || package::package(&pack_options, &sc));
    let packaged = tokio::select! {
        r = job => r.map_err(|e| RemoteError::validation(format!("the packaging thread failed: {e}")))?,
        _ = cancel.cancelled() => return Err(RemoteError::Interrupted { note: "while packaging".into(), context: st.ctx.clone() }),
    }
    .map_err(|source| RemoteError::Packaging { source })?;
    let m = &packaged.manifest;
    for w in &m.warnings {
        progress.warn(&crate::output::printable(w));
    }
    let head = m.created_from.head.clone().ok_or_else(|| {
        RemoteError::validation("the repository has no commit yet: commit once, then retry")
    })?;
    let branch = m
        .created_from
        .head_ref
        .as_deref()
        .and_then(|r| r.strip_prefix("refs/heads/"))
        .map(str::to_string);
    let snapshot = m.created_from.snapshot.as_ref().map(|s| s.commit.clone());
    let command = template::render(
        checked.templates.for_mode(mode),
        &checked.prompt,
        checked.run.max_turns,
    );
    progress.note(&format!(
        "{} blobs and {} .claude files scanned, no secret found",
        m.scan.blobs_scanned, m.scan.files_scanned
    ));
    progress.done(if checked.run.dry_run {
        "scanned (dry run: nothing written)"
    } else {
        "packaged and signed"
    });
    let run_id = new_run_id();
    st.ctx.run_id = Some(run_id.clone());
    if checked.run.dry_run {
        return Ok(RunOutcome::DryRun(plan(
            &checked,
            &root,
            &run_id,
            &command,
            branch.as_deref(),
            &head,
            snapshot.is_some(),
        )));
    }
    let hash = |p: &Path| {
        package::archive::hash_file(p).map_err(|source| RemoteError::Packaging { source })
    };
    let (_, archive_sha) = hash(&archive)?;
    let (_, sig_sha) = hash(&sign::signature_path(&archive))?;

    // [3/7]
    progress.step(3, "Provisioning VM");
    let vm = provision_step(&azlin, cancel, &progress, &checked, st).await?;
    st.vm = Some(vm.clone());
    st.ctx.vm = Some(vm.name.clone());
    progress.done(&format!(
        "VM {} ({})",
        vm.name,
        match vm.origin {
            VmOrigin::Created => "created by this run",
            VmOrigin::Reused => "reused",
            VmOrigin::Named => "named with --vm-name",
        }
    ));

    // [4/7]
    progress.step(4, "Transferring context");
    let limits = &checked.limits;
    match transfer::make_remote_dir(&azlin, cancel, &vm.name, &run_id).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(Stage::Transfer.error(e, &st.ctx)),
        Err(e) => return Err(step_error(Stage::Transfer, e, &st.ctx)),
    }
    for file in [ARCHIVE_NAME, SIGNATURE_NAME] {
        transfer::copy_with_retries(
            &azlin,
            cancel,
            &progress,
            tmp.path(),
            transfer::upload_args(&vm.name, &run_id, file),
            limits.transfer_attempts,
            limits.retry_delay,
            &|| {},
        )
        .await
        .map_err(|e| copy_error(e, Stage::Transfer, &st.ctx))?;
    }
    progress.done("archive and signature on the VM");

    // [5/7]
    progress.step(5, "Executing remote command");
    progress.note(&format!(
        "on the VM: {}",
        display_command(&command[0], &command[1..])
    ));
    let script = run_script(&ScriptParams {
        run_id: &run_id,
        vm_name: &vm.name,
        archive_sha256: &archive_sha,
        signature_sha256: &sig_sha,
        branch: branch.as_deref(),
        head: &head,
        snapshot: snapshot.as_deref(),
        command: &command,
        timeout_secs: checked.run.timeout.as_secs(),
    });
    let out = match execute::run(&azlin, cancel, &vm.name, &script, &key, checked.run.timeout).await
    {
        Ok(out) => out,
        Err(AzlinError::Timeout { limit, .. }) => {
            return Err(RemoteError::Timeout {
                message: format!(
                "{}: the VM did not finish within {} (the limit plus a margin of {} minutes), so azlin was stopped",
                timeout_message(checked.run.timeout),
                super::clock::human_duration(limit),
                execute::GUARD_MARGIN.as_secs() / 60
            ),
                context: st.ctx.clone(),
            })
        }
        Err(e) => return Err(step_error(Stage::Execution, e, &st.ctx)),
    };
    if !execute::finished(&out, &run_id) {
        return Err(Stage::Execution.error(
            format!(
                "{}\n  ({})",
                execute::explain(out.code, &vm.name),
                out.describe()
            ),
            &st.ctx,
        ));
    }
    drop(tmp);
    st.results_on_vm = true;
    progress.done("remote script finished");

    // [6/7]
    progress.step(6, "Retrieving results");
    let results_dir = retrieve::make_run_dir(&root, RESULTS_DIR, &run_id).map_err(|e| {
        Stage::Integration.error(format!("cannot make the results folder: {e}"), &st.ctx)
    })?;
    st.ctx.results = Some(results_dir.clone());
    let download = |file: &'static str| {
        download_file(
            &azlin,
            cancel,
            &progress,
            &results_dir,
            &vm.name,
            &run_id,
            file,
            limits,
        )
    };
    download(STATUS_FILE)
        .await
        .map_err(|e| copy_error(e, Stage::Integration, &st.ctx))?;
    let status_path = results_dir.join(STATUS_FILE);
    let status = retrieve::check_download(&status_path, MAX_STATUS_BYTES)
        .and_then(|_| retrieve::read_small(&status_path, MAX_STATUS_BYTES))
        .and_then(|b| parse::parse_status(&b))
        .map_err(|e| Stage::Integration.error(e, &st.ctx))?;
    if status.timed_out {
        progress.warn(&timeout_message(checked.run.timeout));
    } else if status.exit != 0 {
        progress.warn(&format!(
            "the remote command exited with status {}",
            status.exit
        ));
    }
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let mut bundle = None;
    if status.bundle {
        match download(RESULTS_BUNDLE).await {
            Ok(()) => match retrieve::check_download(
                &results_dir.join(RESULTS_BUNDLE),
                limits.max_result_bytes,
            ) {
                Ok(_) => bundle = Some(results_dir.join(RESULTS_BUNDLE)),
                Err(e) => problems.push(e),
            },
            Err(CopyError::Failed(e)) => problems.push(format!("the result bundle: {e}")),
            Err(CopyError::Azlin(e)) => return Err(step_error(Stage::Integration, e, &st.ctx)),
        }
    } else {
        warnings.push("the VM packaged no result bundle (no branch)".to_string());
    }
    let mut logs_dir = None;
    if status.logs {
        match download(LOGS_ARCHIVE).await {
            Ok(()) => {
                let archive = results_dir.join(LOGS_ARCHIVE);
                let extracted = retrieve::check_download(&archive, limits.max_result_bytes)
                    .and_then(|_| {
                        retrieve::prepare_base(&root, LOGS_DIR, &run_id)
                            .map_err(|e| format!("cannot make the logs folder: {e}"))
                    })
                    .and_then(|dest| {
                        retrieve::extract_logs(&archive, &dest, limits.max_log_bytes)
                            .map(|x| (dest, x))
                    });
                match extracted {
                    Ok((dest, x)) => {
                        progress.note(&format!(
                            "{} log file(s) copied to {}",
                            x.files,
                            dest.display()
                        ));
                        for s in x.skipped {
                            warnings.push(format!("log entry not extracted: {s}"));
                        }
                        logs_dir = Some(dest);
                    }
                    Err(e) => problems.push(format!(
                        "the log archive was refused, nothing was extracted: {e}"
                    )),
                }
            }
            Err(CopyError::Failed(e)) => problems.push(format!("the log archive: {e}")),
            Err(CopyError::Azlin(e)) => return Err(step_error(Stage::Integration, e, &st.ctx)),
        }
    }
    let mut summary = match bundle {
        Some(b) => {
            let (root2, sc, start) = (root.clone(), Arc::clone(&scanner), head.clone());
            let job =
                tokio::task::spawn_blocking(move || integrate::integrate(&root2, &b, &start, &sc));
            let r = tokio::select! {
                r = job => r.unwrap_or_else(|e| Err(format!("the integration thread failed: {e}"))),
                _ = cancel.cancelled() => return Err(RemoteError::Interrupted { note: "while integrating".into(), context: st.ctx.clone() }),
            };
            match r {
                Ok(s) => s,
                Err(e) => {
                    problems.push(e);
                    integrate::Summary::default()
                }
            }
        }
        None => integrate::Summary::default(),
    };
    summary.logs_copied = logs_dir.is_some();
    for r in &summary.refused {
        warnings.push(format!("not imported: {r}"));
    }
    for u in &summary.unscanned {
        warnings.push(format!("not scanned for secrets: {u}"));
    }
    for w in &warnings {
        progress.warn(&crate::output::printable(w));
    }
    for p in &problems {
        progress.warn(&crate::output::printable(p));
    }
    let report = integrate::report(&summary);
    progress.done("results retrieved");

    // [7/7]
    progress.step(7, "Cleaning up");
    let success = status.exit == 0 && !status.timed_out && problems.is_empty();
    let mut vm_deleted = false;
    let mut cleanup_error = None;
    let keep_reason = if !success {
        Some("preserved for inspection")
    } else if checked.vm.keep_vm {
        Some("kept (--keep-vm); tagged for reuse by the next run")
    } else if vm.origin == VmOrigin::Named {
        Some("kept (named with --vm-name: run never deletes a VM it did not pick)")
    } else {
        None
    };
    match keep_reason {
        Some(why) => {
            progress.note(&format!("VM {} {why}", vm.name));
            progress.note(&format!("  connect: azlin connect {}", vm.name));
            progress.note(&format!("  delete:  azlin kill {} --force", vm.name));
        }
        None => {
            cancel.set_pending_vm(Some(&vm.name));
            match progress
                .spin(
                    &format!("deleting {}", vm.name),
                    vm::delete(&azlin, &vm.name),
                )
                .await
            {
                Ok(()) => {
                    vm_deleted = true;
                    progress.note(&format!("VM {} deleted", vm.name));
                }
                Err(e) => {
                    cleanup_error = Some(Stage::Cleanup.error(
                        format!(
                            "{e}\nThe VM may still exist: delete it with `azlin kill {} --force`",
                            vm.name
                        ),
                        &st.ctx,
                    ));
                }
            }
            cancel.set_pending_vm(None);
        }
    }
    progress.done("done");
    Ok(RunOutcome::Finished(Box::new(Finished {
        run_id,
        vm,
        vm_deleted,
        remote_exit: status.exit,
        timed_out: status.timed_out,
        timeout: checked.run.timeout,
        results_dir,
        logs_dir,
        summary,
        report,
        problems,
        warnings,
        cleanup_error,
        interrupted: cancel.is_cancelled(),
    })))
}

#[allow(clippy::too_many_arguments)]
async fn download_file(
    azlin: &Azlin,
    cancel: &Cancel,
    progress: &Progress,
    dir: &Path,
    vm: &str,
    run_id: &str,
    file: &'static str,
    limits: &options::Limits,
) -> Result<(), CopyError> {
    let partial = dir.join(file);
    let max = if file == STATUS_FILE {
        MAX_STATUS_BYTES
    } else {
        limits.max_result_bytes
    };
    let remove_partial = || {
        let _ = std::fs::remove_file(&partial);
    };
    let copy = transfer::copy_with_retries(
        azlin,
        cancel,
        progress,
        dir,
        transfer::download_args(vm, run_id, file),
        limits.transfer_attempts,
        limits.retry_delay,
        &remove_partial,
    );
    // A hostile VM could send more than the limit: the file is watched while it arrives and
    // the copy stopped (dropping it kills azlin) as soon as it passes the limit, so the
    // local disk never holds more than the limit plus one polling interval of transfer.
    let watch = async {
        loop {
            tokio::time::sleep(DOWNLOAD_POLL).await;
            if std::fs::symlink_metadata(&partial).is_ok_and(|m| m.len() > max) {
                return;
            }
        }
    };
    tokio::select! {
        r = copy => {
            // A copy that failed for good leaves no partial file behind.
            if r.is_err() {
                remove_partial();
            }
            r
        }
        () = watch => {
            let _ = std::fs::remove_file(&partial);
            Err(CopyError::Failed(format!(
                "{file} grew past the limit of {max} bytes while it was being copied: the copy was stopped and the partial file removed (raise max_result_bytes in [run] if the results are genuinely that large)"
            )))
        }
    }
}

/// How often a download's size is checked against its limit.
const DOWNLOAD_POLL: Duration = Duration::from_millis(50);

async fn provision_step(
    azlin: &Azlin,
    cancel: &Cancel,
    progress: &Progress,
    checked: &Checked,
    st: &mut State,
) -> Result<Vm, RemoteError> {
    if let Some(name) = &checked.vm.name {
        progress.note(&format!("using VM {name} (--vm-name)"));
        return vm::use_named(azlin, cancel, name, &st.ctx).await;
    }
    if checked.vm.no_reuse {
        progress.note("--no-reuse: not looking for a VM to reuse");
    } else if let Some(name) =
        vm::find_reusable(azlin, cancel, progress, &checked.vm.size, &st.ctx).await?
    {
        progress.note(&format!("reusing VM {name}"));
        return Ok(Vm {
            name,
            origin: VmOrigin::Reused,
        });
    } else {
        progress.note("no reusable VM found");
    }
    let name = options::vm_name_for(&options::local_user(), UtcTime::now());
    st.creating = Some(name.clone());
    cancel.set_pending_vm(Some(&name));
    let r = vm::provision(
        azlin,
        cancel,
        progress,
        &checked.vm,
        &name,
        &checked.limits,
        &st.ctx,
    )
    .await;
    cancel.set_pending_vm(None);
    r
}

/// The dry run's plan: what would happen, and the azlin command lines.
fn plan(
    checked: &Checked,
    root: &Path,
    run_id: &str,
    command: &[String],
    branch: Option<&str>,
    head: &str,
    has_snapshot: bool,
) -> Plan {
    let named = checked.vm.name.clone();
    let name = named
        .clone()
        .unwrap_or_else(|| options::vm_name_for(&options::local_user(), UtcTime::now()));
    let mut calls: Vec<Vec<String>> = vec![vm::version_args()];
    let mut lines = vec![format!(
        "  {}   (done)",
        Azlin::display(&vm::version_args())
    )];
    let probe =
        "bash -c \"$(printf %s <BASE64 OF THE BUSY PROBE> | base64 -d)\" amplihack-remote-probe";
    let connect_prefix =
        |n: &str| format!("azlin connect {n} --no-tmux --no-reconnect --no-status --");
    match &named {
        Some(n) => {
            calls.push(vm::show_args(n));
            lines.push(format!("  {}", Azlin::display(&vm::show_args(n))));
            lines.push(format!("  {} {probe}", connect_prefix(n)));
        }
        None => {
            if !checked.vm.no_reuse {
                calls.push(vm::list_args());
                lines.push(format!("  {}", Azlin::display(&vm::list_args())));
                lines.push("  azlin show <VM> -o json   (for each VM listed)".into());
                lines.push(format!(
                    "  {} {probe}   (for each reusable VM, until one is free)",
                    connect_prefix("<VM>")
                ));
                lines.push("  if no VM can be reused:".into());
            }
            let new = vm::new_args(&name, &checked.vm);
            lines.push(format!("  {}", Azlin::display(&new)));
            calls.push(new);
            calls.push(vm::tag_args(&name));
            lines.push(format!("  {}", Azlin::display(&vm::tag_args(&name))));
        }
    }
    let mut tail = vec![transfer::mkdir_args(&name, run_id)];
    for f in [ARCHIVE_NAME, SIGNATURE_NAME] {
        tail.push(transfer::upload_args(&name, run_id, f));
    }
    for c in &tail {
        lines.push(format!("  {}", Azlin::display(c)));
    }
    calls.extend(tail);
    lines.push(format!(
        "  {} bash -c \"$(printf %s <BASE64 OF THE REMOTE SCRIPT> | base64 -d)\" {}   (stdin: the API key, one line)",
        connect_prefix(&name),
        super::script::SCRIPT_NAME
    ));
    let mut back = Vec::new();
    for f in [STATUS_FILE, RESULTS_BUNDLE, LOGS_ARCHIVE] {
        back.push(transfer::download_args(&name, run_id, f));
    }
    for c in &back {
        lines.push(format!("  {}", Azlin::display(c)));
    }
    calls.extend(back);
    if named.is_none() && !checked.vm.keep_vm {
        let kill = vm::kill_args(&name);
        lines.push(format!(
            "  {}   (after a successful run)",
            Azlin::display(&kill)
        ));
        calls.push(kill);
    }
    let text = format!(
        "Dry run: nothing was provisioned, copied or written.\n\
         Plan:\n\
         \x20 repository: {}\n\
         \x20 start: {} at {}{}\n\
         \x20 mode: {}; VM size: {}; max turns: {}; time limit: {} s\n\
         \x20 VM: {}\n\
         \x20 run id: {run_id} (a new one is drawn for the real run)\n\
         \x20 command on the VM: {}\n\
         azlin calls:\n{}\n",
        root.display(),
        branch.unwrap_or("(detached HEAD)"),
        &head[..12.min(head.len())],
        if has_snapshot {
            ", plus a snapshot of uncommitted work"
        } else {
            ""
        },
        checked.mode.name(),
        checked.vm.size,
        checked.run.max_turns,
        checked.run.timeout.as_secs(),
        match &named {
            Some(n) => format!("{n} (--vm-name)"),
            None if checked.vm.no_reuse => format!("a new VM, {name}"),
            None => format!("a reusable tagged VM, else a new one, {name}"),
        },
        display_command(&command[0], &command[1..]),
        lines.join("\n")
    );
    Plan { text, calls }
}
