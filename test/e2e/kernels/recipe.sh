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
