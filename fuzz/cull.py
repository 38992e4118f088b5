#!/usr/bin/env python3
"""Cuts an afl-cmin output down to at most N files for the committed corpus: a greedy set
cover of the edges (afl-showmap -e traces), each step taking the file that adds the most
edges not yet covered (the smaller one on ties), until every edge is covered or N files are
taken. Prints how many edges the kept files cover. Usage:
  fuzz/cull.py N IN_DIR OUT_DIR TARGET_BINARY     (afl-showmap on PATH, e.g. AFL++'s bin/)"""
import os, shutil, subprocess, sys, tempfile

limit, src, dst, binary = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
with tempfile.TemporaryDirectory() as traces:
    env = dict(os.environ, AFL_QUIET="1")
    subprocess.run(["afl-showmap", "-e", "-i", src, "-o", traces, "-q", "--", binary], env=env, check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    edges = {}
    for name in os.listdir(traces):
        with open(os.path.join(traces, name)) as f:
            edges[name] = {line.split(":")[0] for line in f if line.strip()}
size = {n: os.path.getsize(os.path.join(src, n)) for n in edges}
everything = set().union(*edges.values()) if edges else set()
covered, kept = set(), []
while len(kept) < limit:
    best = max(edges, key=lambda n: (len(edges[n] - covered), -size[n]), default=None)
    if best is None or not edges[best] - covered:
        break
    covered |= edges.pop(best)
    kept.append(best)
os.makedirs(dst, exist_ok=True)
for n in kept:
    shutil.copy(os.path.join(src, n), os.path.join(dst, n))
print(f"kept {len(kept)} files, {sum(size[n] for n in kept)} bytes, covering {len(covered)} of {len(everything)} edges")
