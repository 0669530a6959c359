#!/usr/bin/env bats
# The command line: help, version, unknown commands and options.

load helpers

@test "--version prints the version" {
	run -0 "$MEMONLINE" --version
	assert_output --regexp '^memonline [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "--help lists every command" {
	run -0 "$MEMONLINE" --help
	for c in status list online offline; do
		assert_line --regexp "^ $c "
	done
}

@test "each command has its own --help" {
	for c in status list online offline; do
		run -0 "$MEMONLINE" "$c" --help
		assert_line --index 1 --partial "memonline $c"
	done
}

@test "no command, an unknown command, an unknown option: exit 2" {
	run -2 "$MEMONLINE"
	assert_output --partial "no command given"
	run -2 "$MEMONLINE" frobnicate
	assert_output --partial "unknown command 'frobnicate'"
	run -2 "$MEMONLINE" status --frobnicate
	assert_output --partial "unrecognized option '--frobnicate'"
}

@test "global options work before and after the command" {
	mkroot 0-1:online
	run -0 "$MEMONLINE" status --sysroot "$ROOT"
	assert_line "Blocks:              2 (2 online, 0 offline)"
	run -0 "$MEMONLINE" --sysroot "$ROOT" status
	assert_line "Blocks:              2 (2 online, 0 offline)"
}

@test "an unreadable config is named, exit 2" {
	mkroot 0:online
	mkdir "$BATS_TEST_TMPDIR/dir.conf"
	run -2 "$MEMONLINE" --sysroot "$ROOT" --config "$BATS_TEST_TMPDIR/dir.conf" status
	assert_output --partial "$BATS_TEST_TMPDIR/dir.conf"
}

@test "an empty --sysroot or MEMONLINE_SYSROOT is an error, never the live system" {
	mkroot 0:offline
	run -2 "$MEMONLINE" --sysroot '' online --all --dry-run
	assert_output "memonline: --sysroot is empty; leave it out to use the live system"
	run -2 "$MEMONLINE" --sysroot= status
	assert_output --partial "--sysroot is empty"
	run -2 "$MEMONLINE" status --sysroot ''
	assert_output --partial "--sysroot is empty"
	MEMONLINE_SYSROOT= run -2 "$MEMONLINE" offline --dry-run 128M
	assert_output "memonline: MEMONLINE_SYSROOT is empty; leave it out to use the live system"
}

@test "a config named with -c or MEMONLINE_CONFIG must exist" {
	mkroot 0:offline
	run -2 "$MEMONLINE" --sysroot "$ROOT" -c "$BATS_TEST_TMPDIR/test.conf" online --all --dry-run
	assert_output "memonline: $BATS_TEST_TMPDIR/test.conf: cannot read: No such file or directory"
	MEMONLINE_CONFIG=$BATS_TEST_TMPDIR/test.conf run -2 "$MEMONLINE" --sysroot "$ROOT" status
	assert_output --partial "$BATS_TEST_TMPDIR/test.conf: cannot read"
}

@test "every error has the one prefix memonline:, whatever the path it ran from" {
	local c
	for c in "" status list online offline doctor map target watch; do
		run -2 --separate-stderr "$MEMONLINE" $c --frobnicate
		assert_equal "${stderr_lines[0]}" "memonline: unrecognized option '--frobnicate'"
	done
	run -2 --separate-stderr "$MEMONLINE" list -o NOPE
	assert_regex "$stderr" "^memonline: "
}

@test "memonline -h COMMAND is the help of that command" {
	run -0 "$MEMONLINE" -h status
	assert_line --index 1 --partial "memonline status"
	run -0 "$MEMONLINE" --help offline
	assert_line --index 1 --partial "memonline offline"
}

@test "a bare number is a block, not MiB as in chmem, and the help says so" {
	mkroot 0-7:online 8-1024:online:Movable
	run -0 mo offline 1024
	assert_equal "$(writes)" "memory1024 offline"
	for c in online offline; do
		run -0 "$MEMONLINE" $c --help
		assert_line "A bare N is block memoryN, not N MiB as in chmem: a size has a unit."
	done
}
