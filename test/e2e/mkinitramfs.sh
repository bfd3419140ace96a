#!/bin/bash
# CELL=<cell> mkinitramfs.sh <out.cpio.gz> [<raw modules dir> [<converted modules dir> [<sample dir> [<extra dir>]]]]
# A tiny initramfs of our own: the cell's static busybox, /init, the scenario scripts,
# and the modules (raw ones in /modules/raw, converted ones in /modules/klp,
# the converted samples in /modules/sample/<variant>/, and modules made
# for one architecture's checks in /modules/extra/).  A directory that is
# not given, or given but empty, adds nothing: optional inputs never break a
# boot (the scenarios report what they miss).
# Archived with `busybox cpio` (newc, owned by root), since cpio is not
# installed.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

out=${1:?usage: mkinitramfs.sh <out.cpio.gz> [raw dir] [klp dir]}
raw=${2:-}
klp=${3:-}
sample=${4:-}
extra=${5:-}
current_cell
busybox=$BUSYBOX
[ -x "$busybox" ] || die "$CELL: no busybox $busybox (run test/e2e/setup.sh as root)"
# The archive is written by the host's busybox (cpio is not installed).
host_busybox=$(command -v busybox) || die "busybox not found (apt-get install busybox-static)"

root=$(mktemp -d "${TMPDIR:-/tmp}/klpt-initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp,lib,tests,modules/raw,modules/klp,modules/sample}
cp "$busybox" "$root/bin/busybox"
cp "$E2E_DIR/guest/init" "$root/init"
chmod 755 "$root/init"
cp "$E2E_DIR/guest/klpt.sh" "$root/lib/klpt.sh"
cp "$E2E_DIR"/guest/tests/*.sh "$root/tests/"
# copy_modules <from dir> <to dir>: the .ko files of <from> (and of its
# subdirectories, kept as such), if any.
copy_modules() {
	[ -n "$1" ] || return 0
	[ -d "$1" ] || die "no directory $1"
	(cd "$1" && find . -name '*.ko' -type f) | while IFS= read -r f; do
		mkdir -p "$2/$(dirname "$f")"
		cp "$1/$f" "$2/$f"
	done
}
copy_modules "$raw" "$root/modules/raw"
copy_modules "$klp" "$root/modules/klp"
copy_modules "$sample" "$root/modules/sample"
copy_modules "$extra" "$root/modules/extra"

mkdir -p "$(dirname "$out")"
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | "$host_busybox" cpio -o -H newc -R 0:0 2>/dev/null) |
	gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
