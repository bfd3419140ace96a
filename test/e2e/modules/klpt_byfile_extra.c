// SPDX-License-Identifier: GPL-2.0-only
/*
 * See klpt_byfile.h: the klpt_target_dup of klpt_target_extra.c and the
 * variable klpt_target_kind (klpt_byfile_extra.yaml).
 */
#include "klpt_byfile.h"
