# raw: the unconverted livepatch modules must be refused ("Unknown symbol"),
# which proves that the conversion is what makes them load.
klpt_insmod /modules/raw/klpt_target.ko
for m in klpt_cmdline klpt_sympos1 klpt_sympos2 klpt_sympos3 klpt_modpatch klpt_keys \
	klpt_byfile_main klpt_byfile_extra; do
	klpt_insmod /modules/raw/$m.ko
done
klpt_rmmod klpt_target
klpt_taint
