// SPDX-License-Identifier: GPL-2.0-only
/* Second file of klpt_target: the other copy of klpt_target_dup. */
#include <linux/compiler.h>

static int klpt_target_dup __used = 2;

int klpt_target_extra_value(void)
{
	return READ_ONCE(klpt_target_dup);
}
