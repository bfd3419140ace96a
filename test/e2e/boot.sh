#!/bin/bash
# boot.sh <initramfs.cpio.gz> <scenarios> <out dir>
# Boot the Debian kernel (KVER) under qemu with our initramfs, run the
# scenarios (comma separated, test/e2e/guest/tests/<name>.sh) and power off.
# Writes <out dir>/console.log (ttyS0: the kernel console),
# <out dir>/results.log (ttyS1: the KLPT- lines) and <out dir>/boot.json
# (accelerator, exit status, wall time).
#
# KVM is used only when /proc/cpuinfo has vmx or svm and the host's KVM is not
# kvm_pvm (a software nested hypervisor on which Debian's kernel dies with
# "emulation failure"); otherwise TCG.  KLP_E2E_ACCEL=tcg|kvm and
# KLP_E2E_CPU (default: host for KVM, max for TCG) override.
# qemu always runs under `timeout` (KLP_E2E_TIMEOUT seconds, default 180).
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

initrd=${1:?usage: boot.sh <initramfs> <scenarios> <out dir>}
scenarios=${2:?usage: boot.sh <initramfs> <scenarios> <out dir>}
outdir=${3:?usage: boot.sh <initramfs> <scenarios> <out dir>}
set_kver_paths "$(resolve_kver)"
[ -f "$VMLINUZ" ] || die "no kernel image $VMLINUZ (run test/e2e/setup.sh as root)"
qemu=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 not found (run test/e2e/setup.sh as root)"

accel=${KLP_E2E_ACCEL:-auto}
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

mkdir -p "$outdir"
rm -f "$outdir/console.log" "$outdir/results.log" "$outdir/boot.json"
limit=${KLP_E2E_TIMEOUT:-180}
start=$(date +%s.%N)
set +e
timeout --kill-after=5 "$limit" "$qemu" \
	-accel "$accel" -cpu "$cpu" -m 512M -smp 1 \
	-nodefaults -no-reboot -display none -monitor none \
	-serial "file:$outdir/console.log" -serial "file:$outdir/results.log" \
	-kernel "$VMLINUZ" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 oops=panic loglevel=4 klpt.script=$scenarios" \
	< /dev/null > "$outdir/qemu.out" 2>&1
rc=$?
set -e
end=$(date +%s.%N)
secs=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.2f", b-a}')
printf '{"kver":"%s","accel":"%s","scenarios":"%s","exit":%d,"timedOut":%s,"seconds":%s}\n' \
	"$KVER" "$accel" "$scenarios" "$rc" "$([ $rc = 124 ] || [ $rc = 137 ] && echo true || echo false)" "$secs" \
	> "$outdir/boot.json"
log "boot [$scenarios] $accel: exit $rc in $secs s"
[ $rc = 0 ] || { tail -n 20 "$outdir/console.log" >&2 || true; exit 1; }
