#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# version_test.sh [KO...]: the one version in VERSION reaches every place
# that names it: debian/changelog, NEWS, the dkms.conf that
# `make install-dkms` installs, `pmswitch --version` (built here), the
# Kbuild define behind MODULE_VERSION and, for each KO given, the version
# modinfo reads from the module. debian/rules must refuse a changelog that
# disagrees. Host only; prints TAP and a kselftest-style Totals line.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 pass=0 fail=0

ok() {		# ok NAME CMD...: a TAP line, ok if CMD exits 0
	local name=$1
	shift
	n=$((n + 1))
	if "$@" >"$tmp/out" 2>&1; then
		pass=$((pass + 1)); echo "ok $n $name"
	else
		fail=$((fail + 1)); echo "not ok $n $name"
		sed 's/^/#   /' "$tmp/out"
	fi
}

same() {	# same WANT GOT: equal, or say both
	[ "$1" = "$2" ] || { echo "want '$1', got '$2'"; return 1; }
}

echo "TAP version 13"
version=$(cat VERSION)
ok "VERSION is one line MAJOR.MINOR.PATCH" \
	sh -c "[ \$(wc -l <VERSION) = 1 ] && grep -Eqx '[0-9]+\.[0-9]+\.[0-9]+' VERSION"

changelog=$(sed -n '1s/^pmswitch (\([^)]*\)).*/\1/p' debian/changelog)
ok "debian/changelog's newest entry is $version" same "$version" "$changelog"
news=$(grep -Eom1 '^pmswitch [0-9][^ ]*' NEWS | cut -d' ' -f2)
ok "NEWS starts with $version" same "$version" "$news"

make -s install-dkms DESTDIR="$tmp/dkms" >"$tmp/make.log" 2>&1
conf=$tmp/dkms/usr/src/pmswitch-$version/dkms.conf
ok "make install-dkms puts dkms.conf in /usr/src/pmswitch-$version" test -f "$conf"
ok "its PACKAGE_VERSION is $version" grep -qx "PACKAGE_VERSION=\"$version\"" "$conf"
ok "its VERSION file is $version" \
	same "$version" "$(cat "$tmp/dkms/usr/src/pmswitch-$version/VERSION" 2>/dev/null)"

abi=$(sed -n 's/^#define PMSW_ABI_VERSION[[:space:]]*\([0-9]*\).*/\1/p' uapi/linux/pmswitch.h)
make -s BUILD="$tmp/build" "$tmp/build/pmswitch" >"$tmp/make.log" 2>&1
"$tmp/build/pmswitch" --version >"$tmp/version" 2>&1
ok "pmswitch --version prints $version" \
	same "pmswitch $version" "$(sed -n 1p "$tmp/version")"
ok "pmswitch --version prints uapi ABI $abi" \
	same "uapi ABI $abi" "$(sed -n 2p "$tmp/version")"

ok "MODULE_VERSION is PMSW_VERSION" grep -qx 'MODULE_VERSION(PMSW_VERSION);' kmod/main.c
ok "Kbuild defines PMSW_VERSION from VERSION" \
	grep -q 'PMSW_VERSION := $(shell cat $(src)/VERSION' Kbuild
for ko in "$@"; do
	ok "$ko: modinfo version is $version" \
		same "$version" "$(modinfo -F version "$ko" 2>&1)"
done

# debian/rules compares the changelog with VERSION before it builds.
mkdir -p "$tmp/rules"
cp -r debian "$tmp/rules/"
echo "$version" >"$tmp/rules/VERSION"
ok "debian/rules accepts the changelog when it matches VERSION" \
	make -s -C "$tmp/rules" -f debian/rules override_dh_auto_configure
echo 99.0.0 >"$tmp/rules/VERSION"
ok "debian/rules refuses a changelog that does not match VERSION" \
	sh -c "! make -s -C '$tmp/rules' -f debian/rules override_dh_auto_configure"

echo "1..$n"
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ "$fail" = 0 ]
