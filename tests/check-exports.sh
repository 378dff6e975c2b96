#!/bin/sh
# SPDX-License-Identifier: MIT
# check-exports.sh - fail if an installed library makes any symbol but the
# public API (client_*) global: the static archive's defined globals, and the
# shared library's exported dynamic symbols. Internal names such as sc_err_set
# or sc_net_connect would otherwise clash with a user's own.
# Also fail if either calls plain getenv(): the library reads its environment
# with secure_getenv() only, so a setuid program ignores it (SECURITY.md).
# usage: check-exports.sh lib/libserialcmd.a lib/libserialcmd.so.1
set -eu
status=0
for lib in "$@"; do
	case "$lib" in
	*.a) syms=$(nm -g --defined-only "$lib" | awk 'NF >= 3 { print $3 }') ;;
	*) syms=$(nm -D --defined-only "$lib" | awk 'NF >= 3 { print $3 }') ;;
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
done
exit $status
