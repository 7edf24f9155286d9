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

# json_valid FILE: FILE is one JSON document (python3, else jq).
json_valid() {
	if command -v python3 >/dev/null; then
		python3 -m json.tool "$1" >/dev/null
	else
		jq -e . "$1" >/dev/null
	fi
}

# t NAME EXPECTED-EXIT EXPECTED-OUTPUT-SUBSTRING CMD...: with --json or
# -j on the command line, stdout must also parse as one JSON document.
t() {
	local name=$1 want_rc=$2 want=$3 out rc a bad=
	shift 3
	n=$((n + 1))
	"$@" >"$tmp/stdout" 2>"$tmp/stderr"
	rc=$?
	out=$(cat "$tmp/stdout" "$tmp/stderr")
	for a in "$@"; do
		if [ "$a" = --json ] || [ "$a" = -j ]; then
			json_valid "$tmp/stdout" 2>"$tmp/json_err" ||
				bad="stdout is not valid JSON: $(cat "$tmp/json_err")"
			break
		fi
	done
	if [ "$rc" = "$want_rc" ] && [[ $out == *"$want"* ]] && [ -z "$bad" ]; then
		pass=$((pass + 1))
		echo "ok $n $name"
	else
		fail=$((fail + 1))
		echo "not ok $n $name"
		echo "# exit $rc (want $want_rc)${bad:+, $bad}, output:"
		printf '%s\n' "$out" | sed 's/^/#   /'
	fi
}

skip() {
	n=$((n + 1))
	echo "ok $n # SKIP $1"
	skips=$((skips + 1))
}

if ! command -v python3 >/dev/null && ! command -v jq >/dev/null; then
	echo "Bail out! neither python3 nor jq to validate the JSON output"
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
skips=0

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
t no_file_is_a_usage_error 2 "usage: pmswitch check [--mem BYTES] [--native] FILE..." \
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
	"run: unknown option '--xl-copy' (see pmswitch run --help)" \
	"$cli" run "$ex/xl_ping.ctx" "$ex/xl_pong.ctx" --xl-copy origin@0x106000
t json_output_is_valid_json 1 '"files": [' \
	"$cli" --json check "$dir/pae.ctx" "$dir/long64_cs_l_and_d.ctx" \
	"$dir/long64_host_rules.ctx" "$dir/unknown_flag.ctx"
t json_group_output_is_valid_json 1 '"group": [' \
	"$cli" --json check "$ex/xl_ping.ctx" "$dir/xl_steal.ctx" "$dir/xl_no_view.ctx"

# --- Options: getopt_long per command, global options anywhere.
for c in info vmx check run native stats load unload example help; do
	t "${c}_help_exits_0_with_its_usage" 0 "usage: pmswitch [--json] $c" \
		"$cli" "$c" --help
done
t help_command_shows_a_commands_help 0 "--image FILE@GPA" "$cli" help native
t short_help_option_works_too 0 "--limit-us N" "$cli" native -h
t global_help_lists_every_command 0 "native   hand this CPU" "$cli" --help
abi=$(sed -n 's/^#define PMSW_ABI_VERSION[[:space:]]*\([0-9]*\).*/\1/p' \
	"$dir/../../../uapi/linux/pmswitch.h")
t version_names_cli_abi_and_module 0 "uapi ABI $abi" "$cli" --version
if [ -e /sys/module/pmswitch ]; then
	skip "version_says_module_not_loaded: pmswitch.ko is loaded here"
else
	t version_says_module_not_loaded 0 "module not loaded" "$cli" --version
fi
t version_anywhere_on_the_line 0 "uapi ABI $abi" "$cli" check "$dir/pae.ctx" -V
t version_in_json 0 "\"abi_version\": $abi, \"module_version\": " \
	"$cli" check --version --json
t json_after_the_command_and_its_files 0 '"violations": []' \
	"$cli" check "$dir/pae.ctx" --json
t mem_as_equals_form 0 "views.ctx: ok" "$cli" check --mem=0x400000 "$dir/views.ctx"
t unknown_option_is_a_usage_error_naming_it 2 \
	"check: unknown option '--frob' (see pmswitch check --help)" \
	"$cli" check --frob "$dir/pae.ctx"
t missing_option_value_is_a_usage_error 2 "run: option '--repeat' needs a value" \
	"$cli" run "$ex/flat32_origin.ctx" "$ex/long64_target.ctx" --repeat
t unknown_command_is_a_usage_error 2 "unknown or ambiguous command 'frob'" \
	"$cli" frob
t usage_error_in_json_is_json 2 '"error": "check: unknown option' \
	"$cli" --json check --frob

# --- Arguments are validated before the device is opened: these fail on
# their argument here, where there is no /dev/pmswitch.
t run_bad_repeat_fails_before_the_device 2 "--repeat: expected 1..1000000, not '0'" \
	"$cli" run "$ex/flat32_origin.ctx" "$ex/long64_target.ctx" --repeat 0
t run_bad_image_spec_fails_before_the_device 2 \
	"--image nope: expected FILE@GPA" \
	"$cli" run "$ex/flat32_origin.ctx" "$ex/long64_target.ctx" --image nope
t run_missing_image_fails_before_the_device 1 "pmswitch: $dir/nope.bin: No such file" \
	"$cli" run "$ex/flat32_origin.ctx" "$ex/long64_target.ctx" --image "$dir/nope.bin@0x1000"
t run_image_too_big_fails_before_the_device 1 "bytes do not fit at 0x3ff000 in 4194304 bytes" \
	"$cli" run "$ex/flat32_origin.ctx" "$ex/long64_target.ctx" \
	--image "$dir/pae.ctx@0x1000" --image "$cli@0x3ff000"
t run_bad_context_file_fails_before_the_device 1 "unknown_flag.ctx:2:12: cr0: unknown flag" \
	"$cli" run "$dir/unknown_flag.ctx" "$ex/long64_target.ctx"
t run_one_file_is_a_usage_error 2 "usage: pmswitch run ORIGIN TARGET" \
	"$cli" run "$ex/flat32_origin.ctx"

# --- native TARGET: parsing and errors on the host.
t native_without_target_is_a_usage_error 2 "usage: pmswitch native TARGET" \
	"$cli" native
t native_with_two_targets_is_a_usage_error 2 "usage: pmswitch native TARGET" \
	"$cli" native "$dir/native64.ctx" "$dir/native64.ctx"
t native_bad_limit_is_a_usage_error 2 \
	"--limit-us: expected 0..4294967295 microseconds, not '-1'" \
	"$cli" native "$dir/native64.ctx" --limit-us -1
t native_huge_limit_is_a_usage_error 2 "not '4294967296'" \
	"$cli" native "$dir/native64.ctx" --limit-us 4294967296
t native_bad_mem_is_a_usage_error 2 "--mem: expected a multiple of 4096" \
	"$cli" native "$dir/native64.ctx" --mem 12345
t native_bad_image_is_a_usage_error 2 "--image x@y: expected FILE@GPA" \
	"$cli" native "$dir/native64.ctx" --image x@y
t native_image_outside_memory_fails 1 "do not fit at 0x2000 in 8192 bytes" \
	"$cli" native "$dir/native64.ctx" --mem 8192 --image "$dir/pae.ctx@0x2000"
t native_unparsable_target_names_line_and_column 1 \
	"unknown_flag.ctx:2:12: cr0: unknown flag" \
	"$cli" native "$dir/unknown_flag.ctx"
if [ -e /dev/pmswitch ]; then
	skip "native_valid_arguments_reach_the_device: /dev/pmswitch exists here"
else
	t native_valid_arguments_reach_the_device 1 "/dev/pmswitch: no such device" \
		"$cli" native "$dir/native64.ctx" --image "$dir/pae.ctx@0x20000" \
		--limit-us 1000 --mem 0x100000
	t native_device_error_in_json 1 '{"error": "/dev/pmswitch: no such device' \
		"$cli" --json native "$dir/native64.ctx" -l 5
fi

# --- check --native: the native switch's target rules (900-915).
t check_native_passes_a_64_bit_target 0 "native64.ctx: ok" \
	"$cli" check --native "$dir/native64.ctx"
t check_native_passes_the_native_report_example 0 "native_report.ctx: ok" \
	"$cli" check --native "$ex/native_report.ctx"
t check_native_refuses_a_32_bit_target_with_rule_901 1 \
	"flat32_origin.ctx: rule 901 (SDM 27.2.4): context = 0: a native target is a 64-bit host" \
	"$cli" check --native "$ex/flat32_origin.ctx"
t check_native_refuses_a_guest_cr3_with_rule_907 1 "rule 907 (pmsw native)" \
	"$cli" check --native "$ex/long64_target.ctx"
t check_native_in_json_says_which_rules 1 '"rules": "native"' \
	"$cli" --json check -n "$dir/native64.ctx" "$ex/flat32_origin.ctx"
t native64_is_no_vm_entry_problem_either 0 "native64.ctx: ok" \
	"$cli" check "$dir/native64.ctx"

# --- Context-file errors show unprintable bytes as hex; JSON stays valid
# whatever bytes file names and messages hold.
printf 'rip = 0x10\001\n' >"$tmp/ctrl.ctx"
printf '\377rip = 1\n' >"$tmp/latin1.ctx"
printf 'rip = 1 \000\n' >"$tmp/nul.ctx"
t control_byte_in_a_context_file_is_shown_as_hex 1 \
	"ctrl.ctx:1:11: unexpected '\\x01' after the value" \
	"$cli" check "$tmp/ctrl.ctx"
t invalid_utf8_in_a_context_file_is_shown_as_hex 1 \
	"latin1.ctx:1:1: expected a setting name, not '\\xff'" \
	"$cli" check "$tmp/latin1.ctx"
t nul_byte_in_a_context_file_is_shown_as_hex 1 "unexpected '\\x00' after the value" \
	"$cli" check "$tmp/nul.ctx"
t hex_escaped_parse_error_in_json 1 '"error": "unexpected '"'\\\\x01'"' after the value"' \
	"$cli" --json check "$tmp/ctrl.ctx"
odd=$tmp/$(printf 'a\001b\377c\303\251 "q\\')
cp "$dir/pae.ctx" "$odd.ctx"
t odd_file_name_is_escaped_in_json 0 '\u0001b\ufffdc' \
	"$cli" --json check "$odd.ctx"
t odd_missing_file_name_is_escaped_in_json 1 '\u0001b\ufffdc' \
	"$cli" --json check "$odd.nope"
t odd_file_name_round_trips_through_json 0 "" python3 -c '
import json, subprocess, sys
out = subprocess.run([sys.argv[1], "--json", "check", sys.argv[2]],
                     stdout=subprocess.PIPE).stdout
got = json.loads(out)["files"][0]["file"]
want = sys.argv[2].encode("utf-8", "surrogateescape").decode("utf-8", "replace")
sys.exit(got != want)' "$cli" "$odd.ctx"

# --- Bash completion: commands, options, vmx actions, files by kind,
# file names with spaces.
comp() {	# comp WORD... : the completions of the last word
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_pmswitch; printf "%s\n" "${COMPREPLY[@]}"' \
		comp "$dir/../../../tools/pmswitch/pmswitch.bash" "$@"
}
mkdir -p "$tmp/c d"
: >"$tmp/c d/my target.ctx"
: >"$tmp/c d/other.txt"
: >"$tmp/c d/pmswitch.ko"
t completion_lists_every_command 0 "native" \
	sh -c "[ \"\$(cd /; bash -c '. \"\$0\"; COMP_WORDS=(pmswitch \"\"); COMP_CWORD=1; _pmswitch; echo \${COMPREPLY[*]}' '$dir/../../../tools/pmswitch/pmswitch.bash')\" = 'info vmx check run native stats load unload example help --json --version --help -j -V -h' ] && echo native"
t completion_of_vmx_actions 0 "on off status cycle hold" \
	sh -c "echo \$(bash -c '. \"\$0\"; COMP_WORDS=(pmswitch vmx \"\"); COMP_CWORD=2; _pmswitch; echo \${COMPREPLY[*]}' '$dir/../../../tools/pmswitch/pmswitch.bash')"
t completion_of_run_options 0 "--image --repeat --mem --no-tables --trace --help" \
	sh -c "echo \$(bash -c '. \"\$0\"; COMP_WORDS=(pmswitch run -); COMP_CWORD=2; _pmswitch; echo \${COMPREPLY[*]}' '$dir/../../../tools/pmswitch/pmswitch.bash')"
t completion_of_native_options 0 "--image --mem --limit-us --no-tables --help" \
	sh -c "echo \$(bash -c '. \"\$0\"; COMP_WORDS=(pmswitch native --); COMP_CWORD=2; _pmswitch; echo \${COMPREPLY[*]}' '$dir/../../../tools/pmswitch/pmswitch.bash')"
out=$(comp pmswitch check "$tmp/c d/m")
t completion_of_a_context_file_with_spaces 0 "$tmp/c d/my target.ctx" \
	printf '%s\n' "$out"
out=$(comp pmswitch run "$tmp/c d/")
t completion_offers_only_context_files_for_run 0 "" \
	sh -c '! printf "%s\n" "$1" | grep -q -e other.txt -e pmswitch.ko && printf "%s\n" "$1" | grep -q "my target.ctx"' sh "$out"
out=$(comp pmswitch load "$tmp/c d/")
t completion_offers_ko_files_for_load 0 "" \
	sh -c 'printf "%s\n" "$1" | grep -q "pmswitch.ko" && ! printf "%s\n" "$1" | grep -q -e other.txt -e my.target' sh "$out"
out=$(comp pmswitch native --image "$tmp/c d/ot")
t completion_of_image_files 0 "$tmp/c d/other.txt" printf '%s\n' "$out"
echo "1..$n"
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skips error:0"
[ "$fail" = 0 ]
