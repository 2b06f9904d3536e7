#!/usr/bin/env python3
"""Generates a git repository with a long history of real source files, for the history-scan
and packaging benchmarks (see benches/README.md).

Sources: text files of the crate sources under ~/.cargo/registry/src (then Python's standard
library if more is needed), committed in batches through one `git fast-import` stream; every
commit also edits a few earlier files (a line appended), so the history holds many versions of
the same paths, as real histories do. Stops once the unique blob bytes reach the target and the
commit count reaches the minimum. Deterministic for a given seed and source set.

usage: gen_history.py DIR TARGET_MB MIN_COMMITS
"""
import os
import random
import subprocess
import sys
import sysconfig

TEXT = {".rs", ".toml", ".md", ".txt", ".c", ".h", ".py", ".json", ".yml", ".yaml", ".sh", ".js", ".ts"}
MAX_FILE = 512 * 1024


def sources():
    roots = []
    reg = os.path.expanduser("~/.cargo/registry/src")
    if os.path.isdir(reg):
        for idx in sorted(os.listdir(reg)):
            roots.append(os.path.join(reg, idx))
    stdlib = sysconfig.get_paths()["stdlib"]
    roots.append(stdlib)
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__pycache__" and d != "site-packages")
            for name in sorted(filenames):
                if name.startswith(".") or os.path.splitext(name)[1] not in TEXT:
                    continue
                path = os.path.join(dirpath, name)
                if os.path.islink(path):
                    continue
                try:
                    size = os.path.getsize(path)
                except OSError:
                    continue
                if 0 < size <= MAX_FILE:
                    rel = os.path.relpath(path, root)
                    yield os.path.basename(root) + "/" + rel, path


def main():
    out, target_mb, min_commits = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    target = target_mb * 1000 * 1000
    subprocess.run(["git", "init", "-q", "-b", "main", out], check=True)
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL="/dev/null")
    fi = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=out, stdin=subprocess.PIPE, env=env)
    w = fi.stdin
    rng = random.Random(42)
    added = []          # repo paths committed so far
    content = {}        # repo path -> current bytes (only for files small enough to edit)
    unique = 0
    commits = 0
    when = 1_700_000_000
    src = sources()
    exhausted = False
    while unique < target or commits < min_commits:
        mods = []
        if not exhausted:
            for _ in range(25):
                try:
                    rel, path = next(src)
                except StopIteration:
                    exhausted = True
                    break
                with open(path, "rb") as f:
                    data = f.read()
                mods.append((rel, data))
                added.append(rel)
                unique += len(data)
                if len(data) <= 16 * 1024:
                    content[rel] = data
        editable = [p for p in added[-5000:] if p in content]
        for _ in range(5):
            if not editable:
                break
            p = rng.choice(editable)
            data = content[p] + b"\n// edit %d of commit %d\n" % (rng.randrange(1 << 30), commits)
            content[p] = data
            mods.append((p, data))
            unique += len(data)
        if not mods:
            break
        commits += 1
        when += 3600
        msg = b"batch %d" % commits
        w.write(b"commit refs/heads/main\n")
        w.write(b"committer Bench <bench@example.invalid> %d +0000\n" % when)
        w.write(b"data %d\n%s\n" % (len(msg), msg))
        for p, data in mods:
            w.write(b"M 100644 inline %s\n" % p.encode())
            w.write(b"data %d\n" % len(data))
            w.write(data)
            w.write(b"\n")
        w.write(b"\n")
        if commits % 500 == 0:
            w.write(b"reset refs/tags/v%d\nfrom refs/heads/main\n\n" % commits)
    w.close()
    if fi.wait() != 0:
        sys.exit("git fast-import failed")
    print(f"{commits} commits, {unique / 1e6:.1f} MB of blob versions written", file=sys.stderr)


if __name__ == "__main__":
    main()
