# Helpers for the e2e scenarios (sourced by /init; busybox sh).
# Everything meant for the host is written to fd 3 (the results port) as
# lines starting with KLPT-.

out() { echo "$*" >&3; }

# Forget the kernel log so far / copy the new kernel log lines, prefixed.
klpt_dmesg_clear() { dmesg -c > /dev/null; }
klpt_dmesg() { dmesg -c | sed 's/^/KLPT-DMESG /' >&3; }

# klpt_insmod <path.ko>: load a module, report rc, insmod's stderr and the
# kernel log lines it caused.
#   KLPT-INSMOD <path> rc=<rc>
klpt_insmod() {
	insmod "$1" 2> /tmp/insmod.err
	local rc=$?
	sed 's/^/KLPT-INSMOD-ERR /' /tmp/insmod.err >&3
	klpt_dmesg
	out "KLPT-INSMOD $1 rc=$rc"
	return $rc
}

# klpt_rmmod <name>
klpt_rmmod() {
	rmmod "$1" 2> /tmp/rmmod.err
	local rc=$?
	sed 's/^/KLPT-RMMOD-ERR /' /tmp/rmmod.err >&3
	klpt_dmesg
	out "KLPT-RMMOD $1 rc=$rc"
	return $rc
}

# klpt_lp_wait <patch>: wait (up to 15 s) until the patch's transition is over.
#   KLPT-LP <patch> enabled=<0|1> transition=<0|1>
klpt_lp_wait() {
	local d=/sys/kernel/livepatch/$1 i=0
	while [ -d "$d" ] && [ "$(cat "$d/transition" 2>/dev/null)" = 1 ] && [ $i -lt 150 ]; do
		usleep 100000
		i=$((i + 1))
	done
	if [ -d "$d" ]; then
		out "KLPT-LP $1 enabled=$(cat "$d/enabled") transition=$(cat "$d/transition")"
	else
		out "KLPT-LP $1 absent"
	fi
	klpt_dmesg
}

# klpt_lp_disable <patch>: disable, then wait until the kernel has freed the
# patch (its sysfs directory disappears), so that it can be removed.
klpt_lp_disable() {
	local d=/sys/kernel/livepatch/$1 i=0
	echo 0 > "$d/enabled"
	while [ -d "$d" ] && [ $i -lt 150 ]; do
		usleep 100000
		i=$((i + 1))
	done
	if [ -d "$d" ]; then
		out "KLPT-LP-DISABLE $1 still-present transition=$(cat "$d/transition" 2>/dev/null)"
	else
		out "KLPT-LP-DISABLE $1 gone"
	fi
	klpt_dmesg
}

# klpt_cat <tag> <file>: KLPT-CAT <tag> <line> for every line of the file.
klpt_cat() {
	local line
	cat "$2" > /tmp/cat.out 2> /tmp/cat.err || out "KLPT-CAT-ERR $1 $(cat /tmp/cat.err)"
	while IFS= read -r line; do
		out "KLPT-CAT $1 $line"
	done < /tmp/cat.out
}

# klpt_kallsyms <name>...: the /proc/kallsyms lines of these names, in
# kallsyms order: KLPT-KALLSYMS <addr> <type> <name>[ [module]]
klpt_kallsyms() {
	local tab pat
	tab=$(printf '\t')
	pat=" ($(echo "$*" | tr ' ' '|'))(${tab}\[[^]]*\])?\$"
	# grep -F first: a regex over 87k lines costs seconds under TCG.
	printf ' %s\n' "$@" > /tmp/kallsyms.pat
	grep -F -f /tmp/kallsyms.pat /proc/kallsyms | grep -E "$pat" |
		tr '\t' ' ' | sed 's/^/KLPT-KALLSYMS /' >&3
}

# klpt_taint: KLPT-TAINT <value of /proc/sys/kernel/tainted>
klpt_taint() { out "KLPT-TAINT $(cat /proc/sys/kernel/tainted 2>/dev/null || echo unknown)"; }
