# SPDX-License-Identifier: GPL-2.0
#
# pmswitch build.
#
#   make              pmswitch.ko (against KDIR), the CLI and the selftests
#   make module       pmswitch.ko only; W=1 is passed on to kbuild
#   make tools        the pmswitch CLI, statically linked
#   make man          pmswitch(8) and pmswitch-context(5) from Documentation/
#   make selftests    the kselftest suite, statically linked
#   make check        host unit tests of the pure logic, built and run here
#   make modules_install  pmswitch.ko to /lib/modules/<release>/extra, depmod
#   make install      the CLI, its man pages, bash completion, the uapi header
#   make install-dkms the module's sources to /usr/src/pmswitch-<version>
#   make uninstall    undoes modules_install and install
#   make clean        also what `make module KDIR=...` built, whatever KDIR
#
# KDIR     kernel build tree (default: that of KERNELRELEASE if given, else
#          the running kernel's)
# KERNELRELEASE  release to install for (default: KDIR's)
# INSTALL_MOD_PATH, INSTALL_MOD_DIR  as for kbuild (default: /, extra)
# KSFT_DIR directory holding kselftest_harness.h and kselftest.h (default:
#          extracted from Debian's linux-source package into build/)
# BUILD    output directory for userspace programs (default: build)

KDIR	 ?= /lib/modules/$(or $(KERNELRELEASE),$(shell uname -r))/build
# The one version of the module, the CLI and the packages.
VERSION	 := $(shell cat VERSION)
BUILD	 ?= build
KSFT_DIR ?= $(BUILD)/kselftest

USER_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Wshadow -Wformat=2 \
	       -Wstrict-prototypes -Wmissing-prototypes -Wundef \
	       -Iuapi -Ikmod -Itools/guest -Iselftests/pmswitch -isystem $(KSFT_DIR)
STATIC	    := -static
# The CLI uses libkmod, which Debian ships only as a shared library: the
# CLI is linked dynamically, everything else statically.
KMOD_LIBS   := $(shell pkg-config --libs libkmod 2>/dev/null || echo -lkmod)
SANITIZE    := -fsanitize=address,undefined -fno-omit-frame-pointer

PURE_SRCS := kmod/caps.c kmod/abi.c kmod/check.c kmod/ctxmap.c \
	     kmod/vmcs_fields.c kmod/decode.c kmod/native_check.c
PURE_HDRS := kmod/pure.h kmod/caps.h kmod/abi.h kmod/check.h kmod/ctxmap.h \
	     kmod/native_check.h \
	     kmod/vmcs_fields.h kmod/decode.h uapi/linux/pmswitch.h
KSFT_HDR  := $(KSFT_DIR)/kselftest_harness.h

SELFTEST_HDRS := selftests/pmswitch/pmsw_util.h tools/guest/pmsw_guest.h
# The guest programs are linked into the switch tests, the CLI's example
# and the benchmark.
GUESTS := tools/guest/guests.S
GUEST_INCLUDES := $(wildcard tools/pmswitch/examples/report*.S)
# The host-integrity tests' own guest programs.
INTEGRITY_GUESTS := tools/guest/integrity.S
# The ring of contexts: switch_bench's scale series and scale_test.
RING_GUESTS := tools/guest/bench_ring.S

SELFTESTS := pmswitch_test kvm_conflict_test switch_test integrity_test \
	     lifetime_test cpu_checks_test stress_test views_test ve_test \
	     fuzz_test
SELFTESTS += exitless_test native_test trace_test vpid_test scale_test
UNITTESTS := caps_test abi_test check_test ctxfile_test
UNITTESTS += xl_routine_test native_check_test

CLI	  := $(BUILD)/pmswitch
SELFTEST_BINS := $(addprefix $(BUILD)/selftests/,$(SELFTESTS))
UNIT_BINS := $(addprefix $(BUILD)/unit/,$(UNITTESTS))

.PHONY: all module tools selftests check clitest fuzz bench install clean man \
	modules_install install-dkms uninstall

all: module tools selftests man

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

EXAMPLES := $(patsubst tools/pmswitch/examples/%.S,$(BUILD)/examples/%.bin,\
	      $(wildcard tools/pmswitch/examples/*.S))

tools: $(CLI) $(BUILD)/switch_bench $(BUILD)/kvm_bench $(EXAMPLES)

# Guest programs of the examples, as flat binaries.
$(BUILD)/examples/xl_ping.bin $(BUILD)/examples/xl_pong.bin: \
	tools/pmswitch/examples/xl_member.h
$(BUILD)/examples/%.bin: tools/pmswitch/examples/%.S
	@mkdir -p $(@D)
	$(CC) -c -o $(@:.bin=.o) $<
	objcopy -O binary -j .text $(@:.bin=.o) $@

selftests: $(SELFTEST_BINS)

# The CLI: main.c dispatches, one cmd_*.c per command, one JSON writer.
CLI_SRCS := $(wildcard tools/pmswitch/*.c)
CLI_HDRS := $(wildcard tools/pmswitch/*.h)
$(CLI): $(CLI_SRCS) $(CLI_HDRS) $(PURE_SRCS) $(PURE_HDRS) $(GUESTS) \
	$(SELFTEST_HDRS) VERSION
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -Itools/pmswitch \
		-DPMSW_CLI_VERSION='"$(VERSION)"' -o $@ \
		$(CLI_SRCS) $(GUESTS) $(PURE_SRCS) $(KMOD_LIBS)

$(KSFT_HDR):
	tools/build/ksft-headers $(KSFT_DIR)

# The harness's FIXTURE_SETUP/TEARDOWN define global functions.
KSFT_CFLAGS := $(filter-out -Wmissing-prototypes,$(USER_CFLAGS))

$(BUILD)/selftests/switch_test: $(GUESTS) $(GUEST_INCLUDES)
$(BUILD)/selftests/integrity_test: $(INTEGRITY_GUESTS) tools/guest/integrity_guest.h
$(BUILD)/selftests/lifetime_test: $(GUESTS) $(GUEST_INCLUDES)
$(BUILD)/selftests/stress_test: $(GUESTS) $(GUEST_INCLUDES)
$(BUILD)/selftests/views_test: $(GUESTS) $(GUEST_INCLUDES)
$(BUILD)/selftests/vpid_test: $(GUESTS) $(GUEST_INCLUDES)
$(BUILD)/selftests/scale_test: $(GUESTS) $(RING_GUESTS) tools/guest/bench_ring.h
$(BUILD)/selftests/ve_test: $(GUESTS) $(GUEST_INCLUDES)
$(BUILD)/selftests/fuzz_test: $(GUESTS) $(GUEST_INCLUDES)
$(BUILD)/selftests/native_test: $(GUESTS) $(GUEST_INCLUDES)
$(BUILD)/selftests/native_test: KSFT_CFLAGS += -pthread
$(BUILD)/selftests/trace_test: $(GUESTS) $(GUEST_INCLUDES)
# The exit-less test also reads the switch routine's bytes.
XL_ROUTINE_SRC := kmod/exitless_routine.S
$(BUILD)/selftests/exitless_test: selftests/pmswitch/exitless_test.c \
		$(GUESTS) $(GUEST_INCLUDES) $(XL_ROUTINE_SRC) $(SELFTEST_HDRS) \
		$(PURE_SRCS) $(PURE_HDRS) $(KSFT_HDR)
	@mkdir -p $(@D)
	$(CC) $(KSFT_CFLAGS) $(STATIC) -o $@ $< $(GUESTS) $(XL_ROUTINE_SRC) \
		$(PURE_SRCS)

$(BUILD)/selftests/%: selftests/pmswitch/%.c $(SELFTEST_HDRS) \
		      $(PURE_SRCS) $(PURE_HDRS) $(KSFT_HDR)
	@mkdir -p $(@D)
	$(CC) $(KSFT_CFLAGS) $(STATIC) -o $@ $< \
		$(filter $(GUESTS) $(INTEGRITY_GUESTS) $(RING_GUESTS),$^) \
		$(PURE_SRCS)

$(BUILD)/unit/%: tests/unit/%.c tools/guest/bochs_caps.h $(PURE_SRCS) $(PURE_HDRS) \
		 $(KSFT_HDR)
	@mkdir -p $(@D)
	$(CC) $(KSFT_CFLAGS) -Itools/pmswitch $(SANITIZE) -o $@ $< $(EXTRA_SRCS) \
		$(PURE_SRCS)

# The exit-less switch's benchmark pair, its layout in xl_bench.h.
BENCH_GUESTS := tools/guest/bench_xl.S $(RING_GUESTS)
$(BUILD)/switch_bench: tools/bench/switch_bench.c tools/bench/xl_bench.h \
		       tools/guest/bench_ring.h \
		       $(GUESTS) $(BENCH_GUESTS) $(SELFTEST_HDRS) $(PURE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) $(STATIC) -o $@ $< $(GUESTS) $(BENCH_GUESTS)

$(BUILD)/kvm_bench: tools/bench/kvm_bench.c $(GUESTS) $(SELFTEST_HDRS) \
		    $(PURE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) $(STATIC) -o $@ $< $(GUESTS)

# The transition-cost table, measured in the emulated VT-x machine: both
# kernel lines, mitigations=off and the default ones, side by side.
bench:
	tools/run-bench --all

CTXFILE := tools/pmswitch/ctxfile.c
$(BUILD)/unit/ctxfile_test: $(CTXFILE) tools/pmswitch/ctxfile.h $(GUESTS)
$(BUILD)/unit/ctxfile_test: EXTRA_SRCS = $(CTXFILE)
$(BUILD)/unit/xl_routine_test: $(XL_ROUTINE_SRC)
$(BUILD)/unit/xl_routine_test: EXTRA_SRCS = $(XL_ROUTINE_SRC)

# Generated man pages (rule below); defined before any rule names them.
MANPAGES := $(BUILD)/man/pmswitch.8 $(BUILD)/man/pmswitch-context.5

# The CLI end to end on the host (check, options, errors, JSON parsed,
# completion); the completion and the man pages parse.
clitest: $(CLI) $(MANPAGES)
	tests/cli/check_test.sh $(CLI)
	bash -n tools/pmswitch/pmswitch.bash
	for m in $(MANPAGES); do groff -t -man -ww -z $$m 2>&1 | (! grep .) || \
		exit 1; done

# The man pages, generated from the reStructuredText that documents the
# CLI and the context files, so that they cannot drift from it: rst2man
# from Debian's python3-docutils (tools/lib.sh installs it); any docutils
# warning fails the build.
RST2MAN ?= $(shell command -v rst2man || command -v rst2man.py || echo rst2man)
man: $(MANPAGES)

$(BUILD)/man/pmswitch.8: Documentation/cli.rst
	@mkdir -p $(@D)
	$(RST2MAN) --halt=warning $< $@
$(BUILD)/man/pmswitch-context.5: Documentation/context-files.rst
	@mkdir -p $(@D)
	$(RST2MAN) --halt=warning $< $@

# The CLI, its man pages and bash completion (PREFIX, DESTDIR as usual).
PREFIX ?= /usr/local
install: $(CLI) $(MANPAGES)
	install -D -m 755 $(CLI) $(DESTDIR)$(PREFIX)/sbin/pmswitch
	install -D -m 644 $(BUILD)/man/pmswitch.8 \
		$(DESTDIR)$(PREFIX)/share/man/man8/pmswitch.8
	install -D -m 644 $(BUILD)/man/pmswitch-context.5 \
		$(DESTDIR)$(PREFIX)/share/man/man5/pmswitch-context.5
	install -D -m 644 tools/pmswitch/pmswitch.bash \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/pmswitch
	install -D -m 644 uapi/linux/pmswitch.h \
		$(DESTDIR)$(PREFIX)/include/linux/pmswitch.h

# pmswitch.ko for KERNELRELEASE (KDIR's), where kbuild puts out-of-tree
# modules; depmod again in case kbuild did not (6.12 leaves it to the
# caller for M= builds), so that `modprobe pmswitch` finds it.
INSTALL_MOD_DIR ?= extra
# UTS_RELEASE, not include/config/kernel.release: Debian's 6.1 headers
# have "6.1.192" there, but "6.1.0-57-amd64" is the release that uname -r,
# vermagic and /lib/modules use.
KRELEASE = $(or $(KERNELRELEASE),$(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' \
		$(KDIR)/include/generated/utsrelease.h 2>/dev/null))
MODDIR	 = $(INSTALL_MOD_PATH)/lib/modules/$(KRELEASE)
DEPMOD	 = depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KRELEASE)
modules_install: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) \
		modules_install
	$(DEPMOD)

uninstall:
	@test -n "$(KRELEASE)" || { echo "uninstall: no kernel release: set KERNELRELEASE or KDIR" >&2; exit 2; }
	rm -f $(MODDIR)/$(INSTALL_MOD_DIR)/pmswitch.ko*
	if [ -d $(MODDIR) ]; then $(DEPMOD); fi
	rm -f $(DESTDIR)$(PREFIX)/sbin/pmswitch \
		$(DESTDIR)$(PREFIX)/share/man/man8/pmswitch.8 \
		$(DESTDIR)$(PREFIX)/share/man/man5/pmswitch-context.5 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/pmswitch \
		$(DESTDIR)$(PREFIX)/include/linux/pmswitch.h

# What DKMS builds from: Kbuild, the module's sources and the uapi header,
# with dkms.conf naming this version (`dkms install pmswitch/$(VERSION)`).
DKMS_SRC = $(DESTDIR)/usr/src/pmswitch-$(VERSION)
install-dkms:
	install -d $(DKMS_SRC)/kmod $(DKMS_SRC)/uapi/linux
	install -m 644 Kbuild VERSION COPYING $(DKMS_SRC)/
	install -m 644 kmod/*.c kmod/*.h kmod/*.S $(DKMS_SRC)/kmod/
	install -m 644 uapi/linux/pmswitch.h $(DKMS_SRC)/uapi/linux/
	sed 's/#MODULE_VERSION#/$(VERSION)/' dkms.conf >$(DKMS_SRC)/dkms.conf

# libFuzzer on the context-file parser for FUZZ_SECONDS (default 30).
FUZZ_SECONDS ?= 30
$(BUILD)/fuzz/ctxfile_fuzz: tests/fuzz/ctxfile_fuzz.c $(CTXFILE) \
			    tools/pmswitch/ctxfile.h $(SELFTEST_HDRS)
	@mkdir -p $(@D)
	clang -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -Iuapi -Ikmod -Itools/guest \
		-Iselftests/pmswitch -Itools/pmswitch -o $@ $< $(CTXFILE)

fuzz: $(BUILD)/fuzz/ctxfile_fuzz
	@mkdir -p $(BUILD)/fuzz/corpus
	cp tests/cli/ctx/*.ctx $(BUILD)/fuzz/corpus/
	$(BUILD)/fuzz/ctxfile_fuzz -max_total_time=$(FUZZ_SECONDS) \
		-print_final_stats=1 $(BUILD)/fuzz/corpus

# Each unit test binary prints TAP; any failure fails the target.  The
# scripts' option test is host-only and takes seconds (run-tests runs it
# on its own, first, and leaves it out here: SCRIPT_TESTS=).
SCRIPT_TESTS ?= tests/scripts/help_test.sh
check: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS) $(SCRIPT_TESTS); do echo "# $$t"; $$t; done

# Kbuild's outputs are removed by name as well, so a module built with
# another KDIR (absent now, or not the default) is cleaned all the same.
KBUILD_OUT := pmswitch.ko pmswitch.mod pmswitch.mod.c pmswitch.mod.o \
	      pmswitch.o Module.symvers modules.order .module-common.o \
	      .*.cmd kmod/*.o kmod/.*.cmd
clean:
	if [ -d $(KDIR) ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	rm -f $(KBUILD_OUT)
	rm -rf $(BUILD) .tmp_versions
