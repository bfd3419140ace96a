// SPDX-License-Identifier: GPL-2.0-only
/* See klpt_sympos.h; positions in klpt_sympos1.yaml. */
#include "klpt_sympos.h"
