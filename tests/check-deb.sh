#!/bin/sh
# SPDX-License-Identifier: MIT
# check-deb.sh - build the Debian packages from a copy of the tree
# (dpkg-buildpackage -us -uc -b), run lintian (no error, no warning that is
# not overridden), install them with dpkg -i, use them from outside the tree
# (installed-smoke.sh: the C example via pkg-config, the README's Python block,
# serialcmd --version, no RUNPATH), check the binaries' hardening, `man -w`
# and the udev rules' place,
# then purge them and check that none of their files is left. The machine is
# left as found, also when a step fails half-way (trap). Root only.
# usage: check-deb.sh   (from the source tree)
set -eu
cd "$(dirname "$0")/.."
tree=$PWD
pkgs="python3-serialcmd serialcmd libserialcmd-dev libserialcmd1"
[ "$(id -u)" -eq 0 ] || { echo "check-deb: needs root (dpkg -i)"; exit 1; }
for p in $pkgs; do
	if dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q -v 'not-installed'; then
		echo "check-deb: $p is already on this machine; not touching it" >&2
		exit 1
	fi
done
dpkg-checkbuilddeps || { echo "check-deb: install the build dependencies first (sh .ci/install-deps)" >&2; exit 1; }

out=$tree/build/deb
rm -rf "$out"
mkdir -p "$out/src"
git ls-files -z --cached --others --exclude-standard | grep -z -v '^build/' | xargs -0 tar cf - | tar xf - -C "$out/src"

installed=0
restore() {
	status=$?
	if [ $installed = 1 ]; then
		echo "check-deb: failed; purging the packages" >&2
		# shellcheck disable=SC2086
		dpkg --purge $pkgs > /dev/null 2>&1 || true
	fi
	exit $status
}
trap restore EXIT
trap 'exit 1' INT TERM HUP

echo "check-deb: dpkg-buildpackage -us -uc -b (log: build/deb/build.log)"
(cd "$out/src" && dpkg-buildpackage -us -uc -b > ../build.log 2>&1) || { tail -30 "$out/build.log"; exit 1; }
debs=$(ls "$out"/*.deb | grep -v -- -dbgsym_)
echo "check-deb: built" $(cd "$out" && ls *.deb)

echo "check-deb: lintian"
lintian --fail-on error,warning "$out"/*.changes 2>&1 | grep -v '^running with root privileges' || true
lintian --fail-on error,warning "$out"/*.changes > /dev/null 2>&1 || { echo "check-deb: lintian reports errors or warnings" >&2; exit 1; }

# Every file and link the packages ship, for the check after the purge.
for d in $debs; do dpkg-deb -c "$d"; done | awk '$1 !~ /^d/ { print $6 }' | sed 's|^\./|/|' | sort -u > "$out/shipped"

installed=1
# shellcheck disable=SC2086
dpkg -i $debs > "$out/dpkg.log" 2>&1 || { cat "$out/dpkg.log"; exit 1; }
echo "check-deb: installed $pkgs"

sh tests/installed-smoke.sh "$tree" /usr/bin ""
# The package build applied dpkg-buildflags' hardening (debian/rules: +all).
sh tests/check-hardening.sh /usr/lib/"$(dpkg-architecture -qDEB_HOST_MULTIARCH)"/libserialcmd.so.1.0.0 \
	/usr/bin/serialcmd /usr/bin/serialcmd-sim /usr/lib/serialcmd/serialcmd-udev-id
man -w serialcmd serialcmd-sim
rules=/usr/lib/udev/rules.d/70-serialcmd.rules
[ -f $rules ] || { echo "check-deb: no $rules" >&2; exit 1; }
# The shipped profiles all have maker-specific USB ids (a generic bridge id
# is never probed: issue 18), so the rules may run no helper at all; any
# that they run is the installed one, and nothing names the build tree.
if grep -n 'serialcmd-udev-id' $rules | grep -v '="/usr/lib/serialcmd/serialcmd-udev-id ' | grep -v ':#'; then
	echo "check-deb: $rules runs a helper other than the installed one" >&2; exit 1
fi
if grep -n -F "$tree" $rules; then echo "check-deb: $rules names the build tree" >&2; exit 1; fi
[ -x /usr/lib/serialcmd/serialcmd-udev-id ] || { echo "check-deb: no identify helper" >&2; exit 1; }
# The installed helper identifies an instrument with the installed profiles.
simout=$(mktemp)
serialcmd-sim keithley2000 > "$simout" &
sim=$!
for _ in $(seq 50); do [ -s "$simout" ] && break; sleep 0.1; done
ids=$(/usr/lib/serialcmd/serialcmd-udev-id "$(head -n 1 "$simout")" keithley2000 || true)
kill $sim 2>/dev/null || true; wait $sim 2>/dev/null || true
rm -f "$simout"
echo "$ids" | grep -qx 'ID_SERIALCMD_MODEL=keithley2000' || { echo "check-deb: the installed helper did not identify the simulated keithley2000: $ids" >&2; exit 1; }
echo "check-deb: udev rules in /usr/lib/udev/rules.d, helper /usr/lib/serialcmd/serialcmd-udev-id"

# shellcheck disable=SC2086
dpkg --purge $pkgs > "$out/dpkg.log" 2>&1 || { cat "$out/dpkg.log"; exit 1; }
installed=0
left=0
while IFS= read -r f; do
	if [ -e "$f" ] || [ -L "$f" ]; then echo "check-deb: left behind: $f" >&2; left=1; fi
done < "$out/shipped"
for d in /usr/share/serialcmd /usr/lib/serialcmd /usr/lib/python3/dist-packages/serialcmd \
	/usr/share/doc/libserialcmd1 /usr/share/doc/libserialcmd-dev /usr/share/doc/serialcmd /usr/share/doc/python3-serialcmd; do
	if [ -e "$d" ]; then echo "check-deb: left behind: $d" >&2; left=1; fi
done
for p in $pkgs; do
	if dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q -v 'not-installed'; then
		echo "check-deb: $p still known to dpkg" >&2; left=1
	fi
done
[ $left = 0 ] || exit 1
echo "check-deb: built, lintian clean, installed, used, purged; nothing left"
