# shellcheck shell=bash
# Shared by the ppc64le and s390x cells: our own 6.1 kernels with LIVEPATCH
# (Debian enables it only on amd64), made ready by kernels/prepare.sh from
# the prebuilt ones in ../shared/e2e-kernels when they match the recipe, or
# built from Debian's linux-source-6.1 otherwise.  Cross-built modules, TCG.

cell_setup() {
	local out
	# The host's busybox writes the initramfs (busybox cpio).
	apt_install busybox-static gcc make binutils
	out=$(bash "$E2E_DIR/kernels/prepare.sh" "$CELL_ARCH") || die "$CELL: kernels/prepare.sh $CELL_ARCH failed"
	local KDIR='' IMAGE='' BUSYBOX='' KERNEL_RELEASE='' KERNEL_SOURCE='' KALLSYMS_REF=''
	eval "$out"
	[ -n "$KDIR" ] && [ -n "$IMAGE" ] && [ -n "$BUSYBOX" ] && [ -n "$KERNEL_RELEASE" ] ||
		die "$CELL: kernels/prepare.sh printed no KDIR/IMAGE/BUSYBOX/KERNEL_RELEASE"
	write_cell_env CELL_RELEASE "$KERNEL_RELEASE" KDIR "$KDIR" IMAGE "$IMAGE" BUSYBOX "$BUSYBOX" \
		CELL_SOURCE "our own $CELL_ARCH kernel from Debian's linux-source-6.1 ($KERNEL_SOURCE, test/e2e/kernels)"
}

# cell_qemu_args <initrd> <kernel command line> <console file> <results file>
cell_qemu_args() {
	CELL_ACCEL=tcg
	# shellcheck disable=SC2206 # the machine arguments are words
	cell_serials "$3" "$4"
	QEMU_ARGS=($CELL_MACHINE -nodefaults -no-reboot -display none -monitor none
		-kernel "$IMAGE" -initrd "$1"
		-append "console=$CELL_CONSOLE panic=-1 oops=panic loglevel=4 $2"
		"${CELL_SERIALS[@]}")
}
