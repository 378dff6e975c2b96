#!/bin/sh
# SPDX-License-Identifier: MIT
# add-spdx.sh - give every tracked source file that lacks one an SPDX line,
# in the comment syntax of its kind; list the files it cannot place one in.
# usage: tools/add-spdx.sh [--check]   (--check: change nothing, fail if any lacks one)
# Files of other kinds (Markdown, the fuzz corpus, benchmark results, images)
# carry no line: debian/copyright covers them.
set -eu
cd "$(dirname "$0")/.."
check=0
[ "${1:-}" = --check ] && check=1
status=0
for f in $(git ls-files); do
	[ -f "$f" ] || continue
	case "$f" in
	tests/fuzz/corpus/* | *.md | *.png | *.json | *.txt | *.typed) continue ;;
	*.c | *.h) style=c ;;
	*.1 | *.3 | *.5 | *.7) style=roff ;;
	*.py | *.sh | *.mk | Makefile | *.profile | *.service | *.supp | *.toml | .gitignore | */.gitignore | .clang-format | .ci/* | debian/rules) style=hash ;;
	*) continue ;;
	esac
	grep -q 'SPDX-License-Identifier: MIT' "$f" && continue
	if [ $check = 1 ]; then
		echo "add-spdx: $f has no SPDX line"
		status=1
		continue
	fi
	case $style in
	c) line='/* SPDX-License-Identifier: MIT */' ;;
	roff) line='.\" SPDX-License-Identifier: MIT' ;;
	hash) line='# SPDX-License-Identifier: MIT' ;;
	esac
	# After a shebang, else first.
	if head -n 1 "$f" | grep -q '^#!'; then
		{ head -n 1 "$f"; printf '%s\n' "$line"; tail -n +2 "$f"; } > "$f.spdx"
	else
		{ printf '%s\n' "$line"; cat "$f"; } > "$f.spdx"
	fi
	chmod --reference="$f" "$f.spdx"
	mv "$f.spdx" "$f"
	echo "add-spdx: $f"
done
exit $status
