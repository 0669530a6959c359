#!/usr/bin/env bats
# s390 standby memory: the firmware's reserve, left alone by every onliner.

load helpers

# An s390 guest as util-linux's s390-zvm dump shows it: phys_device holds
# the storage increment (kernels before 5.13), blocks 14-15 are standby.
s390_root() {
	mkroot --block-size 10000000 0-13:online 14-15:offline:Movable
	local n
	for n in {0..15}; do
		echo $((n * 32)) >"$MEM/memory$n/phys_device"
	done
}

@test "standby memory is skipped by online --all, online --udev and --zone without --force" {
	s390_root
	run -0 mo online --all
	assert_line "memory14: skipped (built-in rule source=standby: skip)"
	run -0 mo online --udev memory14
	run -0 mo online --zone movable 15
	run -1 mo online 256M
	assert_equal "$(writes)" ""
	run -0 mo list -o RANGE,STATE,SOURCE
	assert_line --regexp "^0x00000000e0000000-0x00000000ffffffff +offline +standby$"
}

@test "a newer s390 kernel (phys_device 0) is known by /sys/bus/ccw" {
	mkroot --block-size 10000000 0-13:online 14-15:offline:Movable
	mkdir -p "$ROOT/sys/bus/ccw"
	run -0 mo online --all
	assert_line --partial "memory15: skipped (built-in rule source=standby: skip)"
	assert_equal "$(writes)" ""
}

@test "the daemon leaves standby memory alone at coldplug and on add events" {
	s390_root
	run -0 --separate-stderr mo watch --replay <(echo "add /devices/system/memory/memory14")
	assert_equal "$(writes)" ""
}

@test "doctor says standby memory is left alone, not that the guest pays for it" {
	s390_root
	run mo doctor --json
	run -0 python3 -c '
import json, sys
c = [c for c in json.load(sys.stdin)["checks"] if c["check"] == "offline-blocks"][0]
print(c["verdict"], c["summary"])' <<<"$output"
	assert_output "ok 2 standby blocks (512M) offline, as they should be (s390 standby memory is left alone: chmem -e configures it)"
}
