#!/usr/bin/env bats
# libkmod is loaded where the driver report uses it, not linked: what each
# process start and the daemon no longer carry, and the report without it.

load helpers

@test "the binary does not link libkmod, nor what libkmod links" {
	run -0 readelf -d "$MEMONLINE"
	assert_line --regexp '\(NEEDED\).*\[libc\.so\.6\]'
	refute_line --regexp '\(NEEDED\).*\[lib(kmod|crypto|zstd|lzma)\.so'
}

@test "a udev event's onliner never loads libkmod" {
	mkroot 0-7:online 8:offline
	LD_DEBUG=files LD_DEBUG_OUTPUT=$BATS_TEST_TMPDIR/ld run -0 mo online --udev memory8
	assert_output "memory8: online Movable"
	run -0 cat "$BATS_TEST_TMPDIR"/ld.*
	assert_line --partial "file=libudev.so.1"
	refute_line --partial "libkmod"
}

# The one test that reads this machine's /sys and /proc (never writes): only
# on the running system is libkmod asked.  A sysroot whose sys and proc are
# links to this machine's is read from the tree alone, by design.
@test "without libkmod, the running system's driver report is what sysfs alone says" {
	[ -d /sys/devices/system/memory ] || skip "this kernel has no memory blocks"
	local host=$BATS_TEST_TMPDIR/host conf=$BATS_TEST_TMPDIR/memonline.conf
	mkdir "$host"
	ln -s /sys "$host/sys"
	ln -s /proc "$host/proc"
	: >"$conf"
	run -0 "$MEMONLINE" --sysroot "$host" --config "$conf" status
	run -0 grep '^Hot-add drivers:' <<<"$output"
	local from_tree=$output

	export NOKMOD_LOG=$BATS_TEST_TMPDIR/dlopen.log
	LD_PRELOAD=$NOKMOD run -0 --separate-stderr "$MEMONLINE" --config "$conf" status
	assert_equal "$stderr" ""
	assert_line "$from_tree"
	assert_equal "$(cat "$NOKMOD_LOG")" "libkmod.so.2"
}

@test "a .note.dlopen names libkmod for packaging tools, as recommended" {
	local note=$BATS_TEST_TMPDIR/note
	objcopy -O binary --only-section=.note.dlopen "$MEMONLINE" "$note"
	# One ELF note: namesz, descsz, type, "FDO\0", then the JSON, 0-terminated.
	run -0 python3 - "$note" <<-'PY'
	import json, struct, sys
	b = open(sys.argv[1], "rb").read()
	namesz, descsz, kind = struct.unpack_from("=III", b)
	name = b[12:12 + namesz]
	desc = b[12 + (namesz + 3) // 4 * 4:][:descsz]
	assert desc.endswith(b"\0"), desc
	for d in json.loads(desc[:-1]):
	    print(hex(kind), name, d["soname"], d["priority"])
	PY
	assert_output "0x407c0c0a b'FDO\\x00' ['libkmod.so.2'] recommended"
}
