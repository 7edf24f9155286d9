#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make_test.sh KDIR: the install targets of the top-level Makefile, in a
# copy of the source tree (the test builds in the tree, as a user does):
#   make module KDIR=...        then `make clean` without KDIR leaves no
#                               file that was not there before;
#   make modules_install        pmswitch.ko under INSTALL_MOD_PATH's
#                               /lib/modules/<KDIR's release>/extra, in
#                               modules.dep (depmod ran);
#   make uninstall              removes it from there and modules.dep, and
#                               the files `make install` put under DESTDIR.
# Host only (nothing is loaded); prints TAP and a Totals line.
set -u
kdir=${1:?usage: make_test.sh KDIR}
[ -f "$kdir/include/generated/utsrelease.h" ] ||
	{ echo "make_test.sh: $kdir is not a kernel build tree" >&2; exit 64; }
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' "$kdir/include/generated/utsrelease.h")
src=$tmp/src mods=$tmp/mods dest=$tmp/dest
n=0 pass=0 fail=0

ok() {		# ok NAME CMD...: a TAP line, ok if CMD exits 0
	local name=$1
	shift
	n=$((n + 1))
	if "$@" >"$tmp/out" 2>&1; then
		pass=$((pass + 1)); echo "ok $n $name"
	else
		fail=$((fail + 1)); echo "not ok $n $name"
		tail -15 "$tmp/out" | sed 's/^/#   /'
	fi
}

echo "TAP version 13"
mkdir -p "$src"
(cd "$top" && git ls-files -z --cached --others --exclude-standard |
 while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
 tar -c --null -T - -f -) | tar -x -C "$src"
(cd "$src" && find . | sort) >"$tmp/before"

ok "make module KDIR=$kdir" make -C "$src" module KDIR="$kdir"
ok "it built pmswitch.ko in the tree" test -f "$src/pmswitch.ko"
ok "make modules_install puts it in lib/modules/$rel/extra" sh -c \
	"make -C '$src' modules_install KDIR='$kdir' INSTALL_MOD_PATH='$mods' &&
	 ls '$mods/lib/modules/$rel/extra/'pmswitch.ko*"
ok "depmod listed it in modules.dep" \
	grep -q '^extra/pmswitch.ko[^:]*:' "$mods/lib/modules/$rel/modules.dep"
ok "make install puts the CLI, man page, completion and header in DESTDIR" sh -c \
	"make -C '$src' install DESTDIR='$dest' PREFIX=/usr &&
	 test -x '$dest/usr/sbin/pmswitch' &&
	 test -f '$dest/usr/share/man/man8/pmswitch.8' &&
	 test -f '$dest/usr/share/bash-completion/completions/pmswitch' &&
	 test -f '$dest/usr/include/linux/pmswitch.h'"
ok "make uninstall removes the module and every installed file" sh -c \
	"make -C '$src' uninstall KERNELRELEASE='$rel' INSTALL_MOD_PATH='$mods' \
		DESTDIR='$dest' PREFIX=/usr &&
	 ! ls '$mods/lib/modules/$rel/extra/'pmswitch.ko* &&
	 ! grep -q pmswitch '$mods/lib/modules/$rel/modules.dep' &&
	 test -z \"\$(find '$dest' -type f)\""
ok "make uninstall without a kernel release fails and says why" sh -c \
	"out=\$(make -C '$src' uninstall KDIR=/nonexistent 2>&1); rc=\$?;
	 echo \"\$out\"; [ \$rc -ne 0 ] && echo \"\$out\" | grep -q 'no kernel release'"
# The running kernel's tree is not KDIR: clean must not depend on it.
ok "make clean (no KDIR) leaves only the files that were there before" sh -c \
	"make -C '$src' clean KDIR=/nonexistent &&
	 (cd '$src' && find . | sort) | diff '$tmp/before' -"

echo "1..$n"
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ "$fail" = 0 ]
