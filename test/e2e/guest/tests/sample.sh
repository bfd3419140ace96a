# sample: the bundled sample (symbols-maps/sample/klpt_cmdline.ko), converted
# for the kernel under test, loads and resolves like kallsyms.  One variant
# per directory of /modules/sample (bundled: the bundled sample, remade when
# it is for another kernel; mismatched: a copy that claims another ABI).  No
# variant at all is reported, never skipped quietly.
found=
for ko in /modules/sample/*/klpt_cmdline.ko; do
	[ -f "$ko" ] || continue
	found=1
	out "KLPT-VARIANT $(basename "$(dirname "$ko")")"
	klpt_insmod "$ko" || continue
	klpt_lp_wait klpt_cmdline
	klpt_cat patched /proc/cmdline
	klpt_kallsyms saved_command_line nr_processes
	klpt_lp_disable klpt_cmdline
	klpt_rmmod klpt_cmdline
	klpt_cat removed /proc/cmdline
done
[ -n "$found" ] || { out "KLPT-SAMPLE absent"; exit 1; }
