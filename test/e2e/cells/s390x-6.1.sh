# shellcheck shell=bash
# s390x, our own 6.1.192 kernel (s390-ccw-virtio under TCG).
CELL_ARCH=s390x
CELL_KARCH=s390
CELL_CROSS=s390x-linux-gnu-
CELL_CONSOLE=ttysclp0
# The SCLP VT220 console is the kernel's; the SCLP line-mode console
# (sclplmconsole) is the guest's /dev/sclp_line0: the results port.
CELL_PORT=sclp_line0
CELL_QEMU=qemu-system-s390x
CELL_MACHINE="-M s390-ccw-virtio -cpu max -m 1G -smp 1"
cell_serials() { CELL_SERIALS=(-serial "file:$1" -chardev "file,id=results,path=$2" -device sclplmconsole,chardev=results); }
# shellcheck source=own-kernel.sh
. "$E2E_DIR/cells/own-kernel.sh"
