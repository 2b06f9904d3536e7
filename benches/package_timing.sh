#!/usr/bin/env bash
# benches/package_timing.sh — `amplihack-remote package` against the floor: `git bundle
# create --all` plus `tar | zstd` of the same content (the bundle and the .claude tree), on a
# generated repository of about TARGET_MB MB of history (benches/gen_history.py), with a
# .claude tree in its work tree. ROUNDS alternating runs under /usr/bin/time -v (wall time,
# CPU time, peak RSS); prints a Markdown table and writes $BENCH_DIR/package-results.md.
# A fourth run times our engine alone on the history's blobs exported as plain files
# (benches/export_blobs.py): the part of a cold `package` that no git or archive work can
# remove.
#
# The generated history holds a few findings (test fixtures of the sources): a baseline
# accepts them, as a user would (`amplihack-remote baseline --git`).
#
# Knobs: BENCH_DIR (/tmp/amplihack-bench), TARGET_MB (100), MIN_COMMITS (1000), ROUNDS (3),
# REBUILD=1 to regenerate the repository.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH_DIR="${BENCH_DIR:-/tmp/amplihack-bench}"
PKG="$BENCH_DIR/package-repo"
TARGET_MB="${TARGET_MB:-100}"
MIN_COMMITS="${MIN_COMMITS:-1000}"
ROUNDS="${ROUNDS:-3}"
OUT="$BENCH_DIR/package-out"
BLOBS="$BENCH_DIR/package-blobs"
log() { printf '\n==> %s\n' "$*" >&2; }

(cd "$REPO" && cargo build --release --locked -q)
OURS="${CARGO_TARGET_DIR:-$REPO/target}/release/amplihack-remote"

if [ "${REBUILD:-0}" = 1 ] || [ ! -f "$PKG/.complete" ]; then
    log "Generating $PKG"
    rm -rf "$PKG"
    python3 "$REPO/benches/gen_history.py" "$PKG" "$TARGET_MB" "$MIN_COMMITS"
    git -C "$PKG" repack -adfq
    git -C "$PKG" checkout -q -f main
    mkdir -p "$PKG/.claude/agents" "$PKG/.claude/commands"
    for i in $(seq 1 50); do
        printf '# Agent %d\n\nReview the code carefully.\n' "$i" > "$PKG/.claude/agents/agent$i.md"
    done
    printf '{"model": "opus"}\n' > "$PKG/.claude/settings.json"
    printf '.complete\n.amplihack-remote-baseline.json\n' > "$PKG/.git/info/exclude"
    (cd "$PKG" && "$OURS" baseline --git >/dev/null)
    touch "$PKG/.complete"
fi
if [ "${REBUILD:-0}" = 1 ] || [ ! -f "$BLOBS.complete" ]; then
    log "Exporting the unique blobs to $BLOBS"
    rm -rf "$BLOBS" "$BLOBS.complete"
    python3 "$REPO/benches/export_blobs.py" "$PKG" "$BLOBS"
    touch "$BLOBS.complete"
fi
export AMPLIHACK_REMOTE_CONFIG_DIR="$BENCH_DIR/package-key"
mkdir -p "$OUT"

timed() { # name command... -> "wall_s maxrss_kb cpu_s"
    local name=$1; shift
    /usr/bin/time -v "$@" 2>"$OUT/$name.time" >/dev/null
    python3 - "$OUT/$name.time" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
h, m, s = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", t).groups()
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
cpu = sum(float(re.search(rf"{k} time \(seconds\): ([\d.]+)", t).group(1)) for k in ("User", "System"))
print(f"{int(h or 0) * 3600 + int(m) * 60 + float(s):.2f} {rss} {cpu:.2f}")
PY
}

floor() {
    rm -rf "$OUT/floor" && mkdir -p "$OUT/floor"
    git -C "$PKG" bundle create "$OUT/floor/repo.bundle" --all 2>/dev/null
    tar -C "$PKG" -cf - .claude -C "$OUT/floor" repo.bundle | zstd -q -T0 -3 -o "$OUT/floor.tar.zst" -f
}
export -f floor; export PKG OUT

# Cold: the whole history scanned (--full-scan). Warm: the second package of an unchanged
# repository, whose history an earlier clean scan recorded (git::scan_cache).
export AMPLIHACK_REMOTE_CACHE_DIR="$BENCH_DIR/package-cache"
ours() {
    rm -f "$OUT/context.tar.zst" "$OUT/context.tar.zst.sig"
    (cd "$PKG" && "$OURS" package --full-scan -o "$OUT/context.tar.zst")
}
ours_warm() {
    rm -f "$OUT/context.tar.zst" "$OUT/context.tar.zst.sig"
    (cd "$PKG" && "$OURS" package -o "$OUT/context.tar.zst")
}
engine() { # exit 1 is expected: the blobs hold the baseline's findings
    "$OURS" scan --format json "$BLOBS" || [ $? = 1 ]
}
export -f ours ours_warm engine; export OURS BLOBS

log "Warm-up"
ours >/dev/null; ours_warm >/dev/null; bash -c floor; engine >/dev/null
: > "$OUT/results.tsv"
for r in $(seq 1 "$ROUNDS"); do
    for which in ours ours_warm floor engine; do
        line="$(timed "$which.$r" bash -c "$which")"
        printf '%s\t%s\t%s\t%s\n' "$which" "$r" "$line" "$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$OUT/results.tsv" >&2
    done
done
ours >/dev/null # a cold run's manifest: how much history a full scan reads
HIST_MB="$(python3 -c "import json,sys; m=json.load(sys.stdin); print(round(m['scan']['bytes_scanned']/1e6))" \
    < <(zstd -dc "$OUT/context.tar.zst" | tar -xOf - manifest.json))"
python3 - "$OUT/results.tsv" "$HIST_MB" "$(stat -c %s "$OUT/context.tar.zst")" "$(stat -c %s "$OUT/floor.tar.zst")" <<'PY' | tee "$BENCH_DIR/package-results.md"
import statistics, sys
path, hist_mb, ours_size, floor_size = sys.argv[1:]
rows = {}
for line in open(path):
    which, r, rest, load = line.rstrip("\n").split("\t")
    wall, rss, cpu = rest.split()
    rows.setdefault(which, []).append((float(wall), int(rss), float(load), float(cpu)))
med = {k: statistics.median(x[0] for x in v) for k, v in rows.items()}
print(f"Repository: {hist_mb} MB of unique blobs scanned by `package`.\n")
print("| run | median wall | median CPU | vs. floor | peak RSS | archive | load avg during runs |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for k, v in rows.items():
    size = {"floor": f"{int(floor_size) / 1e6:.1f} MB", "engine": "none"}.get(k, f"{int(ours_size) / 1e6:.1f} MB")
    cpu = statistics.median(x[3] for x in v)
    label = {
        "ours": "`amplihack-remote package --full-scan` (cold: whole history scanned)",
        "ours_warm": "`amplihack-remote package` again (warm: history recorded clean)",
        "floor": "floor: `git bundle create --all` + `tar | zstd -T0 -3`",
        "engine": "`amplihack-remote scan` of the same blobs as plain files (engine only)",
    }[k]
    print(f"| {label} | {med[k]:.2f} s | {cpu:.2f} s | {med[k] / med['floor']:.2f}x | {max(x[1] for x in v) / 1024:.0f} MiB | {size} | {', '.join(f'{x[2]:.1f}' for x in v)} |")
PY
