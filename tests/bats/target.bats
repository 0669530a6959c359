#!/usr/bin/env bats
# memonline target: the Xen balloon's state, setting target_kb, and --wait
# against a simulated balloon driver (tests/balloon-sim).

load helpers

BALLOON=
SIM=

# A Xen guest: 4 boot blocks (512M), balloon at TARGET_KB:CURRENT_KB[:LOW[:HIGH]].
# PV unless a test says otherwise: its target is xl's figure, with no note on
# a PVH guest's boot offset.
mkxen() {
	mkroot --xen-guest-type PV --xen "$@" 0-3:online
	BALLOON=$ROOT/sys/devices/system/xen_memory/xen_memory0
}

start_sim() {
	"$TOP/tests/balloon-sim" "$ROOT" "$@" >"$BATS_TEST_TMPDIR/sim.log" 2>&1 3>&- &
	SIM=$!
	# The interpreter can take a second to start: the driver is there first.
	for _ in $(seq 100); do
		grep -q 'sim: ready' "$BATS_TEST_TMPDIR/sim.log" && return 0
		sleep 0.05
	done
	return 1
}

teardown() {
	if [ -n "$SIM" ]; then
		kill "$SIM" 2>/dev/null || true
		wait "$SIM" 2>/dev/null || true
	fi
}

@test "target shows target, current, delta and waiting for onlining" {
	mkxen 1048576:524288 --hotplug-unpopulated 32-35:offline
	run -0 mo target
	assert_line "Target:       1G"
	assert_line "Current:      512M"
	assert_line "Delta:        +512M (to be added)"
	assert_line --partial "Verdict:      waiting for onlining"
	assert_line --partial "4 offline blocks (512M)"
	assert_line --partial "Fix:          memonline online --all"
}

@test "the counters are read as the hex the kernel prints" {
	mkxen 524288:524288 --xen-counters 2:3:20:a
	run -0 mo target
	assert_line "Driver:       retry 3 of 10, delay 2 s (at most 32 s)"
	assert_line "Verdict:      reached"
}

@test "target --bytes and --json give exact numbers" {
	mkxen 1048576:524288:4096:8192 --hotplug-unpopulated --xen-counters 2:2:20:4
	run -0 mo target --bytes
	assert_line "Target:       1073741824"
	assert_line "Ballooned:    12582912 (low 4194304, high 8388608)"
	run -0 mo target --json
	run -0 python3 -c 'import json,sys; b=json.load(sys.stdin)["xen_balloon"]; print(b["target"], b["current"], b["delta"], b["max_schedule_delay"], b["retry_count"], b["hotplug"])' <<<"$output"
	assert_output "1073741824 536870912 536870912 32 2 True"
}

@test "pre-ballooned pages at the target are normal" {
	mkxen 524288:524288:262144
	run -0 mo target
	assert_line "Verdict:      reached"
}

@test "pages that stay ballooned with the counters reset: the hypervisor refuses" {
	mkxen 1048576:524288:131072 --hotplug-unpopulated
	run -0 mo target --json
	run -0 python3 -c 'import json,sys; print(json.load(sys.stdin)["xen_balloon"]["verdict"])' <<<"$output"
	assert_output "hypervisor-refuses"
}

@test "a driver still backing off is the hypervisor refusing too" {
	mkxen 1048576:524288:131072 --hotplug-unpopulated --xen-counters 4:3:20:4 \
		--xen-guest-type PV
	run -0 mo target
	assert_line "Verdict:      hypervisor refuses: pages sit in the balloon, not populated"
	assert_line "Fix:          raise the domain's limit in dom0 (xl mem-max DOMAIN SIZE; xl mem-set lowers it to its target + 1 MiB, so a grow from inside the guest needs xl mem-max again)"
}

@test "a PVH guest refused: its limit or Xen's paging pool, and dom0 tells which" {
	# A PVH domU created with maxmem 256 and raised to 1280 by xl mem-max
	# stops near 1240 MiB with no Over-allocation: the pool sized at creation.
	mkxen 1310720:1269372:41348 --hotplug-unpopulated --xen-counters 4:3:20:4 \
		--xen-guest-type PVH
	run -0 mo target
	assert_line "Verdict:      hypervisor refuses: pages sit in the balloon, not populated"
	assert_line --partial "Fix:          one of two limits, which only dom0 can tell: 'Over-allocation' for the domain in xl dmesg is its memory limit: raise the domain's limit in dom0 (xl mem-max DOMAIN SIZE; xl mem-set lowers it"
	assert_line --partial "; none is Xen's paging pool for it (shadow_memory), sized from maxmem at creation, which xl mem-max does not grow: recreate the domain with a larger maxmem or shadow_memory"
	run -0 mo target --json
	run -0 python3 -c 'import json,sys; d=json.load(sys.stdin)["xen_balloon"]; print(d["verdict"], "shadow_memory" in d["fix"])' <<<"$output"
	assert_output "hypervisor-refuses True"
}

@test "a PV guest refused has no paging pool to blame" {
	mkxen 1310720:1269372:41348 --hotplug-unpopulated --xen-guest-type PV
	run -0 mo target
	assert_line --partial "Fix:          the driver gave up after max_retry_count tries: raise the domain's limit in dom0 (xl mem-max DOMAIN SIZE; xl mem-set lowers it to its target + 1 MiB"
	refute_output --partial "shadow_memory"
}

@test "in a PVH guest the target is xl's figure less a boot offset, and target says so" {
	mkxen 523900:523900 --hotplug-unpopulated --xen-guest-type PVH
	run -0 mo target
	assert_line "Target:       511.6M"
	assert_line "              (xl's figure for the domain is higher by a boot offset in a PVH guest)"
	run -0 mo target 1024M
	assert_line "target: 511.6M -> 1G"
	assert_line "note: in a PVH guest the target is xl's figure less a boot offset (a few hundred KiB), so 1G here asks for a little more than xl mem-set DOMAIN 1024; the driver may add one more block and leave most of it ballooned"
	assert_equal "$(writes)" "target_kb 1048576"
}

@test "a PV guest's target is xl's figure: no note" {
	mkxen 524288:524288 --hotplug-unpopulated --xen-guest-type PV
	run -0 mo target 1024M
	assert_output "target: 512M -> 1G"
}

@test "an empty balloon below target without hotplug support" {
	mkxen 1048576:524288
	run -0 mo target
	assert_line --partial "Verdict:      hotplug unsupported"
	assert_line "Hotplug:      unsupported (no /proc/sys/xen/balloon/hotplug_unpopulated)"
}

@test "not a Xen guest: an empty /sys/hypervisor is not Xen" {
	mkroot --hypervisor-dir 0-3:online
	run -1 mo target
	assert_line "Hypervisor:   none detected"
	assert_line "Verdict:      not a Xen guest"
	run -1 mo target 1G
	assert_output "memonline: not a Xen guest ($ROOT/sys/hypervisor/type is not 'xen')"
}

@test "a Xen guest without the balloon driver is named" {
	mkroot 0:online
	mkdir -p "$ROOT/sys/hypervisor" && echo xen >"$ROOT/sys/hypervisor/type"
	run -1 mo target 1G
	assert_output --partial "$ROOT/sys/devices/system/xen_memory/xen_memory0: no such directory"
}

@test "a malformed balloon value is named with its path" {
	mkxen 1048576:524288
	echo 0x80000 >"$BALLOON/info/current_kb"
	run -1 mo target
	assert_output "memonline: $ROOT/sys/devices/system/xen_memory/xen_memory0/info/current_kb: unexpected value"
}

@test "target SIZE writes target_kb in decimal" {
	mkxen 524288:524288 --hotplug-unpopulated
	run -0 mo target 2G
	assert_output "target: 512M -> 2G"
	assert_equal "$(writes)" "target_kb 2097152"
	assert_equal "$(cat "$BALLOON/target_kb")" 2097152
	assert_equal "$(cat "$BALLOON/target")" 2147483648
}

@test "+SIZE and -SIZE are relative to the target; -SIZE is not an option" {
	mkxen 1048576:1048576 --hotplug-unpopulated
	run -0 mo target +512M
	assert_output "target: 1G -> 1.5G"
	run -0 mo target -256M
	assert_output "target: 1.5G -> 1.3G"
	run -0 mo target --bytes -- -256M
	assert_output "target: 1342177280 -> 1073741824"
	assert_equal "$(writes)" $'target_kb 1572864\ntarget_kb 1310720\ntarget_kb 1048576'
}

@test "why decimal: the kernel reads target_kb with base 0, so 01000 is octal" {
	mkxen 524288:524288
	# One open and one write(2) on that descriptor: what fakesys sees, like sysfs.
	LD_PRELOAD=$FAKESYS python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
os.write(fd, b"01000\n")' "$BALLOON/target_kb"
	assert_equal "$(cat "$BALLOON/target_kb")" 512
	run -0 mo target --force 1000K
	assert_equal "$(cat "$BALLOON/target_kb")" 1000
}

@test "a negative size mixed with options and a config file" {
	mkxen 1048576:1048576
	run -0 mo target -J -c "$CONF" -256M
	run -0 python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["previous_target"], d["target"])' <<<"$output"
	assert_output "1073741824 805306368"
	run -2 mo target -5
	assert_output --partial "'-5' is not a size with a unit"
}

@test "a size without a unit, or with a bad one, is refused before any write" {
	mkxen 1048576:1048576
	run -2 mo target 1048576
	assert_output --partial "'1048576' is not a size with a unit (K, M, G, T)"
	run -2 mo target 1Q
	run -2 mo target -2G
	assert_output --partial "'-2G' leaves no memory"
	assert_equal "$(writes)" ""
}

@test "taking more than half of the memory away needs --force" {
	mkxen 2097152:2097152
	run -2 mo target 512M
	assert_output --partial "use --force if that is meant"
	run -0 mo target --force 512M
	assert_equal "$(writes)" "target_kb 524288"
}

@test "a refused write of target_kb is explained" {
	mkxen 524288:524288
	echo EPERM >"$BALLOON/.fakesys-fault"
	run -1 mo target 1G
	assert_output "memonline: $ROOT/sys/devices/system/xen_memory/xen_memory0/target_kb: Operation not permitted (writing the target needs CAP_SYS_ADMIN: run as root)"
}

@test "--wait onlines each hot-added block by policy until current reaches the target" {
	mkxen 524288:524288 --hotplug-unpopulated
	start_sim
	run -0 mo target 1G --wait=20
	assert_line "target: 512M -> 1G"
	assert_line "memory4: online Normal"
	assert_line "memory7: online Normal"
	assert_line "target reached"
	assert_equal "$(cat "$BALLOON/info/current_kb")" 1048576
	assert_equal "$(grep -c online_kernel "$FAKESYS_LOG")" 4
}

@test "--wait with kernel auto-online: blocks onlined by another agent are fine" {
	mkxen 524288:524288 --hotplug-unpopulated
	start_sim
	(sleep 0.3; for i in 1 2 3 4 5 6 7 8 9 10; do
		for f in "$MEM"/memory*/state; do
			grep -q offline "$f" && echo online >"$f"
		done; sleep 0.1; done) 3>&- &
	run -0 mo target 1G --wait=20
	assert_line "target reached"
}

@test "--wait re-kicks a driver that gave up, and reaches the target once the limit rises" {
	mkxen 524288:524288 --hotplug-unpopulated
	start_sim --limit-kb 786432 --raise-limit 1.5:2097152
	run -0 mo target 1G --wait=30
	assert_line "the balloon driver gave up; writing the target anew to wake it"
	assert_line "target reached"
	# The kick: one page lower, then the target again.
	assert_equal "$(grep -c '^target_kb' "$FAKESYS_LOG")" 3
	assert_equal "$(grep '^target_kb' "$FAKESYS_LOG" | tail -2)" $'target_kb 1048572\ntarget_kb 1048576'
}

@test "--wait stops when the hypervisor keeps refusing after a kick" {
	mkxen 524288:524288 --hotplug-unpopulated
	start_sim --limit-kb 786432
	run -68 mo target 1G --wait=60
	assert_line "the balloon driver gave up; writing the target anew to wake it"
	assert_line "stopped: hypervisor refuses: pages sit in the balloon, not populated"
	assert_line --partial "fix: the driver gave up after max_retry_count tries"
}

@test "--wait in a PVH guest that keeps refusing names the limit and the paging pool" {
	mkxen 524288:524288 --hotplug-unpopulated --xen-guest-type PVH
	start_sim --limit-kb 786432
	run -68 mo target 1G --wait=60
	assert_line "stopped: hypervisor refuses: pages sit in the balloon, not populated"
	assert_line --partial "fix: the driver gave up after max_retry_count tries: one of two limits, which only dom0 can tell"
	assert_line --partial "recreate the domain with a larger maxmem or shadow_memory, then memonline target --wait"
}

@test "--wait stops at once when the kernel cannot hot-add for the balloon" {
	mkxen 524288:524288
	run -69 mo target 1G --wait=20
	assert_line --partial "stopped: hotplug unsupported"
}

@test "--wait gives up at the timeout and says what it was waiting for" {
	mkxen 1048576:524288 --hotplug-unpopulated 32-35:offline
	for b in 32 33 34 35; do fault $b EPERM; done
	run -67 mo target --wait=1
	assert_line "memory32: failed: Operation not permitted, giving up on it"
	assert_line --regexp "^timed out after 1 s: waiting for onlining"
}

@test "--wait --json reports the outcome as one document" {
	mkxen 524288:524288 --hotplug-unpopulated
	start_sim
	run -0 mo target 1G --wait=20 --json
	run -0 python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["result"], d["onlined_blocks"], d["xen_balloon"]["verdict"])' <<<"$output"
	assert_output "target reached 4 reached"
}

@test "--wait draws a progress bar on a terminal" {
	require_tool script bsdextrautils
	mkxen 524288:524288 --hotplug-unpopulated
	start_sim
	run -0 script -qec "LD_PRELOAD=$FAKESYS $MEMONLINE --sysroot $ROOT --config $CONF target 1G --wait=20" /dev/null
	assert_output --partial "[##############################] 1G / 1G"
	assert_output --partial "target reached"
}

@test "--wait rejects a malformed timeout" {
	mkxen 524288:524288
	run -2 mo target --wait=soon
	assert_output --partial "--wait: 'soon' is not a timeout in seconds"
}

@test "target --wait 5 is a misplaced timeout, not a size" {
	mkxen 524288:524288
	run -2 mo target --wait 5
	assert_output --partial "target: '5' after --wait is a timeout, not a size: write --wait=5"
	run -2 mo target --wait 2m
	assert_output --partial "write --wait=2m"
	assert_equal "$(writes)" ""
}

@test "a target beyond what Linux can address is refused" {
	mkxen 524288:524288
	run -2 mo target 99999T
	assert_output --partial "target: '99999T' is more than Linux can address (4P)"
	run -2 mo target 1GB
	assert_equal "$(writes)" ""
}
