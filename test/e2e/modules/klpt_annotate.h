/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Source annotations for klp-convert: which copy of a duplicated name a
 * livepatch means, written next to the code instead of in a positions file.
 *
 *   KLP_MODULE_RELOC(vmlinux) = { KLP_SYMPOS(last_cmd, 2), ... };
 *
 * Layout (the one the upstream klp-convert series used, and klp-convert
 * reads): a section .klp.module_relocs.<object> holding packed 12-byte
 * entries, an 8-byte pointer slot that a relocation fills with the symbol,
 * then the 4-byte position.  klp-convert removes these sections.
 */
#ifndef KLPT_ANNOTATE_H
#define KLPT_ANNOTATE_H

#include <linux/compiler.h>
#include <linux/types.h>

struct klpt_module_reloc {
	union {
		void *sym;
		u64 sym64;
	};
	u32 sympos;
} __packed;

#define KLPT_JOIN2(a, b) a##b
#define KLPT_JOIN(a, b) KLPT_JOIN2(a, b)

#define KLP_MODULE_RELOC(obj)						\
	static struct klpt_module_reloc					\
	KLPT_JOIN(klpt_module_relocs_##obj##_, __LINE__)[]		\
	__used __section(".klp.module_relocs." #obj) __aligned(4)

#define KLP_SYMPOS(name, pos) { { .sym = (void *)&(name) }, .sympos = (pos) }

#endif
