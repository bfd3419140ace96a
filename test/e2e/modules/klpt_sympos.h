/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Body of klpt_sympos1 and klpt_sympos2: a livepatch that takes the address
 * of three names vmlinux defines twice (local symbols of different files),
 * so that kallsyms lists each name twice:
 *   ftrace_avail_fops (data, 'd': two static file_operations of the tracer),
 *   trace_module_nb (data, 'd': two static notifier_blocks of the tracer),
 *   m_show (text, 't': two static seq_file show functions).
 * These three exist exactly twice in every kernel the e2e suite boots
 * (Debian's x86_64 6.1 cloud kernel, and our ppc64le and s390x 6.1 kernels,
 * which lack the x86 ones has_steal_clock and last_cmd), so one source
 * serves every architecture.
 * The C code cannot say which copy it means; the module's positions file
 * (klpt_sympos1.yaml, klpt_sympos2.yaml) tells klp-convert, which writes
 * .klp.sym.vmlinux.<name>,<position>.  The two modules pick different
 * positions, so every position of every name is checked against kallsyms.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

#include "klpt.h"

/* Types do not matter: only the addresses are used. */
extern char ftrace_avail_fops[];
extern char trace_module_nb[];
extern int m_show(struct seq_file *m, void *p);

static int livepatch_cmdline_proc_show(struct seq_file *m, void *v)
{
	seq_printf(m, "KLPT-PATCHED %s ftrace_avail_fops=%px trace_module_nb=%px m_show=%px\n",
		   KBUILD_MODNAME, ftrace_avail_fops, trace_module_nb, m_show);
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
	klpt_addr("ftrace_avail_fops", ftrace_avail_fops);
	klpt_addr("trace_module_nb", trace_module_nb);
	klpt_addr("m_show", m_show);
}

static int klpt_sympos_init(void)
{
	klpt_report();
	return klp_enable_patch(&patch);
}

static void klpt_sympos_exit(void)
{
}

module_init(klpt_sympos_init);
module_exit(klpt_sympos_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("e2e: livepatch using duplicated vmlinux names by position");
MODULE_INFO(livepatch, "Y");
