#!/usr/bin/env bats
# memonline online: decide by policy, write, read back, report per block.

load helpers

@test "online --all writes, for each block, the zone the policy chose" {
	mkroot 0-7:online:Normal 8-15:offline
	echo "ratio 50" >"$CONF"
	run -0 mo online --all
	# 50% of 1 GiB of boot memory is 4 movable blocks; kernel blocks
	# hot-added after them make no room, as in the kernel's policy.
	assert_equal "$(writes)" "memory8 online_movable
memory9 online_movable
memory10 online_movable
memory11 online_movable
memory12 online_kernel
memory13 online_kernel
memory14 online_kernel
memory15 online_kernel"
	assert_line "memory8: online Movable"
	assert_line "memory12: online Normal"
	assert_equal "$(block_state 15)" online
	assert_equal "$(block_zones 15)" Normal
}

@test "rules by source: virtio-mem to kernel, DIMM to movable, dax kmem skipped" {
	cat >"$BATS_TEST_TMPDIR/iomem" <<-'EOF'
	100000000-10fffffff : virtio0
	  100000000-107ffffff : System RAM (virtio_mem)
	110000000-117ffffff : dax0.0
	  110000000-117ffffff : System RAM (kmem)
	EOF
	mkroot --iomem "$BATS_TEST_TMPDIR/iomem" --firmware-node 36 0-7:online 32:offline \
		34:offline 36:offline
	printf 'rule source=virtio-mem zone=kernel\nrule source=dimm zone=movable\n' >"$CONF"
	run -0 mo online --all
	assert_equal "$(writes)" $'memory32 online_kernel\nmemory36 online_movable'
	assert_line --partial "memory34: skipped (built-in rule source=kmem: skip)"
	assert_equal "$(block_state 34)" offline
}

@test "rules by node" {
	mkroot 0-7:online:Normal:0 8-15:online:Normal:1 16:offline::0 17:offline::1
	echo "rule node=1 zone=kernel" >"$CONF"
	run -0 mo online --all
	assert_equal "$(writes)" $'memory16 online_movable\nmemory17 online_kernel'
}

@test "--zone forces the zone over the policy" {
	mkroot 0-3:online 4-5:offline
	run -0 mo online --all --zone kernel
	assert_equal "$(writes)" $'memory4 online_kernel\nmemory5 online_kernel'
	run -0 mo online 4 --zone default
	assert_line "memory4: already online Normal"
}

@test "--zone default writes plain online and reports the kernel's choice" {
	mkroot 0-3:online 4:offline:Movable,Normal
	run -0 mo online memory4 --zone default
	assert_equal "$(writes)" "memory4 online"
	assert_output "memory4: online Movable"
}

@test "--dry-run says what would be done and changes nothing" {
	mkroot 0-7:online 8-9:offline
	run -0 mo online --all --dry-run
	assert_line "memory8: would online_movable"
	assert_equal "$(writes)" ""
	assert_equal "$(block_state 8)" offline
}

@test "already-online race: the kernel got there first, so it is not a failure" {
	mkroot 0-7:online 8-9:offline
	fault 8 race
	run -0 mo online --all
	assert_line "memory8: already online Normal"
	assert_line "memory9: online Movable"
	refute_output --partial failed
}

@test "every block lost to another onliner: already online, not 'nothing to online'" {
	mkroot 0-7:online 8:offline
	fault 8 race
	run -0 mo online --all
	assert_output "memory8: already online Normal"
}

@test "EBUSY on one block: the others go on, exit 64 for partial success" {
	mkroot 0-7:online 8-10:offline
	fault 9 EBUSY
	run -64 mo online --all
	assert_line "memory8: online Movable"
	assert_line --partial "memory9: failed: Device or resource busy"
	assert_line "memory10: online Movable"
}

@test "EPERM from the driver is explained" {
	mkroot 0-7:online 8:offline
	fault 8 EPERM
	run -1 mo online 8
	assert_output --partial "memory8: failed: Operation not permitted (refused by the driver"
}

@test "every block failing is exit 1" {
	mkroot 0-7:online 8-9:offline
	fault 8 EHWPOISON
	fault 9 ENOMEM
	run -1 mo online 8-9
	assert_line --partial "memory8: failed: Memory page has hardware error (the block has poisoned pages)"
	assert_line --partial "memory9: failed: Cannot allocate memory"
}

@test "a block that vanished before the write is reported, not crashed on" {
	mkroot 0-7:online 8-9:offline
	fault 8 vanish
	run -64 mo online --all
	assert_line --partial "memory8: failed: No such file or directory (the block vanished"
	assert_line "memory9: online Movable"
	assert_file_not_exists "$MEM/memory8"
}

@test "online by address range and by size" {
	mkroot 0-7:online 8-15:offline
	run -0 mo online 0x40000000-0x4fffffff
	assert_equal "$(writes)" $'memory8 online_movable\nmemory9 online_movable'
	: >"$FAKESYS_LOG"
	run -0 mo online 512M
	assert_equal "$(writes)" "$(printf 'memory%s online_movable\n' 10 11 12 13)"
}

@test "a size that is not whole blocks is refused" {
	mkroot 0-7:online 8-9:offline
	run -2 mo online 100M
	assert_output --partial "'100M' is not a whole number of 134217728-byte blocks"
	assert_equal "$(writes)" ""
}

@test "more than is offline: what there is, exit 64, as chmem; nothing at all: exit 1" {
	mkroot 0-7:online 8-9:offline
	run -64 mo online 1G
	assert_line "memonline: 1G: only 256M of 1G: no more offline blocks to choose from"
	assert_equal "$(writes)" $'memory8 online_movable\nmemory9 online_movable'
	run -1 mo online 99999T
	assert_line --partial "99999T: only 0B of"
}

@test "a block that does not exist is named" {
	mkroot 0-7:online
	run -1 mo online memory99
	assert_output "memonline: memory99: no such memory block in $ROOT/sys/devices/system/memory"
}

@test "online needs blocks or --all, not both, not neither" {
	mkroot 0:online
	run -2 mo online
	assert_output --partial "give blocks, a range, a size, or --all"
	run -2 mo online --all 0
	run -2 mo online --zone sideways --all
	assert_output --partial "--zone: 'sideways' is not movable, kernel, default or a zone name"
	run -2 mo online bogus
	assert_output --partial "'bogus' is not a block, range or size"
}

@test "a bad config line is FILE:LINE, exit 2, and nothing is written" {
	mkroot 0-7:online 8:offline
	printf 'ratio 50\nzone sideways\n' >"$CONF"
	run -2 mo online --all
	assert_output "memonline: $CONF:2: zone: 'sideways' is not one of auto, movable, kernel, default, skip"
	assert_equal "$(writes)" ""
}

@test "--json reports each block and a summary" {
	mkroot 0-7:online 8-9:offline
	fault 9 EBUSY
	run -64 mo online --all --json
	run -0 python3 -c '
import json, sys
d = json.load(sys.stdin)
b = {x["block"]: x for x in d["blocks"]}
print(b["8"]["result"], b["8"]["action"], b["8"]["zone"], b["9"]["result"], b["9"]["error"])
print(d["summary"]["done"], d["summary"]["failed"])' <<<"$output"
	assert_output $'done online_movable Movable failed Device or resource busy\n1 1'
}

@test "the ratio budget counts movable memory already online" {
	mkroot 0-7:online:Normal 8-15:online:Movable 16:offline
	echo "ratio 100" >"$CONF"
	run -0 mo online 16 -v
	assert_equal "$(writes)" "memory16 online_kernel"
	assert_output --partial "movable 1G + block 128M > 1G (100% of early kernel)"
}

@test "a block whose state is unreadable is not written" {
	mkroot 0-7:online 8-9:offline
	echo garbage >"$MEM/memory8/state"
	run -64 mo online 8-9
	assert_line "memory8: failed: Invalid argument (its state could not be read)"
	assert_equal "$(writes)" "memory9 online_movable"
}

@test "a read-only sysfs is refused before any write" {
	require_privilege --map-root-user --mount
	mkroot 0-7:online 8:offline
	# A read-only bind mount of the tree, in a mount namespace of its own.
	run -1 unshare --map-root-user --mount --propagation private sh -c '
		mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" || exit 99
		shift
		exec "$@"' sh "$ROOT/sys" env LD_PRELOAD="$FAKESYS" \
		"$MEMONLINE" --sysroot "$ROOT" --config "$CONF" online 8
	assert_output "memonline: $ROOT/sys is mounted read-only: block states cannot change here (a container?)"
	assert_equal "$(writes)" ""
}

# Linux 6.1 oopses reading valid_zones of a block not yet linked to its node
# (the QEMU suite caught it): such a block is neither read nor written until
# the link exists.  valid_zones is a directory here, so a read would show.
not_yet_linked() {
	rm "$MEM/memory$1/valid_zones"
	mkdir "$MEM/memory$1/valid_zones"
}
link_node() {
	ln -s ../../node/node0 "$MEM/memory$1/node0"
	ln -s ../../memory/memory$1 "$ROOT/sys/devices/system/node/node0/memory$1"
}

@test "a block not yet linked to its node is neither read nor written, then fails after 2 s" {
	mkroot 0-7:online::0 8:offline::-
	not_yet_linked 8
	SECONDS=0
	run -1 mo online --all
	assert [ "$SECONDS" -ge 2 ]
	assert_output "memory8: failed: Resource temporarily unavailable (the kernel has not finished adding it: no link to its node yet)"
	assert_equal "$(writes)" ""
}

@test "a block linked to its node while online waits for it is onlined" {
	mkroot 0-7:online::0 8:offline::-
	(sleep 0.3; link_node 8) &
	run -0 mo online 8
	wait
	assert_output "memory8: online Movable"
	assert_equal "$(writes)" "memory8 online_movable"
}

@test "status and list show a block not yet linked as offline, without reading its zones" {
	mkroot 0-7:online::0 8:offline::-
	not_yet_linked 8
	run -0 mo list -r -n -o BLOCK,STATE,ZONES
	assert_output $'0-7 online Normal\n8 offline '
	run -0 mo status
	assert_line "Blocks:              9 (8 online, 1 offline)"
}

@test "online --udev reads only its block when a rule says the zone" {
	mkroot 0-7:online:Normal 8:offline
	echo "zone movable" >"$CONF"
	echo "Node 0, zone Normal" >"$ROOT/proc/zoneinfo"
	echo "        present 262144" >>"$ROOT/proc/zoneinfo"
	# A block the rule is not about, unreadable: a scan would complain.
	echo garbage >"$MEM/memory3/state"
	run -0 mo online --udev memory8 -v
	refute_output --partial memory3
	assert_equal "$(writes)" "memory8 online_movable"
}

@test "online --udev with zone auto scans, and counts present pages from /proc/zoneinfo" {
	mkroot 0-7:online:Normal 8:offline
	echo "ratio 100" >"$CONF"
	# The blocks alone would say movable (0 movable); the kernel's zone
	# counts say 4 GiB movable against 1 GiB kernel: over budget.
	cat >"$ROOT/proc/zoneinfo" <<-'EOF'
	Node 0, zone   Normal
	        present  262144
	Node 0, zone  Movable
	        present  1048576
	EOF
	run -0 mo online --udev memory8 -v
	assert_output --partial "memory8: online Normal (zone auto: movable 4G + block 128M > 1G (100% of early kernel))"
	assert_equal "$(writes)" "memory8 online_kernel"
}

@test "online --udev without zoneinfo scans, and names a block that is gone" {
	mkroot 0-7:online:Normal 8:offline
	run -0 mo online --udev memory8
	assert_output "memory8: online Movable"
	echo "Node 0, zone Normal" >"$ROOT/proc/zoneinfo"
	echo "        present 262144" >>"$ROOT/proc/zoneinfo"
	run -1 mo online --udev memory9
	assert_output "memonline: memory9: no such memory block in $ROOT/sys/devices/system/memory"
}

@test "a dry run's JSON says it is one, and each block would be done" {
	mkroot 0-7:online 8-9:offline
	run -0 mo online -n -J 8
	run -0 python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["dry_run"], d["blocks"][0]["result"], d["summary"]["would"], "done" in d["summary"])' <<<"$output"
	assert_output "True would 1 False"
	rm -r "$ROOT"
	mkroot 0-7:online 8-9:online:Movable
	run -0 mo offline -n -J 128M
	run -0 python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["dry_run"], d["blocks"][0]["block"], d["blocks"][0]["result"], d["summary"]["would"])' <<<"$output"
	assert_output "True 9 would 1"
	assert_equal "$(writes)" ""
}

@test "SIZE counts only blocks the command acts on: skipped dax kmem is passed over" {
	cat >"$BATS_TEST_TMPDIR/iomem" <<-'EOF'
	100000000-13fffffff : dax0.0
	  100000000-13fffffff : System RAM (kmem)
	140000000-17fffffff : virtio0
	  140000000-17fffffff : System RAM (virtio_mem)
	EOF
	mkroot --iomem "$BATS_TEST_TMPDIR/iomem" 0-31:online 32-47:offline
	run -0 mo online -n -v 1G
	refute_line --partial "memory32:"
	assert_line --partial "memory40: would online_movable"
	assert_line --partial "memory47: would online_movable"
	run -0 mo online 1G
	assert_equal "$(writes)" "$(printf 'memory%s online_movable\n' {40..47})"
}

@test "--zone does not override a skip rule without --force" {
	cat >"$BATS_TEST_TMPDIR/iomem" <<-'EOF'
	100000000-10fffffff : dax0.0
	  100000000-10fffffff : System RAM (kmem)
	EOF
	mkroot --iomem "$BATS_TEST_TMPDIR/iomem" 0-31:online 32-33:offline
	run -1 mo online --zone movable 256M
	assert_equal "$(writes)" ""
	run -0 mo online --zone movable 32
	assert_line "memory32: skipped (built-in rule source=kmem: skip; --zone does not override it without --force)"
	assert_equal "$(writes)" ""
	run -0 mo online --zone movable --force 256M
	assert_equal "$(writes)" $'memory32 online_movable\nmemory33 online_movable'
}

@test "--zone takes the kernel's and chmem's zone names, in any case" {
	mkroot 0-7:online 8-11:offline:Normal,Movable
	run -0 mo online --zone Movable 8
	run -0 mo online --zone NORMAL 9
	run -0 mo online --zone DMA32 10
	run -0 mo online -z movable 11
	assert_equal "$(writes)" $'memory8 online_movable\nmemory9 online_kernel\nmemory10 online_kernel\nmemory11 online_movable'
	run -2 mo online --zone Device 8
}
