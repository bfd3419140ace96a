# shellcheck shell=bash
# ppc64le, our own 6.1.192 kernel (pseries under TCG, VOF firmware).
CELL_ARCH=ppc64le
CELL_KARCH=powerpc
CELL_CROSS=powerpc64le-linux-gnu-
CELL_CONSOLE=hvc0
# pseries turns each -serial into a spapr-vty: the second is /dev/hvc1.
CELL_PORT=hvc1
CELL_QEMU=qemu-system-ppc64
CELL_MACHINE="-M pseries,x-vof=on,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off -cpu POWER9 -m 1G -smp 1"
cell_serials() { CELL_SERIALS=(-serial "file:$1" -serial "file:$2"); }
# shellcheck source=own-kernel.sh
. "$E2E_DIR/cells/own-kernel.sh"
