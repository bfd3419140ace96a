#!/usr/bin/env bash
# Benchmark loading a distribution-size symbol map, with hyperfine.
#
# Compares, for the plain and the gzipped map:
#   node -e 0         node's own start-up
#   read              read map + Module.symvers (gunzip), find every newline
#   load-index        loadSymbolIndex() for 200 wanted names + the converter's queries
# plus any command given with --cmd (repeatable; {map}, {symvers}, {names}
# are substituted), e.g. the whole CLI:
#   scripts/bench/bench-symbols.sh --cmd 'node bin/klp-convert.js -s {map} -e {symvers} bench.ko out.ko'
#
# usage: scripts/bench/bench-symbols.sh [--map FILE] [--symvers FILE] [--runs N]
#                                       [--cmd CMD]... [--no-build] [--export FILE.md]
# Defaults: ../shared/bench/symbols.klp.gz and Module.symvers.gz next to the repository.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
map="$repo/../shared/bench/symbols.klp.gz"
symvers="$repo/../shared/bench/Module.symvers.gz"
runs=20
build=1
export_md=""
extra=()
while [ $# -gt 0 ]; do
	case "$1" in
	--map) map=$2; shift 2 ;;
	--symvers) symvers=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--cmd) extra+=("$2"); shift 2 ;;
	--no-build) build=0; shift ;;
	--export) export_md=$2; shift 2 ;;
	-h|--help) sed -n '2,14p' "$0"; exit 0 ;;
	*) echo "bench-symbols.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
done

command -v hyperfine >/dev/null || { echo "bench-symbols.sh: hyperfine is missing (apt-get install -y hyperfine)" >&2; exit 2; }
[ -f "$map" ] || { echo "bench-symbols.sh: no map $map (use --map)" >&2; exit 2; }
[ -f "$symvers" ] || { echo "bench-symbols.sh: no Module.symvers $symvers (use --symvers)" >&2; exit 2; }
if [ "$build" = 1 ]; then (cd "$repo" && npx tsc -p tsconfig.json); fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Plain copies, so the gzip cost shows up as a separate line.
plain_map="$work/map"; plain_symvers="$work/Module.symvers"
gzip -dcf "$map" > "$plain_map"
gzip -dcf "$symvers" > "$plain_symvers"
names="$work/names.txt"
node "$repo/scripts/bench/pick-names.mjs" "$map" "$symvers" > "$names"

echo "map: $map ($(wc -l < "$plain_map") lines, $(wc -c < "$plain_map") bytes unpacked); $(wc -l < "$names") wanted names"
echo "time inside node (load-index, first run of a fresh process):"
for m in "$plain_map:$plain_symvers" "$map:$symvers"; do
	KLP_BENCH_VERBOSE=1 node "$repo/scripts/bench/load-index.mjs" "${m%%:*}" "${m##*:}" "$names" 2>&1 | sed "s#^#  $(basename "${m%%:*}"): #"
done

cmds=(
	-n 'node -e 0' 'node -e 0'
	-n 'read (plain)' "node $repo/scripts/bench/read-map.mjs $plain_map $plain_symvers"
	-n 'read (.gz)' "node $repo/scripts/bench/read-map.mjs $map $symvers"
	-n 'load-index (plain)' "node $repo/scripts/bench/load-index.mjs $plain_map $plain_symvers $names"
	-n 'load-index (.gz)' "node $repo/scripts/bench/load-index.mjs $map $symvers $names"
)
for c in "${extra[@]+"${extra[@]}"}"; do
	c=${c//\{map\}/$map}; c=${c//\{symvers\}/$symvers}; c=${c//\{names\}/$names}
	cmds+=(-n "$c" "$c")
done
hyperfine -N --warmup 3 --runs "$runs" ${export_md:+--export-markdown "$export_md"} "${cmds[@]}"
