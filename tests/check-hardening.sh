#!/bin/sh
# SPDX-License-Identifier: MIT
# check-hardening.sh - fail unless binaries built with dpkg-buildflags' values
# (hardening=+all) show it: full RELRO (a GNU_RELRO segment and BIND_NOW),
# position-independent executables, and _FORTIFY_SOURCE (the library and
# each program that calls fortifiable functions call their __*_chk variants).
# usage: check-hardening.sh LIBRARY PROGRAM...
set -eu
status=0
fail() { echo "check-hardening: $1: $2"; status=1; ok=0; }
for f in "$@"; do
	ok=1
	hdr=$(readelf -hW "$f")
	dyn=$(readelf -dW "$f")
	readelf -lW "$f" | grep -q 'GNU_RELRO' || fail "$f" "no GNU_RELRO segment (-z relro)"
	printf '%s\n' "$dyn" | grep -q -E '\(BIND_NOW\)|\(FLAGS\).*BIND_NOW|\(FLAGS_1\).*NOW' ||
		fail "$f" "no BIND_NOW (-z now)"
	case "$f" in
	*.so | *.so.*) ;;
	*)
		printf '%s\n' "$hdr" | grep -q 'Type:.*DYN' || fail "$f" "not a PIE (ELF type is not DYN)"
		printf '%s\n' "$dyn" | grep -q '(FLAGS_1).*PIE' || fail "$f" "not a PIE (no FLAGS_1 PIE)"
		;;
	esac
	chk=$(nm -D --undefined-only "$f" | awk '{ print $NF }' | sed 's/@.*//' | grep -c -E '^__.*_chk$' || true)
	[ "$chk" -gt 0 ] || fail "$f" "calls no __*_chk function (_FORTIFY_SOURCE)"
	[ $ok = 0 ] || echo "check-hardening: $f: RELRO, BIND_NOW$(case "$f" in *.so*) ;; *) printf ', PIE' ;; esac), $chk fortified calls"
done
exit $status
