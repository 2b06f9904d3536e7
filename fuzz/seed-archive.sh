#!/usr/bin/env bash
# Adds a real archive made by `package` to the seed corpus: fuzz/corpus/archive_verify_unpack/
# real-{archive,tar} (mode bytes 0 and 1, see amplihack_remote::fuzzing::archive_verify_unpack)
# and fuzz/corpus/manifest_parse/real. Usage: fuzz/seed-archive.sh [path/to/amplihack-remote]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/target/debug/amplihack-remote}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME=$work \
    GIT_AUTHOR_NAME=Test GIT_AUTHOR_EMAIL=test@example.invalid \
    GIT_COMMITTER_NAME=Test GIT_COMMITTER_EMAIL=test@example.invalid \
    GIT_AUTHOR_DATE=2026-01-01T00:00:00Z GIT_COMMITTER_DATE=2026-01-01T00:00:00Z \
    AMPLIHACK_REMOTE_CONFIG_DIR=$work/cfg AMPLIHACK_REMOTE_CACHE_DIR=$work/cache
git init -q -b main "$work/repo"
cd "$work/repo"
mkdir -p .claude/agents src
printf '{"model": "opus"}\n' >.claude/settings.json
printf '# Reviewer\n' >.claude/agents/reviewer.md
printf 'fn main() {}\n' >src/main.rs
git add -A && git commit -q -m init
git tag -a v1 -m release
printf 'uncommitted\n' >notes.txt
"$bin" package -o "$work/context.tar.zst" >/dev/null
c=$root/fuzz/corpus
{ printf '\000'; cat "$work/context.tar.zst"; } >"$c/archive_verify_unpack/real-archive"
{ printf '\001'; zstd -dc "$work/context.tar.zst"; } >"$c/archive_verify_unpack/real-tar"
mkdir -p "$work/x"
zstd -dc "$work/context.tar.zst" | tar -xf - -C "$work/x" manifest.json
cp "$work/x/manifest.json" "$c/manifest_parse/real"
ls -la "$c/archive_verify_unpack/real-"* "$c/manifest_parse/real" 2>/dev/null
