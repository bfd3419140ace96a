#!/bin/bash
# Regenerate symbols-maps/sample/, the bundled sample of the README's demo:
#   klpt_cmdline.ko                     a real, unconverted livepatch module
#                                       (test/e2e/modules/klpt_cmdline.c),
#                                       built by build.sh raw (kbuild, out of
#                                       tree, against Debian's headers)
#   kallsyms-$KVER.txt.gz               /proc/kallsyms of that kernel booted
#                                       under qemu (no module loaded)
#   Module.symvers.gz                   the headers package's Module.symvers
#   PROVENANCE.md                       how they were made (written here)
# Needs test/e2e/setup.sh first (as root; KERNELS=x86_64-6.1 is enough).
# KVER pins the kernel ABI (at setup).
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

# The sample is for x86_64 6.1 (the README's demo).
CELL=x86_64-6.1
current_cell
out=${1:-$REPO_DIR/symbols-maps/sample}
work=$BUILD_DIR/sample
mkdir -p "$out" "$work"

export CELL
"$E2E_DIR/build.sh" raw
"$E2E_DIR/mkinitramfs.sh" "$work/initramfs.cpio.gz"
"$E2E_DIR/boot.sh" "$work/initramfs.cpio.gz" kallsyms "$work/boot"
sed -n '/^KLPT-BEGIN-KALLSYMS gzip-base64$/,/^KLPT-END-KALLSYMS$/p' "$work/boot/results.log" |
	sed '1d;$d' | base64 -d | gunzip > "$work/kallsyms.txt"
lines=$(wc -l < "$work/kallsyms.txt")
[ "$lines" -gt 50000 ] || die "kallsyms dump has only $lines lines"

name=klpt_cmdline
rm -f "$out"/*.ko "$out"/kallsyms-*.txt.gz "$out"/Module.symvers.gz
cp "$BUILD_DIR/raw/$name.ko" "$out/$name.ko"
gzip -9n < "$work/kallsyms.txt" > "$out/kallsyms-$KVER.txt.gz"
gzip -9n < "$KDIR/Module.symvers" > "$out/Module.symvers.gz"

pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo unknown; }
image_deb=$(ls -t "$CELL_CACHE/debs/linux-image-$KVER-unsigned_"*.deb 2>/dev/null | head -n 1)
image_ver=$(dpkg-deb -f "$image_deb" Version 2>/dev/null || echo unknown)
gcc_ver=$(gcc --version | head -n 1)
undef=$(nm -u "$out/$name.ko" | awk '{print $2}' | tr '\n' ' ')
sums=$(cd "$out" && sha256sum "$name.ko" "kallsyms-$KVER.txt.gz" Module.symvers.gz)
dups=$(awk '{print $3}' "$work/kallsyms.txt" | sort | uniq -d | wc -l)

cat > "$out/PROVENANCE.md" <<EOT
# Provenance of the sample

Everything here was made by \`test/e2e/make-sample.sh\` (see docs/e2e.md) on
Debian 12 (bookworm), x86_64, from Debian's own packages:

| file | what | from |
|---|---|---|
| \`$name.ko\` | a real livepatch module, **not converted**: it references \`saved_command_line\` and \`nr_processes()\`, which vmlinux does not export, so the kernel refuses it as it is ("Unknown symbol") | \`test/e2e/modules/$name.c\`, built out of tree by kbuild against \`linux-headers-$KVER\` $(pkgver "linux-headers-$KVER") with $gcc_ver |
| \`kallsyms-$KVER.txt.gz\` | \`/proc/kallsyms\` of that kernel, read as root (\`kptr_restrict=0\`) right after boot, no module loaded: $lines lines, $dups names defined more than once | \`linux-image-$KVER-unsigned\` $image_ver booted under qemu (TCG) with the test bed's busybox initramfs |
| \`Module.symvers.gz\` | the kernel's exports (with CRCs) | \`/usr/src/linux-headers-$KVER/Module.symvers\` of \`linux-headers-$KVER\` $(pkgver "linux-headers-$KVER") |

The addresses in the kallsyms dump are those of one boot (KASLR is on);
klp-convert uses the names, their types and their order, not the addresses.

Undefined symbols of \`$name.ko\`: $undef

## Commands

\`\`\`
test/e2e/setup.sh                      # as root: apt-get install qemu-system-x86 busybox-static gcc make
                                       #   linux-headers-$KVER; apt-get download linux-image-$KVER-unsigned
                                       #   into .cache/e2e, extract ./boot only
KVER=$KVER test/e2e/make-sample.sh
\`\`\`

which runs:

\`\`\`
test/e2e/build.sh raw                  # make -C /usr/src/linux-headers-$KVER M=build/e2e/$KVER/raw
                                       #   KCFLAGS=-ffile-prefix-map=<build dir>/= modules
                                       #   (modpost only warns: KBUILD_MODPOST_WARN=1 from kbuild/klp-convert.mk)
test/e2e/mkinitramfs.sh <initramfs>    # busybox-static + test/e2e/guest, busybox cpio -H newc
test/e2e/boot.sh <initramfs> kallsyms <dir>
                                       # qemu-system-x86_64 -accel tcg -kernel vmlinuz-$KVER ...;
                                       #   the guest sends gzip -1 < /proc/kallsyms | base64 over ttyS1
gzip -9n < kallsyms.txt > kallsyms-$KVER.txt.gz
gzip -9n < /usr/src/linux-headers-$KVER/Module.symvers > Module.symvers.gz
\`\`\`

## Use

\`\`\`
node bin/klp-convert.js --symbols symbols-maps/sample/kallsyms-$KVER.txt.gz \\
    --symvers symbols-maps/sample/Module.symvers.gz \\
    symbols-maps/sample/$name.ko build/$name.ko
\`\`\`

(\`make demo\` does this and shows the result.)  The converted module loads on
that exact kernel (\`$KVER\`, Debian $image_ver): test/e2e/ checks that it
resolves every address like the guest's /proc/kallsyms.

## When Debian has moved on

Debian replaces its kernel ABI every few weeks and drops the old packages, so
this sample is soon for a kernel that can no longer be installed.  \`make demo\`
does not care (it only converts, and says which kernel the sample is for).
The e2e suite (\`make e2e\`) runs the sample scenario on whatever ABI it
resolved: when the sample is for another one, it remakes it for the kernel
under test with the steps above (\`build.sh raw\` builds \`$name.ko\` from the
same source, boot 1 dumps /proc/kallsyms, the headers give Module.symvers)
and loads that; it also checks a copy of this sample that claims another ABI
the same way.  \`make sample\` refreshes the files here.

## sha256

The module build is reproducible (\`-ffile-prefix-map\` keeps the build
directory out of the debug info): \`build.sh raw\` with the same headers and
gcc gives a byte-identical \`$name.ko\`.

\`\`\`
$sums
\`\`\`
EOT
log "sample written to ${out#"$REPO_DIR"/}: $(du -ch "$out"/* | tail -n 1 | cut -f1)"
