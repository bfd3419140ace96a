#!/bin/bash
# CELL=<cell> boot.sh <initramfs.cpio.gz> <scenarios> <out dir>
# Boot the cell's kernel under qemu with our initramfs, run the scenarios
# (comma separated, test/e2e/guest/tests/<name>.sh) and power off.
# Writes <out dir>/console.log (the kernel console), <out dir>/results.log
# (the KLPT- lines, from the cell's results port) and <out dir>/boot.json
# (cell, release, accelerator, exit status, wall time).
#
# x86_64: KVM is used only when /proc/cpuinfo has vmx or svm and the host's
# KVM is not kvm_pvm (a software nested hypervisor on which Debian's kernel
# dies with "emulation failure"); otherwise TCG.  KLP_E2E_ACCEL=tcg|kvm and
# KLP_E2E_CPU (default: host for KVM, max for TCG) override.  Other
# architectures always run under TCG.
# qemu always runs under `timeout` (KLP_E2E_TIMEOUT seconds, default 180).
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

initrd=${1:?usage: CELL=<cell> boot.sh <initramfs> <scenarios> <out dir>}
scenarios=${2:?usage: CELL=<cell> boot.sh <initramfs> <scenarios> <out dir>}
outdir=${3:?usage: CELL=<cell> boot.sh <initramfs> <scenarios> <out dir>}
current_cell
[ -f "$IMAGE" ] || die "no kernel image $IMAGE (run test/e2e/setup.sh as root)"
qemu=$(command -v "$CELL_QEMU") || die "$CELL_QEMU not found (run test/e2e/setup.sh as root)"

mkdir -p "$outdir"
rm -f "$outdir/console.log" "$outdir/results.log" "$outdir/boot.json"
CELL_ACCEL=tcg
cell_qemu_args "$initrd" "klpt.script=$scenarios klpt.port=$CELL_PORT" "$outdir/console.log" "$outdir/results.log"
limit=${KLP_E2E_TIMEOUT:-180}
start=$(date +%s.%N)
set +e
timeout --kill-after=5 "$limit" "$qemu" "${QEMU_ARGS[@]}" < /dev/null > "$outdir/qemu.out" 2>&1
rc=$?
set -e
end=$(date +%s.%N)
secs=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.2f", b-a}')
printf '{"cell":"%s","kver":"%s","accel":"%s","scenarios":"%s","exit":%d,"timedOut":%s,"seconds":%s}\n' \
	"$CELL" "$KVER" "$CELL_ACCEL" "$scenarios" "$rc" "$([ $rc = 124 ] || [ $rc = 137 ] && echo true || echo false)" "$secs" \
	> "$outdir/boot.json"
log "$CELL: boot [$scenarios] $CELL_ACCEL: exit $rc in $secs s"
[ $rc = 0 ] || { tail -n 20 "$outdir/console.log" >&2 || true; exit 1; }
