#!/usr/bin/env bash
# Issue 2 §7 / issue 10 benchmark: convert a module with 500 relocations to 200
# unexported symbols against the full Debian distribution map (920k lines), in
# the upstream form (`klp-convert symbols.klp in.ko out.ko`), with a separate
# Module.symvers (-s/-e) and gzipped; the fixed cost (the bundled sample); 1,000
# targets; a map 4x larger. Baselines in the same hyperfine run: `node -e 0`
# (Node start-up) and a node process that only reads the map.
# The machine is shared and noisy: compare the ratios (of medians), not the times.
#
# Measured 2026-12-02 on the shared 2-core machine at load ~10 (12 interleaved runs of each command,
# medians, x `node -e 0`, wall / CPU, before -> after issue 10's map streaming, pre-filter and bundle):
#   upstream form 3.76 / 4.29 -> 2.59 / 2.84      -s/-e plain  3.72 / 4.42 -> 2.87 / 3.00
#   -s/-e .gz     3.61 / 4.32 -> 3.63 / 4.23      sample       3.51 / 3.81 -> 3.00 / 3.16
#   1,000 targets 4.80 / 5.81 -> 3.45 / 4.23      4x map       6.55 / 7.71 -> 3.09 / 3.65
# (The .gz row used 256 KiB inflate pieces; with the 64 KiB ones kept for memory an earlier round gave
# 2.73 / 3.96.) Peak RSS: upstream 75 -> 58 MB, .gz 78 -> 77 MB, 4x map 135 -> 64 MB.
# Instructions (cachegrind, load-independent): node -e 0 508 M; --version 634 -> 579 M;
# the sample 1,534 -> 1,319 M; the upstream form 1,410 M after.
# Usage: scripts/bench-convert.sh [bench dir with symbols.klp.gz and Module.symvers.gz]
set -euo pipefail
cd "$(dirname "$0")/.."
bench=${1:-../shared/bench}
out=build/bench
sample=symbols-maps/sample
mkdir -p "$out"
command -v hyperfine >/dev/null || { echo "hyperfine is missing: apt-get install -y hyperfine" >&2; exit 2; }
[ -f dist/cli/main.js ] || npm run build

[ -f "$out/symbols.klp" ] || zcat "$bench/symbols.klp.gz" > "$out/symbols.klp"
[ -f "$out/Module.symvers" ] || zcat "$bench/Module.symvers.gz" > "$out/Module.symvers"
[ -f "$out/symbols4x.klp" ] || node scripts/make-bench-map.mjs "$out/symbols.klp" 4 "$out/symbols4x.klp"
[ -f "$out/bench.ko" ] || node scripts/make-bench-module.mjs "$bench/symbols.klp.gz" "$bench/Module.symvers.gz" "$out"
[ -f "$out/t1000/bench.ko" ] ||
  node scripts/make-bench-module.mjs "$bench/symbols.klp.gz" "$bench/Module.symvers.gz" "$out/t1000" 1000

klp="node bin/klp-convert.js -q"
upstream="$klp $out/symbols.klp $out/bench.ko $out/bench.out.ko"
convert="$klp -s $out/symbols.klp -e $out/Module.symvers $out/bench.ko $out/bench.out.ko"
convert_gz="$klp -s $bench/symbols.klp.gz -e $bench/Module.symvers.gz $out/bench.ko $out/bench.out.ko"
tiny="$klp -s $sample/kallsyms-6.1.0-57-cloud-amd64.txt.gz -e $sample/Module.symvers.gz"
tiny="$tiny $sample/klpt_cmdline.ko $out/sample.out.ko"
t1000="$klp $out/symbols.klp $out/t1000/bench.ko $out/t1000.out.ko"
map4x="$klp $out/symbols4x.klp $out/bench.ko $out/bench4x.out.ko"
$convert
hyperfine -N --warmup 2 --runs "${RUNS:-15}" --export-json "$out/convert.json" \
  -n 'node -e 0' 'node -e 0' \
  -n 'node: read map' "node -e \"require('fs').readFileSync('$out/symbols.klp'); require('fs').readFileSync('$out/Module.symvers')\"" \
  -n 'upstream form' "$upstream" \
  -n '-s/-e (plain map)' "$convert" \
  -n '-s/-e (.gz map)' "$convert_gz" \
  -n 'sample (fixed cost)' "$tiny" \
  -n '1,000 targets' "$t1000" \
  -n 'map 4x larger' "$map4x"
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).results;
  const base = r[0].median, read = r[1].median;
  for (const x of r) {
    const ms = (x.median * 1000).toFixed(0).padStart(5);
    const ratios = `${(x.median / base).toFixed(2)} x node -e 0, ${(x.median / read).toFixed(2)} x reading the map`;
    console.log(`${x.command.padEnd(22)} median ${ms} ms  = ${ratios}`);
  }
' "$out/convert.json"
