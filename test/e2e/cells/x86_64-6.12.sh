# shellcheck shell=bash
# x86_64, Debian bookworm-security's newest 6.12 cloud kernel (built with
# bookworm's gcc-12).  KVER_6_12=6.12.N+deb12-cloud-amd64 pins an ABI.
CELL_META=linux-headers-6.12-cloud-amd64
CELL_ABI_RE='6\.12\.[0-9]+\+deb12-cloud-amd64'
CELL_PIN=${KVER_6_12:-}
# shellcheck source=debian-amd64.sh
. "$E2E_DIR/cells/debian-amd64.sh"
