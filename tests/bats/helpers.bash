# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by every bats suite: the assertion libraries, the binary under test,
# and fixture trees built per test under $BATS_TEST_TMPDIR.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert
bats_load_library bats-file

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
MEMONLINE=${MEMONLINE:-$TOP/memonline}
FAKESYS=${FAKESYS:-$TOP/tests/fakesys.so}
# Built beside fakesys.so (make check-build): dlopen() of libkmod fails.
NOLIB_SHIM=${NOLIB_SHIM:-$(dirname "$FAKESYS")/nolib.so}
FIXTURES=$TOP/tests/fixtures
ROOT=

# Build a fixture tree: mkroot [mkfixture options] SPEC...
mkroot() {
	ROOT=$BATS_TEST_TMPDIR/root
	"$TOP/scripts/mkfixture" "$ROOT" "$@"
	MEM=$ROOT/sys/devices/system/memory
	export FAKESYS_LOG=$BATS_TEST_TMPDIR/writes.log
	: >"$FAKESYS_LOG"
	CONF=$BATS_TEST_TMPDIR/memonline.conf
	: >"$CONF"
}

# memonline on the fixture, with the kernel's write semantics (fakesys).
mo() {
	LD_PRELOAD=$FAKESYS "$MEMONLINE" --sysroot "$ROOT" --config "$CONF" "$@"
}

# What the fake kernel was asked to do, one "memoryN WORD" line per write.
writes() {
	cat "$FAKESYS_LOG"
}

block_state() { cat "$MEM/memory$1/state"; }
block_zones() { cat "$MEM/memory$1/valid_zones"; }

fault() { # fault BLOCK WHAT: script the fake kernel's answer for a block
	echo "$2" >"$MEM/memory$1/.fakesys-fault"
}

# A tool outside Build-Depends is skipped with where to get it; in CI a skip
# fails (tests/run-test), and scripts/check-deb-buildd fails one whose PKG
# debian/control lists.  require_tool COMMAND PKG
require_tool() {
	command -v "$1" >/dev/null || skip "no $1 (Debian package $2)"
}

# promtool: installed, or Debian's put in .cache by scripts/fetch-promtool.
promtool_bin() {
	command -v promtool 2>/dev/null ||
		{ [ -x "$TOP/.cache/promtool/usr/bin/promtool" ] &&
			echo "$TOP/.cache/promtool/usr/bin/promtool"; }
}

# Mounting in a namespace of its own needs privileges a buildd's user, in a
# chroot, does not have.  require_privilege [UNSHARE-OPTION...]
require_privilege() {
	unshare "${@:---mount}" true 2>/dev/null ||
		skip "needs privileges to unshare ${*:---mount} (an unprivileged build)"
}
