#!/usr/bin/env bash
# Issue 2 §7 benchmark: convert a module with 500 relocations to 200 unexported
# symbols against the full Debian distribution map (920k lines) and its
# Module.symvers, next to two baselines measured in the same hyperfine run:
# `node -e 0` (Node start-up) and a node process that only reads the map.
# The machine is shared and noisy: compare the ratios, not the absolute times.
# Usage: scripts/bench-convert.sh [bench dir with symbols.klp.gz and Module.symvers.gz]
set -euo pipefail
cd "$(dirname "$0")/.."
bench=${1:-../shared/bench}
out=build/bench
mkdir -p "$out"
command -v hyperfine >/dev/null || { echo "hyperfine is missing: apt-get install -y hyperfine" >&2; exit 2; }
[ -f dist/cli/main.js ] || npx tsc -p tsconfig.json

[ -f "$out/symbols.klp" ] || zcat "$bench/symbols.klp.gz" > "$out/symbols.klp"
[ -f "$out/Module.symvers" ] || zcat "$bench/Module.symvers.gz" > "$out/Module.symvers"
[ -f "$out/bench.ko" ] || node scripts/make-bench-module.mjs "$bench/symbols.klp.gz" "$bench/Module.symvers.gz" "$out"

convert="node bin/klp-convert.js -q -s $out/symbols.klp -e $out/Module.symvers $out/bench.ko $out/bench.out.ko"
convert_gz="node bin/klp-convert.js -q -s $bench/symbols.klp.gz -e $bench/Module.symvers.gz $out/bench.ko $out/bench.out.ko"
$convert
hyperfine --warmup 2 --runs "${RUNS:-15}" --export-json "$out/convert.json" \
  -n 'node -e 0' 'node -e 0' \
  -n 'node: read map' "node -e \"require('fs').readFileSync('$out/symbols.klp'); require('fs').readFileSync('$out/Module.symvers')\"" \
  -n 'klp-convert (plain map)' "$convert" \
  -n 'klp-convert (.gz map)' "$convert_gz"
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).results;
  const base = r[0].mean, read = r[1].mean;
  for (const x of r) console.log(`${x.command.padEnd(26)} mean ${(x.mean * 1000).toFixed(0).padStart(5)} ms  = ${(x.mean / base).toFixed(2)} x node -e 0, ${(x.mean / read).toFixed(2)} x reading the map`);
' "$out/convert.json"
