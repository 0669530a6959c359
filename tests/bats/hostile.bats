#!/usr/bin/env bats
# A sysroot is data and may lie: nothing read or written leaves the tree.

load helpers

setup() {
	OUTSIDE=$BATS_TEST_TMPDIR/outside
	mkdir -p "$OUTSIDE"
	echo offline >"$OUTSIDE/state"
}

@test "a state symlink escaping the tree is neither read nor written" {
	mkroot 0-7:online 8-9:offline
	ln -sf "$OUTSIDE/state" "$MEM/memory8/state"
	run -64 mo online --all
	assert_line --partial "memory8/state: Invalid cross-device link, ignoring block"
	assert_line "memory8: failed: Invalid cross-device link (its state could not be read)"
	assert_line "memory9: online Movable"
	assert_equal "$(cat "$OUTSIDE/state")" offline
	assert_equal "$(writes)" "memory9 online_movable"
}

@test "a block directory that is a symlink out of the tree is neither read nor written" {
	mkroot 0-7:online 8-9:offline
	mv "$MEM/memory8" "$OUTSIDE/memory8"
	ln -s "$OUTSIDE/memory8" "$MEM/memory8"
	run -64 mo online --all
	assert_line "memory8: failed: Invalid cross-device link (its state could not be read)"
	assert_line "memory9: online Movable"
	assert_equal "$(cat "$OUTSIDE/memory8/state")" offline
	assert_equal "$(writes)" "memory9 online_movable"
}

@test "a relative symlink climbing out of the tree is refused too" {
	mkroot 0-7:online 8:offline
	rm "$MEM/memory8/state"
	ln -s ../../../../../../outside/state "$MEM/memory8/state"
	run -1 mo online 8
	assert_equal "$(cat "$OUTSIDE/state")" offline
	assert_equal "$(writes)" ""
}

@test "a memory directory that is a symlink out of the tree is refused" {
	mkroot 0-1:online
	mv "$MEM" "$OUTSIDE/memory"
	ln -s "$OUTSIDE/memory" "$MEM"
	run -1 mo status
	assert_output --partial "devices/system/memory: Invalid cross-device link"
}

@test "symlinks that stay inside the tree are followed (node links)" {
	mkroot 0-1:online:Normal:1
	run -0 mo list -r -n -o BLOCK,NODE
	assert_output "0-1 1"
}

@test "a block whose state changes under the scan is read as it is then" {
	mkroot 0-7:online 8-9:offline
	fault 8 race
	run -0 mo online 8-9
	assert_line "memory8: already online Normal"
	assert_line "memory9: online Movable"
}
