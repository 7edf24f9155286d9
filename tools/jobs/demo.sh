#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The main job's embedded default, run inside the emulated VT-x machine by
# tools/run-demo: load the module, report the VMX capabilities, put every
# CPU into VMX operation and take it out again, unload.
set -e
echo "\$ insmod pmswitch.ko"
insmod ./pmswitch.ko
echo "\$ pmswitch info"
./pmswitch info
echo "\$ pmswitch vmx cycle"
./pmswitch vmx cycle
echo "\$ rmmod pmswitch"
rmmod pmswitch
