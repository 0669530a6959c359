#!/usr/bin/env bats
# memonline offline: highest first, bounded in time, EBUSY explained.

load helpers

@test "offline works from the highest block down" {
	mkroot 0-7:online 8-11:online:Movable
	run -0 mo offline 8-11
	assert_equal "$(writes)" "$(printf 'memory%s offline\n' 11 10 9 8)"
	assert_equal "$(block_state 8)" offline
	assert_equal "$(block_zones 8)" "Movable Normal"
}

@test "offline SIZE takes the highest online blocks" {
	mkroot 0-7:online 8-11:online:Movable
	run -0 mo offline 256M
	assert_equal "$(writes)" $'memory11 offline\nmemory10 offline'
}

@test "EBUSY is explained: unmovable pages, typical of kernel zones" {
	mkroot 0-7:online 8-9:online:Movable
	fault 7 EBUSY
	run -64 mo offline 7-9
	assert_line "memory9: offline"
	assert_line "memory8: offline"
	assert_line "memory7: failed: Device or resource busy (unmovable pages in the block, typical of kernel zones; only ZONE_MOVABLE memory can be offlined reliably)"
}

@test "an offline that hangs is bounded by --timeout" {
	mkroot 0-7:online 8-9:online:Movable
	fault 9 hang
	SECONDS=0
	run -1 mo offline 8-9 --timeout 1
	assert [ "$SECONDS" -le 5 ]
	assert_line "memory9: failed: Interrupted system call (timed out: the kernel was still migrating pages away)"
	assert_line "memory8: failed (not tried: --timeout reached)"
}

@test "already offline is not a failure" {
	mkroot 0-7:online 8:offline
	run -0 mo offline 8
	assert_output "memory8: already offline"
	assert_equal "$(writes)" ""
}

@test "offline needs a target and a sane timeout" {
	mkroot 0:online
	run -2 mo offline
	assert_output --partial "give blocks, a range or a size"
	run -2 mo offline 0 --timeout 0
	assert_output --partial "--timeout: '0' is not a time from 1 s to 24 h"
	run -2 mo offline 0 --timeout soon
}

@test "offline SIZE keeps going past blocks that refuse, and names them" {
	mkroot 0-7:online 8-15:online:Movable
	fault 15 EBUSY
	fault 14 EBUSY
	run -0 mo offline 512M
	assert_line --partial "memory15: refused: Device or resource busy"
	assert_line --partial "memory14: refused: Device or resource busy"
	assert_equal "$(writes | grep -v '^memory1[45]')" "$(printf 'memory%s offline\n' 13 12 11 10)"
}

@test "offline SIZE short of blocks does what it can and exits 64" {
	mkroot 0-7:online 8-9:online:Movable
	run -64 mo offline --zone movable 512M
	assert_line "memonline: 512M: only 256M of 512M: no more online blocks to take"
	assert_equal "$(writes)" $'memory9 offline\nmemory8 offline'
}

@test "offline --zone movable takes only ZONE_MOVABLE blocks, as chmem -d -z Movable" {
	mkroot 0-7:online:Normal 8-9:online:Movable 10-11:online:Normal
	run -0 mo offline --zone Movable 256M
	assert_equal "$(writes)" $'memory9 offline\nmemory8 offline'
	run -0 mo offline --zone movable 10
	assert_line "memory10: skipped (not in ZONE_MOVABLE (--zone movable))"
	run -2 mo offline --zone default 256M
}

@test "--timeout takes a unit, as target --wait does" {
	mkroot 0-7:online 8-9:online:Movable
	run -0 mo offline --timeout 10s 9
	run -0 mo offline --timeout=2m 8
	assert_equal "$(writes)" $'memory9 offline\nmemory8 offline'
}

@test "EINVAL on a going-offline block is explained as that, not as holes" {
	mkroot 0-7:online 8:going-offline:Movable
	fault 8 EINVAL
	run -1 mo offline 8
	assert_output "memory8: failed: Invalid argument (it is going offline already: another offline of it is under way)"
}
