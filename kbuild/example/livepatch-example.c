// SPDX-License-Identifier: GPL-2.0-only
/*
 * livepatch-example: the smallest useful livepatch that needs klp-convert.
 *
 * It replaces cmdline_proc_show() (what `cat /proc/cmdline` runs) and prints
 * saved_command_line, which vmlinux does not export: modpost reports it as
 * undefined, and an unconverted module is refused by the kernel ("Unknown
 * symbol saved_command_line").  klp-convert turns the reference into a
 * .klp.rela.vmlinux..text relocation against .klp.sym.vmlinux.saved_command_line,0,
 * which the livepatch core resolves through kallsyms at load time.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

static int livepatch_cmdline_proc_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s [patched by %s]\n", saved_command_line, KBUILD_MODNAME);
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
		/* name NULL: vmlinux */
		.funcs = funcs,
	}, { }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int livepatch_example_init(void)
{
	return klp_enable_patch(&patch);
}

static void livepatch_example_exit(void)
{
}

module_init(livepatch_example_init);
module_exit(livepatch_example_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klp-convert example livepatch");
MODULE_INFO(livepatch, "Y");
