// SPDX-License-Identifier: GPL-2.0-only
/*
 * See klpt_byfile.h: the klpt_target_dup of klpt_target_main.c and the
 * function klpt_target_kind (klpt_byfile_main.yaml).
 */
#define KLPT_KIND_FUNC
#include "klpt_byfile.h"
