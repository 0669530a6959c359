# memonline watch --events udev (libudev's monitor on udev's netlink group)
# under messages forged in udevd's own wire format by uevent-send, with
# fields missing or bogus. libudev refuses some (memonline then says so and
# rescans), hands others on (memonline ignores what is not a block's event).
# The daemon must not crash or exit, must write nothing, and must still
# online a real DIMM afterwards.
cat >/etc/memonline.conf <<CONF
zone movable
CONF
start_udevd
# Without it libudev binds the udev monitor to no group at all.
check "/run/udev/control exists: the udev monitor joins group 2" [ -e /run/udev/control ]
# A witness with the same libudev: why it refused each message (--debug), and
# the kernel's own events, which any change of a block's state would bring.
udevadm --debug monitor --kernel --udev --property --subsystem-match=memory \
	>/tmp/udevadm.log 2>&1 &
udevadm_pid=$!
# -v: the add of a block that is not there gets a line, the sentinel below.
start_daemon memonline -v -c /etc/memonline.conf watch --events udev || exit 1
check "watch listens to udev's group" grep -q "(udev events, " /tmp/watch.log
boot_states=$(states $boot_blocks)

PARSE="memonline: udev monitor: an event libudev could not parse: rescanning"
NOBLOCK=DEVPATH=/devices/system/memory/memory99999
SENTINEL="memonline: memory99999: removed before it was handled"
seq=900000
# taken N: the sentinel's line is in the log N times, or the daemon is gone.
taken() {
	[ $(grep -cxF "$SENTINEL" /tmp/watch.log) -ge $1 ] || ! kill -0 $watch_pid 2>/dev/null
}
# forge NAME WANT PROPERTY...: send one message, then a well-formed add of the
# missing memory99999 as a sentinel: once its line is logged, the daemon has
# taken the message before it (one socket, in order). The lines between must
# be WANT exactly (empty: nothing said).
forge() {
	_name=$1 _want=$2
	shift 2
	_from=$(($(wc -l </tmp/watch.log) + 1))
	_need=$(($(grep -cxF "$SENTINEL" /tmp/watch.log) + 1))
	[ -n "$_want" ] && _need=$((_need + $(echo "$_want" | grep -cxF "$SENTINEL")))
	seq=$((seq + 1))
	check "$_name: uevent-send" uevent-send "$@"
	uevent-send ACTION=add $NOBLOCK SUBSYSTEM=memory SEQNUM=$seq
	wait_until 10 taken $_need
	if ! kill -0 $watch_pid 2>/dev/null || ! taken $_need; then
		fail "$_name: the daemon took it and the next event"
		show /tmp/watch.log /tmp/udevadm.log
		exit 1
	fi
	tail -n +$_from /tmp/watch.log | sed '$d' >/tmp/forge.log
	sed "s|^|@@MO:OUT [$_name] |" /tmp/forge.log
	check "$_name: the daemon says ${_want:-nothing}" \
		eval '[ "$(cat /tmp/forge.log)" = "$_want" ]'
	check "$_name: the daemon runs" kill -0 $watch_pid
}

forge "add without DEVPATH" "$PARSE" ACTION=add SUBSYSTEM=memory SEQNUM=$seq
forge "add without ACTION" "$PARSE" $NOBLOCK SUBSYSTEM=memory SEQNUM=$seq
forge "add without SEQNUM" "$PARSE" ACTION=add $NOBLOCK SUBSYSTEM=memory
forge "add without SUBSYSTEM" "$PARSE" ACTION=add $NOBLOCK SEQNUM=$seq
for d in /devices/system/memory/memory1x /devices/system/memory \
	/devices/system/memory/memory99/../../../../etc; do
	forge "add of DEVPATH=$d" "" ACTION=add DEVPATH=$d SUBSYSTEM=memory SEQNUM=$seq
done
forge "add of memory99999, which does not exist" "$SENTINEL" \
	ACTION=add $NOBLOCK SUBSYSTEM=memory SEQNUM=$seq
# libudev drops a message with under 32 bytes of properties before parsing.
forge "no properties at all" ""
# Empty strings are not KEY=VALUE either.
set --
for i in $(seq 32); do set -- "$@" ""; done
forge "32 empty properties" "$PARSE" "$@"
long=/devices/system/memory/memory$(head -c 3971 /dev/zero | tr '\0' 9)
forge "DEVPATH of ${#long} bytes" "" ACTION=add DEVPATH=$long SUBSYSTEM=memory SEQNUM=$seq
forge "ACTION=bogus" "$PARSE" ACTION=bogus $NOBLOCK SUBSYSTEM=memory SEQNUM=$seq
forge "SEQNUM out of range" "$PARSE" ACTION=add $NOBLOCK SUBSYSTEM=memory \
	SEQNUM=99999999999999999999999
forge "DEVUID out of range" "$PARSE" ACTION=add $NOBLOCK SUBSYSTEM=memory SEQNUM=$seq \
	DEVUID=4294967295
forge "a property without '='" "$PARSE" ACTION=add $NOBLOCK SUBSYSTEM=memory SEQNUM=$seq \
	GARBAGE
forge "a 9000-byte property" "$SENTINEL" ACTION=add $NOBLOCK SUBSYSTEM=memory SEQNUM=$seq \
	X=$(head -c 9000 /dev/zero | tr '\0' x)

# RECEIVE_ERRORS_MAX (8) errors in a row stop the daemon: malformed messages
# must not count as errors of the socket.
_from=$(($(wc -l </tmp/watch.log) + 1))
_need=$(($(grep -cxF "$SENTINEL" /tmp/watch.log) + 1))
for i in $(seq 10); do
	uevent-send ACTION=add SUBSYSTEM=memory SEQNUM=$((seq + i))
done
uevent-send ACTION=add $NOBLOCK SUBSYSTEM=memory SEQNUM=$((seq + 11))
wait_until 10 taken $_need
tail -n +$_from /tmp/watch.log | sed "s|^|@@MO:OUT [10 without DEVPATH] |"
if ! kill -0 $watch_pid 2>/dev/null; then
	fail "10 malformed in a row: the daemon runs"
	exit 1
fi
check "10 malformed in a row: said, no other line" eval \
	'tail -n +$_from /tmp/watch.log | sed "\$d" | grep -qxF "$PARSE" &&
	 [ -z "$(tail -n +$_from /tmp/watch.log | sed "\$d" | grep -vxF "$PARSE")" ]'

check "no block changed state (the boot blocks as before)" \
	eval '[ "$(states $boot_blocks)" = "$boot_states" ]'
check "no new block (memory99999 not there)" [ "$(count_new)" -eq 0 ]
check "nothing at /sys/etc (memory99/../../../../etc)" [ ! -e /sys/etc ]
check "the kernel sent no event: nothing was onlined or offlined" \
	eval '! grep -q "^KERNEL\[" /tmp/udevadm.log'

request dimm_add dimm1 $dimm_bytes
wait_until 60 all_new_online $dimm_blocks
added=$(new_blocks)
check "then all $dimm_blocks blocks of dimm1 online ($(new_range))" all_new_online $dimm_blocks
check "valid_zones Movable for every new block" only_zone Movable $added
check "the daemon still runs" kill -0 $watch_pid
kill $watch_pid
wait $watch_pid
rc=$?
check "SIGTERM: the daemon exits 0 (got $rc)" [ $rc -eq 0 ]
show /tmp/watch.log
check "watch logged a line for each block of dimm1" log_names_blocks /tmp/watch.log $added
check "watch logged no error" log_clean /tmp/watch.log
kill $udevadm_pid
grep -E '^(UDEV|KERNEL) |sd-device' /tmp/udevadm.log >/tmp/udevadm.short.log
show /tmp/udevadm.short.log
