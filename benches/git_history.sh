#!/usr/bin/env bash
# benches/git_history.sh — history-scan throughput of `amplihack-remote scan --git` against
# Kingfisher's history mode, on the same generated repository, in one run.
#
#   1. builds our release binary (honours CARGO_TARGET_DIR);
#   2. generates (once) $BENCH_DIR/history: thousands of commits of real source files
#      (benches/gen_history.py), >= TARGET_MB of blob versions, then `git repack -adf` so the
#      objects are deltified packs, as in a real clone;
#   3. exports (once) every unique blob as a plain file to $BENCH_DIR/history-blobs, so that
#      our engine can be timed on exactly the history's bytes with no git work at all (the
#      "files" row: the share of a history scan that is the engine's);
#   4. warm-up, then ROUNDS rotating timed runs of each tool under /usr/bin/time -v, all
#      with THREADS threads: wall time, CPU, max RSS, findings; unique blob bytes per second;
#   5. prints a Markdown table (and writes $BENCH_DIR/history-results.md).
#
# Knobs: BENCH_DIR (/tmp/amplihack-bench), TARGET_MB (220), MIN_COMMITS (3000), ROUNDS (3),
# THREADS (2), REBUILD=1 to regenerate the repository.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH_DIR="${BENCH_DIR:-/tmp/amplihack-bench}"
HIST="$BENCH_DIR/history"
TARGET_MB="${TARGET_MB:-220}"
MIN_COMMITS="${MIN_COMMITS:-3000}"
ROUNDS="${ROUNDS:-3}"
THREADS="${THREADS:-2}"
BLOBS="$BENCH_DIR/history-blobs"
RUNS="$BENCH_DIR/history-runs"
mkdir -p "$BENCH_DIR" "$RUNS"

log() { printf '\n==> %s\n' "$*" >&2; }

log "Building the release binary"
(cd "$REPO" && cargo build --release --locked -q)
OURS="${CARGO_TARGET_DIR:-$REPO/target}/release/amplihack-remote"

KINGFISHER="$("$BENCH_DIR/venv/bin/python" -c 'from kingfisher import get_binary_path; print(get_binary_path())' 2>/dev/null || true)"
if [ -z "$KINGFISHER" ]; then
    python3 -m venv "$BENCH_DIR/venv" && "$BENCH_DIR/venv/bin/pip" install -q kingfisher-bin
    KINGFISHER="$("$BENCH_DIR/venv/bin/python" -c 'from kingfisher import get_binary_path; print(get_binary_path())')"
fi

if [ "${REBUILD:-0}" = 1 ] || [ ! -f "$HIST/.complete" ]; then
    log "Generating $HIST (>= $TARGET_MB MB of blob versions, >= $MIN_COMMITS commits)"
    rm -rf "$HIST"
    python3 "$REPO/benches/gen_history.py" "$HIST" "$TARGET_MB" "$MIN_COMMITS"
    log "Repacking (deltified packs, as in a real clone)"
    git -C "$HIST" repack -adfq --threads="$THREADS"
    touch "$HIST/.complete"
fi
if [ "${REBUILD:-0}" = 1 ] || [ ! -f "$BLOBS.complete" ]; then
    log "Exporting the unique blobs to $BLOBS (one file per blob, named by its id)"
    rm -rf "$BLOBS" "$BLOBS.complete"
    python3 "$REPO/benches/export_blobs.py" "$HIST" "$BLOBS"
    touch "$BLOBS.complete"
fi
COMMITS="$(git -C "$HIST" rev-list --all --count)"
PACK_MB="$(du -sm "$HIST/.git/objects" | cut -f1)"

run() { # tool round -> "wall_s maxrss_kb findings bytes blobs cpu_s"
    local tool=$1 tag=$2 out="$RUNS/$1.$2.json" err="$RUNS/$1.$2.time"
    case "$tool" in
        ours) /usr/bin/time -v "$OURS" scan --git -j "$THREADS" --format json -o "$out" "$HIST" 2>"$err" >/dev/null || true ;;
        files) /usr/bin/time -v "$OURS" scan -j "$THREADS" --format json -o "$out" "$BLOBS" 2>"$err" >/dev/null || true ;;
        kingfisher) /usr/bin/time -v "$KINGFISHER" scan "$HIST" --git-history full --no-validate --turbo \
            -j "$THREADS" --no-update-check --rule-cache-dir "$BENCH_DIR/kingfisher-cache" \
            --format json --output "$out" --quiet 2>"$err" >/dev/null || true ;;
    esac
    python3 - "$tool" "$out" "$err" <<'PY'
import json, re, sys
tool, out, err = sys.argv[1:]
t = open(err).read()
wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", t)
h, m, s = wall.groups()
secs = int(h or 0) * 3600 + int(m) * 60 + float(s)
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
cpu = sum(float(re.search(rf"{k} time \(seconds\): ([\d.]+)", t).group(1)) for k in ("User", "System"))
try:
    doc = json.load(open(out))
except Exception:
    doc = {}
if tool in ("ours", "files"):
    findings, nbytes, blobs = len(doc.get("findings", [])), doc.get("summary", {}).get("bytes_scanned"), doc.get("summary", {}).get("files_scanned")
else:
    s = doc.get("metadata", {}).get("summary", {})
    findings, nbytes, blobs = len(doc.get("findings", [])), s.get("bytes_scanned"), s.get("blobs_scanned")
print(f"{secs:.2f} {rss} {findings} {nbytes} {blobs} {cpu:.2f}")
PY
}

log "Warm-up"
TOOLS=(ours kingfisher files)
for tool in "${TOOLS[@]}"; do run "$tool" warm >/dev/null; done
: > "$RUNS/results.tsv"
for r in $(seq 1 "$ROUNDS"); do
    for i in 0 1 2; do
        tool="${TOOLS[$(((i + r) % 3))]}"
        line="$(run "$tool" "r$r")"
        load="$(cut -d' ' -f1 /proc/loadavg)"
        printf '%s\t%s\t%s\t%s\n' "$tool" "$r" "$line" "$load" | tee -a "$RUNS/results.tsv" >&2
    done
done

python3 - "$RUNS/results.tsv" "$COMMITS" "$PACK_MB" "$THREADS" <<'PY' | tee "$BENCH_DIR/history-results.md"
import statistics, sys
path, commits, pack_mb, threads = sys.argv[1:]
rows = {}
for line in open(path):
    tool, rnd, rest, load = line.rstrip("\n").split("\t")
    wall, rss, findings, nbytes, blobs, cpu = rest.split()
    rows.setdefault(tool, []).append((float(wall), int(rss), findings, nbytes, blobs, float(load), float(cpu)))
ours_bytes = int(rows["ours"][0][3])
names = {
    "ours": "amplihack-remote `scan --git`",
    "kingfisher": "Kingfisher `--git-history full`",
    "files": "amplihack-remote `scan` of the same blobs as plain files (engine only, no git)",
}
print(f"History: {commits} commits, {ours_bytes/1e6:.0f} MB of unique blobs ({rows['ours'][0][4]} blobs), {pack_mb} MB packed; {threads} threads\n")
print("| run | median wall | median CPU | unique blob MB/s | time / `scan --git` | max RSS | findings | load avg during runs |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
med = {t: statistics.median(r[0] for r in v) for t, v in rows.items()}
for tool, v in rows.items():
    m = med[tool]
    cpu = statistics.median(r[6] for r in v)
    rss = max(r[1] for r in v) / 1024
    loads = ", ".join(f"{r[5]:.1f}" for r in v)
    print(f"| {names.get(tool, tool)} | {m:.2f} s | {cpu:.2f} s | {ours_bytes / m / 1e6:.0f} | {m / med['ours']:.2f} | {rss:.0f} MiB | {v[0][2]} | {loads} |")
if "kingfisher" in med and "files" in med:
    k = med["kingfisher"]
    print(f"\nKingfisher / `scan --git`: **{k / med['ours']:.1f}x**. A 3x margin would mean {k / 3:.2f} s for the"
          f" whole history scan; the engine alone on the same bytes, without reading git, took {med['files']:.2f} s.")
PY
