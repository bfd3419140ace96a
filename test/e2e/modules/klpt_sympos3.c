// SPDX-License-Identifier: GPL-2.0-only
/*
 * See klpt_sympos.h.  klpt_sympos3 has no positions file: the positions are
 * annotations in the source (klpt_annotate.h).
 */
#include "klpt_sympos.h"
#include "klpt_annotate.h"

KLP_MODULE_RELOC(vmlinux) = {
	KLP_SYMPOS(ftrace_avail_fops, 2),
	KLP_SYMPOS(trace_module_nb, 2),
	KLP_SYMPOS(m_show, 1),
};
