# SPDX-License-Identifier: GPL-2.0-only
#
# klp-convert.mk: build an out-of-tree livepatch module with kbuild and run
# klp-convert on it, as one `make`.
#
# A livepatch that calls unexported kernel functions or reads unexported data
# links with undefined symbols.  kbuild's modpost would reject it, and the
# kernel would refuse to load it ("Unknown symbol").  klp-convert rewrites
# those references into .klp.rela.<obj>.<sec> sections, which the livepatch
# core resolves through kallsyms when the patch (or the patched module) loads.
#
# Usage: the livepatch's Makefile lists its modules, sets the maps klp-convert
# needs, and includes this file last:
#
#     obj-m := livepatch-cmdline.o
#     KDIR ?= /lib/modules/$(shell uname -r)/build
#     KLP_SYMBOLS := /path/to/kallsyms.txt          # or symbols.klp, System.map
#     KLP_POSITIONS_livepatch-cmdline := positions.yaml  # duplicated names
#     include /path/to/klp-convert/kbuild/klp-convert.mk
#
# and the user runs `make` (or `make modules`, `make modules_install`,
# `make clean`) in that directory.  docs/e2e.md has a complete example; see
# also kbuild/example/.
#
# What happens on `make`:
#   1. `make -C $(KDIR) M=$(CURDIR) modules`: kbuild compiles, runs modpost and
#      links every <mod>.ko (scripts/Makefile.modfinal).  modpost only warns
#      about the unresolved symbols (KBUILD_MODPOST_WARN=1, also set below for
#      the kbuild pass, so a plain `make -C $(KDIR) M=...` gets past modpost).
#   2. This Makefile is read again (`$(MAKE) klp-convert`), now that
#      modules.order and the linked .ko files exist.  Each livepatch module
#      (modinfo livepatch=Y; or the ones named in KLP_MODULES) is converted:
#      the freshly linked <mod>.ko is kept as <mod>.ko.unconverted, klp-convert
#      writes <mod>.ko.klp-tmp from it, and that is renamed over <mod>.ko.
#      If klp-convert fails, make fails with its message, and <mod>.ko stays
#      unconverted (which the kernel refuses to load).
#   A re-run converts again only when kbuild re-linked the module, or when the
#   klp-convert command or one of its input files changed (their checksums are
#   kept in .<mod>.ko.klp.cmd).  `make modules_install` installs (and, if the
#   kernel's configuration asks for it, signs) the converted modules: signing
#   must come after conversion.
#
# Variables (all optional; set them in the Makefile or on the command line):
#   KDIR             kernel build or headers directory
#                    (default /lib/modules/$(uname -r)/build)
#   KLP_CONVERT      the klp-convert command (default: klp-convert on $PATH;
#                    e.g. "node /path/to/klp-convert/bin/klp-convert.js")
#   KLP_SYMBOLS      symbol maps (--symbols; kallsyms dump, System.map,
#                    symbols.klp, ...), space separated
#   KLP_SYMVERS      extra Module.symvers files (--symvers)
#   KLP_KDIR         passed as --kdir, so klp-convert reads the kernel's
#                    Module.symvers (default $(KDIR); empty to disable)
#   KLP_POSITIONS    positions file (--positions, YAML) for duplicated names
#   KLP_FLAGS        any other klp-convert options (e.g. -v)
#   KLP_MODULES      modules to convert, as in obj-m (foo.o) or by name (foo);
#                    default: every module in modules.order whose modinfo has
#                    livepatch=Y
#   Per module <name> (as in modules.order, without .ko):
#   KLP_SYMBOLS_<name>, KLP_SYMVERS_<name>, KLP_FLAGS_<name> are added to the
#   global ones; KLP_POSITIONS_<name> replaces KLP_POSITIONS.
#   The module's own Module.symvers (exports of the modules built here) is
#   passed too, when it is not empty.

ifneq ($(KERNELRELEASE),)
# ---------------------------------------------------------------------------
# kbuild pass: this Makefile is being read by scripts/Makefile.build or
# scripts/Makefile.modpost.  Makefile.modpost includes it before it decides on
# modpost's -w flag, so this turns "undefined!" errors into warnings.
KBUILD_MODPOST_WARN := 1

ifeq ($(KLP_CONVERT_OUTER),)
ifneq ($(filter %/Makefile.modpost,$(firstword $(MAKEFILE_LIST))),)
$(warning klp-convert.mk: kbuild was run directly; the livepatch modules will NOT be converted. Run `make` in $(KBUILD_EXTMOD) instead.)
endif
endif

else
# ---------------------------------------------------------------------------
# Outer pass: `make` run by the user in the module's directory.

KDIR ?= /lib/modules/$(shell uname -r)/build
KLP_CONVERT ?= klp-convert
KLP_KDIR ?= $(KDIR)

# The Makefile that included us (read again for the conversion pass).
klp_makefile := $(firstword $(MAKEFILE_LIST))

# Like kbuild: V=1 shows the commands, `make -s` shows nothing.
ifeq ($(V),1)
klp_q :=
klp_log = echo "$$cmd $$raw $$tmp";
else ifneq ($(findstring s,$(firstword -$(MAKEFLAGS))),)
klp_q := @
klp_log :=
else
klp_q := @
klp_log = echo "  KLP     $$ko";
endif

klp_kbuild = $(MAKE) -C $(KDIR) M=$(CURDIR) KBUILD_MODPOST_WARN=1 KLP_CONVERT_OUTER=1

.PHONY: all modules klp-convert modules_install clean klp-clean

all: modules

modules:
	+$(klp_q)$(klp_kbuild) modules
	+$(klp_q)$(MAKE) -f $(klp_makefile) --no-print-directory klp-convert

modules_install: modules
	+$(klp_q)$(klp_kbuild) modules_install

clean:
	+$(klp_q)$(klp_kbuild) clean

klp-clean:
	rm -f $(wildcard *.ko.unconverted .*.ko.klp.cmd *.ko.klp-tmp)

# --- conversion pass (after kbuild has linked the modules) ---------------

# modules.order lists "<path>.ko" on 6.1 (and "<path>.o" on newer kernels),
# absolute or relative to the module directory.
klp_order := $(if $(wildcard modules.order),$(shell cat modules.order))
klp_order := $(patsubst $(CURDIR)/%,%,$(patsubst %.o,%,$(patsubst %.ko,%,$(klp_order))))
klp_candidates := $(if $(KLP_MODULES),$(patsubst %.o,%,$(patsubst %.ko,%,$(KLP_MODULES))),$(klp_order))

klp_own_symvers := $(if $(shell test -s Module.symvers && echo y),Module.symvers)

# klp_args(path): the klp-convert options for one module (name = notdir).
klp_name = $(notdir $(1))
klp_positions = $(or $(KLP_POSITIONS_$(call klp_name,$(1))),$(KLP_POSITIONS))
klp_args = $(foreach f,$(KLP_SYMBOLS) $(KLP_SYMBOLS_$(call klp_name,$(1))),--symbols $(f)) \
	$(foreach f,$(KLP_SYMVERS) $(KLP_SYMVERS_$(call klp_name,$(1))) $(klp_own_symvers),--symvers $(f)) \
	$(if $(KLP_KDIR),--kdir $(KLP_KDIR)) \
	$(if $(call klp_positions,$(1)),--positions $(call klp_positions,$(1))) \
	$(KLP_FLAGS) $(KLP_FLAGS_$(call klp_name,$(1)))
# Input files whose content decides the result (their checksums go into the
# stamp); Module.symvers of KLP_KDIR included.
klp_inputs = $(KLP_SYMBOLS) $(KLP_SYMBOLS_$(call klp_name,$(1))) \
	$(KLP_SYMVERS) $(KLP_SYMVERS_$(call klp_name,$(1))) $(klp_own_symvers) \
	$(call klp_positions,$(1)) $(if $(KLP_KDIR),$(wildcard $(KLP_KDIR)/Module.symvers))

# One shell script per module.  $(1) = module path without .ko.
#   stamp = .<name>.ko.klp.cmd: "cmd", checksums of the inputs, then the
#   checksum of the .ko we wrote.  A .ko whose checksum differs from the
#   recorded one was (re)linked by kbuild: that is the unconverted module.
define klp_convert_one
	ko='$(1).ko'; raw='$(1).ko.unconverted'; tmp='$(1).ko.klp-tmp'; \
	stamp='$(dir $(1)).$(call klp_name,$(1)).ko.klp.cmd'; \
	cmd='$(strip $(KLP_CONVERT) $(call klp_args,$(1)))'; \
	[ -f "$$ko" ] || { echo "klp-convert.mk: $$ko not found (was it built?)" >&2; exit 1; }; \
	sum() { cksum < "$$1" | cut -d' ' -f1,2; }; \
	want="cmd $$cmd"; \
	for f in $(call klp_inputs,$(1)); do \
		[ -f "$$f" ] || { echo "klp-convert.mk: $$ko: input file '$$f' not found" >&2; exit 1; }; \
		want="$$want|$$f $$(sum "$$f")"; \
	done; \
	have=; [ -f "$$stamp" ] && have=$$(cat "$$stamp"); \
	if [ -z "$$have" ] || [ "$${have##*|out }" != "$$(sum "$$ko")" ]; then \
		if [ -z "$(KLP_MODULES)" ] && ! $(call klp_is_livepatch,$$ko); then \
			exit 0; \
		fi; \
		cp -p "$$ko" "$$raw"; \
	elif [ "$${have%|out *}" = "$$want" ]; then \
		exit 0; \
	fi; \
	[ -f "$$raw" ] || { echo "klp-convert.mk: $$raw is missing; delete $$ko and run make again" >&2; exit 1; }; \
	rm -f "$$stamp" "$$tmp"; \
	$(klp_log) \
	if ! $$cmd "$$raw" "$$tmp"; then \
		rm -f "$$tmp"; \
		echo "klp-convert.mk: klp-convert failed for $$ko (left unconverted)" >&2; \
		cp -p "$$raw" "$$ko"; \
		exit 1; \
	fi; \
	[ -s "$$tmp" ] || { echo "klp-convert.mk: klp-convert wrote no $$tmp" >&2; exit 1; }; \
	mv -f "$$tmp" "$$ko"; \
	echo "$$want|out $$(sum "$$ko")" > "$$stamp"
endef

# klp_is_livepatch(ko): true if the module's .modinfo has livepatch=Y.
klp_is_livepatch = { objcopy -O binary --only-section=.modinfo "$(1)" "$(1).modinfo.tmp" && \
	tr '\0' '\n' < "$(1).modinfo.tmp" | grep -qx 'livepatch=Y'; r=$$?; rm -f "$(1).modinfo.tmp"; [ $$r = 0 ]; }

klp_targets := $(addprefix klp-convert/,$(klp_candidates))
.PHONY: $(klp_targets)

klp-convert: $(klp_targets)

$(klp_targets): klp-convert/%:
	$(klp_q)$(call klp_convert_one,$*)

endif
