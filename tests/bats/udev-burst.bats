#!/usr/bin/env bats
# online --udev as udevd runs it, once per added block and many at once: one
# process onlines the whole burst, the others leave at once, and no block
# is lost, even one whose process came while the holder was finishing.

load helpers

# burst_busy: the holder has emptied the queue and is changing memory8's
# state (fakesys has set its zone and sleeps FAKESYS_CHANGE_US before the
# state).  Read from files only: a probe that took the burst lock, even for
# the moment of a flock -n, could make the holder's own try fail, and the
# burst would be left without one.
burst_busy() {
	[ "$(block_zones 8)" = Movable ] && [ "$(block_state 8)" = offline ] &&
		[ ! -s "$ROOT/run/memonline/udev-queue" ]
}

@test "a process that finds the burst held queues its block and leaves; the next holder onlines it" {
	mkroot 0-7:online 8-9:offline
	mkdir -p "$ROOT/run/memonline"
	# Another holder, busy elsewhere: memory8's process must not wait for it.
	bash -c 'exec 9>"$1" && flock 9 && exec sleep 30' _ "$ROOT/run/memonline/udev-burst" &
	local holder=$!
	for _ in $(seq 100); do
		flock -n "$ROOT/run/memonline/udev-burst" true 2>/dev/null || break
		sleep 0.05
	done
	# Were it to wait for the lock, it would online memory8 in 30 s.
	run -0 mo online --udev memory8
	assert_output ""
	assert_equal "$(writes)" ""
	assert_equal "$(cat "$ROOT/run/memonline/udev-queue")" 8
	kill "$holder"
	wait "$holder" || true
	run -0 mo online --udev memory9
	assert_equal "$(writes)" $'memory8 online_movable\nmemory9 online_movable'
	assert_line "memory8: online Movable"
	assert_line "memory9: online Movable"
	assert_equal "$(stat -c %s "$ROOT/run/memonline/udev-queue")" 0
}

@test "a block queued while the holder is finishing its pass is onlined by it (no lost wakeup)" {
	mkroot 0-7:online 8:offline 9:offline
	# Each state change takes 10 s: memory9's process runs inside memory8's
	# pass even on loaded cores (3 s was missed once in a buildd build).
	export FAKESYS_CHANGE_US=10000000
	mo online --udev memory8 >"$BATS_TEST_TMPDIR/a.out" 2>&1 &
	local a=$!
	for _ in $(seq 500); do
		burst_busy && break
		sleep 0.02
	done
	run burst_busy
	assert_success
	run -0 mo online --udev memory9
	assert_output ""
	# It left at once, while the holder still works on memory8.
	kill -0 "$a"
	wait "$a"
	# The holder found memory9 queued after its pass and made another.
	assert_equal "$(writes)" $'memory8 online_movable\nmemory9 online_movable'
	assert_equal "$(cat "$BATS_TEST_TMPDIR/a.out")" $'memory8: online Movable\nmemory9: online Movable'
	assert_equal "$(block_state 9)" online
}

@test "200 processes at once, one per block: each block onlined once, by few of them" {
	mkroot 0-7:online 8-207:offline
	echo "zone movable" >"$CONF"
	export FAKESYS_CHANGE_US=2000
	local pids=() i rc=0
	for i in $(seq 8 207); do
		mo online --udev "memory$i" >"$BATS_TEST_TMPDIR/$i.out" 2>&1 &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i" || rc=$?
	done
	assert_equal "$rc" 0
	assert_equal "$(wc -l <"$FAKESYS_LOG")" 200
	assert_equal "$(sort -u "$FAKESYS_LOG" | wc -l)" 200
	assert_equal "$(grep -vc ' online_movable$' "$FAKESYS_LOG")" 0
	run bash -c "cat '$BATS_TEST_TMPDIR'/*.out | grep -v ': online Movable$'"
	assert_output ""
	# The others queued their block and left: most processes wrote nothing.
	local workers
	workers=$(grep -l . "$BATS_TEST_TMPDIR"/*.out | wc -l)
	assert [ "$workers" -lt 100 ]
	for i in $(seq 8 207); do
		[ "$(block_state "$i")" = online ] || fail "memory$i stayed $(block_state "$i")"
	done
}

@test "the burst's process asks the OOM killer to spare it" {
	mkroot 0-7:online 8:offline
	# memonline writes its own PID's file: make it for the PID exec keeps.
	LD_PRELOAD=$FAKESYS bash -c 'mkdir -p "$1/proc/$$" && : >"$1/proc/$$/oom_score_adj" &&
		exec "$2" --sysroot "$1" --config "$3" online --udev memory8' _ \
		"$ROOT" "$MEMONLINE" "$CONF" >"$BATS_TEST_TMPDIR/out" 2>&1
	assert_equal "$(cat "$BATS_TEST_TMPDIR/out")" "memory8: online Movable"
	assert_equal "$(cat "$ROOT"/proc/*/oom_score_adj | tr -d '\n')" -1000
}
