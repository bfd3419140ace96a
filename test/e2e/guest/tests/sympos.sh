# sympos: duplicated vmlinux names chosen by position (klpt_sympos1/2 pick
# different copies, klpt_sympos3 by KLP_SYMPOS annotations); all kallsyms
# lines of these names, in kallsyms order.
klpt_kallsyms ftrace_avail_fops trace_module_nb m_show
for m in klpt_sympos1 klpt_sympos2 klpt_sympos3; do
	out "KLPT-VARIANT $m"
	klpt_insmod /modules/klp/$m.ko || continue
	klpt_lp_wait $m
	klpt_cat patched /proc/cmdline
	klpt_lp_disable $m
	klpt_rmmod $m
done
