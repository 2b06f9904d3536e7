//! The remote script and the one command line that carries it.
//!
//! The script is bash (`set -Eeuo pipefail`). Every value we embed (run id, VM name,
//! branch, commits, digests, each word of the agent's command) is a single-quoted shell word
//! ([`shell_quote`]); the script then travels base64-encoded as one word of
//! `bash -c "$(printf %s <base64> | base64 -d)" amplihack-remote-run`, which survives ssh
//! joining words with spaces and a login shell re-parsing them (base64 has no shell
//! metacharacters). The API key is not in it: the script reads it from the first line of
//! its standard input and gives it only to the agent's command.

/// File names in the run directory on the VM (`~/amplihack-remote/<run-id>/`).
pub const ARCHIVE_NAME: &str = "context.tar.zst";
pub const SIGNATURE_NAME: &str = "context.tar.zst.sig";
pub const RESULTS_BUNDLE: &str = "results.bundle";
pub const LOGS_ARCHIVE: &str = "logs.tar.zst";
pub const STATUS_FILE: &str = "status.json";
/// The last line the script prints on stdout once results are packaged.
pub const DONE_MARKER: &str = "AMPLIHACK-REMOTE-RESULTS-READY";
/// `$0` of the remote script, so it is recognisable in `ps` on the VM.
pub const SCRIPT_NAME: &str = "amplihack-remote-run";

/// Exit statuses of the remote script (besides 0: results packaged).
pub mod status {
    /// Something failed that has no status of its own (the ERR trap).
    pub const SETUP: i32 = 70;
    /// A tool the script needs is missing.
    pub const TOOLS: i32 = 69;
    /// Another run holds the busy lock.
    pub const BUSY: i32 = 73;
    /// The archive is missing, or differs from what was sent.
    pub const ARCHIVE: i32 = 74;
    /// The repository could not be restored from the bundle.
    pub const RESTORE: i32 = 75;
    /// The agent's program is not installed.
    pub const NO_AGENT: i32 = 76;
    /// No API key arrived on standard input.
    pub const NO_KEY: i32 = 77;
    /// ssh itself failed (azlin passes it through).
    pub const SSH: i32 = 255;
}

/// Quotes `word` for a POSIX shell: `'...'`, each `'` written `'\''`. The result is one word
/// whose value is exactly `word`, whatever it holds (NUL cannot be passed and is refused
/// earlier).
pub fn shell_quote(word: &str) -> String {
    let mut out = String::with_capacity(word.len() + 2);
    out.push('\'');
    for c in word.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// Quotes only when needed, for showing command lines to people.
pub fn display_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@%+,~".contains(&b))
        && !word.starts_with('~');
    if plain {
        word.to_string()
    } else {
        shell_quote(word)
    }
}

/// `program arg...` quoted for display.
pub fn display_command(program: &str, args: &[String]) -> String {
    std::iter::once(display_quote(program))
        .chain(args.iter().map(|a| display_quote(a)))
        .collect::<Vec<_>>()
        .join(" ")
}

pub use crate::scan::decode::base64_encode as base64;

/// The words after `azlin connect NAME ... --` that run `script` with bash on the VM.
pub fn transport_words(script: &str, name: &str) -> Vec<String> {
    [
        "bash",
        "-c",
        "\"$(printf",
        "%s",
        &base64(script.as_bytes()),
        "|",
        "base64",
        "-d)\"",
        name,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// What the run script needs to know.
#[derive(Debug, Clone)]
pub struct ScriptParams<'a> {
    pub run_id: &'a str,
    pub vm_name: &'a str,
    pub archive_sha256: &'a str,
    pub signature_sha256: &'a str,
    /// The user's branch (short name), `None` when HEAD was detached.
    pub branch: Option<&'a str>,
    /// The commit HEAD pointed to when the archive was made.
    pub head: &'a str,
    /// The snapshot commit of uncommitted work, if any.
    pub snapshot: Option<&'a str>,
    /// The agent's command, placeholders already substituted.
    pub command: &'a [String],
    pub timeout_secs: u64,
}

/// The run script. See the module documentation and `docs/design.md`.
pub fn run_script(p: &ScriptParams) -> String {
    let q = shell_quote;
    let command: Vec<String> = p.command.iter().map(|w| q(w)).collect();
    let program = p.command.first().map(String::as_str).unwrap_or("amplihack");
    let mut s = String::new();
    s.push_str(&format!(
        r#"set -Eeuo pipefail
umask 077
trap 'rc=$?; printf "amplihack-remote: a remote step failed at line %s (status %s)\n" "$LINENO" "$rc" >&2; exit {setup}' ERR
fail() {{ printf 'amplihack-remote: %s\n' "$2" >&2; exit "$1"; }}
unset ANTHROPIC_API_KEY
AR_KEY=
IFS= read -r AR_KEY || true
exec </dev/null
[ -n "$AR_KEY" ] || fail {no_key} "no API key arrived on standard input"
RUN_ID={run_id}
VM_NAME={vm_name}
ARCHIVE_SHA={archive_sha}
SIG_SHA={sig_sha}
BRANCH={branch}
HEAD_COMMIT={head}
SNAPSHOT={snapshot}
TIMEOUT_SECS={timeout}
PROGRAM={program}
CMD=({command})
RUN_DIR="$HOME/amplihack-remote/$RUN_ID"
WS="$HOME/workspace/$RUN_ID"
STATE_DIR="$HOME/.amplihack-remote"
LOCK="$STATE_DIR/busy.lock"
"#,
        setup = status::SETUP,
        no_key = status::NO_KEY,
        run_id = q(p.run_id),
        vm_name = q(p.vm_name),
        archive_sha = q(p.archive_sha256),
        sig_sha = q(p.signature_sha256),
        branch = q(p.branch.unwrap_or("")),
        head = q(p.head),
        snapshot = q(p.snapshot.unwrap_or("")),
        timeout = p.timeout_secs,
        program = q(program),
        command = command.join(" "),
    ));
    s.push_str(&format!(
        r#"for tool in sha256sum zstd tar git timeout mktemp; do
  command -v "$tool" >/dev/null 2>&1 || fail {tools} "$tool is not installed on VM $VM_NAME: install it (sudo apt-get install -y $tool) and retry"
done
# The busy lock: a directory made complete (pid, run id) elsewhere, then renamed into place
# in one step; a lock whose pid is dead is stale and is taken over.
mkdir -p "$STATE_DIR"
lock_tmp=$(mktemp -d "$STATE_DIR/lock.XXXXXX")
printf '%s\n' "$$" >"$lock_tmp/pid"
printf '%s\n' "$RUN_ID" >"$lock_tmp/run"
if ! mv -T "$lock_tmp" "$LOCK" 2>/dev/null; then
  holder_pid=$(head -c 32 "$LOCK/pid" 2>/dev/null || true)
  holder_run=$(head -c 64 "$LOCK/run" 2>/dev/null || true)
  if [ -n "$holder_pid" ] && kill -0 "$holder_pid" 2>/dev/null; then
    rm -rf "$lock_tmp"
    fail {busy} "VM $VM_NAME is busy: run $holder_run (pid $holder_pid) holds $LOCK"
  fi
  rm -rf "$LOCK"
  if ! mv -T "$lock_tmp" "$LOCK" 2>/dev/null; then
    rm -rf "$lock_tmp"
    fail {busy} "VM $VM_NAME is busy: another run took $LOCK"
  fi
fi
release() {{
  if [ "$(head -c 64 "$LOCK/run" 2>/dev/null || true)" = "$RUN_ID" ]; then rm -rf "$LOCK"; fi
}}
trap release EXIT
cd "$RUN_DIR" 2>/dev/null || fail {archive} "$RUN_DIR is missing: the transfer did not arrive"
[ -f {archive_name} ] || fail {archive} "{archive_name} is missing from $RUN_DIR"
[ -f {sig_name} ] || fail {archive} "{sig_name} is missing from $RUN_DIR"
[ "$(sha256sum {archive_name} | cut -d' ' -f1)" = "$ARCHIVE_SHA" ] || fail {archive} "{archive_name} differs from the archive that was sent (SHA-256 mismatch): refusing to unpack it"
[ "$(sha256sum {sig_name} | cut -d' ' -f1)" = "$SIG_SHA" ] || fail {archive} "{sig_name} differs from the signature that was sent"
names=$(zstd -dc {archive_name} | tar -tf -) || fail {archive} "{archive_name} cannot be listed"
while IFS= read -r n; do
  case "$n" in manifest.json | repo.bundle | .claude/*) ;; *) fail {archive} "unexpected entry in the archive: $n" ;; esac
  case "/$n/" in */../* | */./* | *//*) fail {archive} "unsafe entry name in the archive: $n" ;; esac
done <<<"$names"
mkdir "$RUN_DIR/ctx"
zstd -dc {archive_name} | tar -x --no-same-owner --no-same-permissions -C "$RUN_DIR/ctx" -f - || fail {archive} "{archive_name} cannot be unpacked"
BUNDLE="$RUN_DIR/ctx/repo.bundle"
mkdir -p "$HOME/workspace"
[ ! -e "$WS" ] || fail {restore} "$WS already exists: refusing to touch another run's workspace"
git -c init.defaultBranch=main clone -q --no-checkout -- "$BUNDLE" "$WS" || fail {restore} "git clone of the bundle failed"
cd "$WS"
if [ -n "$BRANCH" ]; then
  git checkout -q -f -B "$BRANCH" "$HEAD_COMMIT" || fail {restore} "cannot check out $BRANCH at $HEAD_COMMIT"
else
  git checkout -q -f -b "amplihack-remote/$RUN_ID" "$HEAD_COMMIT" || fail {restore} "cannot check out $HEAD_COMMIT"
fi
if [ -n "$SNAPSHOT" ]; then
  git fetch -q --no-tags -- "$BUNDLE" "+refs/amplihack-remote/snapshot:refs/amplihack-remote/snapshot" || fail {restore} "the snapshot of uncommitted work is missing from the bundle"
  [ "$(git rev-parse -q --verify refs/amplihack-remote/snapshot)" = "$SNAPSHOT" ] || fail {restore} "the bundle's snapshot is not the one that was packaged"
  git restore --source="$SNAPSHOT" --worktree -- :/ || fail {restore} "cannot restore the snapshot of uncommitted work"
  git update-ref -d refs/amplihack-remote/snapshot
fi
if [ -d "$RUN_DIR/ctx/.claude" ]; then
  mkdir -p "$WS/.claude"
  cp -R "$RUN_DIR/ctx/.claude/." "$WS/.claude/"
fi
git config user.name >/dev/null 2>&1 || git config user.name "amplihack agent"
git config user.email >/dev/null 2>&1 || git config user.email "amplihack-agent@$VM_NAME.invalid"
command -v "$PROGRAM" >/dev/null 2>&1 || fail {no_agent} "$PROGRAM is not installed on VM $VM_NAME: install it there (azlin connect $VM_NAME, then follow amplihack's installation instructions) and retry"
printf 'amplihack-remote: running %s in %s (time limit %s s)\n' "$PROGRAM" "$WS" "$TIMEOUT_SECS" >&2
started=$SECONDS
rc=0
ANTHROPIC_API_KEY="$AR_KEY" timeout --kill-after=30s "${{TIMEOUT_SECS}}s" "${{CMD[@]}}" </dev/null || rc=$?
AR_KEY=
timed_out=false
if [ "$rc" -eq 124 ] || {{ [ "$rc" -eq 137 ] && [ $((SECONDS - started)) -ge "$TIMEOUT_SECS" ]; }}; then
  timed_out=true
fi
cd "$WS"
bundle=false
if [ -n "$(git for-each-ref --count=1 --format=x refs/heads)" ]; then
  if git bundle create -q "$RUN_DIR/{results}" --branches; then bundle=true; else printf 'amplihack-remote: git bundle create failed\n' >&2; fi
fi
logs=false
if [ -d .claude/runtime/logs ]; then
  if tar -C "$WS" -cf - .claude/runtime/logs | zstd -q -o "$RUN_DIR/{logs_name}"; then logs=true; else printf 'amplihack-remote: packing the logs failed\n' >&2; fi
fi
printf '{{"exit": %d, "timed_out": %s, "bundle": %s, "logs": %s}}\n' "$rc" "$timed_out" "$bundle" "$logs" >"$RUN_DIR/{status_name}"
printf '%s %s\n' {marker} "$RUN_ID"
"#,
        tools = status::TOOLS,
        busy = status::BUSY,
        archive = status::ARCHIVE,
        restore = status::RESTORE,
        no_agent = status::NO_AGENT,
        archive_name = ARCHIVE_NAME,
        sig_name = SIGNATURE_NAME,
        results = RESULTS_BUNDLE,
        logs_name = LOGS_ARCHIVE,
        status_name = STATUS_FILE,
        marker = q(DONE_MARKER),
    ));
    s
}

/// A read-only probe: prints `busy <run-id>` when a live run holds the lock, else `free`.
pub fn probe_script() -> String {
    r#"LOCK="$HOME/.amplihack-remote/busy.lock"
if [ -d "$LOCK" ]; then
  pid=$(head -c 32 "$LOCK/pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    printf 'busy %s\n' "$(head -c 64 "$LOCK/run" 2>/dev/null | tr -cd 'A-Za-z0-9-')"
    exit 0
  fi
fi
printf 'free\n'
"#
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// Hostile prompts: quotes, substitutions, backticks, newlines, globs, unicode.
    fn hostile() -> Vec<String> {
        let mut v: Vec<String> = [
            "",
            "plain",
            "it's",
            "'",
            "''",
            "'\\''",
            "\"double\" $HOME ${HOME} $(touch pwned) `touch pwned2`",
            "a\nb\r\nc",
            "; rm -rf ~ #",
            "*  ?[a] ~ {a,b} !! \\ \\n",
            "$'\\x41'",
            "tab\there",
            "日本語 🚀",
            "-p --yes",
            "\x1b[31m",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // Property-style: pseudo-random strings over a nasty alphabet.
        let alphabet: Vec<char> = "'\"`$()\\;&|<>*?[]{}~!# \n\t\ra-".chars().collect();
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..60 {
            let mut s = String::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            for i in 0..(state % 40) {
                let r = state.rotate_left(i as u32 * 5);
                s.push(alphabet[(r % alphabet.len() as u64) as usize]);
            }
            v.push(s);
        }
        v
    }

    #[test]
    fn quoted_words_come_back_exactly_through_bash() {
        let tmp = tempfile::tempdir().unwrap();
        for word in hostile() {
            let out = Command::new("bash")
                .arg("-c")
                .arg(format!("printf '%s' {}", shell_quote(&word)))
                .current_dir(tmp.path())
                .output()
                .unwrap();
            assert!(out.status.success());
            assert_eq!(String::from_utf8_lossy(&out.stdout), word, "{word:?}");
        }
        assert!(std::fs::read_dir(tmp.path()).unwrap().next().is_none());
    }

    #[test]
    fn transport_survives_joining_and_a_second_shell() {
        // As ssh does: words joined with spaces, run by a login shell (`sh -c`).
        let tmp = tempfile::tempdir().unwrap();
        for word in hostile() {
            let script = format!("printf '%s' {}", shell_quote(&word));
            let joined = transport_words(&script, SCRIPT_NAME).join(" ");
            let out = Command::new("sh")
                .arg("-c")
                .arg(&joined)
                .current_dir(tmp.path())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(String::from_utf8_lossy(&out.stdout), word, "{word:?}");
        }
        assert!(std::fs::read_dir(tmp.path()).unwrap().next().is_none());
    }

    #[test]
    fn base64_matches_the_reference() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"\xff\xfe\xfd\x00"), "//79AA==");
    }

    #[test]
    fn the_script_holds_no_key_and_quotes_every_value() {
        let cmd = vec!["amplihack".to_string(), "it's $(x)".to_string()];
        let p = ScriptParams {
            run_id: "20261122-100000-abcdef",
            vm_name: "vm-1",
            archive_sha256: "aa",
            signature_sha256: "bb",
            branch: Some("feature/x"),
            head: "0123",
            snapshot: None,
            command: &cmd,
            timeout_secs: 60,
        };
        let s = run_script(&p);
        assert!(s.contains("CMD=('amplihack' 'it'\\''s $(x)')"));
        assert!(s.contains("BRANCH='feature/x'"));
        assert!(s.contains("IFS= read -r AR_KEY"));
        assert!(!s.contains("export ANTHROPIC_API_KEY"));
        // bash accepts it.
        let out = Command::new("bash")
            .arg("-n")
            .arg("-c")
            .arg(&s)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = Command::new("bash")
            .arg("-n")
            .arg("-c")
            .arg(probe_script())
            .output()
            .unwrap();
        assert!(out.status.success());
    }

    #[test]
    fn display_quotes_only_what_needs_it() {
        assert_eq!(
            display_command("azlin", &["kill".into(), "vm-1".into(), "--force".into()]),
            "azlin kill vm-1 --force"
        );
        assert_eq!(display_quote("a b"), "'a b'");
        assert_eq!(display_quote("~/x"), "'~/x'");
        assert_eq!(display_quote("vm:~/x"), "vm:~/x");
    }
}
