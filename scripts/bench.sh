#!/usr/bin/env bash
# `make bench`: everything issue 10 sets a target for, measured in one run as
# ratios against baselines timed alongside (the machine is shared: only ratios
# hold). See docs/bench.md for how to read the table.
#
#   conversion, upstream form   klp-convert symbols.klp in.ko out.ko        vs node -e 0
#   conversion, -s/-e form      klp-convert -s map -e Module.symvers ...    vs node -e 0
#   conversion, .gz map         the -s/-e form with map and symvers gzipped vs node -e 0
#   tiny fixed cost             the sample module with a tiny map           vs node -e 0
#   the bundled sample          symbols-maps/sample, whole-kernel kallsyms  vs node -e 0
#   1,000 targets               upstream form, 1,000 targets                vs 200 targets
#   map 4x larger               upstream form, a 4x map                     vs the 1x map
#   map generation              klp-convert symbols --installed (Debian)    vs nm -p --defined-only
# plus each command's peak RSS (/usr/bin/time -f %M) and the load average.
#
# Every command runs once per round in one hyperfine run (so rounds interleave
# the commands); RUNS rounds (default 10) after one warm-up round. Inputs:
# ../shared/bench (BENCH_DATA=dir to change) and Debian's current amd64
# kernel image, found through the linux-image-amd64 metapackage, downloaded
# with apt-get into .cache/debs (KLPT_CACHE_DIR=dir to change). Everything else
# is made afresh in build/bench-run.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-10}
data=$(cd "${BENCH_DATA:-../shared/bench}" && pwd)
cache=${KLPT_CACHE_DIR:-.cache}
out=build/bench-run
sudo=$( [ "$(id -u)" = 0 ] || echo sudo )
say() { echo "bench: $*" >&2; }

# What the run needs from Debian: command -> package.
apt_updated=0
need() {
  command -v "$1" >/dev/null && return
  say "installing $2 (for $1)"
  if [ "$apt_updated" = 0 ]; then $sudo apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$2" >/dev/null
}
need hyperfine hyperfine
need nm binutils
need gcc gcc
need dpkg-deb dpkg
[ -x /usr/bin/time ] || need /usr/bin/time time
[ -d node_modules ] || npm ci --no-audit --no-fund
# The whole build (tsc, man page, bundle with code cache), in that order: a tsc run after the bundle
# would make the launcher fall back to the unbundled modules and measure those instead.
npm run build >/dev/null
node -e '
  const { statSync } = require("fs");
  if (statSync("dist/klp-convert.cjs").mtimeMs < statSync("dist/cli/main.js").mtimeMs) {
    console.error("bench: the CLI bundle is older than dist/cli/main.js; the launcher would not use it");
    process.exit(1);
  }'

rm -rf "$out"
mkdir -p "$out" "$cache/debs" "$cache/extract"

# Debian's current amd64 kernel ABI, through the metapackage (never a fixed version).
abi_of() {
  apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/.*Depends: linux-image-\([0-9].*-amd64\)$/\1/p' | head -1
}
abi=$(abi_of)
if [ -z "$abi" ]; then $sudo apt-get update -qq; abi=$(abi_of); fi
[ -n "$abi" ] || { say "no kernel ABI from 'apt-cache depends linux-image-amd64'"; exit 2; }

# A .deb in the cache, downloaded if missing or damaged.
deb_of() {
  local pkg=$1 f
  f=$(ls "$cache/debs/${pkg}"_*_amd64.deb 2>/dev/null | sort -V | tail -1 || true)
  if [ -z "$f" ] || ! dpkg-deb --info "$f" >/dev/null 2>&1; then
    local tmp
    tmp=$(mktemp -d "$cache/debs/.tmp-download.XXXXXX")
    say "downloading $pkg"
    get() { (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "$pkg"); }
    get || { $sudo apt-get update -qq; get; }
    f="$cache/debs/$(basename "$tmp"/*.deb)"
    mv "$tmp"/*.deb "$f"
    rmdir "$tmp"
  fi
  echo "$f"
}
image=$(deb_of "linux-image-$abi-unsigned")
headers=$(deb_of "linux-headers-$abi")
# Both packages unpacked into one root (modules, and Module.symvers where --installed looks);
# unpacked into a temporary name and renamed, so a half-unpacked tree is never used.
root="$cache/extract/bench-$(basename "$image" .deb)"
if [ ! -d "$root" ]; then
  tmp=$(mktemp -d "$cache/extract/.tmp-bench.XXXXXX")
  dpkg -x "$image" "$tmp"
  dpkg -x "$headers" "$tmp"
  mv "$tmp" "$root"
fi
modules="$root/lib/modules/$abi"
count=$(find "$modules" -name '*.ko' | wc -l)
say "kernel $abi: $count modules ($(du -sm "$modules" | cut -f1) MB)"

# Conversion inputs: the distribution map of ../shared/bench, plain and gzipped.
zcat "$data/symbols.klp.gz" > "$out/symbols.klp"
zcat "$data/Module.symvers.gz" > "$out/Module.symvers"
bench_module() { node scripts/make-bench-module.mjs "$data/symbols.klp.gz" "$data/Module.symvers.gz" "$@"; }
bench_module "$out/t200" 2>"$out/t200.log"
bench_module "$out/t1000" 1000 2>"$out/t1000.log"
grep -q '^bench.ko: 1000 target symbols' "$out/t1000.log" || { say "the 1,000-target module was not made"; exit 1; }
# A map 4x larger: three renamed copies of every object, whose names look the same to the
# scanner's pre-filter but hold no wanted name (make-bench-map.mjs says how).
node scripts/make-bench-map.mjs "$out/symbols.klp" 4 "$out/symbols4x.klp"

sample=symbols-maps/sample
source scripts/lib/sample-args.sh
sample_args "$sample"

# The fixed cost: the sample module with a map of just what it needs (its two unexported symbols and
# the exports it calls, marked as upstream maps mark them); the sample row reads the whole kernel's.
sample_ko=$(ls "$sample"/*.ko | head -1)
{
  echo 'klp-convert-symbol-data.0.1'
  echo '*vmlinux'
  echo saved_command_line
  echo nr_processes
  nm -u "$sample_ko" | awk '{print "__ksymtab_" $2}' | grep -v -e saved_command_line -e nr_processes
} > "$out/tiny.klp"

kc="node bin/klp-convert.js -q"
names=() cmds=()
add() { names+=("$1"); cmds+=("$2"); }
add 'node -e 0' 'node -e 0'
add 'convert: upstream form' "$kc $out/symbols.klp $out/t200/bench.ko $out/o-upstream.ko"
add 'convert: -s/-e form' "$kc -s $out/symbols.klp -e $out/Module.symvers $out/t200/bench.ko $out/o-se.ko"
add 'convert: .gz map' "$kc -s $data/symbols.klp.gz -e $data/Module.symvers.gz $out/t200/bench.ko $out/o-gz.ko"
add 'convert: tiny map' "$kc $out/tiny.klp $sample_ko $out/o-tiny.ko"
add 'convert: sample' "$kc ${SAMPLE_ARGS[*]} $sample_ko $out/o-sample.ko"
add 'convert: 1,000 targets' "$kc $out/symbols.klp $out/t1000/bench.ko $out/o-1000.ko"
add 'convert: 4x map' "$kc $out/symbols4x.klp $out/t200/bench.ko $out/o-4x.ko"
gen="node bin/klp-convert.js symbols --no-progress"
add 'symbols --installed' "$gen --installed $modules --system-map $data/System.map.gz -o $out/map.klps.gz"
add 'nm -p --defined-only' "find $modules -name '*.ko' -exec nm -p --defined-only {} + >/dev/null"

# Each command once, for its peak RSS and to stop here if one fails.
for i in "${!cmds[@]}"; do
  /usr/bin/time -f %M -o "$out/rss-$i.txt" bash -c "${cmds[$i]}" >"$out/cmd-$i.log" 2>&1 || {
    say "failed: ${cmds[$i]}"; cat "$out/cmd-$i.log" >&2; exit 1; }
done

args=()
for i in "${!cmds[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
load_start=$(cat /proc/loadavg)
for r in $(seq 0 "$runs"); do
  [ "$r" = 0 ] && say "warm-up round" || say "round $r/$runs"
  hyperfine --runs 1 --style none --export-json "$out/round-$r.json" "${args[@]}" >"$out/hyperfine-$r.log" 2>&1
done
load_end=$(cat /proc/loadavg)
rm "$out/round-0.json"

node scripts/bench-table.mjs "$out" "$load_start" "$load_end" "$abi" "$count"
