#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""gen-man3.py - the C API's section-3 man pages, from include/serialcmd.h's
documentation comments, so that they cannot drift from the header:
libserialcmd(3) (the overview: @mainpage, the types and constants), one page
per @defgroup (libserialcmd-GROUP(3): its calls' prototypes and documentation)
and, for each call, client_NAME(3), a link (.so) to its group's page.

usage: gen-man3.py HEADER OUTDIR VERSION
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

DATE = "2026-12-02"


def roff_text(text: str) -> str:
    """Doc-comment text to roff: doxygen's escaped backslash, `code`, #refs."""
    text = text.replace("\\\\", "\\").replace("\\", "\\e")
    text = re.sub(r"`([^`]+)`", r"\\fB\1\\fR", text)
    text = re.sub(r"#(client_\w+|CLIENT_\w+)", r"\1", text)
    out = []
    for line in text.split("\n"):
        if line.startswith((".", "'")):
            line = "\\&" + line
        out.append(line)
    return "\n".join(out)


def comment_body(raw: str) -> str:
    lines = raw.strip()[3:-2].split("\n")
    body = [re.sub(r"^\s*\* ?", "", line) for line in lines]
    return "\n".join(body).strip()


def parse(header: str):
    """(mainpage, decls, groups): groups is an ordered dict name -> {title,
    intro, funcs: [(name, prototype, doc)]}; decls the documented non-function
    declarations outside any group, [(code, doc)]: a struct or enum whole,
    its members' comments kept."""
    mainpage = ""
    groups: dict = {}
    stack: list = []
    decls = []
    skip_to = 0
    for m in re.finditer(r"/\*\*.*?\*/", header, re.S):
        if m.start() < skip_to:
            continue  # a member's comment inside a struct or enum shown whole
        body = comment_body(m.group(0))
        if body.startswith("@mainpage"):
            mainpage = body.split("\n", 1)[1]
            continue
        g = re.match(r"@defgroup (\w+) (.*?)\n(.*)", body + "\n", re.S)
        if g:
            intro = g.group(3).replace("@{", "").strip()
            groups[g.group(1)] = {"title": g.group(2).strip(), "intro": intro, "funcs": []}
            stack.append(g.group(1))
            continue
        if body.strip() == "@}":
            stack.pop()
            continue
        rest = header[m.end():].lstrip()
        start = len(header) - len(rest)
        f = re.match(r"SERIALCMD_API (.*?;)", rest, re.S)
        if f:
            proto = re.sub(r"\s+", " ", f.group(1))
            name = re.search(r"(\w+)\(", proto).group(1)
            groups[stack[-1]]["funcs"].append((name, proto, body))
            continue
        if stack:
            continue
        if re.match(r"(struct|enum) \w+ \{", rest):
            end = rest.index("\n};") + 3
            code = re.sub(r"/\*\*<?", "/*", rest[:end])
            skip_to = start + end
        else:
            d = re.match(r"(#define[^\n]*(?:\n#define[^\n]*)*|[^;]*;)", rest)
            code = d.group(1)
        decls.append((code, body))
    return mainpage, decls, groups


def func_doc(doc: str) -> str:
    """A call's documentation: text, then its parameters and return value."""
    parts = re.split(r"^@(param|return|since)\b", doc, flags=re.M)
    out = [roff_text(parts[0].strip())]
    params = []
    ret = since = ""
    for kind, text in zip(parts[1::2], parts[2::2]):
        text = re.sub(r"\s+", " ", text).strip()
        if kind == "param":
            name, _, rest = text.partition(" ")
            params.append((name, rest))
        elif kind == "return":
            ret = text
        else:
            since = text
    for name, rest in params:
        out.append(".TP\n.I %s\n%s" % (name, roff_text(rest)))
    if ret:
        out.append(".PP\n.B Returns:\n%s" % roff_text(ret))
    if since:
        out.append(".PP\nSince %s." % since)
    return "\n".join(x for x in out if x)


def headings(text: str) -> str:
    """The mainpage's "Title\\n-----" headings as .SS."""
    return re.sub(r"^(\S[^\n]*)\n-+$", r".SS \1", text, flags=re.M)


def page_head(name: str, version: str) -> str:
    return ('.\\" SPDX-License-Identifier: MIT\n'
            '.\\" Generated from include/serialcmd.h by tools/gen-man3.py; do not edit.\n'
            '.TH %s 3 "%s" "serialcmd %s" "Library Functions Manual"\n' % (name.upper(), DATE, version))


FOOT = """.SH COPYRIGHT
Copyright (c) 2026 the serialcmd authors.
serialcmd is free software under the MIT (Expat) license.
"""


def main() -> int:
    header, outdir, version = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    outdir.mkdir(parents=True, exist_ok=True)
    mainpage, decls, groups = parse(header.read_text())

    # The overview.
    lines = [page_head("libserialcmd", version),
             ".SH NAME\nlibserialcmd \\- ASCII command/reply over serial lines (C API)",
             ".SH SYNOPSIS\n.nf\n.B #include <serialcmd.h>\n.PP\ncc prog.c $(pkg\\-config \\-\\-cflags \\-\\-libs serialcmd)\n.fi",
             ".SH DESCRIPTION", roff_text(headings(mainpage)),
             ".SH CALLS\nOne page per group of calls (each call also has a page of its own name):"]
    for gname, g in groups.items():
        lines.append(".TP\n.BR libserialcmd\\-%s (3)\n%s: %s." % (
            gname, roff_text(g["title"]), ", ".join(f[0] + "()" for f in g["funcs"])))
    lines.append(".SH TYPES AND CONSTANTS")
    for code, doc in decls:
        lines.append(".PP\n%s\n.PP\n.in +4n\n.nf\n%s\n.fi\n.in" % (
            roff_text(re.sub(r"\s+", " ", doc)), roff_text(code)))
    lines.append(FOOT + ".SH SEE ALSO\n" + ",\n".join(
        ".BR libserialcmd\\-%s (3)" % g for g in groups) + ",\n.BR serialcmd (1)")
    (outdir / "libserialcmd.3").write_text("\n".join(lines) + "\n")

    # A page per group, a link per call.
    for gname, g in groups.items():
        page = "libserialcmd-%s" % gname
        names = ", ".join(f[0] for f in g["funcs"])
        lines = [page_head(page, version),
                 ".SH NAME\n%s \\- %s" % (names, roff_text(g["title"])),
                 ".SH SYNOPSIS\n.nf\n.B #include <serialcmd.h>\n.PP"]
        lines += [roff_text(f[1]) for f in g["funcs"]]
        lines.append(".fi")
        lines.append(".SH DESCRIPTION")
        if g["intro"]:
            lines.append(roff_text(g["intro"]))
        for name, _, doc in g["funcs"]:
            lines.append(".SS %s()\n%s" % (name, func_doc(doc)))
        lines.append(FOOT + ".SH SEE ALSO\n.BR libserialcmd (3)")
        (outdir / (page + ".3")).write_text("\n".join(lines) + "\n")
        for name, _, _ in g["funcs"]:
            (outdir / (name + ".3")).write_text(".so man3/%s.3\n" % page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
