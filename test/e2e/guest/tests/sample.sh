# sample: the bundled sample (symbols-maps/sample/klpt_cmdline.ko, converted
# with the bundled maps) loads and resolves like kallsyms.  Only in the
# initramfs when the sample was made for the kernel being booted.
if [ ! -f /modules/sample/klpt_cmdline.ko ]; then
	out "KLPT-SAMPLE absent"
	exit 0
fi
klpt_insmod /modules/sample/klpt_cmdline.ko
klpt_lp_wait klpt_cmdline
klpt_cat patched /proc/cmdline
klpt_kallsyms saved_command_line nr_processes
klpt_lp_disable klpt_cmdline
klpt_rmmod klpt_cmdline
klpt_cat removed /proc/cmdline
