# dump: load the (ordinary) target module and dump /proc/kallsyms, so that
# the host has a symbol map of this kernel with klpt_target's symbols
# ("name [klpt_target]") for klp-convert.
klpt_insmod /modules/raw/klpt_target.ko
. /tests/kallsyms.sh
klpt_rmmod klpt_target
