/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Body of klpt_byfile_main and klpt_byfile_extra: livepatches of klpt_target
 * that read its klpt_target_dup, a static variable defined in both
 * klpt_target_main.c (= 1) and klpt_target_extra.c (= 2).  The C code cannot
 * say which one it means, and the author does not count: the module's
 * positions file names the source file (klpt_byfile_main.yaml,
 * klpt_byfile_extra.yaml), and klp-convert finds its position in a map
 * generated from the built klpt_target.ko (`klp-convert symbols --modules`),
 * which records each symbol's STT_FILE, type and kallsyms order.
 *
 * Each also takes the address of klpt_target_kind, which klpt_target defines
 * twice: a function (klpt_target_main.c, returns 3) and an int variable
 * (klpt_target_extra.c, = 4).  The declaration says which kind the module
 * means, and so does its positions file (`type: func` / `type: object`).
 * (The x86_64 variant used vmlinux's sysrq_handler, a function and a data
 * object; no name of our ppc64le or s390x kernels is both.)
 *
 * The replacement klpt_target_show() prints what the module sees:
 *   KLPT-TARGET <module> dup=<value> dup_addr=<address> kind=<value> kind_addr=<address>
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

#include "klpt.h"

extern int klpt_target_dup;
#ifdef KLPT_KIND_FUNC
extern int klpt_target_kind(void);
#define klpt_kind_value() klpt_target_kind()
#else
extern int klpt_target_kind;
#define klpt_kind_value() READ_ONCE(klpt_target_kind)
#endif

static int livepatch_klpt_target_show(struct seq_file *m, void *v)
{
	seq_printf(m, "KLPT-TARGET %s dup=%d dup_addr=%px kind=%d kind_addr=%px\n",
		   KBUILD_MODNAME, READ_ONCE(klpt_target_dup), &klpt_target_dup,
		   klpt_kind_value(), &klpt_target_kind);
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

static int klpt_byfile_init(void)
{
	return klp_enable_patch(&patch);
}

static void klpt_byfile_exit(void)
{
}

module_init(klpt_byfile_init);
module_exit(klpt_byfile_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("e2e: livepatch of klpt_target, duplicated names picked by source file and by type");
MODULE_INFO(livepatch, "Y");
