// SPDX-License-Identifier: GPL-2.0-only
/*
 * klpt_sibling (ppc64le only): a livepatch whose code reaches the unexported
 * vmlinux function nr_processes() by a tail call.
 *   klpt_sib_c():   `return nr_processes();` in C, -O2: does gcc emit `b`?
 *   klpt_sib_asm(): hand-written `b nr_processes` (R_PPC64_REL24 on a
 *                   branch without link), a nop after it;
 * (A copy with `blr` instead of that nop, which klp-convert refuses, is made
 * by patching the converted .ko.)
 * The module parameter "call" (/sys/module/klpt_sibling/parameters/call)
 * calls klpt_sib_asm() on "1", klpt_sib_c() otherwise.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched/stat.h>
#include <linux/seq_file.h>

#include "klpt.h"

noinline int klpt_sib_c(void)
{
	return nr_processes();
}

int klpt_sib_asm(void);
asm(	"	.text\n"
	"	.globl klpt_sib_asm\n"
	"	.type klpt_sib_asm,@function\n"
	"	.p2align 2\n"
	"klpt_sib_asm:\n"
	"	b nr_processes\n"
	"	nop\n"
	"	.size klpt_sib_asm, .-klpt_sib_asm\n");

static int klpt_sibling_call(const char *val, const struct kernel_param *kp)
{
	int n = -1;

	if (!strcmp(val, "1") || !strcmp(val, "1\n"))
		n = klpt_sib_asm();
	else
		n = klpt_sib_c();
	klpt_value("nr_processes", "%d", n);
	return 0;
}

static const struct kernel_param_ops klpt_sibling_ops = {
	.set = klpt_sibling_call,
};
module_param_cb(call, &klpt_sibling_ops, NULL, 0200);

static int livepatch_cmdline_proc_show(struct seq_file *m, void *v)
{
	seq_printf(m, "KLPT-PATCHED %s\n", KBUILD_MODNAME);
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

static int klpt_sibling_init(void)
{
	klpt_addr("nr_processes", nr_processes);
	return klp_enable_patch(&patch);
}

static void klpt_sibling_exit(void)
{
}

module_init(klpt_sibling_init);
module_exit(klpt_sibling_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("e2e: ppc64 sibling call to a klp symbol");
MODULE_INFO(livepatch, "Y");
