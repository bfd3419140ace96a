#!/usr/bin/env bash
# `make demo`: convert the bundled real livepatch module with its bundled map
# and show what changed. Usage: scripts/demo.sh <sample dir> <out dir>
set -euo pipefail
sample=${1:-symbols-maps/sample}
out=${2:-build/demo}
mkdir -p "$out"
# readelf shows what changed; binutils comes with gcc on most machines, install it if not.
if ! command -v readelf >/dev/null; then
  echo "demo: installing binutils for readelf" >&2
  ${SUDO-$( [ "$(id -u)" = 0 ] || echo sudo )} apt-get install -y -qq binutils >/dev/null
fi
ko=$(ls "$sample"/*.ko | head -1)
name=$(basename "$ko" .ko)
# The sample is for one Debian kernel (its kallsyms map names it); converting
# needs nothing of that kernel on this machine.
for m in "$sample"/kallsyms-*.txt.gz; do
  [ -e "$m" ] || continue
  kver=$(basename "$m" .txt.gz); kver=${kver#kallsyms-}
  echo "demo: $name.ko was built for Debian's $kver kernel; converting it needs nothing of that kernel here (see $sample/PROVENANCE.md)"
done
source "$(dirname "$0")/lib/sample-args.sh"
sample_args "$sample"
args=("${SAMPLE_ARGS[@]}")

echo "\$ klp-convert ${args[*]} $ko $out/$name.ko"
node bin/klp-convert.js -v "${args[@]}" --json "$out/$name.json" "$ko" "$out/$name.ko"
echo
counts() { readelf -W -r "$1" | sed -n "s/^Relocation section '\(.*\)' at offset .* contains \([0-9]*\) entr.*/\1 \2/p" | grep -v debug; }
echo "== relocation sections: entries before -> after (debug info omitted) =="
join -a1 -a2 -e 0 -o 0,1.2,2.2 <(counts "$ko" | sort) <(counts "$out/$name.ko" | sort) | awk '{printf "  %-40s %4s -> %s\n", $1, $2, $3}'
echo "== livepatch symbols (st_shndx SHN_LIVEPATCH = 0xff20) =="
readelf -W -s "$out/$name.ko" | grep -F '.klp.sym.' | awk '{print "  " $NF}'
echo "== relocations now applied by the livepatch core =="
readelf -W -r "$out/$name.ko" | awk '/^Relocation section .\.klp\.rela/ {print "  " $3; show=1; next} /^Relocation section/ {show=0} show && /R_/ {print "    " $1, $3, $5, $6, $7}'
echo
echo "check with the kernel's rules:"
node bin/klp-convert.js check "$out/$name.ko"
echo "full report: $out/$name.json"
