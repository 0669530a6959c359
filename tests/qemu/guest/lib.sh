# Helpers for the guest scenarios (busybox sh), sourced before each one.
#
# The guest talks to the host through marker lines on the serial console:
#   @@MO:CHECK ok|fail TEXT   one assertion made inside the guest
#   @@MO:REQ ACTION ARGS      ask the host for a QMP action (dimm_add, dimm_del,
#                             vmem_resize); the guest then waits for its effect
#   @@MO:TIME NAME            the host prints the time since its last hot-add
#   @@MO:OUT TEXT             output shown by the host when the scenario fails
# The host never types into the guest: each scenario drives itself.

MEM=/sys/devices/system/memory
failed=0

mark() { echo "@@MO:$*"; }
pass() { mark "CHECK ok $*"; }
fail() { mark "CHECK fail $*"; failed=1; }
# check TEXT COMMAND...: one assertion, passing when COMMAND succeeds.
check() {
	_text=$1
	shift
	if "$@"; then pass "$_text"; else fail "$_text"; fi
}
request() { mark "REQ $*"; }
# show FILE...: hand the files to the host for its diagnostics.
show() {
	for _f; do
		sed "s|^|@@MO:OUT $_f: |" "$_f"
	done
}

# mo_NAME=VALUE from the kernel command line, set by the host's runner.
param() { tr ' ' '\n' </proc/cmdline | sed -n "s/^mo_$1=//p"; }

# Hundredths of a second since boot, for timeouts without date arithmetic.
now_cs() { awk '{ printf "%d", $1 * 100 }' /proc/uptime; }

# wait_until SECONDS COMMAND...: poll COMMAND every 50 ms; false on timeout.
wait_until() {
	_end=$(($(now_cs) + $1 * 100))
	shift
	until "$@"; do
		[ "$(now_cs)" -lt $_end ] || return 1
		sleep 0.05
	done
}

block_bytes=$((0x$(cat $MEM/block_size_bytes)))
# Block numbers, sorted.
blocks() { ls $MEM | sed -n 's/^memory\([0-9][0-9]*\)$/\1/p' | sort -n; }
boot_blocks=$(blocks)
# Blocks that were not there at boot: the hot-added ones.
new_blocks() { blocks | grep -vxF "$boot_blocks"; }
count_new() { new_blocks | grep -c .; }
# states BLOCK...: one state per line.
states() { for _b; do cat $MEM/memory$_b/state; done; }
zones() { for _b; do cat $MEM/memory$_b/valid_zones; done; }
# all_new_online N: exactly N hot-added blocks exist and all are online.
all_new_online() {
	_n=$(count_new)
	[ "$_n" -eq "$1" ] && ! states $(new_blocks) | grep -qvx online
}
# first and last of the hot-added blocks, as memonline's N-M range.
new_range() { new_blocks | sed -n '1h; ${x;G;s/\n/-/;p}'; }

# zone_pages ZONE FIELD: the sum of FIELD (present, managed, spanned) over all
# nodes' zones named ZONE in /proc/zoneinfo.
zone_pages() {
	awk -v z="$1" -v f="$2" '
		/^Node/ { inzone = ($4 == z) }
		inzone && $1 == f { sum += $2 }
		END { printf "%d\n", sum }' /proc/zoneinfo
}
# Pages of memory the kernel can use for unmovable allocations.
kernel_pages() {
	echo $(($(zone_pages DMA present) + $(zone_pages DMA32 present) +
		$(zone_pages Normal present)))
}

# run_memonline OUT ARGS...: run memonline, keep stdout and stderr in OUT, and
# leave its exit code in $rc.
run_memonline() {
	_out=$1
	shift
	memonline "$@" >"$_out" 2>&1
	rc=$?
	echo "@@MO:OUT \$ memonline $* (exit $rc)"
	show "$_out"
}

# start_watch [ARGS...]: memonline watch in the background, its log in
# /tmp/watch.log; gives it a moment to subscribe to uevents.
start_watch() { start_daemon memonline "$@" watch; }
# start_daemon COMMAND...: the same for a whole command line (the unit's).
start_daemon() {
	"$@" 2>/tmp/watch.log &
	watch_pid=$!
	sleep 1
	if ! kill -0 $watch_pid 2>/dev/null; then
		fail "memonline watch is running"
		show /tmp/watch.log
		return 1
	fi
}
stop_watch() {
	kill $watch_pid 2>/dev/null
	wait $watch_pid 2>/dev/null
	show /tmp/watch.log
}

dimm_bytes=$(param dimm_bytes)
dimm_bytes=${dimm_bytes:-1073741824}
dimm_blocks=$((dimm_bytes / block_bytes))
# The virtio-mem grow of the timed scenarios (run --vmem-size), and its name
# in their timings: 4G, or 512M.
vmem_bytes=$(param vmem_bytes)
vmem_bytes=${vmem_bytes:-1073741824}
vmem_blocks=$((vmem_bytes / block_bytes))
if [ $((vmem_bytes % 1073741824)) -eq 0 ]; then
	vmem_size=$((vmem_bytes >> 30))G
else
	vmem_size=$((vmem_bytes >> 20))M
fi

# vmem_grow NAME ZONE: grow virtio-mem by $vmem_bytes in one request; time it
# as NAME-virtio-mem-SIZE until every new block is online, and check they
# are all in ZONE. Sets $vmem_added to the blocks it brought.
vmem_grow() {
	_before=$(new_blocks)
	_want=$(($(count_new) + vmem_blocks))
	check "virtio_mem driver bound" eval 'ls /sys/bus/virtio/drivers/virtio_mem | grep -q virtio'
	request vmem_resize $vmem_size
	wait_until 60 all_new_online $_want && mark TIME "$1-virtio-mem-$vmem_size"
	vmem_added=$(new_blocks | grep -vxF "${_before:-none}")
	check "all $vmem_blocks virtio-mem blocks online" all_new_online $_want
	check "virtio-mem's blocks in $2" only_zone "$2" $vmem_added
}

# json_num FILE KEY: the first number under "KEY" in memonline's JSON output.
json_num() {
	tr -d '\n' <"$1" | grep -o "\"$2\": *-\?[0-9]*" | head -n 1 | sed 's/.*: *//'
}
# only_zone ZONE BLOCK...: every block's valid_zones reads exactly ZONE.
only_zone() {
	_z=$1
	shift
	[ $# -gt 0 ] && ! zones "$@" | grep -qvx "$_z"
}
# only_state STATE BLOCK...
only_state() {
	_s=$1
	shift
	[ $# -gt 0 ] && ! states "$@" | grep -qvx "$_s"
}
# log_clean FILE: no line that reports an error or a failure.
log_clean() { ! grep -Eiq 'error|fail|invalid|EINVAL|EBUSY|EPERM' "$1"; }
# log_names_blocks FILE BLOCK...: the log has a line for each block.
log_names_blocks() {
	_f=$1
	shift
	for _b; do
		grep -Eq "memory$_b([^0-9]|\$)" "$_f" || return 1
	done
}

# stopwatch_start, then stopwatch NAME: a duration measured inside the guest
# (where the host cannot see the start, e.g. a balloon target written in dom0).
stopwatch_start() { _t0=$(now_cs); }
stopwatch() {
	_d=$(($(now_cs) - _t0))
	mark "GTIME $1 $((_d / 100)).$(printf %02d $((_d % 100)))"
}

# Xen: the balloon driver's files, and the seed's steps in dom0.
XB=/sys/devices/system/xen_memory/xen_memory0
# xen_grow KIB: raise the hypervisor's limit (xl mem-max), then the balloon
# target by KIB; sets $target. The balloon then hot-adds blocks and waits
# until they are onlined.
xen_grow() {
	check "running as a Xen domain" grep -qx xen /sys/hypervisor/type
	check "/dev/xen/privcmd exists (xen-privcmd)" [ -e /dev/xen/privcmd ]
	xen-maxmem get >/tmp/xeninfo 2>&1
	show /tmp/xeninfo
	target=$(($(cat $XB/info/current_kb) + $1))
	# A little headroom over the target: the limit counts every page of dom0.
	check "xen-maxmem set $((target + 8192)) (xl mem-max)" xen-maxmem set $((target + 8192))
	_want=$(($1 * 1024 / block_bytes))
	stopwatch_start
	echo $target >$XB/target_kb
	check "$_want blocks appear" wait_until 30 eval '[ "$(count_new)" -ge $_want ]'
	stopwatch xen-blocks-added
}
xen_reached() { [ "$(cat $XB/info/current_kb)" -ge $target ]; }

# start_udevd [ARGS...]: the real systemd-udevd, with the rules in
# /etc/udev/rules.d (and /usr/lib/udev/rules.d); ARGS go to systemd-udevd.
start_udevd() {
	mkdir -p /run/udev
	/lib/systemd/systemd-udevd --daemon "$@" 2>/tmp/udevd.log
	check "systemd-udevd is up" wait_until 10 udevadm control --ping
}

# The package under test (run --deb): mkinitramfs unpacked the .deb at its
# installed paths and described it in deb.env (deb_package, deb_bin,
# deb_bin_sha256, deb_rule, deb_rule_sha256, deb_unit). Empty otherwise.
deb_package=
[ -f /lib/memonline-test/deb.env ] && . /lib/memonline-test/deb.env
# file_sha256 FILE SUM: FILE's content hashes to SUM.
file_sha256() { [ "$(sha256sum <"$1" | cut -d' ' -f1)" = "$2" ]; }
# deb_exe PID: the running process PID is the packaged binary, by path and hash.
deb_exe() {
	[ "$(readlink /proc/$1/exe)" = "$deb_bin" ] && file_sha256 /proc/$1/exe "$deb_bin_sha256"
}

# A domU of run-xen-domu asks its dom0 (guest/xen-dom0-xl.sh) through the
# console: "@@DOM0 N COMMAND", answered on our console's input with "ack N RC".
# dom0 COMMAND...: "xl ARGS" runs xl, "list-mem MAX MIN" checks xl list's
# figure for g1 in dom0, "over-allocation yes|no" whether Xen's log (then
# cleared) has the word of a domain at its limit; $rc is the answer, 124
# when none came in 60 s.
dom0_seq=0
dom0() {
	dom0_seq=$((dom0_seq + 1))
	echo "@@DOM0 $dom0_seq $*"
	rc=124
	while read -r -t 60 _ack _n _rc; do
		if [ "$_ack" = ack ] && [ "$_n" = $dom0_seq ]; then
			rc=$_rc
			return 0
		fi
	done
	fail "dom0 answers '$*' within 60 s"
}
reached() { [ "$(cat $XB/info/current_kb)" = "$(cat $XB/target_kb)" ]; }
target_moved() { [ "$(cat $XB/target_kb)" != "$1" ]; }
# xl_grow MIB NAME: xl mem-set MIB from dom0, then wait until the balloon
# reached it and every new block is online: the memory is usable. Times it as
# NAME, from the request (dom0's relay and xl itself included).
xl_grow() {
	_before=$(cat $XB/target_kb)
	stopwatch_start
	dom0 xl mem-set g1 $1
	check "dom0: xl mem-set g1 $1 exits 0 (got $rc)" [ "$rc" = 0 ]
	check "target_kb moves from $_before" wait_until 30 target_moved $_before
	check "current_kb reaches target_kb $(cat $XB/target_kb)" wait_until 120 reached
	check "every new block online" eval '! states $(new_blocks) | grep -qvx online'
	stopwatch $2
	dom0 list-mem $1 $(($1 - 1))
}
# Our domain's balloon, for the host's diagnostics.
balloon_show() {
	for _f in target_kb info/current_kb info/low_kb info/high_kb retry_count \
		schedule_delay; do
		echo "@@MO:OUT balloon $_f: $(cat $XB/$_f 2>&1)"
	done
}
