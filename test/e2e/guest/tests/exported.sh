# exported: a livepatch with exported symbols only (and pv_ops calls on
# x86_64).  The unconverted module and the converted one (if present) must
# both load and patch /proc/cmdline.
for v in raw klp; do
	[ -f /modules/$v/klpt_exported.ko ] || continue
	out "KLPT-VARIANT $v"
	klpt_cat before /proc/cmdline
	klpt_insmod /modules/$v/klpt_exported.ko || continue
	klpt_lp_wait klpt_exported
	klpt_cat patched /proc/cmdline
	klpt_kallsyms init_uts_ns pv_ops
	klpt_lp_disable klpt_exported
	klpt_cat disabled /proc/cmdline
	klpt_rmmod klpt_exported
done
