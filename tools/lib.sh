# SPDX-License-Identifier: GPL-2.0
# Helpers for tools/run-demo and tools/run-tests (sourced, not run).
# shellcheck shell=bash

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=testbed/lib.sh
. "$TOP/tools/testbed/lib.sh"

# install_deps: everything the build and the test bed need on Debian 12.
# Never a kernel image: the 6.12 headers (whose package depends on the 6.12
# image) are unpacked under build/ by tools/testbed/fetch-headers instead.
install_deps() {
	need_pkgs build-essential make gcc libc6-dev bc python3 \
		linux-headers-amd64 linux-source \
		busybox-static cpio xz-utils clang libclang-rt-14-dev libkmod-dev pkg-config \
		bochs bochs-term bochsbios vgabios xorriso isolinux syslinux-common \
		qemu-system-x86 zstd binutils jq python3-docutils
}

# make_payload LINE JOB DIR [--dkms]: the module built for LINE, the static
# CLI and selftests, and JOB (a script in tools/jobs/) as DIR/job.sh.
# --dkms takes the module DKMS built for LINE (tools/build/build-packages)
# instead, and installs it in the guest as DKMS does, under
# /lib/modules/<release>/updates/dkms with its modules.dep, so that
# `pmswitch load` without a path finds it there.
make_payload() {
	local line=$1 job=$2 dir=$3 ko
	if [ "${4:-}" = --dkms ]; then
		ko=$(dkms_module "$line") || return 1
	else
		ko=$("$TOP/tools/build/build-module" "$line")
	fi
	make -C "$TOP" -s tools selftests >&2
	rm -rf "$dir"
	mkdir -p "$dir"
	cp "$ko" "$TOP/build/pmswitch" "$TOP/build/switch_bench" \
		"$TOP/build/kvm_bench" \
		"$TOP"/build/selftests/* "$dir/"
	mkdir -p "$dir/examples"
	cp "$TOP"/build/examples/*.bin "$TOP"/tools/pmswitch/examples/*.ctx \
		"$dir/examples/"
	cp "$TOP/tests/cli/run_test.sh" "$TOP/tests/cli/kmod_test.sh" "$dir/"
	# The CLI links libkmod dynamically: its libraries and loader go to
	# the same paths in the guest.
	# jq parses the CLI's --json output in the CLI tests: it goes along
	# with its libraries the same way.
	local lib
	cp "$(command -v jq)" "$dir/jq"
	for lib in $({ ldd "$TOP/build/pmswitch"; ldd "$dir/jq"; } |
		     grep -o '/[^ ]*' | sort -u); do
		mkdir -p "$dir/rootfs$(dirname "$lib")"
		cp -L "$lib" "$dir/rootfs$lib"
	done
	install -m 755 "$TOP/tools/jobs/$job" "$dir/job.sh"
	cp "$TOP/VERSION" "$dir/"
	[ "${4:-}" != --dkms ] || dkms_rootfs "$line" "$ko" "$dir/rootfs"
}

# dkms_module LINE: print the path of the pmswitch.ko that DKMS built for
# LINE's release in this work tree's last tools/build/build-packages run
# (a copy: other work trees install the same version into DKMS's tree).
dkms_module() {
	local rel ko
	rel=$("$TOP/tools/testbed/kernel-version" "$1") || return 1
	ko=$TOP/build/pkg/dkms/$rel/pmswitch.ko
	[ -f "$ko" ] || { echo "make_payload: no DKMS-built $ko (run tools/build/build-packages)" >&2; return 1; }
	echo "$ko"
}

# dkms_rootfs LINE KO ROOT: KO where DKMS installs it, with modules.dep.
dkms_rootfs() {
	local rel mod
	rel=$("$TOP/tools/testbed/kernel-version" "$1") || return 1
	mod=$3/lib/modules/$rel
	mkdir -p "$mod/updates/dkms"
	cp "$2" "$mod/updates/dkms/pmswitch.ko"
	depmod -b "$3" "$rel" 2>/dev/null
}
