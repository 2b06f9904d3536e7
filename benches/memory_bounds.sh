#!/usr/bin/env bash
# benches/memory_bounds.sh — peak memory (RSS, `/usr/bin/time -v`) of `scan` on two trees of
# 10x different size, and of `package` on two repositories of 10x different size: the bound
# must not grow with the input (the scan maps or reads one file per worker at a time; the
# packager streams blobs through `git cat-file --batch` and the archive through zstd).
#
# Trees: the benchmark tree ($BENCH_DIR/tree, ~300 MB of real source files, see
# benches/compare.sh) and a 10x smaller subset of it (every tenth file, same layout).
# Repositories: benches/gen_history.py at SMALL_MB and 10 x SMALL_MB of unique blobs, with a
# .claude tree and a baseline accepting the generated history's test-fixture findings (as
# benches/package_timing.sh does). Each command runs ROUNDS times; the table shows the median
# wall time and the largest peak RSS. Prints a Markdown table and writes
# $BENCH_DIR/memory-bounds.md.
#
# Also: one 4 GiB sparse file (the hostile-input test of that size is #[ignore]d: too slow for
# the unoptimised test binary), whose mapped pages show in RSS although they are page cache.
#
# Knobs: BENCH_DIR (/tmp/amplihack-bench), SMALL_MB (20), ROUNDS (3), THREADS (0: all cores),
# REBUILD=1 to regenerate the subset and the repositories.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH_DIR="${BENCH_DIR:-/tmp/amplihack-bench}"
SMALL_MB="${SMALL_MB:-20}"
ROUNDS="${ROUNDS:-3}"
THREADS="${THREADS:-0}"
OUT="$BENCH_DIR/bounds-out"
log() { printf '\n==> %s\n' "$*" >&2; }

(cd "$REPO" && cargo build --release --locked -q)
OURS="${CARGO_TARGET_DIR:-$REPO/target}/release/amplihack-remote"
mkdir -p "$OUT"

TREE="$BENCH_DIR/tree"
if [ ! -d "$TREE" ]; then
    echo "no benchmark tree at $TREE: run benches/compare.sh first (it builds it)" >&2
    exit 2
fi
SUB="$BENCH_DIR/tree-tenth"
if [ "${REBUILD:-0}" = 1 ] || [ ! -f "$SUB.complete" ]; then
    log "Making $SUB: every tenth file of $TREE"
    rm -rf "$SUB" && mkdir -p "$SUB"
    (cd "$TREE" && find . -type f | LC_ALL=C sort | awk 'NR % 10 == 0' \
        | tr '\n' '\0' | xargs -0 cp --parents -t "$SUB")
    touch "$SUB.complete"
fi

make_repo() { # dir target_mb min_commits
    local dir=$1
    if [ "${REBUILD:-0}" = 1 ] || [ ! -f "$dir/.complete" ]; then
        log "Generating $dir ($2 MB, at least $3 commits)"
        rm -rf "$dir"
        python3 "$REPO/benches/gen_history.py" "$dir" "$2" "$3" >/dev/null
        git -C "$dir" repack -adfq
        git -C "$dir" checkout -q -f main
        mkdir -p "$dir/.claude/agents"
        for i in $(seq 1 20); do
            printf '# Agent %d\n\nReview the code carefully.\n' "$i" > "$dir/.claude/agents/agent$i.md"
        done
        printf '{"model": "opus"}\n' > "$dir/.claude/settings.json"
        printf '.complete\n.amplihack-remote-baseline.json\n' > "$dir/.git/info/exclude"
        (cd "$dir" && "$OURS" baseline --git >/dev/null)
        touch "$dir/.complete"
    fi
}
SMALL="$BENCH_DIR/bounds-repo-small"
LARGE="$BENCH_DIR/bounds-repo-large"
# Commits: every commit rewrites a few earlier files, so the small repository gets few commits
# (its history would otherwise be 3x, not 10x, smaller than the large one's).
make_repo "$SMALL" "$SMALL_MB" "${SMALL_COMMITS:-20}"
make_repo "$LARGE" "$((SMALL_MB * 10))" 2000

export AMPLIHACK_REMOTE_CONFIG_DIR="$BENCH_DIR/bounds-key"
export AMPLIHACK_REMOTE_CACHE_DIR="$BENCH_DIR/bounds-cache"

measure() { # label size_bytes dir command... -> a TSV line per round (ROUNDS, or $RUNS)
    local label=$1 size=$2 dir=$3; shift 3
    for r in $(seq 1 "${RUNS:-$ROUNDS}"); do
        rm -f "$OUT/context.tar.zst" "$OUT/context.tar.zst.sig"
        local code=0
        (cd "$dir" && /usr/bin/time -v "$@" >/dev/null 2>"$OUT/time.txt") || code=$?
        # scan: 0 clean, 1 findings (the real sources hold test fixtures); package: 0.
        if [ "$code" -gt 1 ]; then
            echo "$label: exit $code" >&2; tail -5 "$OUT/time.txt" >&2; exit 1
        fi
        python3 - "$OUT/time.txt" "$label" "$size" "$code" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
h, m, s = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", t).groups()
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
wall = int(h or 0) * 3600 + int(m) * 60 + float(s)
print(f"{sys.argv[2]}\t{sys.argv[3]}\t{wall:.2f}\t{rss}\t{sys.argv[4]}")
PY
    done
}

bytes_of() { du -sb --apparent-size "$1" | cut -f1; }
history_bytes() { # the unique blob bytes of a repository's history
    git -C "$1" cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize)' \
        | awk '$1 == "blob" { s += $2 } END { print s }'
}

: > "$OUT/results.tsv"
log "scan"
measure "scan, tree/10" "$(bytes_of "$SUB")" "$SUB" "$OURS" scan -j "$THREADS" --no-ignore --format json . | tee -a "$OUT/results.tsv" >&2
measure "scan, tree" "$(bytes_of "$TREE")" "$TREE" "$OURS" scan -j "$THREADS" --no-ignore --format json . | tee -a "$OUT/results.tsv" >&2
log "scan of a 4 GiB sparse file (mapped: its pages count in RSS as file-backed, reclaimable)"
SPARSE="$BENCH_DIR/bounds-sparse"
rm -rf "$SPARSE" && mkdir -p "$SPARSE"
truncate -s 4G "$SPARSE/sparse.bin"
RUNS=1 measure "scan, 4 GiB sparse file" "$((4 << 30))" "$SPARSE" "$OURS" scan -j "$THREADS" --format json . | tee -a "$OUT/results.tsv" >&2
rm -rf "$SPARSE"
log "scan --git"
measure "scan --git, repo small" "$(history_bytes "$SMALL")" "$SMALL" "$OURS" scan --git -j "$THREADS" --format json | tee -a "$OUT/results.tsv" >&2
measure "scan --git, repo large" "$(history_bytes "$LARGE")" "$LARGE" "$OURS" scan --git -j "$THREADS" --format json | tee -a "$OUT/results.tsv" >&2
log "package (cold: --full-scan)"
measure "package, repo small" "$(history_bytes "$SMALL")" "$SMALL" "$OURS" package --full-scan -j "$THREADS" -o "$OUT/context.tar.zst" | tee -a "$OUT/results.tsv" >&2
measure "package, repo large" "$(history_bytes "$LARGE")" "$LARGE" "$OURS" package --full-scan -j "$THREADS" -o "$OUT/context.tar.zst" | tee -a "$OUT/results.tsv" >&2

python3 - "$OUT/results.tsv" <<'PY' | tee "$BENCH_DIR/memory-bounds.md"
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    label, size, wall, rss, code = line.rstrip("\n").split("\t")
    rows.setdefault(label, []).append((int(size), float(wall), int(rss), int(code)))
print("| command, input | input size | median wall | peak RSS (max of runs) | exit |")
print("| --- | ---: | ---: | ---: | ---: |")
for label, v in rows.items():
    print(f"| `{label}` | {v[0][0] / 1e6:.0f} MB | {statistics.median(x[1] for x in v):.2f} s | "
          f"{max(x[2] for x in v) / 1024:.0f} MiB | {v[0][3]} |")
PY
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); $(date -u +%Y-%m-%dT%H:%MZ)" | tee -a "$BENCH_DIR/memory-bounds.md"
