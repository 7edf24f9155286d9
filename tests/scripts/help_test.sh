#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: help_test.sh [--help]
#
# Every script of the test bed (tools/run-*, tools/testbed/*, tools/build/*,
# .ci/run) answers --help and -h with exit 0, a "usage:" line on stdout and
# nothing on stderr; and refuses an unknown option, an option without its
# value and a bad value with exit 64 (EX_USAGE) and one line on stderr
# naming the script, before it installs or downloads anything.  "Before"
# is checked, not trusted: the scripts run with a PATH whose apt-get,
# apt-cache, dpkg, dpkg-query, make, bochs, qemu-system-x86_64, xorriso and
# gnuplot only record that they were called and fail, and a case fails if
# any of them was called.  (dpkg-query is among them because on a machine
# that has every package, a premature install step would never reach
# apt-get.)  Host only, about two seconds; TAP with kselftest's totals.
set -uo pipefail

case "${1:-}" in
-h | --help) sed -n '4,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
"") ;;
*) echo "help_test.sh: unknown option '$1' (see help_test.sh --help)" >&2; exit 64 ;;
esac

top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/bin"
for t in apt-get apt-cache apt dpkg dpkg-query make bochs \
	 qemu-system-x86_64 xorriso gnuplot; do
	printf '#!/bin/sh\necho "%s $*" >>"%s/called"\nexit 99\n' "$t" "$tmp" >"$tmp/bin/$t"
	chmod +x "$tmp/bin/$t"
done

n=0 pass=0 fail=0
echo "TAP version 13"

# verdict WHY DESC: print the TAP line; WHY empty means the case passed.
verdict() {
	n=$((n + 1))
	if [ -z "$1" ]; then
		pass=$((pass + 1))
		echo "ok $n $2"
	else
		fail=$((fail + 1))
		echo "not ok $n $2 # $1"
		sed 's/^/#   /' "$tmp/out" "$tmp/err" | head -5
	fi
}

# run_script SCRIPT ARG...: run it with the recording PATH; sets rc.
run_script() {
	local script=$1
	shift
	rm -f "$tmp/called"
	PATH="$tmp/bin:$PATH" timeout 30 "$top/$script" "$@" \
		</dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# installed: why a case fails if a recording stub was called.
installed() {
	[ ! -s "$tmp/called" ] || echo "called '$(head -n1 "$tmp/called")' first"
}

# help SCRIPT: --help and -h exit 0 with a usage line and no stderr.
help() {
	local script=$1 opt why
	for opt in --help -h; do
		run_script "$script" "$opt"
		why=$(installed)
		[ -s "$tmp/err" ] && why="wrote to stderr"
		grep -q '^usage: ' "$tmp/out" || why="no 'usage:' line"
		[ "$rc" = 0 ] || why="exit $rc, want 0"
		verdict "$why" "$script $opt"
	done
}

# refused SCRIPT ARG...: exit 64, one line on stderr naming the script.
refused() {
	local script=$1 why
	shift
	run_script "$script" "$@"
	why=$(installed)
	grep -q -e "^${script##*/}: " -e "^$script: " "$tmp/err" ||
		why="reason does not name ${script##*/}"
	[ "$(wc -l <"$tmp/err")" = 1 ] || why="$(wc -l <"$tmp/err") lines on stderr, want 1"
	[ "$rc" = 64 ] || why="exit $rc, want 64"
	verdict "$why" "$script $* refused"
}

s=tools/run-tests
help $s
refused $s --bogus
refused $s --kline
refused $s --kline --jobs 2
refused $s --kline 5.10
refused $s --jobs x
refused $s --jobs 0
refused $s --only kvm
refused $s --model nosuch
refused $s --only qemu --model corei3_cnl
refused $s stray

s=tools/run-demo
help $s
refused $s --bogus
refused $s --cpus
refused $s --cpus 0
refused $s --kline 5.10
refused $s --emu kvm

s=tools/run-bench
help $s
refused $s --bogus
refused $s --iterations
refused $s --iterations x
refused $s --cpus 0
refused $s --kline 5.10
refused $s --mitigations
refused $s --mitigations on
refused $s --all --kline 6.1
refused $s --all --mitigations default
refused $s --all --chart-only
refused $s --compare
refused $s --compare /nonexistent
refused $s stray

s=tools/testbed/run-vm
help $s
refused $s --bogus
refused $s --emu
refused $s --emu bochs --kline 5.10
refused $s --emu bochs --cpus 0
refused $s --emu bochs --timeout x
refused $s --emu bochs --cpu-model nosuch
refused $s --emu bochs --mitigations
refused $s --emu bochs --mitigations on
refused $s --emu qemu --kline 6.1 --cpus 1
refused $s --emu qemu --kline 6.1 --cpus 1 --payload /nonexistent --out "$tmp/o"
mkdir "$tmp/payload"
printf '#!/bin/sh\n' >"$tmp/payload/job.sh"
chmod +x "$tmp/payload/job.sh"
refused $s --emu qemu --kline 6.1 --cpus 1 --payload "$tmp/payload" \
	--out "$tmp/o" --cpu-model corei3_cnl

for s in tools/testbed/kernel-version tools/testbed/fetch-kernel \
	 tools/testbed/fetch-headers tools/build/build-module; do
	help $s
	refused $s --bogus
	refused $s
	refused $s 5.10
	refused $s 6.1 extra
done

s=tools/build/ksft-headers
help $s
refused $s --bogus
refused $s
refused $s "$tmp/a" "$tmp/b"

s=tools/build/ksft-layout
help $s
refused $s --bogus
refused $s stray

s=tools/testbed/mkfastboot.py
help $s
refused $s --bogus
refused $s
refused $s /nonexistent "$tmp/out.bzImage"

# guest-init is the machine's /init: without its PID 1 guard it would mount
# over the host's /proc and /tmp, so a tree without the guard is not run.
s=tools/testbed/guest-init
if grep -q '^if \[ "\$\$" != 1 \]; then$' "$top/$s"; then
	help $s
	refused $s --bogus
else
	: >"$tmp/out"
	echo "no PID 1 guard" >"$tmp/err"
	verdict "no PID 1 guard: not run on the host" "$s guarded"
fi

s=.ci/run
help $s
refused $s --bogus

echo "1..$n"
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ "$fail" = 0 ]
