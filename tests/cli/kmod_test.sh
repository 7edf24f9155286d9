#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end tests of "pmswitch load/unload/info" (libkmod) inside the
# emulated machine, run while pmswitch.ko is NOT loaded. POSIX sh.
# Prints TAP and a kselftest-style Totals line. Usage: kmod_test.sh DIR
dir=${1:?usage: kmod_test.sh DIR}
cli=$dir/pmswitch
n=0 pass=0 fail=0
out=/tmp/kmod_test.out

# check NAME WANT-EXIT WANT-TEXT CMD...: with --json on the line, the
# output must also be one JSON document (jq from the payload parses it).
check() {
	name=$1 want_rc=$2 want=$3 json=0
	shift 3
	"$@" >"$out" 2>&1
	rc=$?
	n=$((n + 1))
	for a in "$@"; do [ "$a" = --json ] && json=1; done
	if [ "$rc" = "$want_rc" ] &&
	   { [ -z "$want" ] || grep -qF -- "$want" "$out"; } &&
	   { [ "$json" = 0 ] || "$dir/jq" -e -s 'length == 1' "$out" >/dev/null; }; then
		pass=$((pass + 1)); echo "ok $n $name"
	else
		fail=$((fail + 1)); echo "not ok $n $name (exit $rc, want $want_rc)"
		sed 's/^/#   /' "$out"
	fi
}

echo "TAP version 13"
check info_reports_not_loaded 1 "module:       not loaded" "$cli" info
check info_json_reports_not_loaded 1 '"state": "not loaded"' "$cli" --json info
check unload_when_not_loaded_fails_clearly 1 "unload pmswitch: not loaded" "$cli" unload
check load_of_a_missing_file_fails_clearly 1 "nope.ko: not found" "$cli" load /nope.ko
check load_of_a_non_module_fails_clearly 1 "load $dir/job.sh:" "$cli" load "$dir/job.sh"
check load_by_path_inserts_the_module 0 "" "$cli" load "$dir/pmswitch.ko"
check info_reports_live_and_version 0 "module:       live, version $(cat "$dir/VERSION")" "$cli" info
check second_load_says_already_loaded 1 "already loaded" "$cli" load "$dir/pmswitch.ko"
exec 3</dev/pmswitch
check unload_while_in_use_says_busy 1 "in use" "$cli" unload
exec 3<&-
check unload_removes_the_module 0 "" "$cli" unload
check device_is_gone_after_unload 1 "module:       not loaded" "$cli" info
check version_without_the_module_says_not_loaded 0 "module not loaded" "$cli" --version
check json_load_error_is_one_document 1 '"error": "/nope.ko: not found"' \
	"$cli" --json load /nope.ko
# Without a path, load takes the module installed for this kernel (the
# DKMS payload installs it as DKMS does, with its modules.dep).
if [ -e "/lib/modules/$(uname -r)/modules.dep" ]; then
	check load_by_name_inserts_the_installed_module 0 "module:       live" \
		sh -c "'$cli' load && '$cli' info"
	check unload_after_load_by_name 0 "" "$cli" unload
else
	check load_by_name_without_an_installed_module_fails_clearly 1 \
		"not installed for this kernel" "$cli" load
fi
echo "1..$n"
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ "$fail" = 0 ]
