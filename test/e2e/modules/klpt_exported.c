// SPDX-License-Identifier: GPL-2.0-only
/*
 * klpt_exported: a livepatch of cmdline_proc_show() that uses only exported
 * symbols: init_uts_ns (data, EXPORT_SYMBOL_GPL) and exported functions
 * (seq_printf, _printk), plus the arch's interrupt flag helpers.  On x86_64
 * with CONFIG_PARAVIRT_XXL (Debian's cloud kernel) arch_local_irq_save() and
 * arch_local_irq_restore() are indirect calls through pv_ops (exported),
 * patched at load time through .parainstructions; elsewhere (ppc64le, s390x)
 * they are inline instructions and the module has no pv_ops reference.
 * klp-convert must leave all of these relocations alone: the module must
 * load and behave the same before and after conversion.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/irqflags.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/utsname.h>

#include "klpt.h"

static int livepatch_cmdline_proc_show(struct seq_file *m, void *v)
{
	unsigned long flags;
	int disabled_inside;

	flags = arch_local_irq_save();
	disabled_inside = arch_irqs_disabled();
	arch_local_irq_restore(flags);

	seq_printf(m, "KLPT-PATCHED %s release=%s irqs_off_inside=%d irqs_off_after=%d\n",
		   KBUILD_MODNAME, init_uts_ns.name.release, disabled_inside,
		   arch_irqs_disabled() ? 1 : 0);
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

static int klpt_exported_init(void)
{
	klpt_addr("init_uts_ns", &init_uts_ns);
#ifdef CONFIG_PARAVIRT_XXL
	klpt_addr("pv_ops", &pv_ops);
#endif
	return klp_enable_patch(&patch);
}

static void klpt_exported_exit(void)
{
}

module_init(klpt_exported_init);
module_exit(klpt_exported_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("e2e: livepatch using exported symbols (and pv_ops on x86_64)");
MODULE_INFO(livepatch, "Y");
