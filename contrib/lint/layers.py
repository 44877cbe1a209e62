#!/usr/bin/env python3
"""layers.py - the server's layering, checked from the object files.

usage: layers.py [-a ALLOWLIST] OBJECT...

Reads "nm" of each object: the global symbols it defines and the ones
it uses.  A use of a symbol another object defines is an edge between
the two modules (objects).  Fails (exit 1) on:

  (a) a command used from below: a symbol named cmd_* or defined in a
      cmd_*.o, used by an object other than main.o and its own;
  (b) a cycle between modules (a strongly connected component of more
      than one), unless ALLOWLIST names exactly that set of modules;
  (c) an ALLOWLIST entry that is no longer a cycle: the list only
      shrinks, so a broken cycle must leave it.

ALLOWLIST: one cycle a line, its modules separated by blanks (order
does not matter); "#" starts a comment, which should say why the cycle
is still there.  Exit 2 on a usage or nm error.
"""

import os
import subprocess
import sys


def nm(obj):
    """The global symbols obj defines and the ones it leaves undefined."""
    try:
        out = subprocess.run(["nm", "-g", obj], check=True,
                             capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        sys.exit(f"layers: nm {obj}: {e}")
    defined, undefined = set(), set()
    for line in out.splitlines():
        f = line.split()
        if len(f) == 2 and f[0] in ("U", "w", "v"):
            undefined.add(f[1])
        elif len(f) == 3 and f[1] not in ("U", "w", "v"):
            defined.add(f[2])
    return defined, undefined


def module(obj):
    return os.path.splitext(os.path.basename(obj))[0]


def sccs(nodes, edges):
    """Tarjan's strongly connected components, each a sorted list."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        # Iterative: a deep call graph must not hit the recursion limit.
        work = [(v, iter(sorted(edges.get(v, ()))))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        while work:
            node, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                    break
                if w in on:
                    low[node] = min(low[node], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == node:
                            break
                    out.append(sorted(comp))

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def read_allow(path):
    allow = {}
    if path is None:
        return allow
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].split()
            if line:
                allow[frozenset(line)] = n
    return allow


def main(argv):
    allow_path = None
    if len(argv) > 2 and argv[1] == "-a":
        allow_path = argv[2]
        argv = argv[2:]
    objs = argv[1:]
    if not objs:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    defs, uses, owner = {}, {}, {}
    for o in objs:
        m = module(o)
        defs[m], uses[m] = nm(o)
        for s in defs[m]:
            owner[s] = m
    edges = {}      # module -> {module: {symbols}}
    for m, used in uses.items():
        for s in used:
            d = owner.get(s)
            if d is not None and d != m:
                edges.setdefault(m, {}).setdefault(d, set()).add(s)
    bad = 0
    for m in sorted(edges):
        for d in sorted(edges[m]):
            if m == "main":
                continue
            cmds = sorted(s for s in edges[m][d]
                          if s.startswith("cmd_") or d.startswith("cmd_"))
            if cmds:
                print(f"layers: {m}.o calls into command {d}.o: "
                      f"{' '.join(cmds)}")
                bad += 1
    allow = read_allow(allow_path)
    seen = set()
    for comp in sccs(defs.keys(), edges):
        if len(comp) < 2:
            continue
        key = frozenset(comp)
        inside = []
        for m in comp:
            for d in sorted(edges.get(m, {})):
                if d in key:
                    inside.append(f"    {m} -> {d}: "
                                  f"{' '.join(sorted(edges[m][d]))}")
        if key in allow:
            seen.add(key)
            print(f"layers: cycle (allowed, {os.path.basename(allow_path)}"
                  f":{allow[key]}): {' '.join(comp)}")
        else:
            print(f"layers: cycle: {' '.join(comp)}")
            bad += 1
        print("\n".join(inside))
    for key, n in sorted(allow.items(), key=lambda kv: kv[1]):
        if key not in seen:
            print(f"layers: {allow_path}:{n}: {' '.join(sorted(key))} is "
                  "no longer a cycle; remove the line")
            bad += 1
    if bad:
        print(f"layers: {bad} problem(s)")
        return 1
    print(f"layers: {len(objs)} objects, no command called from below, "
          f"{len(seen)} allowed cycle(s) left")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
