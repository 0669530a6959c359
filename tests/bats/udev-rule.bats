#!/usr/bin/env bats
# The udev rule and the systemd unit, read as udevd and systemd read them:
# the rule's guard is proved on a table of events, the unit's settings on
# what the daemon needs (the real udevd run is tests/qemu's).

load helpers

RULES=$TOP/udev/85-memonline.rules.in
UNIT=$TOP/systemd/memonline.service.in

# udev_run ACTION SUBSYSTEM KERNEL STATE [MARKER]: what RUN+= the rule file
# gives for an event (nothing when no rule matches): tests/udev-run.
udev_run() {
	"$TOP/tests/udev-run" "$RULES" "$@"
}

@test "the rule runs memonline for an offline block's add event, and only then" {
	run -0 udev_run add memory memory32 offline
	assert_output "@BINDIR@/memonline online --udev \$kernel"
	# udevadm trigger at boot: add for blocks that are online already.
	run -0 udev_run add memory memory0 online
	assert_output ""
	run -0 udev_run add memory memory32 going-offline
	assert_output ""
	run -0 udev_run online memory memory32 offline
	assert_output ""
	run -0 udev_run change memory memory32 offline
	assert_output ""
	run -0 udev_run remove memory memory32 offline
	assert_output ""
	run -0 udev_run add cpu cpu3 offline
	assert_output ""
	# While memonline watch runs, it owns onlining.
	run -0 udev_run add memory memory32 offline marker
	assert_output ""
}

@test "the rule starts memonline itself: no shell, an absolute path, one block" {
	run -0 udev_run add memory memory32 offline
	read -r -a argv <<<"$output"
	assert_equal "${argv[0]}" "@BINDIR@/memonline"
	assert_equal "${argv[*]:1}" "online --udev \$kernel"
	refute_output --regexp '(^|/)(ba|da|z|k)?sh( |$)|[;&|`<>]|\$\('
	# The rule waits for nothing: it must not be a daemon of its own.
	refute_output --partial " watch"
}

@test "the installed rule is the template with the binary's directory filled in" {
	local rule
	rule=$(make -s --no-print-directory -C "$TOP" -f Makefile \
		-f <(echo 'print-rule: ; @$(SUBST) udev/85-memonline.rules.in') \
		print-rule BINDIR=/opt/mo/bin)
	refute [ -z "$rule" ]
	run grep -c '@[A-Z]*@' <<<"$rule"
	assert_output 0
	run -0 grep -cF 'RUN+="/opt/mo/bin/memonline online --udev $kernel"' <<<"$rule"
	assert_output 1
}

@test "the rule tests for the marker where the unit's runtime directory puts it" {
	# (watch.bats checks that the daemon creates it there, below --sysroot.)
	run -0 bash -c "grep -v '^#' '$RULES' | grep -o 'TEST!=\"[^\"]*\"'"
	assert_output "TEST!=\"/run/$(sed -n 's/^RuntimeDirectory=//p' "$UNIT")/watch\""
}

@test "the unit: never OOM-killed, hardened, /sys left writable" {
	unit_value() { sed -n "s/^$1=//p" "$UNIT"; }
	assert_equal "$(unit_value OOMScoreAdjust)" -1000
	# Ahead of udevd's workers (tests/qemu default-install starts it so).
	assert_equal "$(unit_value Nice)" -10
	assert_equal "$(unit_value NoNewPrivileges)" yes
	assert_equal "$(unit_value PrivateNetwork)" yes
	assert_equal "$(unit_value ProtectHome)" yes
	assert_equal "$(unit_value RestrictAddressFamilies)" "AF_NETLINK AF_UNIX"
	assert_equal "$(unit_value CapabilityBoundingSet)" "CAP_SYS_ADMIN CAP_IPC_LOCK CAP_NET_ADMIN"
	# ProtectKernelTunables= would make /sys read-only: no onlining at all.
	assert_equal "$(unit_value ProtectKernelTunables)" ""
	# Under PrivateNetwork= udevd's re-broadcast never arrives (systemd.exec(5)).
	assert_equal "$(unit_value ExecStart)" "@BINDIR@/memonline watch --events kernel"
	assert_equal "$(unit_value Type)" notify
}

@test "systemd-analyze accepts the unit" {
	require_tool systemd-analyze systemd
	local unit=$BATS_TEST_TMPDIR/memonline.service
	sed "s|@BINDIR@|$(dirname "$MEMONLINE")|g" "$UNIT" >"$unit"
	# The system manager's verify needs /run/systemd, which a buildd's
	# chroot lacks; the user manager's parses the unit the same way.
	local scope=()
	[ -d /run/systemd ] || [ -w /run ] || scope=(--user)
	mkdir -m 0700 "$BATS_TEST_TMPDIR/xdg"
	XDG_RUNTIME_DIR=$BATS_TEST_TMPDIR/xdg run systemd-analyze "${scope[@]}" verify --man=no "$unit"
	assert_success
	refute_output --partial "Unknown"
}
