#!/usr/bin/env python3
"""Writes every blob of a repository's object store to OUT as a plain file named by its id
(OUT/ab/cdef...), so that a tree scan can be timed on exactly the bytes a history scan reads,
with no git work. Usage: export_blobs.py REPO OUT"""
import os
import subprocess
import sys
import threading

repo, out = sys.argv[1:]
listing = subprocess.run(
    ["git", "-C", repo, "cat-file", "--batch-all-objects",
     "--batch-check=%(objectname) %(objecttype)"],
    check=True, capture_output=True,
).stdout.split(b"\n")
ids = b"".join(line.split()[0] + b"\n" for line in listing if line.endswith(b" blob"))
reader = subprocess.Popen(["git", "-C", repo, "cat-file", "--batch"],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE)
# The id list is written from a thread, so that git's output never fills the pipe while we
# are still writing its input.
threading.Thread(target=lambda: (reader.stdin.write(ids), reader.stdin.close())).start()
src = reader.stdout
while True:
    header = src.readline()
    if not header:
        break
    oid, _, size = header.split()
    d = os.path.join(out, oid[:2].decode())
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, oid[2:].decode()), "wb") as f:
        f.write(src.read(int(size)))
    src.read(1)
if reader.wait() != 0:
    sys.exit("git cat-file --batch failed")
