# Sourced by scripts/demo.sh and scripts/bench.sh: the options that convert the bundled sample
# with what it ships (maps of any kind, Module.symvers, a positions file), whatever kernel the
# sample was last made for. Usage: sample_args <sample dir>; fills the array SAMPLE_ARGS.
sample_args() {
  local dir=$1 m
  SAMPLE_ARGS=()
  for m in "$dir"/*.map "$dir"/*.map.gz "$dir"/*.klp "$dir"/*.klp.gz "$dir"/kallsyms*; do
    [ -e "$m" ] && SAMPLE_ARGS+=(--symbols "$m")
  done
  for m in "$dir"/Module.symvers*; do [ -e "$m" ] && SAMPLE_ARGS+=(--symvers "$m"); done
  [ -e "$dir/positions.yaml" ] && SAMPLE_ARGS+=(--positions "$dir/positions.yaml")
  return 0
}
