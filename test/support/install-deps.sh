#!/bin/bash
# Install the Debian packages the unit tests need (idempotent; Debian 12, as root):
#   - gcc, binutils: x86_64 fixtures, and i386 ones via `gcc -m32` + `ld -m elf_i386`
#     (only -c with -nostdinc, so no gcc-multilib is needed);
#   - the cross compilers for ppc64le, ppc64 (big endian), ppc32, s390x and aarch64;
#   - binutils-multiarch: readelf/objdump for every architecture (the test oracle);
#   - hyperfine: for scripts/bench (make bench), small, so installed here too;
#   - dpkg-dev is not needed: the Debian-module tests use only `apt-get download`
#     and `dpkg -x`, which apt and dpkg provide.
# Usage: test/support/install-deps.sh        (CI runs it on a fresh machine)
set -euo pipefail

packages=(
	gcc
	binutils
	binutils-multiarch
	gcc-powerpc64le-linux-gnu
	gcc-powerpc64-linux-gnu
	gcc-powerpc-linux-gnu
	gcc-s390x-linux-gnu
	gcc-aarch64-linux-gnu
	hyperfine
	xz-utils
	zstd
	gzip
	make
)

die() {
	echo "install-deps.sh: $*" >&2
	exit 1
}

command -v dpkg-query >/dev/null || die "dpkg-query not found: the tests need a Debian (bookworm) host"

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps.sh: all ${#packages[@]} packages already installed"
else
	if [ "$(id -u)" = 0 ]; then
		sudo=()
	elif command -v sudo >/dev/null; then
		sudo=(sudo)
	else
		die "missing packages (${missing[*]}) and not root: run this script as root"
	fi
	export DEBIAN_FRONTEND=noninteractive
	echo "install-deps.sh: installing ${missing[*]}"
	"${sudo[@]}" apt-get update -qq
	"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Check that every tool the fixture builder and the oracle run is on PATH.
tools=(gcc ld readelf
	powerpc64le-linux-gnu-gcc powerpc64le-linux-gnu-ld
	powerpc64-linux-gnu-gcc powerpc64-linux-gnu-ld
	powerpc-linux-gnu-gcc powerpc-linux-gnu-ld
	s390x-linux-gnu-gcc s390x-linux-gnu-ld
	aarch64-linux-gnu-gcc aarch64-linux-gnu-ld
	apt-get dpkg)
for t in "${tools[@]}"; do
	command -v "$t" >/dev/null || die "'$t' still missing after the install"
done
# -m32 must work without multilib (compile only).
echo 'int x;' | gcc -m32 -x c -c -o /dev/null - || die "gcc -m32 cannot compile"
echo "install-deps.sh: ok"
