#!/usr/bin/env bash
# Benchmark `klp-convert symbols` on a whole distribution kernel, with hyperfine.
#
# usage: scripts/bench/bench-generate.sh --installed DIR [--system-map FILE | --vmlinux FILE]
#                                        [--symvers FILE] [--runs N] [--no-build] [--export FILE.md]
#   DIR is /lib/modules/<version>, e.g. from `dpkg -x linux-image-6.1.0-56-amd64-unsigned_*.deb X`
#   (X/lib/modules/6.1.0-56-amd64). Both output formats are timed, and the
#   output's size and determinism (two runs, same bytes) are reported.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
runs=3
build=1
export_md=""
inputs=()
while [ $# -gt 0 ]; do
	case "$1" in
	--installed|--system-map|--vmlinux|--symvers|--modules|--build-tree) inputs+=("$1" "$2"); shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--no-build) build=0; shift ;;
	--export) export_md=$2; shift 2 ;;
	-h|--help) sed -n '2,8p' "$0"; exit 0 ;;
	*) echo "bench-generate.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
done
[ ${#inputs[@]} -gt 0 ] || { echo "bench-generate.sh: give --installed DIR (see --help)" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "bench-generate.sh: hyperfine is missing (apt-get install -y hyperfine)" >&2; exit 2; }
if [ "$build" = 1 ]; then (cd "$repo" && npx tsc -p tsconfig.json); fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cli="node $repo/bin/klp-convert.js symbols --no-progress ${inputs[*]}"
$cli -o "$work/a.klps" 2>&1 | tail -1
$cli -o "$work/b.klps" 2>/dev/null
cmp -s "$work/a.klps" "$work/b.klps" && echo "deterministic: two runs wrote identical bytes" || echo "NOT deterministic"
$cli --format upstream -o "$work/a.klp" 2>/dev/null
echo "compact: $(wc -c < "$work/a.klps") bytes, $(wc -l < "$work/a.klps") lines; upstream: $(wc -c < "$work/a.klp") bytes, $(wc -l < "$work/a.klp") lines"
/usr/bin/time -f "peak RSS %M KB" $cli -o "$work/c.klps" 2>&1 | tail -1
hyperfine -N --warmup 1 --runs "$runs" ${export_md:+--export-markdown "$export_md"} \
	-n 'symbols (compact)' "$cli -o $work/x.klps" \
	-n 'symbols (upstream)' "$cli --format upstream -o $work/x.klp"
