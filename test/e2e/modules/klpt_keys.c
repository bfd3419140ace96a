// SPDX-License-Identifier: GPL-2.0-only
/*
 * klpt_keys: a livepatch of cmdline_proc_show() that tests a static key of
 * vmlinux that is not exported, tracepoint_printk_key (kernel/trace/trace.c,
 * a static DEFINE_STATIC_KEY_FALSE; present in every e2e kernel: Debian's
 * x86_64 6.1 and our ppc64le and s390x 6.1, which have no SCHEDSTATS), with
 * static_branch_unlikely().
 *
 * The key is enabled at boot by the "tp_printk" kernel parameter (nothing is
 * printed as long as no trace event is enabled).  The module parameter
 * "key" (/sys/module/klpt_keys/parameters/key) enables or disables it at run
 * time through the module's own reference, which also works where the kernel
 * has no sysctl (kernel.tracepoint_printk needs PROC_SYSCTL).
 *
 * With CONFIG_JUMP_LABEL (x86_64), the jump label entry in __jump_table
 * refers to the key, so klp-convert has to write a
 * .klp.rela.vmlinux.__jump_table section (the kernel applies vmlinux klp
 * relocations before it reads the module's jump table).  Without it
 * (ppc64le, s390x e2e kernels), static_branch_unlikely() is a plain read of
 * the key's counter and the module has no __jump_table: the key is then an
 * ordinary data reference.  Either way, if the module names the wrong key,
 * the branch will not follow it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jump_label.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>

#include "klpt.h"

/* kernel/trace/trace.c, static */
extern struct static_key_false tracepoint_printk_key;

static int klpt_keys_set(const char *val, const struct kernel_param *kp)
{
	bool on;
	int ret = kstrtobool(val, &on);

	if (ret)
		return ret;
	if (on)
		static_branch_enable(&tracepoint_printk_key);
	else
		static_branch_disable(&tracepoint_printk_key);
	return 0;
}

static int klpt_keys_get(char *buf, const struct kernel_param *kp)
{
	return sprintf(buf, "%d\n", static_key_enabled(&tracepoint_printk_key) ? 1 : 0);
}

static const struct kernel_param_ops klpt_keys_ops = {
	.set = klpt_keys_set,
	.get = klpt_keys_get,
};
module_param_cb(key, &klpt_keys_ops, NULL, 0644);
MODULE_PARM_DESC(key, "enable (1) or disable (0) tracepoint_printk_key");

static int livepatch_cmdline_proc_show(struct seq_file *m, void *v)
{
	int branch = 0;

	if (static_branch_unlikely(&tracepoint_printk_key))
		branch = 1;
	seq_printf(m, "KLPT-PATCHED %s branch=%d enabled=%d\n", KBUILD_MODNAME,
		   branch, static_key_enabled(&tracepoint_printk_key) ? 1 : 0);
	return 0;
}

static struct klp_func funcs[] = {
	{
		.old_name = "cmdline_proc_show",
		.new_func = livepatch_cmdline_proc_show,
	}, { }
};

static struct klp_object objs[] = {
	{
		.funcs = funcs,
	}, { }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static noinline void klpt_report(void)
{
	klpt_addr("tracepoint_printk_key", &tracepoint_printk_key);
}

static int klpt_keys_init(void)
{
	klpt_report();
	return klp_enable_patch(&patch);
}

static void klpt_keys_exit(void)
{
}

module_init(klpt_keys_init);
module_exit(klpt_keys_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("e2e: livepatch using a vmlinux static key");
MODULE_INFO(livepatch, "Y");
