#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The main job's embedded default, run inside the emulated VT-x machine by
# tools/run-demo: load the module, report the VMX capabilities, put every
# CPU into VMX operation and take it out again, run the example switch
# (32-bit origin to 64-bit target in one VM entry, then a ping-pong with
# typed LAUNCH/RESUME transitions), unload.
set -e
echo "\$ insmod pmswitch.ko"
insmod ./pmswitch.ko
echo "\$ pmswitch info"
./pmswitch info
echo "\$ pmswitch vmx cycle"
./pmswitch vmx cycle
echo "\$ pmswitch example"
./pmswitch example
echo "\$ rmmod pmswitch"
rmmod pmswitch
