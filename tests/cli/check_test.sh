#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Host tests of "pmswitch check" (offline VM-entry checks of context
# files): exit codes, the exact report lines, and the JSON shape. Prints
# TAP and a kselftest-style Totals line. Usage: check_test.sh PMSWITCH
set -u
cli=${1:?usage: check_test.sh PATH-TO-pmswitch}
dir=$(cd "$(dirname "$0")" && pwd)/ctx
n=0 pass=0 fail=0

t() {	# t NAME EXPECTED-EXIT EXPECTED-OUTPUT-SUBSTRING CMD...
	local name=$1 want_rc=$2 want=$3 out rc
	shift 3
	n=$((n + 1))
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" = "$want_rc" ] && [[ $out == *"$want"* ]]; then
		pass=$((pass + 1))
		echo "ok $n $name"
	else
		fail=$((fail + 1))
		echo "not ok $n $name"
		echo "# exit $rc (want $want_rc), output:"
		printf '%s\n' "$out" | sed 's/^/#   /'
	fi
}

echo "TAP version 13"
t valid_pae_context_passes 0 "$dir/pae.ctx: ok" \
	"$cli" check "$dir/pae.ctx"
t valid_real16_context_passes 0 "$dir/real16.ctx: ok" \
	"$cli" check "$dir/real16.ctx"
t ve_flag_passes_where_the_cpu_has_it 0 "$dir/ve.ctx: ok" \
	"$cli" check "$dir/ve.ctx"
t cs_l_and_d_is_reported_with_rule_section_field_value 1 \
	"long64_cs_l_and_d.ctx: rule 266 (SDM 27.3.1.2): GUEST_CS_AR_BYTES = 0xe09b: CS L=1 requires CS.D=0 in IA-32e mode" \
	"$cli" check "$dir/long64_cs_l_and_d.ctx"
t host_rule_is_reported_with_field_and_value 1 \
	"long64_host_rules.ctx: rule 720 (pmswitch host): GUEST_DR7 = 0x402: DR7 L0-G3 (bits 7:0) must be 0: breakpoints would use the host's DR0-DR3" \
	"$cli" check "$dir/long64_host_rules.ctx"
t host_rule_outside_the_vmcs_names_no_field 1 \
	"long64_host_rules.ctx: rule 740 (pmswitch host): context = 0x800000000000: IA32_LSTAR must be 48-bit canonical" \
	"$cli" check "$dir/long64_host_rules.ctx"
t json_host_rule_has_its_section_and_no_field 1 \
	'"rule": 740, "section": "pmswitch host", "field": "context", "value": 140737488355328' \
	"$cli" --json check "$dir/long64_host_rules.ctx"
t bundled_examples_pass 0 "real16_origin.ctx: ok" \
	"$cli" check "$dir"/../../../tools/pmswitch/examples/*.ctx
t parse_error_names_file_line_column 1 \
	"unknown_flag.ctx:2:12: cr0: unknown flag 'XX' (known: PE MP" \
	"$cli" check "$dir/unknown_flag.ctx"
t missing_file_is_one_clear_line 1 \
	"pmswitch: $dir/nope.ctx: No such file or directory" \
	"$cli" check "$dir/nope.ctx"
t one_bad_file_fails_the_whole_check 1 "$dir/pae.ctx: ok" \
	"$cli" check "$dir/pae.ctx" "$dir/long64_cs_l_and_d.ctx"
t no_file_is_a_usage_error 2 "usage: pmswitch check [--mem BYTES] FILE..." \
	"$cli" check
t json_reports_violations_as_objects 1 \
	'"rule": 266, "section": "27.3.1.2", "field": "GUEST_CS_AR_BYTES", "value": 57499' \
	"$cli" --json check "$dir/long64_cs_l_and_d.ctx"
t json_reports_parse_errors_with_position 1 '"line": 2, "column": 12}' \
	"$cli" --json check "$dir/unknown_flag.ctx"
t valid_view_passes 0 "$dir/views.ctx: ok" \
	"$cli" check "$dir/views.ctx"
t view_write_without_read_names_rule_and_section 1 \
	"view_write_only.ctx: rule 804 (SDM 29.3.3.1): context = 0x2: view[].perm: write without read is an EPT misconfiguration" \
	"$cli" check "$dir/view_write_only.ctx"
t view_is_checked_against_the_memory_size 1 \
	"views.ctx: rule 808 (pmswitch view): context = 0x101000: view[] range must lie inside the session's memory" \
	"$cli" check --mem 0x102000 "$dir/views.ctx"
t bad_mem_is_a_usage_error 2 "--mem: expected a multiple of 4096" \
	"$cli" check --mem 4097 "$dir/views.ctx"
ex=$dir/../../../tools/pmswitch/examples
t exitless_example_pair_passes_with_the_group_rules 0 "xl_pong.ctx: ok" \
	"$cli" check "$ex/xl_ping.ctx" "$ex/xl_pong.ctx"
t exitless_member_without_a_view_is_rule_812 1 \
	"xl_no_view.ctx: rule 812 (pmsw exitless): context = 0: PMSW_CONTEXT_F_EXITLESS needs a memory view" \
	"$cli" check "$dir/xl_no_view.ctx"
t exitless_member_in_32_bit_mode_is_rule_813 1 \
	"xl_flat32.ctx: rule 813 (pmsw exitless): GUEST_CR0 = 0x31: PMSW_CONTEXT_F_EXITLESS needs IA-32e mode or 32-bit paging" \
	"$cli" check "$dir/xl_flat32.ctx"
t exitless_member_with_cr4_pge_is_rule_814 1 \
	"xl_pge_ve.ctx: rule 814 (pmsw exitless): GUEST_CR4 = 0x20a0: PMSW_CONTEXT_F_EXITLESS needs CR4.PGE=0 and CR4.PCIDE=0" \
	"$cli" check "$dir/xl_pge_ve.ctx"
t exitless_member_with_ve_is_rule_819 1 \
	"xl_pge_ve.ctx: rule 819 (pmsw exitless): context = 0x6: PMSW_CONTEXT_F_EXITLESS does not go with PMSW_CONTEXT_F_VE yet" \
	"$cli" check "$dir/xl_pge_ve.ctx"
t exitless_members_with_different_cr0_are_rule_815 1 \
	"xl_steal.ctx: rule 815 (pmsw exitless): context = 0x80010011: exit-less members need equal CR0, CR4, EFER" \
	"$cli" check "$ex/xl_ping.ctx" "$dir/xl_steal.ctx"
t exitless_members_sharing_code_are_rule_816 1 \
	"xl_steal.ctx: rule 816 (pmsw exitless): context = 0x100000: memory executable for one exit-less member must not be executable for another" \
	"$cli" check "$ex/xl_ping.ctx" "$dir/xl_steal.ctx"
t exitless_member_seeing_another_root_is_rule_817 1 \
	"xl_steal.ctx: rule 817 (pmsw exitless): context = 0x301000: an exit-less member's CR3 page must not be mapped in another member's view" \
	"$cli" check "$ex/xl_ping.ctx" "$dir/xl_steal.ctx"
t exitless_group_rules_skip_non_members 0 "xl_steal.ctx" \
	"$cli" check "$dir/views.ctx" "$dir/xl_steal.ctx"
t json_group_violation_names_file_and_rule 1 \
	'"group": [{"file": "'"$dir"'/xl_steal.ctx", "rule": 815, "section": "pmsw exitless", "field": "context", "value": 2147549201' \
	"$cli" --json check "$ex/xl_ping.ctx" "$dir/xl_steal.ctx"
# The counters come from PMSW_IOC_XL_STATE now: no guest copy to name.
t run_xl_copy_is_gone 2 \
	"run: unknown option '--xl-copy' (or missing value)" \
	"$cli" run "$ex/xl_ping.ctx" "$ex/xl_pong.ctx" --xl-copy origin@0x106000
if command -v python3 >/dev/null; then
	t json_output_is_valid_json 0 "" sh -c \
		"'$cli' --json check '$dir/pae.ctx' '$dir/long64_cs_l_and_d.ctx' '$dir/long64_host_rules.ctx' '$dir/unknown_flag.ctx' | python3 -m json.tool >/dev/null"
	t json_group_output_is_valid_json 0 "" sh -c \
		"'$cli' --json check '$ex/xl_ping.ctx' '$dir/xl_steal.ctx' '$dir/xl_no_view.ctx' | python3 -m json.tool >/dev/null"
fi
echo "1..$n"
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ "$fail" = 0 ]
