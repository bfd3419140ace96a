#!/bin/bash
# Install what the e2e tests need, from Debian's packages only (run as root):
#   - qemu-system-x86, busybox-static, gcc, make;
#   - linux-headers-$KVER (kbuild for out-of-tree modules);
#   - the matching linux-image-$KVER-unsigned package, fetched with
#     `apt-get download` into .cache/e2e/debs and never installed: only its
#     ./boot directory is extracted, to .cache/e2e/kernel/$KVER/boot.
# KVER defaults to the ABI of the linux-headers-cloud-amd64 metapackage
# (bookworm's newest cloud kernel); set KVER=6.1.0-N-cloud-amd64 to pin one.
# The chosen ABI is recorded in .cache/e2e/kver for the later steps.
# As non-root it only checks that everything is there (and fails if not).
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

command -v apt-get >/dev/null || die "apt-get not found: the e2e tests need a Debian (bookworm) host"
root=; [ "$(id -u)" = 0 ] && root=1

start=$(date +%s.%N)
export DEBIAN_FRONTEND=noninteractive
if [ -n "$root" ]; then
	log "apt-get update"
	apt-get update -qq
fi

if [ -n "${KVER:-}" ] && [ "$KVER" != auto ]; then
	kver=$KVER
else
	kver=$(apt_kver)
fi
case $kver in
	6.1.0-*-cloud-amd64) ;;
	*) die "unexpected KVER '$kver' (want 6.1.0-N-cloud-amd64)" ;;
esac
set_kver_paths "$kver"
log "kernel ABI: $KVER"

pkgs="qemu-system-x86 busybox-static gcc make binutils linux-headers-$KVER"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	[ -n "$root" ] || die "missing packages:$missing (run test/e2e/setup.sh as root)"
	log "apt-get install$missing"
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ ! -f "$VMLINUZ" ]; then
	[ -n "$root" ] || die "no kernel image $VMLINUZ (run test/e2e/setup.sh as root)"
	mkdir -p "$CACHE_DIR/debs" "$KERNEL_DIR"
	img=linux-image-$KVER-unsigned
	log "apt-get download $img"
	# The sandbox user (_apt) cannot write into a root-owned cache directory.
	(cd "$CACHE_DIR/debs" && apt-get download -qq -o APT::Sandbox::User=root "$img")
	deb=$(ls -t "$CACHE_DIR/debs/${img}_"*.deb | head -n 1)
	tmp=$(mktemp -d "$KERNEL_DIR/.extract.XXXXXX")
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" ./boot
	rm -rf "$KERNEL_DIR/boot"
	mv "$tmp/boot" "$KERNEL_DIR/boot"
	rmdir "$tmp"
fi
[ -f "$VMLINUZ" ] || die "no $VMLINUZ after extraction"
[ -f "$KDIR/Makefile" ] || die "no kernel headers in $KDIR"
echo "$KVER" > "$CACHE_DIR/kver"

end=$(date +%s.%N)
log "ready: KVER=$KVER KDIR=$KDIR vmlinuz=${VMLINUZ#"$REPO_DIR"/} ($(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b-a}') s)"
