#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark job, run inside the emulated machine by tools/run-bench:
# pmswitch's paths (the exit-less switches among them), then KVM's
# comparable ones in the same boot. Prints one "name median min max
# samples [vmwrites vmreads [key=value ...]]" line per path, or "skip
# name reason", between the BENCH markers.
n=${PMSW_BENCH_N:-2000}
# Results go to a file first: kernel messages on the console would
# otherwise land in the middle of a line.
r=/tmp/bench.txt
insmod ./pmswitch.ko || exit 1
# The native switch's rows need the module parameter (off by default).
echo 1 >/sys/module/pmswitch/parameters/allow_native || exit 1
./switch_bench -m -n "$n" -s "${PMSW_BENCH_SESSIONS:-20}" >$r || exit 1
echo 0 >/sys/module/pmswitch/parameters/allow_native
# KVM 6.12 takes VMX on every CPU when it loads: pmswitch lets go first.
rmmod pmswitch || exit 1
for m in irqbypass kvm kvm-intel; do
	insmod /lib/pmswitch-kvm/$m.ko || exit 1
done
./kvm_bench -n "$n" >>$r || exit 1
sleep 1
echo "PMSW-BENCH-BEGIN"
cat $r
echo "PMSW-BENCH-END"
