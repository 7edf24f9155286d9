#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end tests of "pmswitch run" and "pmswitch stats" with the
# bundled examples, inside the emulated machine with pmswitch.ko loaded
# (POSIX sh: busybox there). Prints TAP and a kselftest-style Totals line.
# Usage: run_test.sh DIR [exitless|native]
#   (DIR holds pmswitch, jq, examples/*.ctx and *.bin). With "exitless", only
#   the exit-less example pair (xl_ping/xl_pong): the job runs that after
#   exitless_test, since a VMFUNC leaves Bochs' EPTP index stale for the
#   suites that check #VE information (Documentation/exitless.rst). With
#   "native", only "pmswitch native" with native_report (it sets the
#   module parameter allow_native to 1 and back to 0).
dir=${1:?usage: run_test.sh DIR [exitless|native]}
cli=$dir/pmswitch
ex=$dir/examples
n=0 pass=0 fail=0 skip=0
out=/tmp/run_test.out

ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n $1"; }
not_ok() {
	n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n $1"
	sed 's/^/#   /' "$out"
}
skip() { n=$((n + 1)); skip=$((skip + 1)); echo "ok $n # SKIP $1"; }

# Every --json output is parsed with jq (one document, nothing else);
# json_bad counts those that do not parse, json_seen all of them.
jq=$dir/jq json_seen=0 json_bad=0
json_ok() {
	json_seen=$((json_seen + 1))
	if "$jq" -e -s 'length == 1' "$1" >/dev/null 2>&1; then
		return 0
	fi
	json_bad=$((json_bad + 1))
	echo "# not one valid JSON document:"
	sed 's/^/#   /' "$1"
	return 1
}

# info_has FEATURE: pmswitch --json info reports it (the output parsed).
info_has() {
	"$cli" --json info >/tmp/info.json 2>&1
	json_ok /tmp/info.json &&
		grep -q '"features": \[[^]]*"'"$1"'"' /tmp/info.json
}

# The JSON verdict, last: every output seen parsed, and there were some.
json_verdict() {
	if [ ! -x "$jq" ]; then
		n=$((n + 1)); fail=$((fail + 1))
		echo "not ok $n every_json_output_parses # no $jq in the payload"
	elif [ "$json_seen" = 0 ]; then
		# Nothing ran that prints JSON (no VT-x, one CPU): nothing to judge.
		skip "every_json_output_parses: no --json output in this run"
	elif [ "$json_bad" = 0 ]; then
		ok "every_json_output_parses ($json_seen outputs)"
	else
		n=$((n + 1)); fail=$((fail + 1))
		echo "not ok $n every_json_output_parses ($json_bad of $json_seen did not)"
	fi
}

# pair NAME ORIGIN TARGET ORIGIN-BIN TARGET-BIN
pair() {
	if "$cli" run "$ex/$2.ctx" "$ex/$3.ctx" --image "$ex/$4.bin@0x10000" \
		--image "$ex/$5.bin@0x20000" >"$out" 2>&1 &&
	   grep -q "stopped: hypercall: context 1 stopped the run (code 24589)" "$out" &&
	   grep -q "origin   target   LAUNCH" "$out"; then
		ok "$1"
	else
		not_ok "$1"
	fi
}

# xl_run NAME [ARGS]: the exit-less pair, 1000 round trips a run.
xl_run() {
	"$cli" "$@" "$ex/xl_ping.ctx" "$ex/xl_pong.ctx" \
		--image "$ex/xl_ping.bin@0x100000" \
		--image "$ex/xl_pong.bin@0x200000"
}

# The summary's VM exits, one reason a line ("1 VMCALL", ...).
exit_reasons() {
	sed -n "s/^summary: .* VM exits (\(.*\))$/\1/p" "$out" | tr , '\n' |
		sed 's/^ *//'
}

# Every VM exit of the pair's runs: its one stop, and the host's own
# (interrupts, the preemption timer, NMIs), never a VMCALL switch.
only_the_stop_and_host_exits() {
	[ "$(exit_reasons | grep -c '^1 VMCALL$')" = "$1" ] &&
	! exit_reasons | grep -v -e '^1 VMCALL$' -e ' external interrupt$' \
		-e ' VMX-preemption timer expired$' -e ' exception or NMI$' |
		grep -q .
}

# json_rip MEMBER: the member's resume point in the JSON in $out.
json_rip() {
	sed -n "s/.*\"context\": \"$1\"[^}]*\"rip\": \([0-9]*\).*/\1/p" "$out"
}

# past_entry RIP BASE: RIP lies after the entry point BASE, in its page.
past_entry() {
	[ -n "$1" ] && [ $(($1 - $2)) -gt 0 ] && [ $(($1 - $2)) -lt 4096 ]
}

xl_tests() {
	if ! info_has eptp_switching; then
		if xl_run run >"$out" 2>&1; then
			not_ok "exitless_pair_without_eptp_switching_fails"
		elif grep -q "xl_ping.ctx: 1 rule(s) broken, first: rule 811 (SDM 26.5.6.3)" "$out"; then
			ok "exitless_pair_without_eptp_switching_names_rule_811"
		else
			not_ok "exitless_pair_without_eptp_switching_names_rule_811"
		fi
		skip "the CPU lacks VM functions with EPTP switching"
		return
	fi
	# 1000 round trips a run: 2000 exit-less switches, each counted by
	# the routine in the state page of the member it entered and of the
	# one it left, as PMSW_IOC_XL_STATE reads them back: per run, then in
	# total. Each resume point lies in the member's own code page.
	if xl_run run --repeat 2 >"$out" 2>&1 &&
	   [ "$(grep -c '^stopped: hypercall: context 0 stopped the run (code 24589)$' "$out")" = 2 ] &&
	   [ "$(grep -c '^summary: 2000 exit-less switches, ' "$out")" = 2 ] &&
	   grep -q '^  origin    0      1000      1000      1000      1000  0x100[0-9a-f]\{3\}$' "$out" &&
	   grep -q '^  target    1      1000      1000      1000      1000  0x200[0-9a-f]\{3\}$' "$out" &&
	   grep -q '^  origin    0      1000      1000      2000      2000  0x100[0-9a-f]\{3\}$' "$out" &&
	   grep -q '^  target    1      1000      1000      2000      2000  0x200[0-9a-f]\{3\}$' "$out" &&
	   only_the_stop_and_host_exits 2; then
		ok "exitless_pair_2000_switches_a_run_one_vm_exit_of_its_own"
	else
		not_ok "exitless_pair_2000_switches_a_run_one_vm_exit_of_its_own"
	fi
	# No VMCALL switch: of all transitions, one ended by VMCALL (the stop).
	if xl_run run --trace >"$out" 2>&1 &&
	   [ "$(grep -c '^  [0-9][0-9]* .* VMCALL  ' "$out")" = 1 ]; then
		ok "exitless_pair_transitions_hold_one_vmcall_the_stop"
	else
		not_ok "exitless_pair_transitions_hold_one_vmcall_the_stop"
	fi
	if xl_run --json run >"$out" 2>&1 && json_ok "$out" &&
	   grep -q '"exitless": {"members": \[{"context": "origin", "id": 0, "entries": 1000, "exits": 1000, "total_entries": 1000, "total_exits": 1000, "rip": [0-9]*, "error": null}, {"context": "target", "id": 1, "entries": 1000, "exits": 1000, "total_entries": 1000, "total_exits": 1000, "rip": [0-9]*, "error": null}\], "switches": 2000}' "$out" &&
	   grep -q '"by_reason": {[^}]*"18": 1[,}]' "$out" &&
	   past_entry "$(json_rip origin)" 0x100000 &&
	   past_entry "$(json_rip target)" 0x200000; then
		ok "exitless_pair_json_counts"
	else
		not_ok "exitless_pair_json_counts"
	fi
}

# The native switch with the example target native_report (its registers:
# native_report.S). The expected values are the .ctx's: CR0 = PE|MP|ET|
# NE|PG, CR4 = PAE|PGE|OSFXSR|OSXMMEXCPT, EFER = LME|LMA, RSP 0x108000;
# the module's GDT, IDT and TSS (uapi: PMSW_NATIVE_GDT/IDT/TSS at
# 0xffc00000, selectors PMSW_NATIVE_SEL_CODE 0x08 and _TSS 0x18).
allow_native=/sys/module/pmswitch/parameters/allow_native
native_run() {
	"$cli" "$@" native "$ex/native_report.ctx" \
		--image "$ex/native_report.bin@0x100000"
}

# has_reg NAME VALUE: the text output's final registers hold NAME=VALUE.
has_reg() {
	grep -Eq "(^| )$1=$2( |\$)" "$out"
}

native_text_test() {
	if native_run >"$out" 2>&1 &&
	   grep -q '^stopped: returned: ' "$out" &&
	   grep -q '^forward exit: 18 (VMCALL)$' "$out" &&
	   has_reg rax 0x80000033 && has_reg rcx 0x6a0 && has_reg rdx 0x500 &&
	   has_reg rsi 0xffc04000 && has_reg rdi 0xffc03000 &&
	   has_reg r8 0x18 && has_reg r9 0x8 && has_reg r10 0x108000 &&
	   has_reg r11 0x1 && has_reg rsp 0x108000 &&
	   has_reg cr3 "$(sed -n 's/.* rbx=\(0x[0-9a-f]*\).*/\1/p' "$out")"; then
		ok "native_report_returns_what_it_saw_outside_vmx"
	else
		not_ok "native_report_returns_what_it_saw_outside_vmx"
	fi
}

native_json_test() {
	if native_run --json >"$out" 2>&1 && json_ok "$out" &&
	   "$jq" -e '.stop == "returned" and .forward_exit == 18 and
		.vector == null and .error_code == null and
		.ticks.forward > 0 and
		(.registers | .rax == 2147483699 and .rcx == 1696 and
		 .rdx == 1280 and .rsi == 4290789376 and .rdi == 4290785280 and
		 .r8 == 24 and .r9 == 8 and .r10 == 1081344 and .r11 == 1 and
		 .rbx == .cr3 and .cr3 != 0 and .cr0 == .rax and .cr4 == .rcx)' \
		"$out" >/dev/null; then
		ok "native_report_json"
	else
		not_ok "native_report_json"
	fi
}

# Refused without the parameter: one line naming it, EPERM, exit 1
# (cli.rst, EXIT STATUS), and in JSON one document with the error.
native_refusal_tests() {
	echo 0 >"$allow_native"
	native_run >"$out" 2>&1
	if [ $? = 1 ] && [ "$(wc -l <"$out")" = 1 ] &&
	   grep -q "^pmswitch: .*native_report.ctx: PMSW_IOC_NATIVE refused (Operation not permitted): native switches need the module parameter allow_native=1" "$out"; then
		ok "native_without_allow_native_is_refused_eperm_with_the_reason"
	else
		not_ok "native_without_allow_native_is_refused_eperm_with_the_reason"
	fi
	native_run --json >"$out" 2>&1
	if [ $? = 1 ] && json_ok "$out" &&
	   grep -q '"error": ".*allow_native=1' "$out"; then
		ok "native_refusal_in_json_is_one_document_with_the_error"
	else
		not_ok "native_refusal_in_json_is_one_document_with_the_error"
	fi
}

# On one CPU the module has no CPU for its watchdog: EOPNOTSUPP, and the
# reason says so.
native_one_cpu_test() {
	native_run >"$out" 2>&1
	if [ $? = 1 ] &&
	   grep -q "PMSW_IOC_NATIVE refused (Operation not supported): no other online CPU" "$out"; then
		ok "native_on_one_cpu_is_refused_with_the_reason"
	else
		not_ok "native_on_one_cpu_is_refused_with_the_reason"
	fi
	skip "native round trips: one online CPU, the native switch needs a second (its watchdog)"
}

native_tests() {
	native_refusal_tests
	echo 1 >"$allow_native"
	if [ "$(grep -c '^processor' /proc/cpuinfo)" -lt 2 ]; then
		native_one_cpu_test
	else
		native_text_test
		native_json_test
	fi
	echo 0 >"$allow_native"
	if [ "$(cat "$allow_native")" = N ]; then
		ok "allow_native_is_off_again"
	else
		echo "# allow_native: $(cat "$allow_native")" >"$out"
		not_ok "allow_native_is_off_again"
	fi
}

echo "TAP version 13"
if [ "${2:-}" = native ]; then
	if ! grep -qw vmx /proc/cpuinfo || [ ! -e "$allow_native" ]; then
		skip "no VT-x or no native switch in this pmswitch.ko: nothing to switch natively"
	else
		native_tests
		json_verdict
	fi
	echo "1..$n"
	echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
	[ "$fail" = 0 ]
	exit
fi
if [ "${2:-}" = exitless ]; then
	if ! grep -qw vmx /proc/cpuinfo ||
	   ! info_has ept; then
		skip "no VT-x with EPT: the exit-less pair needs it"
	else
		xl_tests
	fi
	json_verdict
	echo "1..$n"
	echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
	[ "$fail" = 0 ]
	exit
fi
# Without VT-x, or with VT-x but no EPT (which every session needs, as the
# module reports it), a run must fail with a reason.
if ! grep -qw vmx /proc/cpuinfo ||
   ! info_has ept; then
	if "$cli" run "$ex/flat32_origin.ctx" "$ex/pae_target.ctx" >"$out" 2>&1; then
		not_ok "run_without_vtx_or_ept_fails"
	elif grep -q "pmswitch: " "$out"; then
		ok "run_without_vtx_or_ept_fails_with_a_reason"
	else
		not_ok "run_without_vtx_or_ept_fails_with_a_reason"
	fi
	skip "no VT-x with EPT: the example runs need it"
	json_verdict
	echo "1..$n"
	echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
	[ "$fail" = 0 ]
	exit
fi

pair flat32_to_pae flat32_origin pae_target switch32 report32
pair pae_to_long64 pae_origin long64_target switch32 report64
pair long64_to_paging32 long64_origin paging32_target switch64 report32
pair real16_to_flat32 real16_origin flat32_target switch16 report32

# Three rounds of 1000 switches: LAUNCH twice in round 1, then RESUME.
if "$cli" run "$ex/ping.ctx" "$ex/pong.ctx" --image "$ex/ping32.bin@0x10000" \
	--image "$ex/pong32.bin@0x20000" --repeat 3 --trace >"$out" 2>&1 &&
   [ "$(grep -c ' LAUNCH ' "$out")" = 2 ] &&
   [ "$(grep -c ' RESUME ' "$out")" -ge 2999 ] &&
   grep -q "^run 3: " "$out"; then
	ok "pingpong_repeat_3_launches_twice_then_resumes"
else
	not_ok "pingpong_repeat_3_launches_twice_then_resumes"
fi

# Contexts outside the exit-less group: no member table, no such switch.
if "$cli" run "$ex/ping.ctx" "$ex/pong.ctx" --image "$ex/ping32.bin@0x10000" \
	--image "$ex/pong32.bin@0x20000" >"$out" 2>&1 &&
   [ "$(grep -c '^summary: 0 exit-less switches, ' "$out")" = 1 ] &&
   ! grep -q '^exit-less switches' "$out"; then
	ok "pingpong_without_members_makes_no_exitless_switch"
else
	not_ok "pingpong_without_members_makes_no_exitless_switch"
fi

if "$cli" --json run "$ex/flat32_origin.ctx" "$ex/long64_target.ctx" \
	--image "$ex/switch32.bin@0x10000" --image "$ex/report64.bin@0x20000" >"$out" 2>&1 &&
   json_ok "$out" && grep -q '"type": "LAUNCH"' "$out" && grep -q '"stop": "hypercall"' "$out"; then
	ok "run_json_reports_typed_transitions"
else
	not_ok "run_json_reports_typed_transitions"
fi

# A bad image spec and a context the checks refuse: one line, exit codes.
"$cli" run "$ex/flat32_origin.ctx" "$ex/pae_target.ctx" --image nope >"$out" 2>&1
if [ $? = 2 ] && grep -q "expected FILE@GPA" "$out"; then
	ok "bad_image_spec_is_a_usage_error"
else
	not_ok "bad_image_spec_is_a_usage_error"
fi
printf 'mode = long64\ncs = ar=0xe09b\n' >/tmp/bad.ctx
"$cli" run /tmp/bad.ctx "$ex/pae_target.ctx" >"$out" 2>&1
if [ $? = 1 ] && grep -q "rule 266 (SDM 27.3.1.2): GUEST_CS_AR_BYTES" "$out"; then
	ok "refused_context_names_rule_section_and_field"
else
	not_ok "refused_context_names_rule_section_and_field"
fi

# An unprivileged user gets one clear line, not a crash.
grep -q '^nobody:' /etc/passwd 2>/dev/null ||
	echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>/etc/passwd
su -s /bin/sh nobody -c "$cli info" >"$out" 2>&1
if [ $? = 1 ] && grep -q "permission denied: needs root (CAP_SYS_ADMIN)" "$out"; then
	ok "unprivileged_user_is_told_permission_denied"
else
	not_ok "unprivileged_user_is_told_permission_denied"
fi

# vmx on/off: the persistent reference outlives the CLI process.
if "$cli" vmx on >"$out" 2>&1 &&
   "$cli" vmx status >"$out" 2>&1 && grep -q "persistent reference" "$out" &&
   ! grep -q "VMX off" "$out" && "$cli" vmx off >/dev/null 2>&1 &&
   "$cli" vmx status >"$out" 2>&1 && grep -q "vmx users:    0$" "$out" &&
   ! grep -q "VMX on" "$out"; then
	ok "vmx_on_stays_until_vmx_off"
else
	not_ok "vmx_on_stays_until_vmx_off"
fi

if "$cli" stats >"$out" 2>&1 && grep -q "entries RESUME" "$out" &&
   ! grep -q "entries RESUME    0$" "$out"; then
	ok "stats_counts_the_resumes"
else
	not_ok "stats_counts_the_resumes"
fi

# The other commands' JSON, and errors in JSON mode: one document each.
if "$cli" --json example >"$out" 2>&1 && json_ok "$out" &&
   grep -q '"target_saw": {"cr0": ' "$out"; then
	ok "example_json_parses"
else
	not_ok "example_json_parses"
fi
if "$cli" vmx cycle --json >"$out" 2>&1 && json_ok "$out" &&
   grep -q '"after VMXON": {"vmx_users": [1-9]' "$out"; then
	ok "vmx_cycle_json_parses_with_json_after_the_command"
else
	not_ok "vmx_cycle_json_parses_with_json_after_the_command"
fi
if "$cli" --json stats >"$out" 2>&1 && json_ok "$out" &&
   grep -q '"resumes": [1-9]' "$out"; then
	ok "stats_json_parses"
else
	not_ok "stats_json_parses"
fi
"$cli" --json run /tmp/bad.ctx "$ex/pae_target.ctx" >"$out" 2>&1
if [ $? = 1 ] && json_ok "$out" && grep -q '"error": ".*rule 266' "$out"; then
	ok "refused_context_in_json_is_one_document_with_the_error"
else
	not_ok "refused_context_in_json_is_one_document_with_the_error"
fi
if "$cli" --version >"$out" 2>&1 &&
   grep -q "^module $(cat /sys/module/pmswitch/version)$" "$out" &&
   "$cli" --json --version >"$out" 2>&1 && json_ok "$out" &&
   grep -q '"module_version": "'"$(cat /sys/module/pmswitch/version)"'"' "$out"; then
	ok "version_names_the_loaded_modules_version"
else
	not_ok "version_names_the_loaded_modules_version"
fi
json_verdict

echo "1..$n"
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
[ "$fail" = 0 ]
