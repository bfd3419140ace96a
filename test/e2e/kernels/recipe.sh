# shellcheck shell=bash
# Sourced by prepare.sh and build-kernel.sh: messages, and the recipe of one
# architecture's kernel (<arch>/kernel.conf and <arch>/config-fragment).

die() { echo "e2e: error: $*" >&2; exit 1; }
log() { echo "e2e: $*" >&2; }

# load_recipe <ppc64le|s390x>: sets karch, the kernel.conf variables,
# fragment and frag_sha (the fragment's sha256, which keys builds and the
# match with the prebuilt kernels).
load_recipe() {
	karch=$1
	case $karch in ppc64le|s390x) ;; *) die "unknown arch '$karch' (want ppc64le or s390x)" ;; esac
	# shellcheck source=ppc64le/kernel.conf
	. "$HERE/$karch/kernel.conf"
	fragment=$HERE/$karch/config-fragment
	[ -f "$fragment" ] || die "no $fragment"
	# shellcheck disable=SC2034 # read by the scripts that source this file
	frag_sha=$(sha256sum < "$fragment" | cut -d' ' -f1)
}

# missing_packages <package>...: prints those of them (space-separated) that are not installed.
# One dpkg-query for all; it exits 1 when it has never heard of one of them (a package never
# installed on this machine, as qemu-system-misc on a fresh one), which says "not installed" and
# is no error: under pipefail it ended prepare.sh before it could install anything.
missing_packages() {
	local installed p missing=
	installed=" $({ dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null || true; } |
		awk '$4 == "installed" {print $1}' | paste -sd' ') "
	for p in "$@"; do
		case $installed in *" $p "*) ;; *) missing="$missing $p" ;; esac
	done
	echo "${missing# }"
}
