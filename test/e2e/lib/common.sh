# shellcheck shell=bash
# Shared settings for the e2e scripts (sourced, never executed).
#
# Paths are derived from this file's location, so the scripts work from any
# working directory.  Everything downloaded goes under .cache/e2e, everything
# built under build/e2e; both are gitignored.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO_DIR=$(cd "$E2E_DIR/../.." && pwd)
CACHE_DIR=${KLP_E2E_CACHE:-$REPO_DIR/.cache/e2e}
BUILD_ROOT=${KLP_E2E_BUILD:-$REPO_DIR/build/e2e}

die() { echo "e2e: error: $*" >&2; exit 1; }
log() { echo "e2e: $*" >&2; }

# resolve_kver: KVER from the environment, else the ABI the
# linux-headers-cloud-amd64 metapackage currently depends on (as recorded by
# setup.sh in $CACHE_DIR/kver, or asked from apt when setup has not run).
resolve_kver() {
	if [ -n "${KVER:-}" ] && [ "$KVER" != auto ]; then
		echo "$KVER"
	elif [ -s "$CACHE_DIR/kver" ]; then
		cat "$CACHE_DIR/kver"
	else
		apt_kver
	fi
}

# apt_kver: ask apt which ABI the cloud headers metapackage points at.
apt_kver() {
	local dep
	dep=$(apt-cache depends linux-headers-cloud-amd64 2>/dev/null |
		sed -n 's/^ *Depends: linux-headers-\(6\.1\.0-[0-9]*-cloud-amd64\)$/\1/p' | head -n 1)
	[ -n "$dep" ] || die "cannot find the dependency of linux-headers-cloud-amd64 (run apt-get update, or set KVER=6.1.0-N-cloud-amd64)"
	echo "$dep"
}

# Set the derived paths for a kernel ABI.
set_kver_paths() {
	KVER=$1
	KDIR=${KDIR:-/usr/src/linux-headers-$KVER}
	KERNEL_DIR=$CACHE_DIR/kernel/$KVER
	VMLINUZ=$KERNEL_DIR/boot/vmlinuz-$KVER
	BUILD_DIR=$BUILD_ROOT/$KVER
}
