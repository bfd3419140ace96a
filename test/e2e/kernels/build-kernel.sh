#!/bin/bash
# build-kernel.sh [--config-only] <ppc64le|s390x> <out-dir>
#
# Rebuilds an e2e kernel from Debian's linux-source-6.1 with the recipe in
# <arch>/config-fragment (allnoconfig + KCONFIG_ALLCONFIG), cross-compiled
# with Debian's gcc-<triplet>.  Leaves in <out-dir>:
#   linux-source-6.1/   the full, unmodified source (kept clean: O= build)
#   kbuild-<arch>/      the O= tree: .config, vmlinux, System.map,
#                       Module.symvers; usable as KDIR for module builds
#   vmlinux | bzImage   the bootable image (copied out of kbuild-<arch>/)
#   .complete           written last: "<fragment sha256> <source version>"
#   build.log           the make output
# Re-running it is incremental (the source is extracted once, make resumes).
#
# Environment:
#   KLP_E2E_SOURCE_DEB  path of linux-source-6.1_<version>_all.deb to use
#   KLP_E2E_DEB_DIR     where to apt-get download it (default: <out-dir>)
#   JOBS                make -j (default: nproc)
# Needs: make gcc flex bison bc xz-utils and gcc-<triplet> (see kernel.conf).
set -euo pipefail
# The body is one { } block, so bash reads all of it before running: editing
# this file while a long run is going on cannot change what that run does.
{

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=recipe.sh
. "$HERE/recipe.sh"
config_only=
if [ "${1:-}" = --config-only ]; then config_only=1; shift; fi
[ $# -eq 2 ] || die "usage: build-kernel.sh [--config-only] <ppc64le|s390x> <out-dir>"
load_recipe "$1"

mkdir -p "$2" || die "cannot create $2"
out=$(cd "$2" && pwd)
src=$out/linux-source-6.1
obj=$out/$KBUILD_NAME
start=$(date +%s)

for t in make gcc flex bison bc xz "${CROSS_COMPILE}gcc"; do
	command -v "$t" >/dev/null || die "'$t' not found (apt-get install make gcc flex bison bc xz-utils $CROSS_GCC_PKG)"
done

# 1. The source package.
deb=${KLP_E2E_SOURCE_DEB:-}
if [ -z "$deb" ]; then
	debdir=${KLP_E2E_DEB_DIR:-$out}
	mkdir -p "$debdir"
	deb=$debdir/${SRC_PKG}_${SRC_VERSION}_all.deb
	if [ ! -s "$deb" ]; then
		log "apt-get download $SRC_PKG=$SRC_VERSION (~139 MB) into $debdir"
		tmpd=$(mktemp -d "$debdir/.dl.XXXXXX")
		sandbox=(); [ "$(id -u)" = 0 ] && sandbox=(-o APT::Sandbox::User=root)
		if ! (cd "$tmpd" && apt-get download -qq "${sandbox[@]}" "$SRC_PKG=$SRC_VERSION" >&2); then
			rm -rf "$tmpd"
			die "cannot download $SRC_PKG=$SRC_VERSION (Debian's security archive keeps only recent uploads; put the .deb at $deb or set KLP_E2E_SOURCE_DEB)"
		fi
		mv "$tmpd"/*.deb "$deb"
		rm -rf "$tmpd"
	fi
fi
[ -s "$deb" ] || die "no source package $deb"
v=$(dpkg-deb -f "$deb" Package Version | awk '{print $2}' | paste -sd' ')
[ "$v" = "$SRC_PKG $SRC_VERSION" ] || die "$deb is '$v', want '$SRC_PKG $SRC_VERSION'"

# 2. The source tree, extracted once.
src_stamp=$out/.source-$SRC_VERSION
if [ ! -f "$src_stamp" ] || [ ! -f "$src/Makefile" ]; then
	log "extracting $SRC_PKG $SRC_VERSION into $src"
	rm -rf "$src" "$out/.src.tmp" "$out/.source-"*
	mkdir "$out/.src.tmp"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/src/linux-source-6.1.tar.xz | xz -dc | tar -x -C "$out/.src.tmp"
	[ -f "$out/.src.tmp/linux-source-6.1/Makefile" ] || die "unexpected layout in $deb"
	mv "$out/.src.tmp/linux-source-6.1" "$src"
	rmdir "$out/.src.tmp"
	touch "$src_stamp"
fi

kmake() { make -C "$src" ARCH="$ARCH" CROSS_COMPILE="$CROSS_COMPILE" O="$obj" "$@"; }

# 3. The configuration: allnoconfig + the fragment, redone when the fragment
#    changes; fragment lines that did not make it into .config are reported.
cfg_stamp=$obj/.klp-e2e-fragment
if [ ! -f "$obj/.config" ] || [ "$(cat "$cfg_stamp" 2>/dev/null)" != "$frag_sha" ]; then
	log "configuring $karch: allnoconfig + $karch/config-fragment (sha256 ${frag_sha:0:12})"
	rm -f "$out/.complete" "$cfg_stamp"
	mkdir -p "$obj"
	cp "$fragment" "$obj/.klp-e2e-fragment.config"
	kmake -s KCONFIG_ALLCONFIG="$obj/.klp-e2e-fragment.config" allnoconfig >&2
	miss=$(grep -E '^(CONFIG_[A-Za-z0-9_]+=.*|# CONFIG_[A-Za-z0-9_]+ is not set)$' "$fragment" |
		grep -vxF -f "$obj/.config" || true)
	# Not fatal: the recipe is the fragment as it stands, and the shared kernels
	# were built from it.  (Both fragments ask for CONFIG_TMPFS=y, which needs
	# SHMEM, off in allnoconfig: their .config has no TMPFS line at all.)
	[ -z "$miss" ] || log "note: config-fragment lines not in the resulting .config (unmet dependencies): $(echo "$miss" | paste -sd' ')"
	echo "$frag_sha" > "$cfg_stamp"
fi
if [ -n "$config_only" ]; then
	log "config ready: $obj/.config ($(( $(date +%s) - start )) s)"
	exit 0
fi

# 4. The build.
jobs=${JOBS:-$(nproc)}
log "building $karch kernel (make -j$jobs all; 10-25 min on 2 cores), log: $out/build.log"
if ! kmake -j"$jobs" all > "$out/build.log" 2>&1; then
	tail -n 30 "$out/build.log" | sed 's/^/e2e:   /' >&2
	die "kernel build failed, see $out/build.log"
fi
rel=$(cat "$obj/include/config/kernel.release")
[ "$rel" = "$KERNEL_RELEASE" ] || die "built kernel release '$rel', want '$KERNEL_RELEASE'"
[ -f "$obj/$IMAGE_BUILD_PATH" ] || die "no $obj/$IMAGE_BUILD_PATH after the build"
cp "$obj/$IMAGE_BUILD_PATH" "$out/$IMAGE_NAME.tmp" && mv "$out/$IMAGE_NAME.tmp" "$out/$IMAGE_NAME"
echo "$frag_sha $SRC_VERSION" > "$out/.complete"
log "built $karch kernel $rel in $(( $(date +%s) - start )) s: $out/$IMAGE_NAME, KDIR $obj"
exit
}
