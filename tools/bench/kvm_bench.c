// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_bench: the paths of KVM that compare with pmswitch's, measured the
 * same way in the same machine (under Bochs one TSC tick is one executed
 * instruction):
 *
 *   vmcall   a guest VMCALL that KVM answers in the kernel (unknown
 *            hypercall, -KVM_ENOSYS) and resumes: ticks between the
 *            guest's RDTSCs around the VMCALL (tools/guest vmcall_loop32)
 *   run      a KVM_RUN round trip with an exit to userspace (OUT to a
 *            port): ticks around ioctl(KVM_RUN) in userspace
 *
 * The guest is the same 32-bit flat protected-mode program pmswitch runs.
 * Prints "name median min max samples" lines for tools/run-bench.
 *
 *   kvm_bench [-n ITERATIONS]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <x86intrin.h>

#include "pmsw_guest.h"

#define KVM_MEM		(2u << 20)
#define KVM_CODE	0x10000
#define KVM_RESULTS	0x100000

struct kvm {
	int sys, vm, vcpu;
	uint8_t *mem;
	struct kvm_run *run;
};

static int die(const char *what)
{
	fprintf(stderr, "kvm_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *name, uint64_t *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	printf("%s %llu %llu %llu %u\n", name, (unsigned long long)v[n / 2],
	       (unsigned long long)v[0], (unsigned long long)v[n - 1], n);
}

static void kvm_flat_seg(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->db = 1;
	s->g = 1;
}

/* A VM with one vCPU in 32-bit flat protected mode at KVM_CODE. */
static void kvm_setup(struct kvm *k, const uint8_t *code, size_t len,
		      uint32_t ecx)
{
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = KVM_MEM,
	};
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int size;

	k->sys = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (k->sys < 0)
		die("/dev/kvm");
	k->vm = ioctl(k->sys, KVM_CREATE_VM, 0);
	if (k->vm < 0)
		die("KVM_CREATE_VM");
	k->mem = mmap(NULL, KVM_MEM, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (k->mem == MAP_FAILED)
		die("mmap");
	region.userspace_addr = (uint64_t)(unsigned long)k->mem;
	if (ioctl(k->vm, KVM_SET_USER_MEMORY_REGION, &region))
		die("KVM_SET_USER_MEMORY_REGION");
	memcpy(k->mem + KVM_CODE, code, len);

	k->vcpu = ioctl(k->vm, KVM_CREATE_VCPU, 0);
	if (k->vcpu < 0)
		die("KVM_CREATE_VCPU");
	size = ioctl(k->sys, KVM_GET_VCPU_MMAP_SIZE, 0);
	k->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      k->vcpu, 0);
	if (k->run == MAP_FAILED)
		die("mmap kvm_run");

	if (ioctl(k->vcpu, KVM_GET_SREGS, &sregs))
		die("KVM_GET_SREGS");
	kvm_flat_seg(&sregs.cs, 0x08, 11);
	kvm_flat_seg(&sregs.ds, 0x10, 3);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.cr0 |= 1;		/* PE */
	if (ioctl(k->vcpu, KVM_SET_SREGS, &sregs))
		die("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = KVM_CODE;
	regs.rflags = 2;
	regs.rcx = ecx;
	regs.rdi = KVM_RESULTS;
	regs.rsp = 0x80000;
	if (ioctl(k->vcpu, KVM_SET_REGS, &regs))
		die("KVM_SET_REGS");
}

static void kvm_teardown(struct kvm *k)
{
	close(k->vcpu);
	close(k->vm);
	close(k->sys);
	munmap(k->mem, KVM_MEM);
}

int main(int argc, char **argv)
{
	unsigned int n = 1000, i;
	uint64_t *v, t0;
	struct kvm k;
	int opt;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n') {
			fprintf(stderr, "usage: kvm_bench [-n ITERATIONS]\n");
			return 2;
		}
		n = strtoul(optarg, NULL, 0);
	}
	if (!n || n > 100000)
		n = 1000;
	v = calloc(n, sizeof(*v));
	if (!v)
		return 1;

	/* In-kernel VMCALL round trip: the guest measures it. */
	kvm_setup(&k, guest_vmcall_loop32,
		  guest_vmcall_loop32_end - guest_vmcall_loop32, n);
	if (ioctl(k.vcpu, KVM_RUN, 0))
		die("KVM_RUN");
	if (k.run->exit_reason != KVM_EXIT_IO) {
		fprintf(stderr, "kvm_bench: vmcall loop ended with exit %u\n",
			k.run->exit_reason);
		return 1;
	}
	for (i = 0; i < n; i++)
		v[i] = ((uint32_t *)(k.mem + KVM_RESULTS))[i];
	report("kvm_vmcall_in_kernel", v, n);
	kvm_teardown(&k);

	/* KVM_RUN round trip with an exit to userspace (OUT). */
	kvm_setup(&k, guest_out_loop32, guest_out_loop32_end - guest_out_loop32,
		  0);
	for (i = 0; i < n + 1; i++) {
		t0 = __rdtsc();
		if (ioctl(k.vcpu, KVM_RUN, 0))
			die("KVM_RUN");
		if (i)	/* the first includes the vCPU's first entry */
			v[i - 1] = __rdtsc() - t0;
		if (k.run->exit_reason != KVM_EXIT_IO) {
			fprintf(stderr, "kvm_bench: exit %u instead of I/O\n",
				k.run->exit_reason);
			return 1;
		}
	}
	report("kvm_run_roundtrip_userspace", v, n);
	kvm_teardown(&k);
	return 0;
}
