#!/usr/bin/env bats
# memonline watch: coldplug, then each add event, on fixture trees; events
# are replayed through a FIFO (--replay), so every test scripts its own.

load helpers

# watch_start [OPTIONS]: the daemon on the fixture, reading events that fd 7
# writes; returns once the blocks present at start are handled.
watch_start() {
	EVENTS=$BATS_TEST_TMPDIR/events
	WLOG=$BATS_TEST_TMPDIR/watch.log
	rm -f "$EVENTS"
	mkfifo "$EVENTS"
	# Read-write: opening never blocks, even if the daemon dies first.
	exec 7<>"$EVENTS"
	LD_PRELOAD=$FAKESYS "$MEMONLINE" --sysroot "$ROOT" --config "$CONF" watch \
		--replay "$EVENTS" "$@" 2>"$WLOG" 3>&- 7>&- &
	WATCH_PID=$!
	wait_log "watching for hot-added memory"
}

# event ACTION N...: uevents for memoryN, as the kernel sends them.
event() {
	local action=$1 n
	shift
	for n; do
		echo "$action /devices/system/memory/memory$n" >&7
	done
}

# watch_end: no more events; the daemon finishes what is pending and exits
# (within 30 s: a daemon that never ends fails the test, not the suite).
watch_end() {
	local i
	exec 7>&-
	for ((i = 0; i < 1500; i++)); do
		kill -0 "$WATCH_PID" 2>/dev/null || break
		sleep 0.02
	done
	if kill -0 "$WATCH_PID" 2>/dev/null; then
		kill -KILL "$WATCH_PID"
		echo "memonline watch did not exit after its events ended; its log:"
		cat "$WLOG"
		return 1
	fi
	WATCH_RC=0
	wait "$WATCH_PID" || WATCH_RC=$?
	WATCH_PID=
}

# wait_log PATTERN [COUNT]: until COUNT lines of the daemon's log match (30 s at
# most, as watch_end: an ASan daemon on loaded cores starts slowly).
wait_log() {
	local i
	for ((i = 0; i < 1500; i++)); do
		[ "$(grep -c -- "$1" "$WLOG")" -ge "${2:-1}" ] && return 0
		kill -0 "$WATCH_PID" 2>/dev/null || break
		sleep 0.02
	done
	grep -q -- "$1" "$WLOG" && return 0
	echo "no '$1' in the log of memonline watch:"
	cat "$WLOG"
	return 1
}

# add_blocks FIRST[-LAST] [STATE [ZONES]]: hot-add blocks on node 0 to the
# running fixture, as the kernel would before its add events.
add_blocks() {
	local first=${1%-*} last=${1#*-} state=${2:-offline} n d
	for ((n = first; n <= last; n++)); do
		d=$MEM/memory$n
		mkdir "$d"
		echo "$state" >"$d/state"
		echo "${3:-Normal Movable}" >"$d/valid_zones"
		ln -s ../../node/node0 "$d/node0"
		ln -s ../../memory/memory$n "$ROOT/sys/devices/system/node/node0/memory$n"
	done
}

teardown() {
	if [ -n "${WATCH_PID:-}" ]; then
		kill "$WATCH_PID" 2>/dev/null || true
		wait "$WATCH_PID" 2>/dev/null || true
	fi
	exec 7>&- || true
}

@test "coldplug onlines every offline block found at start, lowest first, one line each" {
	mkroot 0-7:online 8-10:offline 12:online 13:offline
	echo "zone movable" >"$CONF"
	run -0 --separate-stderr mo watch --replay /dev/null
	assert_equal "$(writes)" $'memory8 online_movable\nmemory9 online_movable
memory10 online_movable\nmemory13 online_movable'
	for n in 8 9 10 13; do
		[[ "$stderr" =~ (^|$'\n')"memonline: memory$n: online Movable in "[0-9]+\.[0-9]" ms"($'\n'|$) ]]
	done
	assert_equal "$(grep -c ': online ' <<<"$stderr")" 4
	assert_equal "$output" ""
}

@test "each add event is onlined; a block seen by the scan and its event is onlined once" {
	mkroot 0-7:online 8:offline
	echo "zone kernel" >"$CONF"
	watch_start
	add_blocks 16-17
	event add 8 16 17
	watch_end
	assert_equal "$WATCH_RC" 0
	assert_equal "$(writes)" $'memory8 online_kernel\nmemory16 online_kernel
memory17 online_kernel'
	assert_equal "$(block_zones 17)" Normal
}

@test "events from a regular file: read whole, then the daemon exits" {
	mkroot 0-3:online 4:offline
	printf 'add /devices/system/memory/memory4\nadd /devices/system/memory/memory0\n' \
		>"$BATS_TEST_TMPDIR/events.txt"
	run -0 mo watch --replay "$BATS_TEST_TMPDIR/events.txt"
	assert_equal "$(writes)" "memory4 online_movable"
}

@test "an add storm of 10,000 blocks: each onlined exactly once" {
	mkroot 0-15:online
	echo "zone movable" >"$CONF"
	watch_start
	# Only what the daemon reads: state, valid_zones, and the node link the
	# kernel makes before a block may be touched.
	python3 - "$MEM" <<-'EOF'
	import os, sys
	for n in range(64, 10064):
	    d = f"{sys.argv[1]}/memory{n}"
	    os.mkdir(d)
	    for name, value in (("state", "offline\n"), ("valid_zones", "Normal Movable\n")):
	        with open(f"{d}/{name}", "w") as f:
	            f.write(value)
	    os.symlink("../../node/node0", f"{d}/node0")
	EOF
	local t0=$EPOCHREALTIME
	seq -f 'add /devices/system/memory/memory%g' 64 10063 >&7
	watch_end
	local ms=$(((${EPOCHREALTIME/./} - ${t0/./}) / 1000))
	echo "# 10,000 add events handled in $ms ms" >&3
	assert_equal "$WATCH_RC" 0
	assert_equal "$(wc -l <"$FAKESYS_LOG")" 10000
	assert_equal "$(sort -u "$FAKESYS_LOG" | wc -l)" 10000
	assert_equal "$(grep -vc ' online_movable$' "$FAKESYS_LOG")" 0
	assert_equal "$(sed 's/^memory\([0-9]*\) .*/\1/' "$FAKESYS_LOG" | sort -n | sed -n '1p;$p')" \
		$'64\n10063'
	assert_equal "$(grep -c ': online Movable in ' "$WLOG")" 10000
}

@test "ENOBUFS: a rescan onlines the blocks whose events were lost, not those offlined on purpose" {
	mkroot 0-7:online 8-9:offline
	echo "zone movable" >"$CONF"
	watch_start
	run -0 mo offline memory9
	add_blocks 16-17
	echo ENOBUFS >&7
	watch_end
	assert_equal "$(writes)" $'memory8 online_movable\nmemory9 online_movable
memory9 offline\nmemory16 online_movable\nmemory17 online_movable'
	assert_equal "$(block_state 9)" offline
	run grep -c "events were lost (receive buffer overflow): rescanning" "$WLOG"
	assert_output 1
}

@test "a state event for a block never seen added means lost events: rescan" {
	mkroot 0-7:online
	watch_start
	add_blocks 20
	event offline 20
	watch_end
	assert_equal "$(writes)" "memory20 online_movable"
	run -0 grep -c "an offline event for memory20, never seen added: rescanning" "$WLOG"
	assert_output 1
}

@test "SIGHUP with a bad configuration keeps the old one and says FILE:LINE why" {
	mkroot 0-7:online
	echo "zone kernel" >"$CONF"
	watch_start
	printf 'zone movable\nzone sideways\n' >"$CONF"
	kill -HUP "$WATCH_PID"
	wait_log "keeping the previous configuration"
	add_blocks 16
	event add 16
	watch_end
	assert_equal "$WATCH_RC" 0
	run -0 grep "keeping the previous configuration" "$WLOG"
	assert_output "memonline: $CONF:2: zone: 'sideways' is not one of auto, movable, kernel, default, skip; keeping the previous configuration"
	assert_equal "$(writes)" "memory16 online_kernel"
}

@test "SIGHUP with a good configuration applies it to the next blocks" {
	mkroot 0-7:online
	echo "zone kernel" >"$CONF"
	watch_start
	echo "zone movable" >"$CONF"
	kill -HUP "$WATCH_PID"
	wait_log "configuration reloaded from $CONF"
	add_blocks 16
	event add 16
	watch_end
	assert_equal "$(writes)" "memory16 online_movable"
}

@test "SIGTERM and SIGINT exit 0; the marker the udev rule tests exists only meanwhile" {
	mkroot 0-3:online
	for sig in TERM INT; do
		watch_start
		assert_file_exists "$ROOT/run/memonline/watch"
		assert_equal "$(cat "$ROOT/run/memonline/watch")" "$WATCH_PID"
		kill -"$sig" "$WATCH_PID"
		watch_end
		assert_equal "$WATCH_RC" 0
		assert_file_not_exists "$ROOT/run/memonline/watch"
	done
}

@test "a second daemon refuses to start while one runs" {
	mkroot 0-3:online
	watch_start
	run -1 mo watch --replay /dev/null
	assert_output "memonline: memonline watch already runs (pid $WATCH_PID, $ROOT/run/memonline/watch)"
	watch_end
}

@test "already online by another agent just before our write: not an error" {
	mkroot 0-7:online
	watch_start -v
	add_blocks 16
	fault 16 race
	event add 16
	watch_end
	assert_equal "$(writes)" ""
	assert_equal "$(block_state 16)" online
	run -0 grep "memory16" "$WLOG"
	assert_output --partial "memory16: onlined meanwhile by another agent, Normal"
	refute_output --partial "failed"
}

@test "a block removed before it is handled: quietly forgotten, the others go on" {
	mkroot 0-7:online
	watch_start -v
	add_blocks 16-18
	fault 16 vanish
	rm -r "$MEM/memory17"
	event add 16 17 18
	watch_end
	assert_equal "$WATCH_RC" 0
	assert_equal "$(writes)" "memory18 online_movable"
	assert_file_not_exists "$MEM/memory16"
	run -0 grep -E "memory1[67]" "$WLOG"
	assert_line "memonline: memory16: removed before it was onlined"
	assert_line "memonline: memory17: removed before it was handled"
	refute_output --partial "failed"
}

@test "while the kernel auto-onlines, the daemon steps aside and says so once" {
	mkroot --auto-online online 0-7:online 8:offline
	watch_start -v
	add_blocks 16-17
	event add 16
	wait_log "memory16: left to the kernel"
	event add 17
	wait_log "memory17: left to the kernel"
	echo offline >"$MEM/auto_online_blocks"
	add_blocks 18
	event add 18
	watch_end
	assert_equal "$(writes)" "memory18 online_movable"
	run -0 grep -c "the kernel onlines new memory itself (auto_online_blocks=online): stepping aside" "$WLOG"
	assert_output 1
	run -0 grep -c "auto_online_blocks=offline: onlining new memory again" "$WLOG"
	assert_output 1
}

@test "auto-online correct: a block the kernel put in the wrong zone is moved, once" {
	mkroot --auto-online online 0-7:online 16:online:Normal 17:online:Movable \
		18:online:none 19:online:Normal
	printf 'auto-online correct\nzone movable\n' >"$CONF"
	watch_start
	fault 19 EBUSY
	event add 16 17 18 19
	event add 16 # udevadm trigger: replayed, not moved again
	watch_end
	assert_equal "$(writes)" $'memory16 offline\nmemory16 online_movable'
	assert_equal "$(block_zones 16)" Movable
	assert_equal "$(block_zones 19)" Normal
	assert_equal "$(block_state 19)" online
	run -0 grep -E "memory1[6-9]" "$WLOG"
	assert_line --regexp "^memonline: memory16: moved from Normal to Movable in [0-9.]+ ms$"
	assert_line "memonline: memory19: the kernel put it in Normal, the policy wants Movable; left there: offlining it failed: Device or resource busy"
	assert_equal "${#lines[@]}" 2
}

@test "auto-online correct judges a block as the hypervisor's: Xen's moved, Hyper-V's never" {
	mkroot --auto-online online_movable 0-7:online 16:online:Movable
	printf 'auto-online correct\n' >"$CONF"
	mkdir -p "$ROOT/sys/hypervisor" && echo xen >"$ROOT/sys/hypervisor/type"
	watch_start
	event add 16
	watch_end
	# Built-in rule: the Xen balloon never unplugs by offlining, so kernel.
	assert_equal "$(writes)" $'memory16 offline\nmemory16 online_kernel'
	assert_equal "$(block_zones 16)" Normal

	rm -r "$ROOT"
	mkroot --auto-online online 0-7:online 16:online:Normal
	printf 'auto-online correct\nrule source=hyperv zone=movable\n' >"$CONF"
	mkdir -p "$ROOT/sys/bus/vmbus"
	watch_start
	event add 16
	watch_end
	# Hyper-V's blocks have holes: offlining them cannot work, whatever the rule.
	assert_equal "$(writes)" ""
	assert_equal "$(block_zones 16)" Normal
}

@test "a transient failure is retried with backoff: EBUSY twice, then onlined" {
	mkroot 0-7:online
	watch_start
	add_blocks 16
	fault 16 "EBUSY 2"
	event add 16
	watch_end
	assert_equal "$(writes)" "memory16 online_movable"
	run -0 grep memory16 "$WLOG"
	assert_output --regexp "^memonline: memory16: online Movable in [0-9.]+ ms, at try 3$"
}

@test "a block that keeps failing is reported once with its errno, never in a loop" {
	mkroot 0-7:online
	watch_start
	add_blocks 16-17
	fault 16 EBUSY
	fault 17 EPERM
	event add 16 17
	wait_log "memory16: online_movable failed"
	event add 16 17 # udevadm trigger: no second attempt, no second report
	watch_end
	assert_equal "$(writes)" ""
	run -0 grep -E "memory1[67]" "$WLOG"
	assert_line --regexp "^memonline: memory16: online_movable failed: Device or resource busy \(.*\); gave up after 6 tries in [0-9]+ ms$"
	assert_line --regexp "^memonline: memory17: online_movable failed: Operation not permitted \(refused by the driver .*\)$"
	assert_equal "${#lines[@]}" 2
}

@test "a retry pending when the kernel starts auto-onlining is dropped, not looped" {
	mkroot 0-7:online
	watch_start -v
	add_blocks 16
	fault 16 EBUSY
	event add 16
	wait_log "memory16: online_movable: Device or resource busy; retry 1 of 5"
	echo online >"$MEM/auto_online_blocks"
	wait_log "memory16: left to the kernel" # the first retry, after 100 ms
	watch_end
	assert_equal "$WATCH_RC" 0
	run -0 grep memory16 "$WLOG"
	assert_line "memonline: memory16: left to the kernel"
	refute_output --partial "failed"
}

@test "online --udev leaves the block to a running daemon, then onlines it" {
	mkroot 0-7:online
	watch_start
	add_blocks 16
	run -0 mo online --udev memory16
	assert_output ""
	assert_equal "$(writes)" ""
	watch_end
	run -0 mo online --udev memory16
	assert_output "memory16: online Movable"
}

@test "online --udev ignores a marker that no daemon holds (one that died)" {
	mkroot 0-7:online 16:offline
	mkdir -p "$ROOT/run/memonline"
	echo 12345 >"$ROOT/run/memonline/watch"
	run -0 mo online --udev memory16
	assert_output "memory16: online Movable"
}

@test "online --udev leaves new blocks to the kernel while it auto-onlines" {
	mkroot --auto-online online_movable 0-7:online 16:offline
	run -0 mo online --udev memory16
	assert_output ""
	assert_equal "$(writes)" ""
	run -0 mo online --udev -v memory16
	assert_output --partial "auto_online_blocks=online_movable"
}

@test "an added block is left alone until the kernel links it to its node" {
	mkroot 0-7:online::0
	echo "zone kernel" >"$CONF"
	watch_start
	"$TOP/scripts/mkfixture" "$ROOT" 8:offline::-
	rm "$MEM/memory8/valid_zones" && mkdir "$MEM/memory8/valid_zones"
	event add 8
	sleep 0.2
	assert_equal "$(writes)" ""
	rmdir "$MEM/memory8/valid_zones" && echo "Normal Movable" >"$MEM/memory8/valid_zones"
	ln -s ../../node/node0 "$MEM/memory8/node0"
	wait_log "memory8: online Normal"
	watch_end
	assert_equal "$(writes)" "memory8 online_kernel"
	run cat "$WLOG"
	refute_output --partial "Is a directory"
}
