#!/usr/bin/env bash
# Builds every fuzz target and runs each for TARGET_SECONDS (default 600), two at a time,
# then prints a summary: target, seconds, executions, crashes.
#
#   fuzz/run.sh [TARGET_SECONDS] [TARGET...]
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). It runs on the STABLE toolchain with
# `-s none` (no sanitizer: Rust code is memory-safe without ASan, and ASan needs nightly's
# -Zsanitizer); libFuzzer's coverage instrumentation uses stable `-C` flags only.
# The committed seeds (fuzz/corpus/TARGET) are copied into a working corpus under
# fuzz/target/work-corpus/TARGET, which libFuzzer grows; the committed corpus stays small.
# Equivalent by hand: cargo fuzz run -s none TARGET fuzz/corpus/TARGET -- -max_total_time=600
# Crashes, timeouts and out-of-memory inputs land in fuzz/artifacts/TARGET/; after one, the
# target is restarted for the rest of its time, so one run can collect several.
# Logs: fuzz/target/logs/TARGET.log. Parallelism: JOBS (default 2).
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_PER_TARGET=${1:-600}
shift || true
ALL=(scan_bytes config_parse rule_file_parse baseline_parse azlin_parsers manifest_parse archive_verify_unpack pack_delta pack_files)

[ $# -gt 0 ] && TARGETS=("$@") || TARGETS=("${ALL[@]}")
JOBS=${JOBS:-2}
export SECONDS_PER_TARGET

echo "== building ${#TARGETS[@]} targets (cargo fuzz build -s none, release + debug assertions)"
cargo fuzz build -s none 2>&1 | tail -3
# The targets run from their binaries (what `cargo fuzz run -s none T` would exec), so editing
# the sources during a run never triggers a rebuild in the middle of it.
BIN_DIR=$PWD/target/$(rustc -vV | sed -n 's/^host: //p')/release
export BIN_DIR
mkdir -p target/logs target/work-corpus artifacts

run_one() {
    local t=$1
    local work=target/work-corpus/$t art=artifacts/$t log=target/logs/$t.log
    mkdir -p "$work" "$art"
    cp -n corpus/"$t"/* "$work"/ 2>/dev/null || true
    : >"$log"
    local start=$(date +%s) left=$SECONDS_PER_TARGET
    while [ "$left" -gt 0 ]; do
        # -timeout: one input taking > 10 s is a finding (unbounded time);
        # -rss_limit_mb: > 2 GiB is a finding (unbounded memory).
        "$BIN_DIR/$t" "$work" \
            -max_total_time="$left" -timeout=10 -rss_limit_mb=2048 -max_len=262144 \
            -print_final_stats=1 -artifact_prefix="$art/" >>"$log" 2>&1 || true
        left=$((SECONDS_PER_TARGET - ($(date +%s) - start)))
        # A run that ended early without an artifact would loop forever: stop.
        if [ "$left" -gt 0 ] && ! grep -q "Test unit written to" <(tail -50 "$log"); then
            break
        fi
    done
    echo $(($(date +%s) - start)) >target/logs/"$t".secs
    echo "$t done after $(cat target/logs/"$t".secs) s"
}
export -f run_one
printf '%s\n' "${TARGETS[@]}" | xargs -P "$JOBS" -I{} bash -c 'run_one {}'

echo
printf '%-24s %8s %14s %8s\n' target seconds executions crashes
for t in "${TARGETS[@]}"; do
    log=target/logs/$t.log
    execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{s+=$2} END {print s+0}')
    secs=$(cat target/logs/"$t".secs)
    crashes=$(find artifacts/"$t" -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) 2>/dev/null | wc -l)
    printf '%-24s %8s %14s %8s\n' "$t" "$secs" "$execs" "$crashes"
done
