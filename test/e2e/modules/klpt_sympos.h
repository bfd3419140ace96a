/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Body of klpt_sympos1 and klpt_sympos2: a livepatch that takes the address
 * of three names vmlinux defines more than once (local symbols of different
 * files), so that kallsyms lists each name at least twice:
 *   has_steal_clock (bss), last_cmd (bss), m_show (text).
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
extern char has_steal_clock[];
extern char last_cmd[];
extern int m_show(struct seq_file *m, void *p);

static int livepatch_cmdline_proc_show(struct seq_file *m, void *v)
{
	seq_printf(m, "KLPT-PATCHED %s has_steal_clock=%px last_cmd=%px m_show=%px\n",
		   KBUILD_MODNAME, has_steal_clock, last_cmd, m_show);
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
	klpt_addr("has_steal_clock", has_steal_clock);
	klpt_addr("last_cmd", last_cmd);
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
