#!/usr/bin/env bats
# libkmod and libmount are loaded where they are used, not linked: what each
# process start and the daemon no longer carry, and the reports without them.

load helpers

@test "the binary links neither libkmod nor libmount, nor what they link" {
	run -0 readelf -d "$MEMONLINE"
	assert_line --regexp '\(NEEDED\).*\[libc\.so\.6\]'
	refute_line --regexp '\(NEEDED\).*\[lib(kmod|crypto|zstd|lzma|mount|blkid|selinux|pcre2)'
}

@test "a udev event's onliner loads neither libkmod nor libmount" {
	mkroot 0-7:online 8:offline
	LD_DEBUG=files LD_DEBUG_OUTPUT=$BATS_TEST_TMPDIR/ld run -0 mo online --udev memory8
	assert_output "memory8: online Movable"
	run -0 cat "$BATS_TEST_TMPDIR"/ld.*
	assert_line --partial "file=libudev.so.1"
	refute_line --partial "libkmod"
	refute_line --partial "libmount"
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

@test "a .note.dlopen names libkmod and libmount for packaging tools, as recommended" {
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
	assert_equal "${#lines[@]}" 2
}
