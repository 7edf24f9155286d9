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
