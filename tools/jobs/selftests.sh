#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The test job, run by /init inside the emulated machine (tools/run-tests).
# Each kselftest binary prints TAP and is followed by "PMSW-SUITE <name>
# <exit status>"; checks made here print "PMSW-CHECK ok|fail <what>".
# Environment from run-vm: PMSW_EMU (bochs|qemu), PMSW_KLINE, PMSW_CPUS,
# PMSW_CPU_MODEL (the Bochs CPU model, qemu64 under QEMU).

check() {
	name=$1
	shift
	if "$@"; then
		echo "PMSW-CHECK ok $name"
	else
		echo "PMSW-CHECK fail $name"
	fi
}

suite() {
	name=$1
	shift
	"$@"
	echo "PMSW-SUITE $name $?"
}

# The features pmswitch info reports for each Bochs model, as measured
# with tools/jobs/cpuinfo.sh on both kernel lines (Documentation/testbed.rst,
# "CPU models"): PMSW_EXPECT_FEATURES must be reported, $absent must not.
all_features=true_ctls,secondary_ctls,ept,vpid,unrestricted_guest,vmfunc,eptp_switching,ept_ve,shadow_vmcs,preemption_timer,msr_bitmaps,io_bitmaps,vmcs_wb
absent=""
# no_ept: the model lacks a control pmswitch requires, so every session
# must be refused (CONTEXT_CREATE) with a reason naming what is missing.
no_ept=0

export PMSW_EXPECT_CPUS="$PMSW_CPUS" PMSW_KVM_DIR=/lib/pmswitch-kvm
case "$PMSW_EMU:$PMSW_CPU_MODEL" in
bochs:corei7_haswell_4770 | bochs:corei7_skylake_x)
	export PMSW_EXPECT_VMX=1 PMSW_EXPECT_FEATURES="$all_features"
	check "cpu: $PMSW_CPU_MODEL has no protection keys" \
		sh -c '! grep -qw -e pku -e ospke /proc/cpuinfo'
	;;
bochs:corei3_cnl | bochs:tigerlake | bochs:corei7_icelake_u)
	export PMSW_EXPECT_VMX=1 PMSW_EXPECT_FEATURES="$all_features"
	# CPUID.(EAX=7,ECX=0):ECX[3]: Linux sets CR4.PKE ("ospke") and keeps
	# it even though it drops XSAVE on this model (run-vm, known_warn):
	# user threads own a PKRU a context's WRPKRU could change.
	check "cpu: $PMSW_CPU_MODEL has protection keys enabled (ospke)" \
		grep -qw ospke /proc/cpuinfo
	;;
bochs:corei7_sandy_bridge_2600k)
	# No VM functions (secondary control 13) and so no EPTP switching;
	# no "EPT-violation #VE" (22) nor VMCS shadowing (14).
	export PMSW_EXPECT_VMX=1
	export PMSW_EXPECT_FEATURES=true_ctls,secondary_ctls,ept,vpid,unrestricted_guest,preemption_timer,msr_bitmaps,io_bitmaps,vmcs_wb
	absent=vmfunc,eptp_switching,ept_ve,shadow_vmcs
	;;
bochs:core2_penryn_t9600)
	# Secondary controls 0 and 6 only: no EPT, VPID, unrestricted guest;
	# no preemption timer (pin-based 6); no EFER/PAT load on entry.
	export PMSW_EXPECT_VMX=1
	export PMSW_EXPECT_FEATURES=true_ctls,secondary_ctls,msr_bitmaps,io_bitmaps,vmcs_wb
	absent=ept,vpid,unrestricted_guest,vmfunc,eptp_switching,ept_ve,shadow_vmcs,preemption_timer
	no_ept=1
	;;
qemu:*)
	export PMSW_EXPECT_VMX=0
	;;
*)
	check "expected features known for $PMSW_EMU model $PMSW_CPU_MODEL" false
	;;
esac

# lacks FEATURE: pmswitch --json info does not report FEATURE (grep -v
# on the one line of the list, so a missing list fails too).
lacks() {
	./pmswitch --json info >/tmp/info.json &&
	./jq -e -s 'length == 1' /tmp/info.json >/dev/null &&
	sed -n 's/.*"features": \[\([^]]*\)\].*/\1/p' /tmp/info.json |
		grep -qv "\"$1\""
}

# pmswitch's events in tracefs (Documentation/tracing.rst): all of them
# on while a suite runs, so that each tracepoint's own path runs under
# that suite's entries, exits and switches (a crash or warning there
# fails the console check). tracefs is mounted if it is not there.
tracing=/sys/kernel/tracing
pmsw_events() {
	{ [ -d $tracing/events ] || mount -t tracefs nodev $tracing; } &&
		echo "$1" >$tracing/events/pmswitch/enable
}
# Some traced exit ran another exit-less member than the one entered.
xl_exit_moved() {
	awk '/pmsw_exit:/ {
		for (i = 1; i < NF; i++) {
			if ($i == "ctx") c = $(i + 1)
			if ($i == "running") r = $(i + 1)
		}
		if (c != r) f = 1
	} END { exit !f }' $tracing/trace
}
switching=0
if grep -qw vmx /proc/cpuinfo && [ "$no_ept" = 0 ]; then
	switching=1
fi

suite cli_kmod_test ./kmod_test.sh /pmswitch
check "insmod pmswitch.ko" insmod ./pmswitch.ko
check "/dev/pmswitch exists" test -c /dev/pmswitch
suite pmswitch_test ./pmswitch_test
check "cli: pmswitch info" ./pmswitch info
check "cli: pmswitch --json info parses (jq)" \
	sh -c './pmswitch --json info >/tmp/info.json &&
	       ./jq -e -s "length == 1" /tmp/info.json >/dev/null &&
	       grep -q "\"abi_version\": [0-9]" /tmp/info.json'
check "cli: pmswitch info --help exits 0" \
	sh -c './pmswitch info --help | grep -q "usage: pmswitch \[--json\] info"'
for f in $(echo "$absent" | tr , ' '); do
	check "info: $PMSW_CPU_MODEL does not report $f" lacks "$f"
done
if [ "$no_ept" = 1 ]; then
	check "cli: pmswitch example without EPT is refused with a reason naming EPT" \
		sh -c './pmswitch example >/tmp/out 2>&1; test $? -eq 1 &&
		       dmesg | grep "CONTEXT_CREATE" | grep -q EPT'
elif grep -qw vmx /proc/cpuinfo; then
	check "cli: pmswitch example" ./pmswitch example
else
	check "cli: pmswitch example without VT-x fails cleanly (exit 1)" \
		sh -c './pmswitch example 2>/tmp/err; test $? -eq 1 && grep -q "pmswitch: " /tmp/err'
fi
check "cli: unknown command exits 2" \
	sh -c './pmswitch frobnicate 2>/dev/null; test $? -eq 2'
check "trace: every pmswitch event on" pmsw_events 1
: >$tracing/trace
suite switch_test ./switch_test
check "trace: pmswitch events off" pmsw_events 0
if [ "$switching" = 1 ]; then
	check "trace: switch_test traced its entries, exits and switches" \
		sh -c "grep -q 'pmsw_entry: .* LAUNCH' $tracing/trace &&
		       grep -q 'pmsw_exit: .* reason VMCALL' $tracing/trace &&
		       grep -q 'pmsw_switch: .* VMCALL count 1' $tracing/trace &&
		       grep -q 'pmsw_run_stop: ' $tracing/trace"
fi
: >$tracing/trace
suite trace_test ./trace_test
suite vpid_test ./vpid_test
suite scale_test ./scale_test
suite views_test ./views_test
suite ve_test ./ve_test
suite integrity_test ./integrity_test
suite lifetime_test ./lifetime_test
suite stress_test ./stress_test
suite cpu_checks_test ./cpu_checks_test
suite cli_run_test ./run_test.sh /pmswitch
# Before kvm_conflict_test: KVM must still load after 1,000 native
# round trips.
suite native_test ./native_test
# pmswitch native with the example target; sets allow_native 1, then 0.
suite cli_native_test ./run_test.sh /pmswitch native
suite kvm_conflict_test ./kvm_conflict_test
# The ioctl fuzzer: the issue's 50,000 operations on the 2-CPU Haswell
# machine of each line (~105 s of the fuzzer under Bochs), each line with
# a seed of its own; 5,000 on every other machine, whose CPU model or
# missing VT-x takes other refusal paths (Documentation/testbed.rst,
# "The ioctl fuzzer": replaying a seed, long mode). Last of the suites:
# its refusals use up the module's log rate limit, which the others' log
# checks need.
fuzz_ops=5000
case "$PMSW_EMU:$PMSW_CPU_MODEL:$PMSW_CPUS" in
bochs:corei7_haswell_4770:2) fuzz_ops=50000 ;;
esac
suite fuzz_test env PMSW_FUZZ_OPS=$fuzz_ops \
	PMSW_FUZZ_SEED="0x5eed$(echo "$PMSW_KLINE" | tr -d .)" ./fuzz_test
# After ve_test: Bochs never reloads the EPTP index from the VMCS at VM
# entry, so after a VMFUNC it leaks into later #VE information on that
# CPU. It checks no log, so it may follow the fuzzer. With every pmswitch
# event on: the exit-less switches are counted at each exit.
check "trace: every pmswitch event on" pmsw_events 1
: >$tracing/trace
suite exitless_test ./exitless_test
check "trace: pmswitch events off" pmsw_events 0
if [ "$switching" = 1 ] && ! lacks eptp_switching; then
	check "trace: exit-less switches counted at the exits" \
		grep -q 'pmsw_switch: .* EXITLESS count [1-9]' $tracing/trace
	check "trace: an exit names the member running, not the one entered" \
		xl_exit_moved
fi
: >$tracing/trace
suite cli_xl_test ./run_test.sh /pmswitch exitless
check "rmmod pmswitch" rmmod pmswitch
# The test hooks are debugfs files (pmswitch_test), removed with the
# module and created again with it.
check "rmmod removes debugfs pmswitch/ and its test hooks" \
	test ! -e /sys/kernel/debug/pmswitch
check "insmod pmswitch.ko again" insmod ./pmswitch.ko
check "insmod creates the debugfs test hooks, inert (-1)" \
	sh -c 'test "$(cat /sys/kernel/debug/pmswitch/fail_vmxon_on_cpu)" = -1 &&
	       test "$(cat /sys/kernel/debug/pmswitch/fake_caps_differ_on_cpu)" = -1'

# Power off with VMX still held: the reboot notifier must leave VMX
# operation on every CPU; run-tests looks for its log line.
if grep -qw vmx /proc/cpuinfo; then
	echo 7 >/proc/sys/kernel/printk
	./pmswitch vmx hold >/dev/null &
	sleep 1
	echo "PMSW-HOLDING-VMX"
fi
exit 0
