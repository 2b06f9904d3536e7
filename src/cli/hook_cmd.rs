//! `amplihack-remote install-hook`: a plain git pre-commit hook running `scan --staged`.

use std::path::PathBuf;

use amplihack_remote::git::Git;
use amplihack_remote::scan::exit;

use super::args::HookArgs;

/// Marks hooks we wrote, so that re-installing may replace them.
const MARKER: &str = "# installed by amplihack-remote install-hook";

pub fn run(args: HookArgs) -> Result<i32, String> {
    let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
    let git = Git::new(&cwd);
    let hooks = git
        .run(&["rev-parse", "--git-path", "hooks"])
        .map_err(|e| format!("not inside a git repository? {e}"))?;
    let hooks = cwd.join(PathBuf::from(String::from_utf8_lossy(&hooks).trim_end()));
    std::fs::create_dir_all(&hooks)
        .map_err(|e| format!("cannot create {}: {e}", hooks.display()))?;
    let hook = hooks.join("pre-commit");
    if let Ok(existing) = std::fs::read_to_string(&hook) {
        if !existing.contains(MARKER) && !args.force {
            return Err(format!(
                "{} already exists and was not written by amplihack-remote.\n\nAction required:\n  1. Add `amplihack-remote scan --staged || exit $?` to it yourself, or\n  2. Re-run with --force to replace it",
                hook.display()
            ));
        }
    }
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let exe = exe.to_string_lossy().replace('\'', r"'\''");
    let script = format!(
        "#!/bin/sh\n{MARKER}\n# Blocks a commit whose staged content contains a secret (exit 1), or that could not be\n# fully scanned (exit 2). Bypass once, knowingly, with `git commit --no-verify`.\nif command -v amplihack-remote >/dev/null 2>&1; then\n  exec amplihack-remote scan --staged\nfi\nexec '{exe}' scan --staged\n"
    );
    std::fs::write(&hook, script).map_err(|e| format!("cannot write {}: {e}", hook.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("cannot make {} executable: {e}", hook.display()))?;
    }
    println!(
        "Installed {}: every commit is now scanned with `amplihack-remote scan --staged`.",
        hook.display()
    );
    Ok(exit::CLEAN)
}
