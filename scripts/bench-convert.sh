#!/usr/bin/env bash
# Issue 2 §7 / issue 10 benchmark: convert a module with 500 relocations to 200
# unexported symbols against the full Debian distribution map (920k lines), in
# the upstream form (`klp-convert symbols.klp in.ko out.ko`), with a separate
# Module.symvers (-s/-e) and gzipped; the fixed cost (the bundled sample); 1,000
# targets; a map 4x larger. Baselines in the same hyperfine run: `node -e 0`
# (Node start-up) and a node process that only reads the map.
# The machine is shared and noisy: compare the ratios (of medians), not the times.
#
# Measured 2026-12-02 on a 2-core machine at load ~8 (10 interleaved runs, medians, x `node -e 0`,
# wall / CPU): upstream 2.2 / 2.8, -s/-e 2.4 / 2.8, .gz 2.7 / 4.0, sample 2.2 / 3.1,
# 1,000 targets 3.1 / 4.4, 4x map 2.8 / 3.7; before issue 10's changes upstream was 3.6 / 4.0.
# Instructions executed (cachegrind, load-independent): node -e 0 508 M, upstream form 1,410 M.
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
