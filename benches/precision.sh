#!/usr/bin/env bash
# Precision on real code: scans bodies of public, secret-free source that exist on every
# machine that builds this project, and reports findings per 100 MB by confidence.
#
#   benches/precision.sh [BINARY]      (default: target/release/amplihack-remote)
#
# Bodies: the crate sources under the cargo registry (present after `cargo build`), the Rust
# standard library sources (if the rust-src component is installed) and Python's standard
# library (of the `python3` on PATH). Each finding is listed for review in
# target/precision/findings.tsv; reviewed false positives become negative examples.
set -euo pipefail
BIN=${1:-target/release/amplihack-remote}
OUT=target/precision
mkdir -p "$OUT"
bodies=()
for d in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/; do [ -d "$d" ] && bodies+=("$d"); done
rs="$(rustc --print sysroot 2>/dev/null)/lib/rustlib/src/rust/library"
[ -d "$rs" ] && bodies+=("$rs")
py="$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])' 2>/dev/null || true)"
[ -n "$py" ] && [ -d "$py" ] && bodies+=("$py")
printf '%s\n' "${bodies[@]}" > "$OUT/bodies.txt"
# --no-ignore: crate sources ship .gitignore files; every byte counts. Exit 1 (findings) is
# expected; exit 2 (an unreadable input) is not.
set +e
"$BIN" scan --no-ignore --config /dev/null --format json --show-secrets "${bodies[@]}" > "$OUT/scan.json"
rc=$?
set -e
[ "$rc" -le 1 ] || { echo "scan failed with exit $rc" >&2; exit "$rc"; }
python3 - "$OUT" <<'PY'
import collections, json, sys
out = sys.argv[1]
d = json.load(open(f"{out}/scan.json"))
mb = d["summary"]["bytes_scanned"] / 1e6
by_conf = collections.Counter(f["confidence"] for f in d["findings"])
by_rule = collections.Counter((f["confidence"], f["rule_id"]) for f in d["findings"])
print(f"scanned {d['summary']['files_scanned']} files, {mb:.1f} MB")
for c in ("high", "medium", "low"):
    print(f"  {c:<6} {by_conf[c]:>5} findings  {by_conf[c] / mb * 100:7.2f} per 100 MB")
print("by rule:")
for (c, r), n in sorted(by_rule.items(), key=lambda x: (-x[1], x[0])):
    print(f"  {n:>5}  {c:<6} {r}")
with open(f"{out}/findings.tsv", "w") as f:
    for x in d["findings"]:
        f.write(f"{x['confidence']}\t{x['rule_id']}\t{x['path']}:{x['line']}\t{x['excerpt']}\n")
PY
