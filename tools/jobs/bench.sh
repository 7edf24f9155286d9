#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark job, run inside the emulated machine by tools/run-bench:
# pmswitch's paths (the exit-less switches among them), then KVM's
# comparable ones in the same boot. Prints one "name median min max
# samples [vmwrites vmreads [key=value ...]]" line per path, or "skip
# name reason", between the BENCH markers; and "info" lines about the
# machine: the kernel command line, each CPU-vulnerability status the
# kernel reports ("info vuln NAME TEXT") and whether pmswitch flushes the
# L1D before VM entries ("info l1d_flush ...", kmod/enter.c), KVM's
# choice for the same ("info kvm_l1d_flush ...") and the kernel's boot
# messages about mitigations ("info dmesg ...").
n=${PMSW_BENCH_N:-2000}
# Results go to a file first: kernel messages on the console would
# otherwise land in the middle of a line.
r=/tmp/bench.txt
{
	echo "info cmdline $(cat /proc/cmdline)"
	for f in /sys/devices/system/cpu/vulnerabilities/*; do
		echo "info vuln ${f##*/} $(cat "$f")"
	done
} >$r
insmod ./pmswitch.ko || exit 1
# The module says at load time whether it flushes the L1D (pr_info).
# "every" (kvm_intel's "always") or "a context's first" ("cond").
l1d=$(dmesg | sed -n -E "s/.*L1TF: flushing L1D before (every|a context's first) VM entry \((.*)\)\$/\1, \2/p")
echo "info l1d_flush ${l1d:-no}" >>$r
# The native switch's rows need the module parameter (off by default).
echo 1 >/sys/module/pmswitch/parameters/allow_native || exit 1
./switch_bench -m -n "$n" -s "${PMSW_BENCH_SESSIONS:-20}" >>$r || exit 1
echo 0 >/sys/module/pmswitch/parameters/allow_native
# KVM 6.12 takes VMX on every CPU when it loads: pmswitch lets go first.
rmmod pmswitch || exit 1
for m in irqbypass kvm kvm-intel; do
	insmod /lib/pmswitch-kvm/$m.ko || exit 1
done
echo "info kvm_l1d_flush $(cat /sys/module/kvm_intel/parameters/vmentry_l1d_flush)" >>$r
./kvm_bench -n "$n" >>$r || exit 1
dmesg | grep -iE 'mitigat|vulnerab|spectre|meltdown|l1tf|mds|retbleed|page table isolation' |
	grep -v 'ommand line' | sed 's/^\[[ 0-9.]*\] */info dmesg /' >>$r
sleep 1
echo "PMSW-BENCH-BEGIN"
cat $r
echo "PMSW-BENCH-END"
