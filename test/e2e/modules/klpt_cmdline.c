// SPDX-License-Identifier: GPL-2.0-only
/*
 * klpt_cmdline: a livepatch of cmdline_proc_show() (/proc/cmdline) that uses
 * two symbols vmlinux does not export:
 *   - saved_command_line (data, 'B' in kallsyms),
 *   - nr_processes() (function, 'T').
 * It references each of them from .text (code) and from .data (initialised
 * pointers), so the converted module has klp relocations in both.
 *
 * Built raw, modpost only warns ("undefined!") and the kernel refuses the
 * module ("Unknown symbol").  After klp-convert it loads, and the addresses
 * it prints must equal the guest's /proc/kallsyms.
 *
 * This is also the sample module of symbols-maps/sample/.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/sched/stat.h>
#include <linux/seq_file.h>

#include "klpt.h"

/*
 * Initialised pointers: R_X86_64_64 relocations in .rela.data.  Not static,
 * or gcc folds them into the code (which would leave .data without them).
 */
char **klpt_cmdline_ptr = &saved_command_line;
int (*klpt_nr_processes_ptr)(void) = nr_processes;

static int livepatch_cmdline_proc_show(struct seq_file *m, void *v)
{
	seq_printf(m, "KLPT-PATCHED %s nr_processes=%d cmdline=[%s]\n",
		   KBUILD_MODNAME, nr_processes(), saved_command_line);
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
		/* name being NULL means vmlinux */
		.funcs = funcs,
	}, { }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

/* Kept out of __init: its relocations stay in .text, not .init.text. */
static noinline void klpt_report(void)
{
	klpt_addr("saved_command_line", &saved_command_line);
	klpt_addr("nr_processes", nr_processes);
	klpt_addr("data:saved_command_line", klpt_cmdline_ptr);
	klpt_addr("data:nr_processes", klpt_nr_processes_ptr);
	klpt_value("saved_command_line", "[%s]", *klpt_cmdline_ptr);
	klpt_value("nr_processes", "%d", klpt_nr_processes_ptr());
}

static int klpt_cmdline_init(void)
{
	klpt_report();
	return klp_enable_patch(&patch);
}

static void klpt_cmdline_exit(void)
{
}

module_init(klpt_cmdline_init);
module_exit(klpt_cmdline_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("e2e: livepatch using unexported vmlinux symbols");
MODULE_INFO(livepatch, "Y");
