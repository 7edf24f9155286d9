#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The benchmark job, run inside the emulated machine by tools/run-bench.
insmod ./pmswitch.ko || exit 1
./switch_bench -n "${PMSW_BENCH_SWITCHES:-2000}" -s "${PMSW_BENCH_SESSIONS:-20}"
