// SPDX-License-Identifier: GPL-2.0-only
/*
 * See klpt_byfile.h: the klpt_target_dup of klpt_target_main.c and the
 * function sysrq_handler (klpt_byfile_main.yaml).
 */
#define KLPT_SYSRQ_HANDLER_FUNC
#include "klpt_byfile.h"
