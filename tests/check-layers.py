# SPDX-License-Identifier: MIT
"""check-layers.py - find files that call or include each other in a circle.

usage: check-layers.py DIR OBJECT...

DIR is a source folder (lib, devices/sim); each OBJECT is the compiled
DIR/<name>.c. The graph has one node per file of DIR: an edge a.c -> b.c for
each global symbol that b.o defines and a.o uses (read with nm from the
objects, so only calls and data references the compiler kept count), and an
edge x -> y.h for each #include "y.h" of a file of DIR that names a file of
DIR. Every strongly connected part of two or more files is a circle: it is
printed with the symbols and includes that close it, and the exit status is 1.
Files that form layers, each using only those below it, give exit status 0.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Set, Tuple

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)


def symbols(obj: Path) -> Tuple[Set[str], Set[str]]:
    """The global symbols obj defines and those it uses but does not define."""
    out = subprocess.run(["nm", "-P", str(obj)], capture_output=True, text=True, check=True).stdout
    defined, used = set(), set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) < 2:
            continue
        name, kind = fields[0], fields[1]
        if kind == "U":
            used.add(name)
        elif kind.isupper():  # lower case: local to the object
            defined.add(name)
    return defined, used


def graph(root: Path, objects: List[Path]) -> Dict[str, Dict[str, List[str]]]:
    """edges[a][b]: why file a depends on file b (symbols, or "#include")."""
    edges: Dict[str, Dict[str, List[str]]] = defaultdict(lambda: defaultdict(list))
    owner: Dict[str, str] = {}
    uses: Dict[str, Set[str]] = {}
    for obj in objects:
        src = root / (obj.stem + ".c")
        if not src.is_file():
            sys.exit(f"check-layers: {obj}: no {src}")
        defined, used = symbols(obj)
        for name in defined:
            owner[name] = src.name
        uses[src.name] = used
    for user, used in uses.items():
        for name in sorted(used):
            if name in owner and owner[name] != user:
                edges[user][owner[name]].append(name)
    for f in sorted(list(root.glob("*.c")) + list(root.glob("*.h"))):
        for inc in INCLUDE.findall(f.read_text(errors="replace")):
            target = (root / inc).resolve()
            if target.parent == root.resolve() and target.is_file() and target.name != f.name:
                edges[f.name][target.name].append("#include")
    return edges


def circles(edges: Dict[str, Dict[str, List[str]]]) -> List[List[str]]:
    """The strongly connected parts of two or more files (Tarjan)."""
    nodes = sorted(set(edges) | {b for a in edges for b in edges[a]})
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    found: List[List[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, {})):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    sys.setrecursionlimit(10000)
    for v in nodes:
        if v not in index:
            visit(v)
    return sorted(found)


def main(argv: List[str]) -> int:
    if len(argv) < 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    root = Path(argv[1])
    edges = graph(root, [Path(o) for o in argv[2:]])
    found = circles(edges)
    files = {n for a in edges for n in [a, *edges[a]]}
    if not found:
        print(f"check-layers: {root}/: {len(files)} files, no circle")
        return 0
    print(f"check-layers: {root}/: {len(found)} circle(s) between files:")
    for part in found:
        print("  " + " <-> ".join(part))
        for a in part:
            for b in part:
                if b in edges.get(a, {}):
                    why = edges[a][b]
                    print(f"    {a} -> {b}: {', '.join(why[:8])}{' ...' if len(why) > 8 else ''}")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
