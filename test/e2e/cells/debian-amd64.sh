# shellcheck shell=bash
# Shared by the x86_64 cells: a Debian cloud kernel, whose ABI is the one its
# metapackage names today (CELL_META, CELL_ABI_RE; CELL_PIN pins one).
# Headers are installed (kbuild for out-of-tree modules); the matching
# linux-image-<ABI>-unsigned is fetched with `apt-get download` into
# $CELL_CACHE/debs and never installed: only its ./boot is extracted.
CELL_ARCH=x86_64
CELL_KARCH=x86
CELL_CROSS=
CELL_CONSOLE=ttyS0
# The results port (klpt.port= of guest/init): a second 16550 UART.
CELL_PORT=ttyS1
CELL_QEMU=qemu-system-x86_64

cell_setup() {
	local abi img deb tmp
	if [ -n "${CELL_PIN:-}" ] && [ "$CELL_PIN" != auto ]; then abi=$CELL_PIN; else abi=$(apt_abi "$CELL_META" "$CELL_ABI_RE"); fi
	echo "$abi" | grep -Eqx "$CELL_ABI_RE" || die "$CELL: unexpected ABI '$abi' (want $CELL_ABI_RE)"
	apt_install qemu-system-x86 busybox-static gcc make binutils dwarves "linux-headers-$abi"
	local kdir=/usr/src/linux-headers-$abi
	local image=$CELL_CACHE/kernel/$abi/boot/vmlinuz-$abi
	if [ ! -f "$image" ]; then
		[ "$(id -u)" = 0 ] || die "no kernel image $image (run test/e2e/setup.sh as root)"
		img=linux-image-$abi-unsigned
		mkdir -p "$CELL_CACHE/debs" "$CELL_CACHE/kernel/$abi"
		log "$CELL: apt-get download $img"
		# The sandbox user (_apt) cannot write into a root-owned cache directory.
		(cd "$CELL_CACHE/debs" && apt-get download -qq -o APT::Sandbox::User=root "$img")
		deb=$(ls -t "$CELL_CACHE/debs/${img}_"*.deb | head -n 1)
		tmp=$(mktemp -d "$CELL_CACHE/kernel/$abi/.extract.XXXXXX")
		dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" ./boot
		rm -rf "$CELL_CACHE/kernel/$abi/boot"
		mv "$tmp/boot" "$CELL_CACHE/kernel/$abi/boot"
		rmdir "$tmp"
	fi
	[ -f "$image" ] || die "no $image after extraction"
	[ -f "$kdir/Makefile" ] || die "no kernel headers in $kdir"
	deb=$(ls -t "$CELL_CACHE/debs/linux-image-$abi-unsigned_"*.deb | head -n 1)
	write_cell_env CELL_RELEASE "$abi" KDIR "$kdir" IMAGE "$image" BUSYBOX "$(command -v busybox)" \
		CELL_SOURCE "Debian linux-image-$abi-unsigned $(dpkg-deb -f "$deb" Version)"
}

# cell_qemu_args <initrd> <kernel command line> <console file> <results file>
cell_qemu_args() {
	local accel=${KLP_E2E_ACCEL:-auto} cpu
	if [ "$accel" = auto ]; then
		accel=tcg
		if grep -qwE 'vmx|svm' /proc/cpuinfo && [ ! -e /sys/module/kvm_pvm ] &&
			[ -r /dev/kvm ] && [ -w /dev/kvm ]; then
			accel=kvm
		fi
	fi
	case $accel in
		kvm) cpu=${KLP_E2E_CPU:-host} ;;
		tcg) cpu=${KLP_E2E_CPU:-max} ;;
		*) die "KLP_E2E_ACCEL must be auto, tcg or kvm" ;;
	esac
	CELL_ACCEL=$accel
	QEMU_ARGS=(-accel "$accel" -cpu "$cpu" -m 512M -smp 1
		-nodefaults -no-reboot -display none -monitor none
		-serial "file:$3" -serial "file:$4"
		-kernel "$IMAGE" -initrd "$1"
		-append "console=ttyS0 panic=-1 oops=panic loglevel=4 $2")
}
