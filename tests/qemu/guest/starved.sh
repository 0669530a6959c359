# One run of the starved guest (tests/qemu/starved): set up the onliner
# (mo_onliner=), start the workload (hog), which asks the host for 1 GiB
# (mo_source= dimm or vmem) when MemAvailable falls below the threshold,
# then count the OOM kills in the kernel log, before and after the first
# block's add uevent (hog's marker line in it).
onliner=$(param onliner)
source=$(param source)
hog_args=$(param hog | tr : ' ')
require=$(param require)
set -- $hog_args
extra_mib=$1 rate=$2 threshold=$3
grow_blocks=$((1073741824 / block_bytes))

setup_rule() {
	cp /lib/memonline-test/rules/*.rules /etc/udev/rules.d/
}
case $onliner in
default)
	setup_rule
	start_udevd
	# As memonline.service runs it: the unit's ExecStart= and OOMScoreAdjust=.
	start_daemon memonline watch --events kernel || exit 1
	echo -1000 >/proc/$watch_pid/oom_score_adj
	;;
daemon)
	start_udevd
	start_daemon memonline watch --events kernel || exit 1
	echo -1000 >/proc/$watch_pid/oom_score_adj
	;;
rule)
	setup_rule
	start_udevd
	;;
kernel)
	check "auto_online_blocks reads online" grep -qx online $MEM/auto_online_blocks
	start_udevd
	;;
seed-dash)
	cat >/etc/udev/rules.d/99-seed.rules <<'RULE'
SUBSYSTEM=="memory", ACTION=="add", RUN+="/usr/bin/dash -c '[ -f /sys$devpath/state ] && echo online > /sys$devpath/state'"
RULE
	start_udevd
	;;
*)
	fail "unknown onliner '$onliner'"
	exit 1
	;;
esac
# udevd's own start-up is over before the workload begins.
udevadm settle -t 10

case $source in
dimm) req="dimm_add dimm1 1073741824" ;;
vmem)
	check "virtio_mem driver bound" eval 'ls /sys/bus/virtio/drivers/virtio_mem | grep -q virtio'
	req="vmem_resize 1G 60"
	;;
esac
avail=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
mark "OUT MemAvailable $avail MiB before the workload; it takes $((avail + extra_mib)) MiB"
# faults PID: the process's minor and major page faults (proc(5) stat).
faults() { sed 's/.*) //' /proc/$1/stat | awk '{ print $8, $10 }'; }
[ -n "$watch_pid" ] && flt0=$(faults $watch_pid)
# The kernel log from here on is the run's.
dmesg -c >/dev/null
hog $((avail + extra_mib)) $rate $threshold $grow_blocks $req
hog_rc=$?
check "all $grow_blocks hot-added blocks online" wait_until 60 all_new_online $grow_blocks

dmesg >/tmp/dmesg
# OOM kills before and after hog's line for the first add uevent.
kills=$(awk '/first memory block add uevent/ { after = 1 }
	/Out of memory: Killed process|Memory cgroup out of memory: Killed/ {
		if (after) a++; else b++ }
	END { printf "%d %d", b, a }' /tmp/dmesg)
kills_before=${kills% *} kills_after=${kills#* }
invokers=$(sed -n 's/.*\] \([^ ]*\) invoked oom-killer.*/\1/p' /tmp/dmesg | sort -u |
	tr '\n' ',')
survived=0
[ $hog_rc -eq 0 ] && survived=1
mark "OUT hog exited $hog_rc; OOM kills: $kills_before before the first block, $kills_after after; invoked by: ${invokers:-nobody}"
grep -E 'Killed process|invoked oom-killer|first memory block' /tmp/dmesg >/tmp/oom.log
show /tmp/oom.log
mark "STAT survived=$survived kills_before=$kills_before kills_after=$kills_after invokers=$invokers"
if [ -n "$watch_pid" ]; then
	# The daemon's page faults from before the workload to all blocks online.
	set -- $flt0 $(faults $watch_pid)
	mark "STAT daemon_minflt=$(($3 - $1)) daemon_majflt=$(($4 - $2))"
fi
if [ "$require" = 1 ]; then
	check "no OOM kill after the first block existed ($kills_after)" [ "$kills_after" -eq 0 ]
	check "the workload survived (hog exited $hog_rc)" [ $hog_rc -eq 0 ]
fi
if [ -n "$watch_pid" ]; then stop_watch; fi
exit 0
