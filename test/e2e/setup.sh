#!/bin/bash
# Make every selected cell of the e2e matrix ready on this machine (run as
# root; from Debian's packages and ../shared/e2e-kernels only):
#   x86_64 cells: qemu-system-x86, busybox-static, gcc, make, dwarves,
#     linux-headers-<ABI> (the ABI the cell's metapackage names today), and
#     the matching linux-image-<ABI>-unsigned, downloaded and never installed;
#   ppc64le/s390x cells: test/e2e/kernels/prepare.sh (our own kernels with
#     LIVEPATCH, the cross compiler, qemu, a busybox of that architecture).
# KERNELS="<cell> ..." selects cells (default: all, see lib/common.sh); a
# cell that cannot be set up fails this script: nothing is skipped.
# What each cell resolved goes to .cache/e2e/<cell>/cell.env for the later
# steps; the x86_64-6.1 ABI is also recorded in .cache/e2e/kver (the Debian
# module tests download the same kernel).
# As non-root it only checks that everything is there (and fails if not).
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

command -v apt-get >/dev/null || die "apt-get not found: the e2e tests need a Debian (bookworm) host"
cells=$(selected_cells)
start=$(date +%s.%N)
if [ "$(id -u)" = 0 ]; then
	log "apt-get update"
	apt-get update -qq
fi
for cell in $cells; do
	# A subshell per cell (each sources its own cell file); errexit must hold
	# inside it, so it is not run as the left side of || or in an if.
	set +e
	(
		set -e
		t0=$(date +%s.%N)
		load_cell "$cell" static
		cell_setup
		load_cell "$cell"
		[ -f "$IMAGE" ] || die "$cell: no kernel image $IMAGE"
		[ -f "$KDIR/Makefile" ] || die "$cell: no kernel build directory $KDIR"
		[ -x "$BUSYBOX" ] || die "$cell: no busybox $BUSYBOX"
		if [ "$cell" = x86_64-6.1 ]; then echo "$KVER" > "$CACHE_DIR/kver"; fi
		log "$cell ready: release $KVER, KDIR=$KDIR ($(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s)"
	)
	rc=$?
	set -e
	[ $rc = 0 ] || die "cell $cell could not be set up"
done
log "ready: $cells ($(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s)"
