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
daemon-disk)
	# The daemon, its libraries and its loader from an ext4 filesystem on
	# a virtio-blk disk (mkinitramfs --disk): their pages are the page
	# cache's, which the workload drives out, and whatever the daemon has
	# not kept resident comes back from the disk: a major fault.
	for m in $(cat /lib/memonline-test/disk-modules); do
		insmod /lib/modules/$m.ko || fail "insmod $m"
	done
	mkdir -p /mnt
	check "the disk mounts read-only as ext4" mount -t ext4 -o ro /dev/vda /mnt || exit 1
	libpath=$(find /mnt -name '*.so*' -exec dirname {} \; | sort -u | tr '\n' :)
	start_udevd
	start_daemon /mnt/lib64/ld-linux-x86-64.so.2 --library-path "$libpath" \
		/mnt/usr/bin/memonline watch --events kernel || exit 1
	echo -1000 >/proc/$watch_pid/oom_score_adj
	check "the daemon's code and C library are mapped from the disk" eval \
		"grep -q ' /mnt/usr/bin/memonline\$' /proc/$watch_pid/maps &&
		grep -q ' /mnt/.*/libc\.so' /proc/$watch_pid/maps"
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
if [ $onliner = daemon-disk ]; then
	# The worst a thrashing guest does to the daemon: every page of it
	# that is not locked goes, mapped (MADV_PAGEOUT) or not (drop_caches).
	check "the daemon's unlocked pages paged out" pageout $watch_pid
	sync
	echo 3 >/proc/sys/vm/drop_caches
	mark "OUT daemon after the page-out: $(grep -E '^Vm(RSS|Lck)' /proc/$watch_pid/status | tr -s ' \t\n' ' ')"
fi
[ -n "$watch_pid" ] && flt0=$(faults $watch_pid)
# rss PID: each mapping of the process and its resident KiB.
rss() { awk '/^[0-9a-f]+-/ { m = $1 " " $6 } /^Rss:/ { print m, $2 }' /proc/$1/smaps; }
[ $onliner = daemon-disk ] && rss $watch_pid >/tmp/rss0
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
	majflt=$(($4 - $2))
	if [ $onliner = daemon-disk ]; then
		# Where the daemon's resident set grew in the storm.
		rss $watch_pid | diff /tmp/rss0 - | grep '^[-+][0-9a-f]' >/tmp/rss.diff
		show /tmp/rss.diff
	fi
	mark "STAT daemon_minflt=$(($3 - $1)) daemon_majflt=$majflt"
	[ $onliner = daemon-disk ] &&
		check "the daemon had no major page fault from the workload's start to all blocks online ($majflt)" [ $majflt -eq 0 ]
fi
if [ "$require" = 1 ] || [ $onliner = daemon-disk ]; then
	check "no OOM kill after the first block existed ($kills_after)" [ "$kills_after" -eq 0 ]
	check "the workload survived (hog exited $hog_rc)" [ $hog_rc -eq 0 ]
fi
if [ -n "$watch_pid" ]; then stop_watch; fi
exit 0
