# sibling (ppc64le; crashes the guest, so it runs alone, in its own boot):
# klpt_sib_asm() of klpt_sibling is `b nr_processes`, a sibling call through
# the loader's stub to a klp symbol.  klp-convert refuses it; the host made
# this copy by converting the `bl` form and turning it back into `b`.  The
# kernel loads it; calling it returns with vmlinux's r2, and the module's
# next TOC access goes astray.
klpt_insmod /modules/extra/sibling/klpt_sibling.ko || exit 1
klpt_lp_wait klpt_sibling
out "KLPT-CALL asm"
echo 1 > /sys/module/klpt_sibling/parameters/call
out "KLPT-CALL-RETURNED rc=$?"
klpt_dmesg
