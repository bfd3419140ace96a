# keys: the livepatch's static_branch_unlikely(&tracepoint_printk_key) must
# follow the key (it lives in vmlinux).  The key starts enabled when the
# kernel was booted with tp_printk.  It is switched through the module's own
# parameter (works without sysctl), and through kernel.tracepoint_printk
# where /proc/sys exists (that sysctl only works after tp_printk).
param=/sys/module/klpt_keys/parameters/key
sysctl=/proc/sys/kernel/tracepoint_printk
klpt_insmod /modules/klp/klpt_keys.ko
klpt_lp_wait klpt_keys
klpt_kallsyms tracepoint_printk_key
klpt_cat "boot param=$(cat $param)" /proc/cmdline
for v in 0 1 0 1; do
	echo $v > $param
	klpt_cat "param=$(cat $param)" /proc/cmdline
done
if [ -f $sysctl ]; then
	for v in 0 1; do
		echo $v > $sysctl
		klpt_cat "sysctl=$(cat $sysctl)" /proc/cmdline
	done
fi
klpt_lp_disable klpt_keys
klpt_rmmod klpt_keys
