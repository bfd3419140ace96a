// SPDX-License-Identifier: GPL-2.0-only
/*
 * klpt_target: an ordinary module (not a livepatch) that klpt_modpatch
 * patches.  It shows /proc/klpt_target through klpt_target_show() and has
 * local data that nothing exports:
 *   - klpt_target_secret, unique;
 *   - klpt_target_dup, defined in both klpt_target_main.c and
 *     klpt_target_extra.c, so the livepatch needs a position for it;
 *   - klpt_target_kind, a function here and a variable in
 *     klpt_target_extra.c: klpt_byfile_* pick one by symbol type.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>

static int klpt_target_secret __used = 5555;
static int klpt_target_dup __used = 1;

int klpt_target_extra_value(void);

/* Same name as the variable in klpt_target_extra.c; its value is 3. */
static noinline __used int klpt_target_kind(void)
{
	return 3;
}

static noinline int klpt_target_show(struct seq_file *m, void *v)
{
	seq_printf(m, "KLPT-TARGET original extra=%d kind=%d\n",
		   klpt_target_extra_value(), klpt_target_kind());
	return 0;
}

static int klpt_target_init(void)
{
	if (!proc_create_single("klpt_target", 0444, NULL, klpt_target_show))
		return -ENOMEM;
	return 0;
}

static void klpt_target_exit(void)
{
	remove_proc_entry("klpt_target", NULL);
}

module_init(klpt_target_init);
module_exit(klpt_target_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("e2e: target module of klpt_modpatch");
