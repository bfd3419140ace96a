#!/bin/bash
# prepare.sh [--check] <ppc64le|s390x>
#
# Makes an e2e kernel for <arch> ready in a cache outside the clone,
#   ${KLP_E2E_KCACHE:-/var/cache/klp-convert-e2e}/<arch>-6.1/
# and prints shell-sourceable lines on stdout:
#   KDIR= IMAGE= BUSYBOX= KALLSYMS_REF= (may be empty) KERNEL_RELEASE=
#   KERNEL_SOURCE=prebuilt|built
# Logs go to stderr ("e2e: ..."); errors are one line and exit 1.
#
# The kernel comes from the shared prebuilt set (../shared/e2e-kernels from
# the repo root, or KLP_E2E_SHARED) only when it was made from this recipe:
# the shared <arch>-6.1/config-fragment has the same sha256 as ours and the
# source version and kernel release match kernel.conf.  Otherwise (or with
# KLP_E2E_REBUILD=1) build-kernel.sh builds it from Debian's linux-source-6.1,
# in a directory keyed by the fragment's sha256.
#
# --check only prints the decision (KERNEL_SOURCE=... and why) and changes
# nothing.  As root, missing Debian packages are installed.
#
# Environment: KLP_E2E_SHARED, KLP_E2E_KCACHE, KLP_E2E_REBUILD=1,
# KLP_E2E_BUSYBOX (use this static busybox instead of fetching Debian's),
# JOBS (make -j for a rebuild).
set -euo pipefail
# The body is one { } block, so bash reads all of it before running: editing
# this file while a long run is going on cannot change what that run does.
{

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=recipe.sh
. "$HERE/recipe.sh"
REPO_DIR=$(cd "$HERE/../../.." && pwd)

check_only=
if [ "${1:-}" = --check ]; then check_only=1; shift; fi
[ $# -eq 1 ] || die "usage: prepare.sh [--check] <ppc64le|s390x>"
load_recipe "$1"
start=$(date +%s.%N)
tmp=
trap '[ -z "$tmp" ] || rm -rf "$tmp"' EXIT

# --- where the shared prebuilt kernels are (the folder with source-subset.tar.xz)
shared_root=${KLP_E2E_SHARED:-$REPO_DIR/../shared}
shared=
if [ -f "$shared_root/e2e-kernels/source-subset.tar.xz" ]; then
	shared=$(cd "$shared_root/e2e-kernels" && pwd)
elif [ -f "$shared_root/source-subset.tar.xz" ]; then
	shared=$(cd "$shared_root" && pwd)
fi
sarch=${shared:+$shared/$karch-6.1}

# --- decide: prebuilt or built
decide() {
	if [ "${KLP_E2E_REBUILD:-}" = 1 ]; then
		reason="KLP_E2E_REBUILD=1"; return 1
	fi
	if [ -z "$shared" ]; then
		reason="no shared prebuilt kernels at $shared_root"; return 1
	fi
	local f
	for f in config-fragment "$IMAGE_NAME.xz" build-tree.tar.xz; do
		[ -f "$sarch/$f" ] || { reason="no $sarch/$f"; return 1; }
	done
	local ssha
	ssha=$(sha256sum < "$sarch/config-fragment" | cut -d' ' -f1)
	if [ "$ssha" != "$frag_sha" ]; then
		reason="shared config-fragment sha256 ${ssha:0:12} != ours ${frag_sha:0:12}"; return 1
	fi
	if ! grep -qF "$SRC_PKG\` $SRC_VERSION" "$shared/README.md" 2>/dev/null &&
		! grep -qF "$SRC_PKG\` **$SRC_VERSION**" "$sarch/README.md" 2>/dev/null; then
		reason="shared README does not name $SRC_PKG $SRC_VERSION as the source"; return 1
	fi
	local rel
	rel=$(xz -dc "$sarch/build-tree.tar.xz" | tar -xO "$KBUILD_NAME/include/config/kernel.release" 2>/dev/null || true)
	if [ "$rel" != "$KERNEL_RELEASE" ]; then
		reason="shared build tree is kernel '${rel:-?}', want $KERNEL_RELEASE"; return 1
	fi
	reason="shared $karch-6.1 matches the recipe (fragment sha256 ${frag_sha:0:12}, $SRC_PKG $SRC_VERSION)"
	return 0
}
reason=
if decide; then ksrc=prebuilt; else ksrc=built; fi
build_key=built-$SRC_VERSION-${frag_sha:0:16}
if [ "$ksrc" = built ]; then
	log "$karch: kernel source: built ($reason); build directory <cache>/$karch-6.1/$build_key"
else
	log "$karch: kernel source: prebuilt ($reason)"
fi
if [ -n "$check_only" ]; then
	echo "KERNEL_SOURCE=$ksrc"
	exit 0
fi

# --- Debian packages (installed when root, else only checked)
pkgs="xz-utils make $CROSS_GCC_PKG $QEMU_PKG cpio gzip"
[ "$ksrc" = built ] && pkgs="$pkgs gcc libc6-dev flex bison bc"
# shellcheck disable=SC2086
missing=$(missing_packages $pkgs)
if [ -n "$missing" ]; then
	[ "$(id -u)" = 0 ] || die "missing packages: $missing (run prepare.sh as root, or apt-get install them)"
	export DEBIAN_FRONTEND=noninteractive
	log "apt-get install $missing"
	apt-get -o DPkg::Lock::Timeout=600 update -qq >&2 || log "apt-get update failed; trying the install anyway"
	# shellcheck disable=SC2086
	apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing >&2 ||
		die "apt-get install $missing failed"
fi

# --- the cache
kcache=${KLP_E2E_KCACHE:-/var/cache/klp-convert-e2e}
cache=$kcache/$karch-6.1
mkdir -p "$cache" 2>/dev/null || die "cannot create the cache $cache (set KLP_E2E_KCACHE to a writable directory)"
kcache=$(cd "$kcache" && pwd)
cache=$kcache/$karch-6.1
# A cache made by root can be used read-only by others once it is complete.
need_write() {
	if [ ! -w "$cache" ] || [ ! -w "$kcache" ]; then
		die "cache $cache is not writable and needs $1 (run prepare.sh as its owner, or set KLP_E2E_KCACHE)"
	fi
}
# one prepare per arch at a time (flock works on a read-only descriptor too)
[ -e "$cache/.lock" ] || { need_write "a lock file"; : > "$cache/.lock"; }
exec 9<"$cache/.lock"
flock 9

# --- the kernel and KDIR
kallsyms=
if [ "$ksrc" = prebuilt ]; then
	dir=$cache/prebuilt
	inputs=("$shared/source-subset.tar.xz" "$sarch/build-tree.tar.xz" "$sarch/$IMAGE_NAME.xz" "$sarch/config-fragment")
	[ -f "$sarch/kallsyms.xz" ] && inputs+=("$sarch/kallsyms.xz")
	key=$(sha256sum "${inputs[@]}" | awk '{print $1}' | sha256sum | cut -d' ' -f1)
	if [ "$(cat "$dir/.complete" 2>/dev/null)" != "$key" ]; then
		need_write "the prebuilt kernel unpacked"
		log "unpacking the prebuilt $karch kernel from $sarch into $dir"
		tmp=$(mktemp -d "$cache/.prebuilt.XXXXXX")
		chmod 755 "$tmp"
		tar -xJf "$shared/source-subset.tar.xz" -C "$tmp"
		tar -xJf "$sarch/build-tree.tar.xz" -C "$tmp"
		xz -dc "$sarch/$IMAGE_NAME.xz" > "$tmp/$IMAGE_NAME"
		[ -f "$sarch/kallsyms.xz" ] && xz -dc "$sarch/kallsyms.xz" > "$tmp/kallsyms"
		cp "$sarch/config-fragment" "$tmp/config-fragment"
		if [ ! -f "$tmp/$KBUILD_NAME/Makefile" ] || [ ! -f "$tmp/linux-source-6.1/Makefile" ]; then
			die "unexpected layout in the shared tarballs (no $KBUILD_NAME/Makefile or linux-source-6.1/Makefile)"
		fi
		echo "$key" > "$tmp/.complete"
		rm -rf "$dir"
		mv "$tmp" "$dir"
		tmp=
	fi
	[ -f "$dir/kallsyms" ] && kallsyms=$dir/kallsyms
else
	dir=$cache/$build_key
	if [ "$(cat "$dir/.complete" 2>/dev/null)" != "$frag_sha $SRC_VERSION" ]; then
		need_write "a kernel build"
		log "building the $karch kernel into $dir"
		# the source .deb is kept in $kcache/debs, shared by both arches
		KLP_E2E_DEB_DIR=$kcache/debs "$HERE/build-kernel.sh" "$karch" "$dir" >&2 < /dev/null ||
			die "the $karch kernel build failed (see above)"
	fi
fi
kdir=$dir/$KBUILD_NAME
image=$dir/$IMAGE_NAME
[ -f "$kdir/Makefile" ] || die "no KDIR $kdir"
[ -s "$image" ] || die "no kernel image $image"
rel=$(cat "$kdir/include/config/kernel.release" 2>/dev/null || true)
[ "$rel" = "$KERNEL_RELEASE" ] || die "$kdir is kernel '${rel:-?}', want $KERNEL_RELEASE"

# --- a static busybox for the guest (Debian's busybox-static:<arch>, fetched
#     with a private APT configuration: the system's apt state is untouched)
if [ -n "${KLP_E2E_BUSYBOX:-}" ]; then
	[ -x "$KLP_E2E_BUSYBOX" ] || die "KLP_E2E_BUSYBOX=$KLP_E2E_BUSYBOX is not an executable"
	busybox=$(cd "$(dirname "$KLP_E2E_BUSYBOX")" && pwd)/$(basename "$KLP_E2E_BUSYBOX")
else
	busybox=$cache/busybox
	if [ ! -x "$busybox" ]; then
		need_write "busybox-static:$DEB_ARCH"
		apt_root=$kcache/apt-$DEB_ARCH
		log "fetching busybox-static:$DEB_ARCH with a private APT configuration ($apt_root)"
		mkdir -p "$apt_root/etc/sources.list.d" "$apt_root/etc/preferences.d" "$apt_root/state/lists/partial" \
			"$apt_root/cache/archives/partial" "$kcache/debs"
		: > "$apt_root/state/status"
		rm -f "$apt_root/etc/sources.list.d/"*
		[ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$apt_root/etc/sources.list"
		[ -f /etc/apt/sources.list ] || : > "$apt_root/etc/sources.list"
		for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
			[ -f "$f" ] && cp "$f" "$apt_root/etc/sources.list.d/"
		done
		cat > "$apt_root/apt.conf" <<-EOF
			APT::Architecture "$DEB_ARCH";
			APT::Architectures { "$DEB_ARCH"; };
			Dir::Etc::SourceList "$apt_root/etc/sources.list";
			Dir::Etc::SourceParts "$apt_root/etc/sources.list.d";
			Dir::Etc::Preferences "$apt_root/etc/preferences";
			Dir::Etc::PreferencesParts "$apt_root/etc/preferences.d";
			Dir::State "$apt_root/state";
			Dir::State::status "$apt_root/state/status";
			Dir::Cache "$apt_root/cache";
			Acquire::Languages "none";
		EOF
		[ "$(id -u)" = 0 ] && echo 'APT::Sandbox::User "root";' >> "$apt_root/apt.conf"
		export APT_CONFIG=$apt_root/apt.conf
		apt-get update -qq >&2 || log "private apt-get update reported errors; trying the download anyway"
		tmp=$(mktemp -d "$cache/.bb.XXXXXX")
		(cd "$tmp" && apt-get download -qq "busybox-static:$DEB_ARCH" >&2) ||
			die "cannot download busybox-static:$DEB_ARCH (set KLP_E2E_BUSYBOX to a static $karch busybox)"
		unset APT_CONFIG
		deb=$(ls "$tmp"/busybox-static_*.deb)
		[ "$(dpkg-deb -f "$deb" Architecture)" = "$DEB_ARCH" ] || die "$deb is not for $DEB_ARCH"
		# ./usr/bin/busybox since trixie (merged /usr), ./bin/busybox in bookworm
		member=$(dpkg-deb --fsys-tarfile "$deb" | tar -t | grep -m1 -xE '\./(usr/)?bin/busybox' || true)
		[ -n "$member" ] || die "no ./usr/bin/busybox (or ./bin/busybox) in $deb"
		dpkg-deb --fsys-tarfile "$deb" | tar -xO "$member" > "$tmp/busybox"
		[ -s "$tmp/busybox" ] || die "empty $member in $deb"
		chmod 755 "$tmp/busybox"
		mv "$deb" "$kcache/debs/"
		dpkg-deb -f "$kcache/debs/$(basename "$deb")" Version > "$cache/busybox.version"
		mv "$tmp/busybox" "$busybox"
		rmdir "$tmp"
		tmp=
	fi
fi

log "$karch ready in $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s: $ksrc kernel $rel, cache $cache"
printf 'KDIR=%q\nIMAGE=%q\nBUSYBOX=%q\nKALLSYMS_REF=%q\nKERNEL_RELEASE=%q\nKERNEL_SOURCE=%s\n' \
	"$kdir" "$image" "$busybox" "$kallsyms" "$rel" "$ksrc"
exit
}
