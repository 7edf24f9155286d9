// SPDX-License-Identifier: GPL-2.0
/* pmswitch info: the module, the VMX capabilities, every CPU's VMX state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caps.h"
#include "cli.h"

static const struct {
	__u32 flag;
	const char *name;
} cpu_flags[] = {
	{ PMSW_CPU_ONLINE, "online" },
	{ PMSW_CPU_VMX, "vmx" },
	{ PMSW_CPU_FC_LOCKED, "fc_locked" },
	{ PMSW_CPU_FC_VMX_SMX, "fc_vmx_in_smx" },
	{ PMSW_CPU_FC_VMX, "fc_vmx" },
	{ PMSW_CPU_VMX_ON, "vmx_on" },
	{ PMSW_CPU_CR4_VMXE, "cr4_vmxe" },
	{ PMSW_CPU_CAPS_DIFFER, "caps_differ" },
};

/* What a CPU's VMX state means, in words. */
static const char *cpu_state(__u32 f)
{
	if (!(f & PMSW_CPU_ONLINE))
		return "offline";
	if (!(f & PMSW_CPU_VMX))
		return "no VMX";
	if (!(f & PMSW_CPU_FC_LOCKED) || !(f & PMSW_CPU_FC_VMX))
		return "VMX disabled by firmware";
	if (f & PMSW_CPU_VMX_ON)
		return "VMX on (pmswitch)";
	if (f & PMSW_CPU_CR4_VMXE)
		return "VMX held by another hypervisor";
	return "VMX off";
}

static void print_cpus_text(const struct snapshot *s)
{
	__u32 i;

	printf("vmx users:    %u%s\n", s->info.vmx_users,
	       s->info.state & PMSW_STATE_VMX_PERSISTENT ?
	       " (one is the persistent reference: pmswitch vmx off drops it)" : "");
	for (i = 0; i < s->info.nr_cpus; i++) {
		const struct pmsw_cpu_info *c = &s->cpus[i];

		if (!(c->flags & PMSW_CPU_ONLINE))
			continue;
		printf("cpu%-3u        %-32s IA32_FEATURE_CONTROL=%#llx%s\n",
		       c->cpu, cpu_state(c->flags),
		       (unsigned long long)c->feature_control,
		       c->flags & PMSW_CPU_CAPS_DIFFER ? " (caps differ)" : "");
	}
}

static void print_cpu_json(const struct pmsw_cpu_info *c)
{
	unsigned int j;

	jw_object();
	jw_ku64("cpu", c->cpu);
	jw_kstr("state", cpu_state(c->flags));
	jw_ku64("feature_control", c->feature_control);
	jw_karray("flags");
	for (j = 0; j < sizeof(cpu_flags) / sizeof(cpu_flags[0]); j++)
		if (c->flags & cpu_flags[j].flag)
			jw_str(cpu_flags[j].name);
	jw_end_array();
	jw_end_object();
}

/* vmx_users, vmx_persistent and cpus: members of the open object. */
void print_cpus(const struct snapshot *s)
{
	__u32 i;

	if (!json) {
		print_cpus_text(s);
		return;
	}
	jw_ku64("vmx_users", s->info.vmx_users);
	jw_kbool("vmx_persistent", s->info.state & PMSW_STATE_VMX_PERSISTENT);
	jw_karray("cpus");
	for (i = 0; i < s->info.nr_cpus; i++)
		if (s->cpus[i].flags & PMSW_CPU_ONLINE)
			print_cpu_json(&s->cpus[i]);
	jw_end_array();
}

/* The CPUs' state under @label: a member of the open object in JSON. */
int show_state(int fd, const char *label)
{
	struct snapshot *s = malloc(sizeof(*s));
	int ret;

	if (!s)
		return fail(EXIT_FAIL, "out of memory");
	ret = get_info(fd, s);
	if (!ret && json) {
		jw_kobject(label);
		print_cpus(s);
		jw_end_object();
	} else if (!ret) {
		printf("[%s]\n", label);
		print_cpus(s);
	}
	free(s);
	return ret;
}

static const struct {
	const char *name;
	size_t off;
} cap_fields[] = {
#define CAP(f) { #f, offsetof(struct pmsw_vmx_caps, f) }
	CAP(basic), CAP(pinbased_ctls), CAP(procbased_ctls), CAP(exit_ctls),
	CAP(entry_ctls), CAP(procbased_ctls2), CAP(ept_vpid_cap), CAP(vmfunc),
	CAP(misc), CAP(cr0_fixed0), CAP(cr0_fixed1), CAP(cr4_fixed0),
	CAP(cr4_fixed1), CAP(vmcs_enum),
#undef CAP
};

#define NR_CAP_FIELDS	(sizeof(cap_fields) / sizeof(cap_fields[0]))

static __u64 cap_value(const struct pmsw_vmx_caps *c, unsigned int i)
{
	__u64 v;

	memcpy(&v, (const char *)c + cap_fields[i].off, sizeof(v));
	return v;
}

struct module_info {
	char state[48], version[32];
	int refcnt;
};

static void print_info_text(const struct snapshot *s,
			    const struct module_info *m)
{
	const struct pmsw_vmx_caps *c = &s->info.caps;
	unsigned int i;

	printf("module:       %s%s%s", m->state, m->version[0] ? ", version " : "",
	       m->version);
	if (m->refcnt >= 0)
		printf(", %d reference(s)", m->refcnt);
	printf("\nabi version:  %u\n", s->info.abi_version);
	printf("cpu ids:      %u\n", s->info.nr_cpu_ids);
	if (!c->basic) {
		printf("vmx:          not available\n");
	} else {
		printf("vmcs:         revision %#x, %u bytes\n",
		       pmsw_basic_revision(c->basic),
		       pmsw_basic_vmcs_size(c->basic));
		printf("features:    ");
		for (i = 0; pmsw_feature_name(i); i++)
			if (s->info.features & (1ULL << i))
				printf(" %s", pmsw_feature_name(i));
		printf("\n");
		for (i = 0; i < NR_CAP_FIELDS; i++)
			printf("  %-16s %#018llx\n", cap_fields[i].name,
			       (unsigned long long)cap_value(c, i));
	}
	print_cpus(s);
}

static void print_module_json(const struct module_info *m)
{
	jw_kobject("module");
	jw_kstr("state", m->state);
	jw_kstr("version", m->version);
	jw_kint("refcnt", m->refcnt);
	jw_end_object();
}

static void print_info_json(const struct snapshot *s,
			    const struct module_info *m)
{
	unsigned int i;

	jw_object();
	print_module_json(m);
	jw_ku64("abi_version", s->info.abi_version);
	jw_ku64("nr_cpu_ids", s->info.nr_cpu_ids);
	jw_karray("features");
	for (i = 0; pmsw_feature_name(i); i++)
		if (s->info.features & (1ULL << i))
			jw_str(pmsw_feature_name(i));
	jw_end_array();
	jw_kobject("caps");
	for (i = 0; i < NR_CAP_FIELDS; i++)
		jw_ku64(cap_fields[i].name, cap_value(&s->info.caps, i));
	jw_end_object();
	print_cpus(s);
	jw_end_object();
}

static const struct option info_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_info(int argc, char **argv)
{
	struct module_info m;
	struct snapshot *s;
	int fd, ret;

	if (cli_getopt(argc, argv, ":h", info_opts, &ret) == CLI_OPT_END)
		return ret;
	if (optind < argc)
		return usage_error("info", "unexpected argument '%s'", argv[optind]);
	module_state(m.state, sizeof(m.state), m.version, sizeof(m.version),
		     &m.refcnt);
	if (access(DEV_PATH, F_OK)) {
		/* Without the module, its state is all there is to say. */
		if (json) {
			jw_object();
			print_module_json(&m);
		} else {
			printf("module:       %s\n", m.state);
		}
		return fail(EXIT_FAIL, "%s: no such device: is pmswitch.ko loaded?",
			    DEV_PATH);
	}
	ret = open_dev(&fd);
	if (ret)
		return ret;
	s = malloc(sizeof(*s));
	if (!s) {
		close(fd);
		return fail(EXIT_FAIL, "out of memory");
	}
	ret = get_info(fd, s);
	if (!ret && json)
		print_info_json(s, &m);
	else if (!ret)
		print_info_text(s, &m);
	free(s);
	close(fd);
	return ret;
}
