#!/bin/sh
# SPDX-License-Identifier: MIT
# check-exports.sh - fail if an installed library makes any symbol but the
# public API (client_*) global: the static archive's defined globals, and the
# shared library's exported dynamic symbols. Internal names such as sc_err_set
# or sc_net_connect would otherwise clash with a user's own.
# Also fail if either calls plain getenv(): the library reads its environment
# with secure_getenv() only, so a setuid program ignores it (SECURITY.md).
# With --abi, also fail unless the shared library's exports are exactly the
# calls include/serialcmd.h declares SERIALCMD_API, the names the version
# script lists and the names the Debian symbols file lists, each carrying the
# version node SERIALCMD_1.0 (or a later node the script and symbols file name):
# an export cannot appear or disappear unless all three change with it.
# usage: check-exports.sh [--abi VERSION_SCRIPT SYMBOLS_FILE HEADER --] \
#            lib/libserialcmd.a lib/libserialcmd.so.1
set -eu
status=0
map="" symbols="" header=""
if [ "${1:-}" = --abi ]; then
	map=$2 symbols=$3 header=$4
	[ "$5" = -- ] || { echo "check-exports: usage: --abi MAP SYMBOLS HEADER -- LIB..." >&2; exit 2; }
	shift 5
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# abi_check LIB: the --abi comparison for one shared library.
abi_check() {
	# name@NODE of every defined dynamic symbol, the version nodes themselves aside.
	nm -D --defined-only --with-symbol-versions "$1" | awk 'NF >= 3 && $2 != "A" { print $3 }' |
		sed 's/@@*/@/' | sort > "$tmp/exported"
	# The version script: names between "global:" and "local:", node by node.
	awk '
		/\/\*/ { incomment = 1 }
		incomment { if (/\*\//) incomment = 0; next }
		/^[A-Za-z_][A-Za-z0-9_.]* *\{/ { node = $1; next }
		/global:/ { global = 1; next }
		/local:/ { global = 0; next }
		global && /;/ { gsub(/[ \t;]/, ""); if ($0 != "") print $0 "@" node }
	' "$map" | sort > "$tmp/script"
	# The symbols file: " name@NODE minver" lines; the node lines (NODE@NODE) aside.
	awk '/^ / { split($1, p, "@"); if (p[1] != p[2]) print $1 }' "$symbols" | sort > "$tmp/symbols"
	# The header: the function each SERIALCMD_API declaration names.
	sed -n 's/^SERIALCMD_API[^(]*[^A-Za-z0-9_(]\([A-Za-z_][A-Za-z0-9_]*\)(.*/\1/p' "$header" | sort > "$tmp/header"
	sed 's/@.*//' "$tmp/exported" > "$tmp/exported-names"
	ok=1
	for other in "script $map" "symbols $symbols"; do
		if ! diff -u "$tmp/exported" "$tmp/${other% *}" > "$tmp/diff"; then
			echo "check-exports: $1 exports (-) differ from ${other#* } (+):"
			sed -n 's/^\([-+][^-+]\)/    \1/p' "$tmp/diff"
			ok=0
		fi
	done
	if ! diff -u "$tmp/exported-names" "$tmp/header" > "$tmp/diff"; then
		echo "check-exports: $1 exports (-) differ from the SERIALCMD_API calls of $header (+):"
		sed -n 's/^\([-+][^-+]\)/    \1/p' "$tmp/diff"
		ok=0
	fi
	if ! nm -D --defined-only "$1" | awk '$2 == "A" { print $3 }' | grep -q '^SERIALCMD_1\.0$'; then
		echo "check-exports: $1 has no version node SERIALCMD_1.0"
		ok=0
	fi
	if [ $ok = 1 ]; then
		echo "check-exports: $1: $(wc -l < "$tmp/exported") exports, as $map, $symbols and $header say"
	else
		status=1
	fi
}
for lib in "$@"; do
	case "$lib" in
	*.a) syms=$(nm -g --defined-only "$lib" | awk 'NF >= 3 { print $3 }') ;;
	# The version nodes (type A, e.g. SERIALCMD_1.0) are no symbols of code.
	*) syms=$(nm -D --defined-only "$lib" | awk 'NF >= 3 && $2 != "A" { print $3 }') ;;
	esac
	case "$lib" in
	*.a) undef=$(nm -u "$lib" | awk '{ print $NF }') ;;
	*) undef=$(nm -D --undefined-only "$lib" | awk '{ print $NF }') ;;
	esac
	if printf '%s\n' "$undef" | grep -q -E '^getenv(@|$)'; then
		echo "check-exports: $lib calls getenv(); use secure_getenv()"
		status=1
	fi
	if ! printf '%s\n' "$undef" | grep -q -E '^secure_getenv(@|$)'; then
		echo "check-exports: $lib references no secure_getenv: wrong file?"
		status=1
	fi
	n=$(printf '%s\n' "$syms" | grep -c '^client_' || true)
	if [ "$n" -eq 0 ]; then
		echo "check-exports: $lib defines no client_* symbol: wrong file?"
		status=1
	fi
	bad=$(printf '%s\n' "$syms" | grep -v -e '^client_' -e '^$' || true)
	if [ -n "$bad" ]; then
		echo "check-exports: $lib makes internal symbols global:"
		printf '    %s\n' $bad
		status=1
	else
		echo "check-exports: $lib: $n global symbols, all client_*"
	fi
	case "$lib" in
	*.a) ;;
	*) [ -z "$map" ] || abi_check "$lib" ;;
	esac
done
exit $status
