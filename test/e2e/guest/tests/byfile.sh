# byfile: klpt_byfile_main and klpt_byfile_extra read the two klpt_target_dup
# of klpt_target, chosen by source file, and its two klpt_target_kind (a
# function and a variable), chosen by type.  Each is loaded after its target,
# then (fresh copies) before it: the kernel then applies the klpt_target
# relocations while the target loads ("applying patch ... to loading
# module").  Each step prints /proc/klpt_target (the module's view) and the
# kallsyms lines of both names.
step() {
	out "KLPT-STEP $1"
	klpt_cat "$1" /proc/klpt_target
	klpt_kallsyms klpt_target_dup klpt_target_kind
}
for m in klpt_byfile_main klpt_byfile_extra; do
	out "KLPT-VARIANT $m"
	klpt_insmod /modules/raw/klpt_target.ko
	klpt_insmod /modules/klp/$m.ko
	klpt_lp_wait $m
	step target-first
	klpt_lp_disable $m
	klpt_rmmod $m
	klpt_rmmod klpt_target
	klpt_insmod /modules/klp/$m.ko
	klpt_lp_wait $m
	klpt_insmod /modules/raw/klpt_target.ko
	klpt_lp_wait $m
	step patch-first
	klpt_lp_disable $m
	klpt_rmmod $m
	klpt_rmmod klpt_target
done
