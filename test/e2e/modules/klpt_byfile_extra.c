// SPDX-License-Identifier: GPL-2.0-only
/*
 * See klpt_byfile.h: the klpt_target_dup of klpt_target_extra.c and the
 * data object sysrq_handler (klpt_byfile_extra.yaml).
 */
#include "klpt_byfile.h"
