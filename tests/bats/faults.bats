#!/usr/bin/env bats
# Every outcome the kernel can give a write to memoryN/state, and bad reads,
# under the command and under the daemon: each is reported with its errno,
# no block is lost (every offline block is onlined or reported), and
# nothing spins.

load helpers

ERRNOS="EINVAL EBUSY EPERM ENOMEM EHWPOISON EINTR ENOENT EROFS"
declare -A TEXT=(
	[EINVAL]="Invalid argument" [EBUSY]="Device or resource busy"
	[EPERM]="Operation not permitted" [ENOMEM]="Cannot allocate memory"
	[EHWPOISON]="Memory page has hardware error" [EINTR]="Interrupted system call"
	[ENOENT]="No such file or directory" [EROFS]="Read-only file system"
)

# Blocks 8, 9, ... each answer a write with the next errno of $ERRNOS.
fault_each_errno() {
	local n=8 e
	for e in $ERRNOS; do
		fault $n "$e"
		n=$((n + 1))
	done
}

@test "online: each write errno is reported per block, the others are onlined, exit 64" {
	mkroot 0-7:online 8-16:offline
	fault_each_errno
	local n e
	run -64 mo online --all
	n=8
	for e in $ERRNOS; do
		assert_line --partial "memory$n: failed: ${TEXT[$e]}"
		n=$((n + 1))
	done
	assert_line "memory16: online Movable"
	assert_equal "$(writes)" "memory16 online_movable"
}

@test "watch: each write errno is reported once; none is retried forever" {
	mkroot 0-7:online 8-16:offline
	fault_each_errno
	local n e
	SECONDS=0
	run -0 --separate-stderr mo -v watch --replay /dev/null
	# Transient errnos are retried for 3.1 s at most, then given up.
	assert [ "$SECONDS" -le 20 ]
	n=8
	for e in $ERRNOS; do
		# ENOENT: the block is gone, as it is when the kernel says so.
		if [ "$e" = ENOENT ]; then
			assert_equal "$(grep -c "memory$n: removed before it was onlined" \
				<<<"$stderr")" 1
		else
			assert_equal "$(grep -c "memory$n: .*failed: ${TEXT[$e]}" <<<"$stderr")" 1
		fi
		n=$((n + 1))
	done
	assert_equal "$(writes)" "memory16 online_movable"
}

@test "bad reads: empty, truncated and junk state files are named, the rest goes on" {
	mkroot 0-7:online 8-11:offline
	: >"$MEM/memory8/state"
	printf 'offl' >"$MEM/memory9/state"
	printf '\377\376' >"$MEM/memory10/state"
	run -64 mo online --all
	for n in 8 9 10; do
		assert_line "memonline: $MEM/memory$n/state: unexpected value, ignoring block"
		assert_line "memory$n: failed: Invalid argument (its state could not be read)"
	done
	assert_line "memory11: online Movable"
}

@test "an empty or junk valid_zones is named too" {
	mkroot 0-7:online 8-9:offline
	: >"$MEM/memory8/valid_zones"
	echo "Normal Sideways" >"$MEM/memory9/valid_zones"
	run -1 mo online --all
	assert_line "memonline: $MEM/memory8/valid_zones: unexpected value, ignoring block"
	assert_line "memonline: $MEM/memory9/valid_zones: unexpected value, ignoring block"
	assert_equal "$(writes)" ""
}
