#!/usr/bin/env bats
# memonline watch under valgrind memcheck through a storm of add events:
# no invalid access, no uninitialised use, no leak.  Always the plain
# build: valgrind and ASan do not mix.

load helpers

@test "watch under memcheck: a 2,000-block storm with no error and no leak" {
	require_tool valgrind valgrind
	mkroot 0-15:online
	echo "zone movable" >"$CONF"
	local events=$BATS_TEST_TMPDIR/events vlog=$BATS_TEST_TMPDIR/valgrind.log
	local wlog=$BATS_TEST_TMPDIR/watch.log
	mkfifo "$events"
	exec 7<>"$events"
	# valgrind hands LD_PRELOAD on to the program it runs.
	# Every wait is bounded: a watch that dies leaves the FIFO unread, and
	# a writer to a full FIFO would block for ever.
	LD_PRELOAD=$FAKESYS timeout -k 10 600 valgrind --error-exitcode=99 --leak-check=full \
		--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
		--log-file="$vlog" "$TOP/memonline" --sysroot "$ROOT" --config "$CONF" \
		watch --replay "$events" 2>"$wlog" 3>&- 7>&- &
	local pid=$! i
	for ((i = 0; i < 1500; i++)); do
		grep -q "watching for hot-added memory" "$wlog" && break
		sleep 0.02
	done
	grep -q "watching for hot-added memory" "$wlog" ||
		{ kill "$pid" 2>/dev/null || :; fail "watch did not start: $(cat "$wlog")"; }
	"$TOP/scripts/mkfixture" "$ROOT" 16-2015:offline
	timeout 600 seq -f 'add /devices/system/memory/memory%g' 16 2015 >&7 ||
		{ kill "$pid" 2>/dev/null || :; fail "watch stopped reading its events: $(cat "$wlog")"; }
	exec 7>&-
	local rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 0
	assert_equal "$(sort -u "$FAKESYS_LOG" | wc -l)" 2000
	run -0 grep -E "ERROR SUMMARY|definitely lost|indirectly lost" "$vlog"
	assert_line --partial "ERROR SUMMARY: 0 errors"
	refute_output --regexp "(definitely|indirectly) lost: [1-9]"
}
