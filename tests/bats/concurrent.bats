#!/usr/bin/env bats
# Two onliners at once on the same offline blocks: each block is onlined
# exactly once, into the policy's zone, and neither reports an error.
# fakesys serialises writes to one block as the kernel's hotplug lock does,
# and each change takes 1 ms there, so the two runs overlap however slowly
# the second one starts (an ASan build starts in about 100 ms).

load helpers

setup() {
	export FAKESYS_CHANGE_US=1000
}

# count PATTERN FILE...: lines of those runs' output that match.
count() {
	cat "${@:2}" | grep -c "$1" || true
}


@test "two online --all at once on 1,000 blocks: each block onlined once, no error" {
	mkroot 0-999:online 1000-1999:offline
	echo "zone movable" >"$CONF"
	mo online --all >"$BATS_TEST_TMPDIR/a.out" 2>&1 &
	local a=$!
	mo online --all >"$BATS_TEST_TMPDIR/b.out" 2>&1 &
	local b=$!
	local rc_a=0 rc_b=0
	wait "$a" || rc_a=$?
	wait "$b" || rc_b=$?
	assert_equal "$rc_a $rc_b" "0 0"
	assert_equal "$(wc -l <"$FAKESYS_LOG")" 1000
	assert_equal "$(sort -u "$FAKESYS_LOG" | wc -l)" 1000
	assert_equal "$(grep -vc ' online_movable$' "$FAKESYS_LOG")" 0
	# Between them, every block once as done; the rest say "already".
	assert_equal "$(count ': online Movable$' "$BATS_TEST_TMPDIR"/[ab].out)" 1000
	# They did overlap: both found some block offline and wrote it, and the
	# later write lost (a second run that came after would say "nothing").
	assert [ "$(count ': already online Movable$' "$BATS_TEST_TMPDIR"/[ab].out)" -gt 0 ]
	assert_equal "$(cat "$BATS_TEST_TMPDIR"/[ab].out | grep -vc -e ': online Movable$' \
		-e ': already online Movable$')" 0
}

@test "the daemon and the udev rule's command at once: each block once, no error" {
	mkroot 0-999:online 1000-1999:offline
	echo "zone movable" >"$CONF"
	# --udev steps aside for a running daemon, so this races the daemon's
	# coldplug with a plain online --all, as a rule without the guard would.
	LD_PRELOAD=$FAKESYS "$MEMONLINE" --sysroot "$ROOT" --config "$CONF" watch \
		--replay /dev/null 2>"$BATS_TEST_TMPDIR/watch.log" &
	local w=$!
	mo online --all >"$BATS_TEST_TMPDIR/b.out" 2>&1
	local rc_w=0
	wait "$w" || rc_w=$?
	assert_equal "$rc_w" 0
	assert_equal "$(sort -u "$FAKESYS_LOG" | wc -l)" 1000
	assert_equal "$(wc -l <"$FAKESYS_LOG")" 1000
	# They did overlap: the command found blocks offline that the daemon's
	# coldplug had not reached yet.
	assert [ "$(count 'online Movable$' "$BATS_TEST_TMPDIR/b.out")" -gt 0 ]
	run grep -ci -e error -e failed "$BATS_TEST_TMPDIR/watch.log" "$BATS_TEST_TMPDIR/b.out"
	assert_output "$BATS_TEST_TMPDIR/watch.log:0
$BATS_TEST_TMPDIR/b.out:0"
}
