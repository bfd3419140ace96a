# modpatch: a livepatch of the module klpt_target, whose unexported data it
# reads.  Each "step" prints /proc/klpt_target and the target's kallsyms
# lines, for the host to compare.
#
# Order 1 (target-first): target, then livepatch; then the target is
# unloaded and loaded again under the livepatch.
# Order 2 (patch-first): livepatch, then target (late relocation: "applying
# patch ... to loading module"); then the target is reloaded again.
#
# A kernel without klp_clear_object_relocs() (upstream 2023; not in Debian's
# 6.1) refuses a reload of the target under a loaded livepatch: the klp
# relocation targets still hold the values of the first load ("existing value
# is nonzero").  When that happens the scenario records the refusal, removes
# the livepatch and loads target and livepatch again (fresh copies), and
# checks the symbols once more.
step() {
	out "KLPT-STEP $1"
	klpt_cat "$1" /proc/klpt_target
	klpt_kallsyms klpt_target_secret klpt_target_dup
}
target_loaded() { grep -q '^klpt_target ' /proc/modules; }

out "KLPT-ORDER target-first"
klpt_insmod /modules/raw/klpt_target.ko
step original
klpt_insmod /modules/klp/klpt_modpatch.ko
klpt_lp_wait klpt_modpatch
step patched
klpt_rmmod klpt_target
out "KLPT-RELOAD target-first"
klpt_insmod /modules/raw/klpt_target.ko
if target_loaded; then
	step reloaded
else
	out "KLPT-RELOAD-REFUSED target-first"
	klpt_lp_disable klpt_modpatch
	klpt_rmmod klpt_modpatch
	klpt_insmod /modules/raw/klpt_target.ko
	klpt_insmod /modules/klp/klpt_modpatch.ko
	klpt_lp_wait klpt_modpatch
	step reloaded
fi
klpt_lp_disable klpt_modpatch
step disabled
klpt_rmmod klpt_modpatch
klpt_rmmod klpt_target

out "KLPT-ORDER patch-first"
klpt_insmod /modules/klp/klpt_modpatch.ko
klpt_lp_wait klpt_modpatch
klpt_insmod /modules/raw/klpt_target.ko
klpt_lp_wait klpt_modpatch
step late
klpt_rmmod klpt_target
out "KLPT-RELOAD patch-first"
klpt_insmod /modules/raw/klpt_target.ko
if target_loaded; then
	step late-reloaded
else
	out "KLPT-RELOAD-REFUSED patch-first"
	klpt_lp_disable klpt_modpatch
	klpt_rmmod klpt_modpatch
	klpt_insmod /modules/klp/klpt_modpatch.ko
	klpt_lp_wait klpt_modpatch
	klpt_insmod /modules/raw/klpt_target.ko
	klpt_lp_wait klpt_modpatch
	step late-reloaded
fi
klpt_lp_disable klpt_modpatch
step late-disabled
klpt_rmmod klpt_modpatch
klpt_rmmod klpt_target
