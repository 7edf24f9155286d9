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
if command -v python3 >/dev/null; then
	t json_output_is_valid_json 0 "" sh -c \
		"'$cli' --json check '$dir/pae.ctx' '$dir/long64_cs_l_and_d.ctx' '$dir/long64_host_rules.ctx' '$dir/unknown_flag.ctx' | python3 -m json.tool >/dev/null"
fi
echo "1..$n"
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ "$fail" = 0 ]
