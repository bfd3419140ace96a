// SPDX-License-Identifier: GPL-2.0-only
/*
 * klpt_keys: a livepatch of cmdline_proc_show() that tests a static key of
 * vmlinux that is not exported, sched_schedstats (kernel.sched_schedstats
 * sysctl), with static_branch_unlikely().  The jump label entry in
 * __jump_table refers to the key, so klp-convert has to write a
 * .klp.rela.vmlinux.__jump_table section (the kernel applies vmlinux klp
 * relocations before it reads the module's jump table).  If the entry names
 * the wrong key, the branch will not follow the sysctl.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jump_label.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

#include "klpt.h"

/* kernel/sched/stats.h, not in the headers package */
extern struct static_key_false sched_schedstats;

static int livepatch_cmdline_proc_show(struct seq_file *m, void *v)
{
	int branch = 0;

	if (static_branch_unlikely(&sched_schedstats))
		branch = 1;
	seq_printf(m, "KLPT-PATCHED %s branch=%d enabled=%d\n", KBUILD_MODNAME,
		   branch, static_key_enabled(&sched_schedstats) ? 1 : 0);
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
	klpt_addr("sched_schedstats", &sched_schedstats);
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
