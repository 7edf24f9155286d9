#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# What an emulated CPU model offers, run inside the machine by
# tools/testbed/run-vm (Documentation/testbed.rst, "CPU models"): the CPUID
# flags Linux derived (pku is CPUID.(EAX=7,ECX=0):ECX[3], ospke that Linux
# set CR4.PKE), the XSAVE components and TSC rate the kernel uses, and the
# module's capability report with the raw VMX capability MSRs
# (pmswitch --json info, "caps").
# Environment from run-vm: PMSW_EMU, PMSW_KLINE, PMSW_CPUS, PMSW_CPU_MODEL.
echo "model: $PMSW_CPU_MODEL kline: $PMSW_KLINE ($(uname -r)) cpus: $PMSW_CPUS"
echo "uptime at job start: $(cut -d' ' -f1 /proc/uptime) s"
grep -m1 '^model name' /proc/cpuinfo
grep -m1 '^flags' /proc/cpuinfo
grep -m1 '^vmx flags' /proc/cpuinfo
# Which XSAVE state components (PKRU is component 9) the kernel uses, and
# the TSC rate it believes (Bochs' TSC advances once per instruction).
dmesg | grep -E 'x86/fpu|pku|PKU|tsc: |clocksource: Switched' |
	sed 's/^\[[ 0-9.]*\] //'
insmod ./pmswitch.ko || exit 1
./pmswitch --json info
rc=$?
rmmod pmswitch
exit $rc
