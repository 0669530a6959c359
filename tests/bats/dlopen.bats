#!/usr/bin/env bats
# libkmod, libmount, libudev and libsmartcols are loaded where they are used,
# not linked: what each process start (one per udev event) and the daemon no
# longer carry, and the commands without them.

load helpers

@test "the binary links libc alone" {
	run -0 readelf -d "$MEMONLINE"
	assert_line --regexp '\(NEEDED\).*\[libc\.so\.6\]'
	refute_line --regexp '\(NEEDED\).*\[lib(udev|smartcols|kmod|crypto|zstd|lzma|mount|blkid|selinux|pcre2)'
}

@test "a udev event's onliner that onlines its block loads no library" {
	mkroot 0-7:online 8:offline
	LD_DEBUG=files LD_DEBUG_OUTPUT=$BATS_TEST_TMPDIR/ld run -0 mo online --udev memory8
	assert_output "memory8: online Movable"
	run -0 cat "$BATS_TEST_TMPDIR"/ld.*
	assert_line --partial "file=libc.so.6"
	refute_line --regexp "file=lib(udev|smartcols|kmod|mount)"
}

@test "a udev event's onliner that queues its block for the burst's holder loads no library" {
	mkroot 0-7:online 8:offline
	mkdir -p "$ROOT/run/memonline"
	exec 8>"$ROOT/run/memonline/udev-burst"
	flock 8
	LD_DEBUG=files LD_DEBUG_OUTPUT=$BATS_TEST_TMPDIR/ld run -0 mo online --udev memory8
	exec 8>&-
	assert_output ""
	assert_equal "$(cat "$ROOT/run/memonline/udev-queue")" 8
	run -0 cat "$BATS_TEST_TMPDIR"/ld.*
	refute_line --regexp "file=lib(udev|smartcols|kmod|mount)"
}

@test "list and status load libsmartcols for their tables, status --json does not" {
	mkroot 0-7:online 8:offline
	for cmd in "list" "list --json" "status"; do
		rm -f "$BATS_TEST_TMPDIR"/ld.*
		# shellcheck disable=SC2086 # the words of the command
		LD_DEBUG=files LD_DEBUG_OUTPUT=$BATS_TEST_TMPDIR/ld run -0 mo $cmd
		run -0 cat "$BATS_TEST_TMPDIR"/ld.*
		assert_line --partial "file=libsmartcols.so.1"
	done
	rm -f "$BATS_TEST_TMPDIR"/ld.*
	LD_DEBUG=files LD_DEBUG_OUTPUT=$BATS_TEST_TMPDIR/ld run -0 mo status --json
	run -0 cat "$BATS_TEST_TMPDIR"/ld.*
	refute_line --partial "libsmartcols"
}

@test "without libsmartcols, list and status say so before any output, exit 1" {
	mkroot 0-7:online 8:offline
	export NOLIB=libsmartcols.so NOLIB_LOG=$BATS_TEST_TMPDIR/dlopen.log
	for cmd in "list" "list --json" "status"; do
		# shellcheck disable=SC2086 # the words of the command
		LD_PRELOAD="$FAKESYS:$NOLIB_SHIM" run -1 --separate-stderr "$MEMONLINE" \
			--sysroot "$ROOT" --config "$CONF" $cmd
		assert_output ""
		assert_equal "$stderr" "memonline: libsmartcols.so.1, which prints memonline's tables, cannot be loaded"
	done
	assert_equal "$(sort -u "$NOLIB_LOG")" "libsmartcols.so.1"
}

@test "without libsmartcols, what prints no table is as it was" {
	mkroot 0-7:online 8:offline
	run -0 mo status --json
	local json=$output
	run -0 mo list --summary=only
	local summary=$output
	export NOLIB=libsmartcols.so
	LD_PRELOAD="$FAKESYS:$NOLIB_SHIM" run -0 "$MEMONLINE" --sysroot "$ROOT" --config "$CONF" \
		status --json
	assert_output "$json"
	LD_PRELOAD="$FAKESYS:$NOLIB_SHIM" run -0 "$MEMONLINE" --sysroot "$ROOT" --config "$CONF" \
		list --summary=only
	assert_output "$summary"
	LD_PRELOAD="$FAKESYS:$NOLIB_SHIM" run -0 "$MEMONLINE" --sysroot "$ROOT" --config "$CONF" \
		online --all
	assert_output "memory8: online Movable"
}

# watch_nolib OPTIONS...: memonline watch on the fixture without libudev,
# listening to this machine's uevents (it writes only to the fixture); its
# log in $WLOG, its pid in $WATCH_PID.
watch_nolib() {
	WLOG=$BATS_TEST_TMPDIR/watch.log
	NOLIB=libudev.so NOLIB_LOG=$BATS_TEST_TMPDIR/dlopen.log LD_PRELOAD="$FAKESYS:$NOLIB_SHIM" \
		"$MEMONLINE" --sysroot "$ROOT" --config "$CONF" watch "$@" 2>"$WLOG" &
	WATCH_PID=$!
}

# watch_started: the log says it listens (30 s at most); it is then stopped.
watch_started() {
	for _ in $(seq 1500); do
		grep -q "watching for hot-added memory" "$WLOG" && break
		kill -0 "$WATCH_PID" 2>/dev/null || break
		sleep 0.02
	done
	kill "$WATCH_PID" 2>/dev/null || true
	wait "$WATCH_PID" || WATCH_RC=$?
	WATCH_PID=
}

teardown() {
	if [ -n "${WATCH_PID:-}" ]; then
		kill "$WATCH_PID" 2>/dev/null || true
		wait "$WATCH_PID" 2>/dev/null || true
	fi
}

@test "without libudev, watch listens to the kernel's uevents on a socket of its own" {
	mkroot 0-7:online
	# udevd seems to run: with libudev, auto would take udevd's events.
	mkdir -p "$ROOT/run/udev"
	: >"$ROOT/run/udev/control"
	watch_nolib
	WATCH_RC=0
	watch_started
	if grep -q "cannot listen to uevents: Permission denied" "$WLOG"; then
		skip "no uevent netlink socket here"
	fi
	assert_equal "$WATCH_RC" 0
	run -0 cat "$WLOG"
	assert_line "memonline: watching for hot-added memory (kernel events, 8 blocks known)"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/dlopen.log")" "libudev.so.1"
}

@test "without libudev, watch --events udev says why and how to do without, exit 1" {
	mkroot 0-7:online
	watch_nolib --events udev
	WATCH_RC=0
	wait "$WATCH_PID" || WATCH_RC=$?
	WATCH_PID=
	assert_equal "$WATCH_RC" 1
	run -0 cat "$WLOG"
	assert_output "memonline: udevd's events need libudev.so.1, which cannot be loaded; --events kernel does without"
}

# The tests below read this machine's /sys and /proc (never write): only on
# the running system are the libraries asked for.  A sysroot whose sys and
# proc are links to this machine's is read from the tree alone, by design.

# host_tree: a sysroot of links to this machine's /sys and /proc.
host_tree() {
	[ -d /sys/devices/system/memory ] || skip "this kernel has no memory blocks"
	HOST=$BATS_TEST_TMPDIR/host
	mkdir "$HOST"
	ln -s /sys "$HOST/sys"
	ln -s /proc "$HOST/proc"
	CONF=$BATS_TEST_TMPDIR/memonline.conf
	: >"$CONF"
}

@test "with sysfs at /sys, the running system is read without libmount" {
	host_tree
	run -0 "$MEMONLINE" --sysroot "$HOST" --config "$CONF" list -r -n -o BLOCK,STATE
	local from_tree=$output
	LD_DEBUG=files LD_DEBUG_OUTPUT=$BATS_TEST_TMPDIR/ld run -0 "$MEMONLINE" --config "$CONF" \
		list -r -n -o BLOCK,STATE
	assert_output "$from_tree"
	run -0 cat "$BATS_TEST_TMPDIR"/ld.*
	refute_line --partial "libmount"
}

@test "without libkmod, the running system's driver report is what sysfs alone says" {
	host_tree
	run -0 "$MEMONLINE" --sysroot "$HOST" --config "$CONF" status
	run -0 grep '^Hot-add drivers:' <<<"$output"
	local from_tree=$output

	export NOLIB=libkmod.so NOLIB_LOG=$BATS_TEST_TMPDIR/dlopen.log
	LD_PRELOAD=$NOLIB_SHIM run -0 --separate-stderr "$MEMONLINE" --config "$CONF" status
	assert_equal "$stderr" ""
	assert_line "$from_tree"
	assert_equal "$(cat "$NOLIB_LOG")" "libkmod.so.2"
}

# in_moved_sysfs COMMAND...: run COMMAND in a private mount namespace where
# /sys is an empty tmpfs and sysfs is mounted, read-only, at $BATS_TEST_TMPDIR/s.
# Call require_privilege first, in the test itself.
in_moved_sysfs() {
	mkdir -p "$BATS_TEST_TMPDIR/s"
	unshare --mount --propagation private sh -c 'mount -t tmpfs none /sys &&
		mount -t sysfs -o ro sysfs "$0" && exec "$@"' \
		"$BATS_TEST_TMPDIR/s" "$@"
}

@test "sysfs mounted elsewhere is found through libmount" {
	require_privilege
	host_tree
	run -0 "$MEMONLINE" --sysroot "$HOST" --config "$CONF" list -r -n -o BLOCK,STATE
	local from_tree=$output
	LD_DEBUG=files LD_DEBUG_OUTPUT=$BATS_TEST_TMPDIR/ld run -0 in_moved_sysfs \
		"$MEMONLINE" --config "$CONF" list -r -n -o BLOCK,STATE
	assert_output "$from_tree"
	run -0 cat "$BATS_TEST_TMPDIR"/ld.*
	assert_line --partial "file=libmount.so.1"
}

@test "sysfs mounted elsewhere and no libmount: says so, exit 1" {
	require_privilege
	host_tree
	export NOLIB=libmount.so NOLIB_LOG=$BATS_TEST_TMPDIR/dlopen.log
	run -1 in_moved_sysfs env LD_PRELOAD="$NOLIB_SHIM" "$MEMONLINE" --config "$CONF" status
	assert_output "memonline: sysfs or procfs is not at /sys or /proc, and libmount.so.1, which would find them, cannot be loaded"
	assert_equal "$(cat "$NOLIB_LOG")" "libmount.so.1"
}

@test "a .note.dlopen names each library for packaging tools, with its priority" {
	local note=$BATS_TEST_TMPDIR/note
	objcopy -O binary --only-section=.note.dlopen "$MEMONLINE" "$note"
	# ELF notes: namesz, descsz, type, "FDO\0", then the JSON, 0-terminated
	# and padded to 4 bytes.
	run -0 python3 - "$note" <<-'PY'
	import json, struct, sys
	b = open(sys.argv[1], "rb").read()
	while b:
	    namesz, descsz, kind = struct.unpack_from("=III", b)
	    name = b[12:12 + namesz]
	    off = 12 + (namesz + 3) // 4 * 4
	    desc = b[off:off + descsz]
	    assert desc.endswith(b"\0"), desc
	    for d in json.loads(desc[:-1]):
	        print(hex(kind), name, d["soname"], d["priority"])
	    b = b[off + (descsz + 3) // 4 * 4:]
	PY
	assert_line "0x407c0c0a b'FDO\\x00' ['libkmod.so.2'] recommended"
	assert_line "0x407c0c0a b'FDO\\x00' ['libmount.so.1'] recommended"
	assert_line "0x407c0c0a b'FDO\\x00' ['libudev.so.1'] required"
	assert_line "0x407c0c0a b'FDO\\x00' ['libsmartcols.so.1'] required"
	assert_equal "${#lines[@]}" 4
}
