# cmdline: the converted klpt_cmdline (unique unexported vmlinux function and
# data) loads, sees the kallsyms addresses, patches /proc/cmdline, and
# disabling + removing it restores the original.
klpt_cat before /proc/cmdline
klpt_insmod /modules/klp/klpt_cmdline.ko
klpt_lp_wait klpt_cmdline
klpt_cat patched /proc/cmdline
klpt_kallsyms saved_command_line nr_processes
klpt_lp_disable klpt_cmdline
klpt_cat disabled /proc/cmdline
klpt_rmmod klpt_cmdline
klpt_cat removed /proc/cmdline
