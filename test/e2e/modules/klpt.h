/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared helpers of the e2e test modules.
 *
 * Every line meant for the test harness starts with "KLPT-".  The modules
 * print with pr_info; the guest's /init copies the kernel log to the
 * results port after each step.
 */
#ifndef KLPT_H
#define KLPT_H

#include <linux/kernel.h>
#include <linux/printk.h>

/* "KLPT-ADDR <module> <name>=<address as the module sees it>" */
#define klpt_addr(name, ptr) \
	pr_info("KLPT-ADDR %s %s=%px\n", KBUILD_MODNAME, name, (const void *)(ptr))

/* "KLPT-VALUE <module> <name>=<text>" */
#define klpt_value(name, fmt, ...) \
	pr_info("KLPT-VALUE %s %s=" fmt "\n", KBUILD_MODNAME, name, ##__VA_ARGS__)

#endif
