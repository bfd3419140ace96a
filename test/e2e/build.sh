#!/bin/bash
# Build the e2e modules out of tree with kbuild, for the cell $CELL:
#   build.sh raw    plain kbuild (`make -C $KDIR M=...`): modpost only warns,
#                   nothing is converted; these are the modules users start from.
#   build.sh klp    `make` through kbuild/klp-convert.mk: kbuild, then
#                   klp-convert on every livepatch module.  Needs
#                   KLP_SYMBOLS=<map> (the kallsyms dump of boot 1).
# Cross cells build as users cross-build: ARCH and CROSS_COMPILE on make's
# command line.  The sources (test/e2e/modules) are copied to
# build/e2e/<cell>/<variant>/, since kbuild writes its outputs next to them.
# Extra make arguments may follow the variant.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

variant=${1:?usage: CELL=<cell> build.sh raw|klp [make args...]}
shift
current_cell
[ -f "$KDIR/Makefile" ] || die "no kernel build directory $KDIR (run test/e2e/setup.sh as root)"

out=$BUILD_DIR/$variant
mkdir -p "$out"
# Copy sources; keep build products so that make can be incremental.
for f in "$E2E_DIR"/modules/*; do
	cmp -s "$f" "$out/$(basename "$f")" || cp "$f" "$out/"
done

jobs=$(nproc 2>/dev/null || echo 2)
# No build directory in the debug info (reproducible, and no machine paths
# in the committed sample module).
kcflags="-ffile-prefix-map=$out/="
cross=()
[ "$CELL_KARCH" = x86 ] || cross=(ARCH="$CELL_KARCH" CROSS_COMPILE="$CELL_CROSS")
case $variant in
raw)
	make -s -j"$jobs" -C "$KDIR" M="$out" KCFLAGS="$kcflags" "${cross[@]}" \
		KLP_CONVERT_MK="$REPO_DIR/kbuild/klp-convert.mk" modules "$@"
	;;
klp)
	: "${KLP_SYMBOLS:?build.sh klp needs KLP_SYMBOLS=<symbol map>}"
	: "${KLP_CONVERT:=node $REPO_DIR/bin/klp-convert.js}"
	make -s -j"$jobs" -C "$out" KDIR="$KDIR" KCFLAGS="$kcflags" "${cross[@]}" \
		KLP_CONVERT_MK="$REPO_DIR/kbuild/klp-convert.mk" \
		KLP_CONVERT="$KLP_CONVERT" KLP_SYMBOLS="$KLP_SYMBOLS" "$@"
	;;
*)
	die "unknown variant '$variant' (raw or klp)"
	;;
esac
ls "$out"/*.ko >/dev/null
