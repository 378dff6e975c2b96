#!/bin/sh
# SPDX-License-Identifier: MIT
# run-valgrind.sh - run each test program under valgrind; fail on any memory
# error, any leak, or any file descriptor left open that was not inherited.
set -u
status=0
mkdir -p build
for t in "$@"; do
	log="build/valgrind-$(basename "$t").log"
	echo "== valgrind $t"
	valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect,possible \
		--show-leak-kinds=definite,indirect,possible --track-fds=yes --log-file="$log" "./$t"
	rc=$?
	# Descriptors that valgrind lists as not inherited were leaked by the test.
	opened=$(grep -c "Open file descriptor" "$log")
	inherited=$(grep -c "<inherited from parent>" "$log")
	other=$(grep -v -e "FILE DESCRIPTORS" -e "Open file descriptor" -e "<inherited from parent>" \
		-e '^==[0-9]*== *$' -e "noted but unhandled ioctl" -e "could cause spurious value errors" \
		-e "README_MISSING_SYSCALL_OR_IOCTL" "$log" | grep -c .)
	if [ "$rc" -ne 0 ] || [ "$opened" -ne "$inherited" ] || [ "$other" -ne 0 ]; then
		echo "valgrind: $t: exit $rc, $((opened - inherited)) leaked descriptors, $other report lines:"
		cat "$log"
		status=1
	fi
done
[ "$status" -eq 0 ] && echo "valgrind: $# programs, no errors, no leaks, no descriptors left open"
exit "$status"
