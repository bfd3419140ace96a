// SPDX-License-Identifier: GPL-2.0-only
/*
 * Second file of klpt_target: the other copy of klpt_target_dup, and the
 * variable klpt_target_kind (a function of that name is in klpt_target_main.c).
 */
#include <linux/compiler.h>

static int klpt_target_dup __used = 2;
static int klpt_target_kind __used = 4;

int klpt_target_extra_value(void)
{
	return READ_ONCE(klpt_target_dup);
}
