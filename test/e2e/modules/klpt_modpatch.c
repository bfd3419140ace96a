// SPDX-License-Identifier: GPL-2.0-only
/*
 * klpt_modpatch: a livepatch of the module klpt_target (not of vmlinux).  It
 * replaces klpt_target_show() and reads two local variables of klpt_target:
 * klpt_target_secret (unique) and klpt_target_dup (two copies; position 2,
 * the one in klpt_target_extra.c, from klpt_modpatch.yaml).  klp-convert
 * puts these relocations in .klp.rela.klpt_target..text: the kernel applies
 * them when klpt_target loads, which may be before or after this livepatch
 * ("applying patch 'klpt_modpatch' to loading module 'klpt_target'"), and
 * again each time klpt_target is reloaded.
 */
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

extern int klpt_target_secret;
extern int klpt_target_dup;

static int livepatch_klpt_target_show(struct seq_file *m, void *v)
{
	seq_printf(m, "KLPT-TARGET patched secret=%d secret_addr=%px dup=%d dup_addr=%px\n",
		   READ_ONCE(klpt_target_secret), &klpt_target_secret,
		   READ_ONCE(klpt_target_dup), &klpt_target_dup);
	return 0;
}

static struct klp_func funcs[] = {
	{
		.old_name = "klpt_target_show",
		.new_func = livepatch_klpt_target_show,
	}, { }
};

static struct klp_object objs[] = {
	{
		.name = "klpt_target",
		.funcs = funcs,
	}, { }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int klpt_modpatch_init(void)
{
	return klp_enable_patch(&patch);
}

static void klpt_modpatch_exit(void)
{
}

module_init(klpt_modpatch_init);
module_exit(klpt_modpatch_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("e2e: livepatch of the module klpt_target");
MODULE_INFO(livepatch, "Y");
