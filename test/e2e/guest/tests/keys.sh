# keys: the livepatch's static_branch_unlikely(&sched_schedstats) must follow
# the kernel.sched_schedstats sysctl (the key lives in vmlinux).
sysctl=/proc/sys/kernel/sched_schedstats
echo 0 > $sysctl
klpt_insmod /modules/klp/klpt_keys.ko
klpt_lp_wait klpt_keys
klpt_kallsyms sched_schedstats
for v in 0 1 0 1; do
	echo $v > $sysctl
	klpt_cat "sysctl=$(cat $sysctl)" /proc/cmdline
done
echo 0 > $sysctl
klpt_lp_disable klpt_keys
klpt_rmmod klpt_keys
