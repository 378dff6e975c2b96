#!/bin/sh
# SPDX-License-Identifier: MIT
# install-dirs.sh - create directories for `make install`, and add to MANIFEST
# each one it had to create (parents first), so that `make uninstall` removes
# those and no directory that was there before. MANIFEST's own directory must
# be among the DIRs (or exist).
# usage: install-dirs.sh MANIFEST|- DIR...   ("-": note nothing, as under DESTDIR)
set -eu
manifest=$1
shift
created=""
for dir in "$@"; do
	# The missing components of DIR, outermost first.
	missing=""
	d=$dir
	while [ ! -d "$d" ]; do
		missing="$d
$missing"
		d=$(dirname "$d")
	done
	for m in $missing; do
		mkdir -m 0755 "$m"
		created="$created$m
"
	done
done
if [ "$manifest" != - ] && [ -n "$created" ]; then
	printf '%s' "$created" >> "$manifest"
fi
