# ppcnop (ppc64le): a copy of the converted klpt_cmdline whose nop after
# `bl nr_processes` (a klp relocation) became `ori r2,r2,0`, made by the host
# after klp-convert (which refuses such a module).  The loader must refuse it
# too ("Expected nop after call").
klpt_insmod /modules/extra/badnop/klpt_cmdline.ko && {
	klpt_lp_wait klpt_cmdline
	klpt_lp_disable klpt_cmdline
	klpt_rmmod klpt_cmdline
}
