# lib.sh: helpers sourced by the testbed scripts (not run on its own).
# shellcheck shell=bash

# Where the testbed keeps its build outputs (build/ is not versioned).
# shellcheck disable=SC2034  # used by the scripts that source this file
TESTBED_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TESTBED_OUT=$(cd "$TESTBED_DIR/../.." && pwd)/build/testbed

# need_pkgs PKG...: install the Debian packages that are missing.  The
# scripts run as root on fresh Debian 12 machines (CI, new developers), so
# nothing may be assumed installed.  `apt-get update` only runs when the
# first install attempt fails (no or stale package lists).  Progress goes to
# stderr so callers' stdout stays clean.
need_pkgs() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed ||
            missing+=("$p")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    echo "testbed: installing ${missing[*]}" >&2
    # Parallel runs (run-tests starts two machines at once) must not race
    # for dpkg's lock: one installer at a time, and apt waits for a lock
    # held by anyone else instead of failing at once.
    local apt=(apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends)
    {
        flock 8
        DEBIAN_FRONTEND=noninteractive "${apt[@]}" "${missing[@]}" ||
            { apt-get -o DPkg::Lock::Timeout=600 update -q &&
              DEBIAN_FRONTEND=noninteractive "${apt[@]}" "${missing[@]}"; }
    } 8>/var/lock/pmswitch-apt.lock >&2
}

# apt_field PKG FIELD: FIELD of the candidate version of PKG in apt's
# package lists (not of an installed copy).  The lists are fetched first if
# the machine has none or they do not know PKG.
apt_field() {
    local out
    out=$(apt-cache show --no-all-versions "$1" 2>/dev/null) || out=""
    if [[ -z $out ]]; then
        apt-get -o DPkg::Lock::Timeout=600 update -q >&2 || return 1
        out=$(apt-cache show --no-all-versions "$1") || return 1
    fi
    sed -n "s/^$2: //p" <<<"$out" | head -n1
}

# pkg_version PKG: the installed version of PKG, or else its candidate.
# The kernel image and unpacked headers must be of the version of the
# headers the module is built against.
pkg_version() {
    dpkg-query -W -f='${db:Status-Status} ${Version}' "$1" 2>/dev/null |
        sed -n 's/^installed //p' | grep . || apt_field "$1" Version
}

# fetch_debs DIR PKG=VERSION...: download the packages into DIR with
# `apt-get download` (never installed), fetching the lists on a miss.
fetch_debs() {
    local dir=$1
    shift
    # apt drops privileges to _apt for downloads: let it write there.
    chmod 0777 "$dir"
    (cd "$dir" && { apt-get download -q "$@" ||
                    { apt-get update -q && apt-get download -q "$@"; }; }) >&2
}

# --- command-line options -------------------------------------------------
# Shared by tools/run-*, tools/testbed/* and tools/build/*.  --help prints
# the script's header comment and exits 0; a usage error (unknown option,
# missing or bad value) prints one line on stderr and exits 64 (EX_USAGE,
# sysexits.h).  Both happen before anything is installed or downloaded, so
# a typo never costs a package installation.

# The Bochs 2.7 CPU models that implement VMX (bochs --help cpu; the test
# bed's notes): what --model and --cpu-model accept.
BOCHS_VMX_MODELS="core2_penryn_t9600 corei5_lynnfield_750 corei5_arrandale_m520
corei7_sandy_bridge_2600k corei7_ivy_bridge_3770k corei7_haswell_4770
broadwell_ult corei7_skylake_x corei3_cnl corei7_icelake_u tigerlake"

# print_help: the header comment of the running script without the #! and
# SPDX lines; it holds a "usage:" line.
print_help() {
    awk 'NR == 1 && /^#!/ { next }
         /SPDX-License-Identifier/ { next }
         !/^#/ { exit }
         { sub(/^# ?/, "") }
         started || NF { started = 1; print }' "$0"
}

# usage_error REASON: one line naming the script, then exit 64.
usage_error() {
    echo "${0##*/}: $1 (see ${0##*/} --help)" >&2
    exit 64
}

# need_value OPTION [VALUE...]: OPTION must be followed by a value (not by
# another option).  Call it as: need_value "$@".
need_value() {
    [[ $# -ge 2 && $2 != -* ]] || usage_error "$1 needs a value"
}

# check_kline OPTION VALUE: a kernel line the project builds for.
check_kline() {
    [[ $2 == 6.1 || $2 == 6.12 ]] ||
        usage_error "$1 '$2': not a kernel line of the test bed (6.1 or 6.12)"
}

# check_count OPTION VALUE MAX: an integer from 1 to MAX.
check_count() {
    [[ $2 =~ ^[1-9][0-9]{0,5}$ ]] && (( $2 <= $3 )) ||
        usage_error "$1 '$2': not a number from 1 to $3"
}

# check_word OPTION VALUE WORD...: VALUE is one of the WORDs.
check_word() {
    local opt=$1 val=$2 w
    shift 2
    for w in "$@"; do [[ $val == "$w" ]] && return 0; done
    usage_error "$opt '$val': not one of: $*"
}

# unknown_option ARG: an option no case matched, or a stray argument.
unknown_option() {
    if [[ $1 == -* ]]; then usage_error "unknown option '$1'"; fi
    usage_error "unexpected argument '$1'"
}

# line_arg ARG...: the arguments of a script that takes one kernel line
# (kernel-version, fetch-kernel, fetch-headers, build-module): --help, or
# 6.1 or 6.12 and nothing else.
line_arg() {
    case "${1:-}" in -h|--help) print_help; exit 0 ;; esac
    [[ $# -ge 1 ]] || usage_error "missing the kernel line (6.1 or 6.12)"
    [[ $1 != -* ]] || unknown_option "$1"
    [[ $# -eq 1 ]] || unknown_option "$2"
    check_kline line "$1"
}
