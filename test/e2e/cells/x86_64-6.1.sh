# shellcheck shell=bash
# x86_64, Debian bookworm's newest 6.1 cloud kernel.  KVER=6.1.0-N-cloud-amd64 pins an ABI.
CELL_META=linux-headers-cloud-amd64
CELL_ABI_RE='6\.1\.0-[0-9]+-cloud-amd64'
CELL_PIN=${KVER:-}
# shellcheck source=debian-amd64.sh
. "$E2E_DIR/cells/debian-amd64.sh"
