# shellcheck shell=bash
# Shared settings for the e2e scripts (sourced, never executed).
#
# The suite is a matrix of cells, one per kernel it boots:
#   x86_64-6.1   Debian bookworm's newest 6.1 cloud kernel (linux-headers-cloud-amd64)
#   x86_64-6.12  Debian bookworm-security's newest 6.12 cloud kernel (linux-headers-6.12-cloud-amd64)
#   ppc64le-6.1  our own ppc64le 6.1 kernel with LIVEPATCH (test/e2e/kernels/)
#   s390x-6.1    our own s390x 6.1 kernel with LIVEPATCH (test/e2e/kernels/)
# KERNELS="<cell> ..." (spaces or commas) selects some; the default is all.
# cells/<cell>.sh says what a cell is (architecture, packages, qemu);
# setup.sh resolves it on this machine (kernel release, headers, image,
# busybox) into $CACHE_DIR/<cell>/cell.env, which the later steps read.
#
# Paths are derived from this file's location, so the scripts work from any
# working directory.  Everything downloaded goes under .cache/e2e, everything
# built under build/e2e; both are gitignored.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO_DIR=$(cd "$E2E_DIR/../.." && pwd)
CACHE_DIR=${KLP_E2E_CACHE:-$REPO_DIR/.cache/e2e}
BUILD_ROOT=${KLP_E2E_BUILD:-$REPO_DIR/build/e2e}
ALL_CELLS="x86_64-6.1 x86_64-6.12 ppc64le-6.1 s390x-6.1"

die() { echo "e2e: error: $*" >&2; exit 1; }
log() { echo "e2e: $*" >&2; }

# selected_cells: the cells named by $KERNELS (validated), else all.
selected_cells() {
	local c out=
	for c in $(echo "${KERNELS:-$ALL_CELLS}" | tr ',' ' '); do
		[ -f "$E2E_DIR/cells/$c.sh" ] || die "unknown cell '$c' in KERNELS (cells: $ALL_CELLS)"
		out="$out $c"
	done
	[ -n "$out" ] || die "KERNELS names no cell (cells: $ALL_CELLS)"
	echo $out
}

# load_cell <cell>: the cell's static facts (cells/<cell>.sh), and, unless
# the second argument is "static", what setup.sh resolved for it.
load_cell() {
	CELL=$1
	[ -f "$E2E_DIR/cells/$CELL.sh" ] || die "unknown cell '$CELL' (cells: $ALL_CELLS)"
	CELL_CACHE=$CACHE_DIR/$CELL
	BUILD_DIR=$BUILD_ROOT/$CELL
	# shellcheck source=/dev/null
	. "$E2E_DIR/cells/$CELL.sh"
	[ "${2:-}" = static ] && return 0
	[ -s "$CELL_CACHE/cell.env" ] || die "cell $CELL is not set up ($CELL_CACHE/cell.env missing): run test/e2e/setup.sh as root (make e2e does)"
	# shellcheck source=/dev/null
	. "$CELL_CACHE/cell.env"
	KVER=$CELL_RELEASE
}

# current_cell: $CELL, which every step after setup needs.
current_cell() {
	[ -n "${CELL:-}" ] || die "CELL is not set (one of: $ALL_CELLS)"
	load_cell "$CELL"
}

# write_cell_env <key> <value> [<key> <value>...]: record what setup
# resolved for $CELL (shell-quoted: read by bash and by harness.ts).
write_cell_env() {
	mkdir -p "$CELL_CACHE"
	: > "$CELL_CACHE/cell.env.tmp"
	while [ $# -ge 2 ]; do
		printf '%s=%q\n' "$1" "$2" >> "$CELL_CACHE/cell.env.tmp"
		shift 2
	done
	mv "$CELL_CACHE/cell.env.tmp" "$CELL_CACHE/cell.env"
}

# apt_abi <metapackage> <ABI regex>: the ABI the metapackage depends on now.
apt_abi() {
	local dep
	dep=$(apt-cache depends "$1" 2>/dev/null |
		sed -En "s/^ *Depends: linux-headers-($2)\$/\\1/p" | head -n 1)
	[ -n "$dep" ] || die "cannot find the dependency of $1 (run apt-get update)"
	echo "$dep"
}

# apt_install <package>...: install what is missing (as root).
apt_install() {
	local p missing=
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $p"
	done
	[ -n "$missing" ] || return 0
	[ "$(id -u)" = 0 ] || die "missing packages:$missing (run test/e2e/setup.sh as root)"
	log "apt-get install$missing"
	# INITRD=No: a kernel image pulled in by headers needs no initramfs here.
	INITRD=No DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		-o DPkg::Lock::Timeout=600 $missing >/dev/null
}
