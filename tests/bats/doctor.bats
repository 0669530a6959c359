#!/usr/bin/env bats
# memonline doctor: every scenario built as a fixture, each check's verdict.

load helpers

# memonline's rule, as installed into the udev library directory.
OUR_RULE='SUBSYSTEM=="memory", ACTION=="add", KERNEL=="memory[0-9]*", ATTR{state}=="offline", TEST!="/run/memonline/watch", RUN+="/usr/bin/memonline online --udev $kernel"'
RHEL_RULE='SUBSYSTEM!="memory", GOTO="memory_hotplug_end"
ACTION!="add", GOTO="memory_hotplug_end"
ENV{.state}="online"
ATTR{state}=="offline", ATTR{state}="$env{.state}"
LABEL="memory_hotplug_end"'

rule() { # rule DIR NAME TEXT: a rules file below the fixture's root
	mkdir -p "$ROOT/$1"
	printf '%s\n' "$3" >"$ROOT/$1/$2"
}

our_rule() {
	rule usr/lib/udev/rules.d 85-memonline.rules "$OUR_RULE"
}

# The verdict of one check: check ID -> "verdict summary"
check() {
	python3 -c '
import json, sys
d = json.load(sys.stdin)
c = [c for c in d["checks"] if c["check"] == sys.argv[1]][0]
print(c["verdict"], c["summary"])
if c["fix"]: print("fix:", c["fix"])' "$1" <<<"$output"
}

doctor_json() { # doctor_json EXIT-CODE
	run -"$1" mo doctor --json
}

@test "a healthy machine: exit 0" {
	mkroot 0-7:online 8-11:online:Movable
	our_rule
	run -0 mo doctor
	assert_line --regexp '^ok +hotplug +memory hotplug present: 12 blocks of 128M$'
	assert_line --regexp "^ok +onliners +memonline's udev rule $ROOT/usr/lib/udev/rules.d/85-memonline.rules is installed$"
	assert_line --regexp '^skipped +xen-balloon +not a Xen guest$'
	assert_line "healthy: 0 warnings, 0 problems"
}

@test "no memory blocks: the kernel lacks CONFIG_MEMORY_HOTPLUG" {
	ROOT=$BATS_TEST_TMPDIR/root
	mkdir -p "$ROOT/sys/devices/system" "$ROOT/proc"
	CONF=$BATS_TEST_TMPDIR/memonline.conf && : >"$CONF"
	doctor_json 66
	run check hotplug <<<"$output"
	assert_line "problem no memory blocks in $ROOT/sys/devices/system/memory: the kernel has no CONFIG_MEMORY_HOTPLUG"
}

@test "no valid_zones: the kernel lacks CONFIG_MEMORY_HOTREMOVE" {
	mkroot --no-valid-zones 0-3:online
	our_rule
	doctor_json 65
	run check hotplug <<<"$output"
	assert_line --partial "warning memory hotplug present (4 blocks of 128M), but no valid_zones"
}

@test "a read-only sysfs is a problem" {
	require_privilege
	mkroot 0-3:online
	our_rule
	run -66 unshare --mount sh -c "mount --bind '$ROOT/sys' '$ROOT/sys' &&
		mount -o remount,bind,ro '$ROOT/sys' &&
		'$MEMONLINE' --sysroot '$ROOT' --config '$CONF' doctor --json"
	run check sysfs-writable <<<"$output"
	assert_line "problem $ROOT/sys is mounted read-only: no block can be onlined here"
}

@test "kernel auto-online with memonline's rule: two onliners" {
	mkroot --auto-online online 0-3:online
	our_rule
	doctor_json 65
	run check onliners <<<"$output"
	assert_line --partial "warning two onliners: the kernel onlines new memory (auto_online_blocks=online) and memonline's udev rule"
	assert_line --partial "fix: leave onlining to memonline: boot with memhp_default_state=offline"
}

@test "kernel auto-online with memonline correcting zones is intended" {
	mkroot --auto-online online_movable 0-3:online
	our_rule
	echo "auto-online correct" >"$CONF"
	doctor_json 0
	run check onliners <<<"$output"
	assert_output --partial "ok the kernel onlines new memory (auto_online_blocks=online_movable) and memonline corrects its zones"
}

@test "kernel auto-online with memonline watch running: two onliners" {
	mkroot --auto-online online 0-3:online
	mkdir -p "$ROOT/run/memonline"
	flock "$ROOT/run/memonline/watch" sleep 20 3>&- &
	local holder=$! i
	for ((i = 0; i < 500; i++)); do # until the holder has the lock
		flock -n "$ROOT/run/memonline/watch" true || break
		sleep 0.02
	done
	doctor_json 65
	kill "$holder"
	run check onliners <<<"$output"
	assert_line --partial "warning two onliners: the kernel onlines new memory (auto_online_blocks=online) and memonline watch runs"
}

@test "a marker nobody holds is a dead daemon, not a running one" {
	mkroot --acpi-memory-hotplug 0-3:online
	mkdir -p "$ROOT/run/memonline" && echo 4242 >"$ROOT/run/memonline/watch"
	doctor_json 65
	run check onliners <<<"$output"
	assert_line --partial "warning nobody onlines new memory"
}

@test "kernel auto-online with memonline.service enabled: two onliners" {
	mkroot --auto-online online_kernel 0-3:online
	mkdir -p "$ROOT/etc/systemd/system/sysinit.target.wants"
	ln -s /usr/lib/systemd/system/memonline.service \
		"$ROOT/etc/systemd/system/sysinit.target.wants/memonline.service"
	doctor_json 65
	run check onliners <<<"$output"
	assert_line --partial "and memonline.service is enabled"
}

@test "nobody onlines new memory" {
	mkroot --acpi-memory-hotplug 0-3:online
	doctor_json 65
	run check onliners <<<"$output"
	assert_line "warning nobody onlines new memory: auto_online_blocks=offline, no memory udev rule, no memonline watch"
}

@test "a distro rule next to memonline's: found in each udev directory" {
	for dir in etc/udev/rules.d run/udev/rules.d usr/lib/udev/rules.d lib/udev/rules.d; do
		mkroot 0-3:online
		our_rule
		rule "$dir" 40-redhat.rules "$RHEL_RULE"
		doctor_json 65
		run check udev-rules <<<"$output"
		assert_line --partial "warning 1 other udev rule onlines memory: $ROOT/$dir/40-redhat.rules; they online first"
		if [[ $dir == etc/* ]]; then
			assert_line "fix: edit or remove /etc/udev/rules.d/40-redhat.rules"
		else
			assert_line "fix: mask it: ln -s /dev/null /etc/udev/rules.d/40-redhat.rules"
		fi
		rm -rf "$ROOT"
	done
}

@test "a distro rule masked in /etc is not counted" {
	mkroot 0-3:online
	our_rule
	rule lib/udev/rules.d 40-vm-hotadd.rules 'SUBSYSTEM=="memory", ACTION=="add", ATTR{state}=="offline", ATTR{state}="online"'
	mkdir -p "$ROOT/etc/udev/rules.d"
	ln -s /dev/null "$ROOT/etc/udev/rules.d/40-vm-hotadd.rules"
	doctor_json 0
	run check udev-rules <<<"$output"
	assert_output "ok no other udev rule onlines memory"
}

@test "the seed's shell rule with kernel auto-online: two onliners" {
	mkroot --auto-online online 0-3:online
	rule etc/udev/rules.d 99-hotplug.rules "SUBSYSTEM==\"memory\", ACTION==\"add\", RUN+=\"/bin/sh -c '[ -f /sys\$devpath/state ] && echo online > /sys\$devpath/state'\""
	doctor_json 65
	run check udev-rules <<<"$output"
	assert_line --partial "the kernel onlines too: two onliners, EINVAL noise"
}

@test "blocks left offline" {
	mkroot 0-3:online 8-11:offline
	our_rule
	doctor_json 65
	run check offline-blocks <<<"$output"
	assert_line "warning 4 blocks (512M) left offline: memory the guest pays for and cannot use"
	assert_line "fix: memonline online --all"
}

@test "movable:kernel above memonline's budget is a warning" {
	mkroot 0:online:Normal 1-4:online:Movable
	our_rule
	doctor_json 65
	run check movable-ratio <<<"$output"
	assert_line --partial "warning movable:kernel is 400%, above memonline's budget 301%"
}

@test "movable:kernel above the safe bound is a problem" {
	mkroot 0:online:Normal 1-20:online:Movable
	our_rule
	doctor_json 66
	run check movable-ratio <<<"$output"
	assert_line --partial "problem movable:kernel is 2000%, above the safe bound 1600%: kernel allocations may fail (OOM)"
}

@test "a node with too much movable memory is found when NUMA-aware" {
	mkroot 0-7:online:Normal:0 8:online:Normal:1 9-12:online:Movable:1
	our_rule
	doctor_json 65
	run check movable-ratio <<<"$output"
	assert_line --partial "movable:kernel is 400% on node 1"
}

@test "DIMM memory in a kernel zone cannot be unplugged" {
	mkroot --firmware-node 8-9 0-3:online 8-9:online:Normal
	our_rule
	doctor_json 65
	run check removable-in-kernel-zones <<<"$output"
	assert_line --partial "warning 2 DIMM blocks in kernel zones: unplugging that DIMM will fail"
}

@test "virtio-mem memory in a kernel zone: unplug is best-effort" {
	printf '%s\n' '00100000-0fffffff : System RAM' '100000000-13fffffff : virtio0' \
		'  100000000-13fffffff : System RAM (virtio_mem)' >"$BATS_TEST_TMPDIR/iomem"
	mkroot --iomem "$BATS_TEST_TMPDIR/iomem" 0-3:online 32-33:online:Normal 34-35:online:Movable
	our_rule
	doctor_json 65
	run check removable-in-kernel-zones <<<"$output"
	assert_line --partial "warning 2 virtio-mem blocks in kernel zones: unplug of that memory is best-effort only"
}

@test "a Xen balloon the hypervisor refuses is stuck: a problem" {
	mkroot --xen 1048576:524288:131072 --hotplug-unpopulated --xen-guest-type PV 0-3:online
	our_rule
	doctor_json 66
	run check xen-balloon <<<"$output"
	assert_line "problem Xen balloon stuck: hypervisor refuses: pages sit in the balloon, not populated"
	assert_line --partial "fix: the driver gave up after max_retry_count tries: raise the domain's limit in dom0 (xl mem-max DOMAIN SIZE; xl mem-set lowers it to its target + 1 MiB, so a grow from inside the guest needs xl mem-max again), then memonline target --wait"
}

@test "a refused PVH balloon: doctor names the limit and the paging pool, not one wrong fix" {
	mkroot --xen 1310720:1269372:41348 --hotplug-unpopulated --xen-guest-type PVH 0-3:online
	our_rule
	doctor_json 66
	run check xen-balloon <<<"$output"
	assert_line "problem Xen balloon stuck: hypervisor refuses: pages sit in the balloon, not populated"
	assert_line --partial "'Over-allocation' for the domain in xl dmesg is its memory limit: raise the domain's limit in dom0 (xl mem-max DOMAIN SIZE; xl mem-set lowers it"
	assert_line --partial "none is Xen's paging pool for it (shadow_memory), sized from maxmem at creation, which xl mem-max does not grow"
}

@test "a Xen balloon below target without hotplug support is stuck" {
	mkroot --xen 1048576:524288 0-3:online
	our_rule
	doctor_json 66
	run check xen-balloon <<<"$output"
	assert_line --partial "problem Xen balloon stuck: hotplug unsupported"
}

@test "a Xen balloon waiting for onlining is a warning, reached is fine" {
	mkroot --xen 1048576:524288 --hotplug-unpopulated 0-3:online 32-35:offline
	our_rule
	doctor_json 65
	run check xen-balloon <<<"$output"
	assert_line --partial "warning Xen balloon waiting for onlining"
	rm -rf "$ROOT"
	mkroot --xen 524288:524288 0-3:online
	doctor_json 65
	run check xen-balloon <<<"$output"
	assert_output "ok Xen balloon: reached"
}

@test "virtio-mem with about 1G offline has stalled" {
	printf '%s\n' '00100000-0fffffff : System RAM' '100000000-17fffffff : virtio0' \
		'  100000000-17fffffff : System RAM (virtio_mem)' >"$BATS_TEST_TMPDIR/iomem"
	mkroot --iomem "$BATS_TEST_TMPDIR/iomem" --module virtio_mem:builtin:unplug_online=N \
		0-3:online 32-39:offline
	our_rule
	doctor_json 66
	run check virtio-mem <<<"$output"
	assert_line "problem virtio-mem stalled: 1G of its memory sits offline; it adds no more until about half of that is online"
}

@test "virtio-mem with a little offline is a warning; without the driver, skipped" {
	printf '%s\n' '00100000-0fffffff : System RAM' '100000000-17fffffff : virtio0' \
		'  100000000-17fffffff : System RAM (virtio_mem)' >"$BATS_TEST_TMPDIR/iomem"
	mkroot --iomem "$BATS_TEST_TMPDIR/iomem" --module virtio_mem:live 0-3:online 32-33:offline
	our_rule
	doctor_json 65
	run check virtio-mem <<<"$output"
	assert_line --partial "warning 256M of virtio-mem memory offline"
	rm -rf "$ROOT/sys/module/virtio_mem"
	doctor_json 65
	run check virtio-mem <<<"$output"
	assert_output "skipped no virtio_mem driver"
}

@test "doctor --json names every check once, with an overall verdict" {
	mkroot 0-3:online 8:offline
	our_rule
	doctor_json 65
	run -0 python3 -c '
import json, sys
d = json.load(sys.stdin)
print(len(d["checks"]), len({c["check"] for c in d["checks"]}), d["warnings"], d["problems"], d["verdict"])' <<<"$output"
	assert_output "9 9 1 0 warnings"
}

@test "doctor rejects arguments it does not take" {
	mkroot 0:online
	run -2 mo doctor extra
	assert_output --partial "doctor: unexpected argument 'extra'"
}

SEED_RULE="SUBSYSTEM==\"memory\", ACTION==\"add\", RUN+=\"/bin/sh -c '[ -f /sys\$devpath/state ] && echo online > /sys\$devpath/state'\""

# The sysroot's links mean what they mean on its own machine, as in a chroot.
@test "a link out of the sysroot does not bring in rules from outside it" {
	mkroot 0-3:online
	our_rule
	mkdir -p "$BATS_TEST_TMPDIR/outside/udev/rules.d"
	printf '%s\n' "$RHEL_RULE" >"$BATS_TEST_TMPDIR/outside/udev/rules.d/40-redhat.rules"
	ln -s "$BATS_TEST_TMPDIR/outside" "$ROOT/lib"
	run -0 --separate-stderr mo doctor --json
	assert_equal "$stderr" ""
	run check udev-rules <<<"$output"
	assert_output "ok no other udev rule onlines memory"
}

@test "an absolute rules link means the sysroot's path, never the host's" {
	mkroot 0-3:online
	our_rule
	printf '%s\n' "$RHEL_RULE" >"$BATS_TEST_TMPDIR/40-redhat.rules"
	mkdir -p "$ROOT/etc/udev/rules.d"
	ln -s "$BATS_TEST_TMPDIR/40-redhat.rules" "$ROOT/etc/udev/rules.d/40-redhat.rules"
	ln -s /etc/passwd "$ROOT/etc/udev/rules.d/50-passwd.rules"
	run -0 --separate-stderr mo doctor --json
	assert_equal "$stderr" ""
	run check udev-rules <<<"$output"
	assert_output "ok no other udev rule onlines memory"
	# The same path inside the tree is what the link names.
	rule "${BATS_TEST_TMPDIR#/}" 40-redhat.rules "$SEED_RULE"
	run -65 --separate-stderr mo doctor --json
	assert_equal "$stderr" ""
	run check udev-rules <<<"$output"
	assert_line --partial "warning 1 other udev rule onlines memory: $ROOT/etc/udev/rules.d/40-redhat.rules;"
}

@test "an absolute link to a rules file elsewhere in the sysroot is read" {
	mkroot 0-3:online
	rule usr/share/seed 99-hotplug.rules "$SEED_RULE"
	mkdir -p "$ROOT/etc/udev/rules.d"
	ln -s /usr/share/seed/99-hotplug.rules "$ROOT/etc/udev/rules.d/99-hotplug.rules"
	run -0 --separate-stderr mo doctor --json
	assert_equal "$stderr" ""
	run check udev-rules <<<"$output"
	assert_output "ok $ROOT/etc/udev/rules.d/99-hotplug.rules onlines memory (the only onliner)"
}

@test "a relative link climbing past the sysroot's top stays in it" {
	mkroot 0-3:online
	our_rule
	printf '%s\n' "$RHEL_RULE" >"$BATS_TEST_TMPDIR/40-redhat.rules"
	mkdir -p "$ROOT/etc/udev/rules.d"
	ln -s "../../../../../../../../../../../..$BATS_TEST_TMPDIR/40-redhat.rules" \
		"$ROOT/etc/udev/rules.d/40-redhat.rules"
	run -0 --separate-stderr mo doctor --json
	assert_equal "$stderr" ""
	run check udev-rules <<<"$output"
	assert_output "ok no other udev rule onlines memory"
}

@test "a link within the sysroot is followed, and a /dev/null mask is no way out" {
	mkroot 0-3:online
	our_rule
	rule usr/share/rules 40-redhat.rules "$RHEL_RULE"
	mkdir -p "$ROOT/etc/udev/rules.d"
	ln -s ../../../usr/share/rules/40-redhat.rules "$ROOT/etc/udev/rules.d/40-redhat.rules"
	ln -s /dev/null "$ROOT/etc/udev/rules.d/85-memonline.rules"
	run -0 --separate-stderr mo doctor --json
	assert_equal "$stderr" ""
	run check udev-rules <<<"$output"
	assert_output "ok $ROOT/etc/udev/rules.d/40-redhat.rules onlines memory (the only onliner)"
}

@test "a unit's .wants linked to a host path enables nothing, one in the sysroot does" {
	mkroot --acpi-memory-hotplug 0-3:online
	mkdir -p "$BATS_TEST_TMPDIR/host-wants" "$ROOT/etc/systemd/system"
	ln -s /usr/lib/systemd/system/memonline.service "$BATS_TEST_TMPDIR/host-wants/memonline.service"
	ln -s "$BATS_TEST_TMPDIR/host-wants" "$ROOT/etc/systemd/system/multi-user.target.wants"
	run -65 --separate-stderr mo doctor --json
	assert_equal "$stderr" ""
	run check onliners <<<"$output"
	assert_line --partial "warning nobody onlines new memory"
	mkdir -p "$ROOT$BATS_TEST_TMPDIR"
	cp -a "$BATS_TEST_TMPDIR/host-wants" "$ROOT$BATS_TEST_TMPDIR/"
	run -0 --separate-stderr mo doctor --json
	assert_equal "$stderr" ""
	run check onliners <<<"$output"
	assert_output "ok memonline.service is enabled"
}

# A minimal ACPI SRAT with one memory affinity entry: flags 1 (enabled) or
# 3 (enabled, hot-pluggable).
srat() { # srat FLAGS
	mkdir -p "$ROOT/sys/firmware/acpi/tables"
	python3 -c '
import struct, sys
entry = struct.pack("<BBIHIIIIIIQ", 1, 40, 0, 0, 0, 1, 0, 1, 0, int(sys.argv[1]), 0)
hdr = b"SRAT" + struct.pack("<I", 48 + len(entry)) + bytes(28)
sys.stdout.buffer.write(hdr + bytes(12) + entry)' "$1" >"$ROOT/sys/firmware/acpi/tables/SRAT"
}

@test "a guest where nothing can hot-add needs no onliner: not a warning" {
	mkroot 0-3:online
	doctor_json 0
	run check onliners <<<"$output"
	assert_output --partial "ok nothing can hot-add memory here"
	rm -rf "$ROOT"
	mkroot --acpi-memory-hotplug 0-3:online
	srat 1
	doctor_json 0
	run check onliners <<<"$output"
	assert_output --partial "ok nothing can hot-add memory here"
	srat 3
	doctor_json 65
	run check onliners <<<"$output"
	assert_output --partial "warning nobody onlines new memory"
}

@test "an unreadable auto_online_blocks is not 'nobody onlines'" {
	mkroot --acpi-memory-hotplug 0-3:online
	rm "$MEM/auto_online_blocks"
	doctor_json 65
	run check onliners <<<"$output"
	assert_line --partial "warning cannot tell whether the kernel onlines new memory"
}

@test "virtio_mem built in with no device bound is skipped, not ok" {
	mkroot --module virtio_mem:builtin:unplug_online=Y 0-3:online
	our_rule
	doctor_json 0
	run check virtio-mem <<<"$output"
	assert_output "skipped virtio_mem driver built-in, but no virtio-mem device"
	mkdir -p "$ROOT/sys/devices/virtio0" "$ROOT/sys/bus/virtio/drivers/virtio_mem"
	ln -s ../../../../devices/virtio0 "$ROOT/sys/bus/virtio/drivers/virtio_mem/virtio0"
	doctor_json 0
	run check virtio-mem <<<"$output"
	assert_output "ok virtio-mem: nothing offline (unplug_online=Y: it offlines and removes memory itself)"
}

@test "a masked memonline.service is not enabled" {
	mkroot --acpi-memory-hotplug 0-3:online
	mkdir -p "$ROOT/etc/systemd/system/sysinit.target.wants"
	ln -s /usr/lib/systemd/system/memonline.service \
		"$ROOT/etc/systemd/system/sysinit.target.wants/memonline.service"
	ln -s /dev/null "$ROOT/etc/systemd/system/memonline.service"
	doctor_json 65
	run check onliners <<<"$output"
	assert_line --partial "warning nobody onlines new memory"
}

@test "two offending rules: the fix names each, masking only what is not in /etc" {
	mkroot 0-3:online
	our_rule
	rule lib/udev/rules.d 40-redhat.rules "$RHEL_RULE"
	rule etc/udev/rules.d 99-mine.rules "$RHEL_RULE"
	doctor_json 65
	run check udev-rules <<<"$output"
	assert_line "fix: mask it: ln -s /dev/null /etc/udev/rules.d/40-redhat.rules; edit or remove /etc/udev/rules.d/99-mine.rules"
}
