#!/usr/bin/env bats
# memonline list: ranges, states, nodes and zones as lsmem shows them.

load helpers

# Compare with lsmem on the columns both tools have.
assert_same_as_lsmem() {
	local cols=RANGE,STATE,BLOCK,NODE,ZONES
	run -0 "$MEMONLINE" --sysroot "$1" list -r -o "$cols"
	local ours=$output
	run -0 lsmem --sysroot "$1" -r -o "$cols"
	assert_equal "$ours" "$output"
}

@test "list matches lsmem on the tree captured from an EC2 KVM guest" {
	assert_same_as_lsmem "$FIXTURES/ec2-kvm-24g"
}

@test "list matches lsmem on synthetic edge cases" {
	mkroot 0:online:none 1-23:online:DMA32 32-39:online:Normal 40-47:offline \
		100-101:online:Movable:1 102:going-offline:Movable:1 8192-8193:offline:Movable,Normal:1
	assert_same_as_lsmem "$ROOT"
}

@test "list merges contiguous blocks alike, splits on gaps, state, node and zone" {
	mkroot 0-3:online:Normal:0 4-5:offline:Normal,Movable:0 6-7:offline:Normal,Movable:1 \
		10-11:offline:Normal,Movable:1
	run -0 "$MEMONLINE" --sysroot "$ROOT" list -r -o BLOCK,STATE,NODE,ZONES
	assert_output "BLOCK STATE NODE ZONES
0-3 online 0 Normal
4-5 offline 0 Normal/Movable
6-7 offline 1 Normal/Movable
10-11 offline 1 Normal/Movable"
}

@test "list --blocks shows one row per block" {
	mkroot 0-2:online
	run -0 "$MEMONLINE" --sysroot "$ROOT" list --blocks -r -n -o BLOCK
	assert_output $'0\n1\n2'
}

@test "numbering that starts far from 0 is normal" {
	mkroot 8192-8199:offline
	run -0 "$MEMONLINE" --sysroot "$ROOT" list -r -n -o RANGE,BLOCK
	assert_output "0x0000010000000000-0x000001003fffffff 8192-8199"
}

@test "blocks without valid_zones or node links are normal" {
	mkroot --no-valid-zones 0-3:online::-
	run -0 "$MEMONLINE" --sysroot "$ROOT" list -r -o BLOCK,STATE,NODE,ZONES
	assert_output $'BLOCK STATE NODE ZONES\n0-3 online  '
	refute_output --partial "memonline:"
}

@test "list --json is lsmem-shaped JSON with numeric nodes" {
	mkroot 0-1:online 2:offline
	run -0 "$MEMONLINE" --sysroot "$ROOT" list --json -o BLOCK,STATE,NODE
	run -0 python3 -c 'import json,sys; d=json.load(sys.stdin)["memory"]; print(d[1]["block"], d[1]["state"], d[1]["node"])' <<<"$output"
	assert_output "2 offline 0"
}

@test "SOURCE tells virtio-mem, kmem and DIMM blocks apart" {
	cat >"$BATS_TEST_TMPDIR/iomem" <<-'EOF'
	00001000-0009fbff : System RAM
	00100000-0fffffff : System RAM
	100000000-13fffffff : virtio0
	  100000000-10fffffff : System RAM (virtio_mem)
	140000000-17fffffff : dax0.0
	  140000000-17fffffff : System RAM (kmem)
	EOF
	mkroot --iomem "$BATS_TEST_TMPDIR/iomem" --firmware-node 48-55 0-1:online \
		32-33:offline 40-41:offline 48-49:offline 56:offline
	run -0 "$MEMONLINE" --sysroot "$ROOT" list -r -n -o BLOCK,SOURCE
	assert_output "0-1 boot
32-33 virtio-mem
40-41 kmem
48-49 dimm
56 unknown"
}

@test "SOURCE of unmarked offline blocks on a Xen guest is xen" {
	mkroot 0:online 8:offline
	mkdir -p "$ROOT/sys/hypervisor" && echo xen >"$ROOT/sys/hypervisor/type"
	run -0 "$MEMONLINE" --sysroot "$ROOT" list -r -n -o BLOCK,SOURCE
	assert_output $'0 boot\n8 xen'
}

@test "list rejects an unknown column" {
	mkroot 0:online
	run -2 "$MEMONLINE" --sysroot "$ROOT" list -o RANGE,COLOUR
	assert_output --partial "unknown column 'COLOUR'"
}

@test "a malformed state is named with its path, and the other blocks still list" {
	mkroot 0-2:online
	echo sideways >"$MEM/memory1/state"
	run -0 "$MEMONLINE" --sysroot "$ROOT" list -r -n -o BLOCK,STATE
	assert_line "memonline: $ROOT/sys/devices/system/memory/memory1/state: unexpected value, ignoring block"
	assert_line "0 online"
	assert_line "1 ?"
	assert_line "2 online"
}

@test "a sysfs value too long to be one is refused, not read whole" {
	mkroot 0-1:online
	head -c 10000000 /dev/zero | tr '\0' 'x' >"$MEM/memory1/valid_zones"
	run -0 "$MEMONLINE" --sysroot "$ROOT" list -r -n -o BLOCK,STATE
	assert_line --partial "memory1/valid_zones: File too large, ignoring block"
}

@test "binary junk in a sysfs value is refused" {
	mkroot 0-1:online
	printf 'on\0line\n' >"$MEM/memory1/state"
	run -0 "$MEMONLINE" --sysroot "$ROOT" list -r -n -o BLOCK,STATE
	assert_line --partial "memory1/state: unexpected value, ignoring block"
}

@test "entries that only look like blocks are ignored" {
	mkroot 0-1:online
	mkdir "$MEM/memory1x" "$MEM/memory01" "$MEM/memory.." 2>/dev/null || true
	mkdir -p "$MEM/memory1x" "$MEM/memory01"
	run -0 "$MEMONLINE" --sysroot "$ROOT" list -r -n -o BLOCK
	assert_output "0-1"
}

@test "a Xen or Hyper-V block memonline onlined keeps its source; boot memory stays boot" {
	mkroot --xen 1048576:524288 0-3:online 4-5:offline
	run -0 "$MEMONLINE" --sysroot "$ROOT" list -r -n -o BLOCK,STATE,SOURCE
	assert_output $'0-3 online boot\n4-5 offline xen'
	run -0 mo online 4
	run -0 "$MEMONLINE" --sysroot "$ROOT" list -r -n -o BLOCK,STATE,SOURCE
	assert_output $'0-3 online boot\n4 online xen\n5 offline xen'
	rm -rf "$ROOT"
	mkroot 0-3:online 4:offline
	mkdir -p "$ROOT/sys/bus/vmbus"
	run -0 mo online --all
	run -0 "$MEMONLINE" --sysroot "$ROOT" list -r -n -o BLOCK,SOURCE
	assert_output $'0-3 boot\n4 hyperv'
}

@test "the source records never follow a link out of the tree" {
	mkroot --xen 1048576:524288 0-3:online 4:offline
	mkdir -p "$ROOT/run/memonline" "$BATS_TEST_TMPDIR/outside"
	ln -s "$BATS_TEST_TMPDIR/outside" "$ROOT/run/memonline/source"
	run -0 mo online 4
	assert_equal "$(ls "$BATS_TEST_TMPDIR/outside")" ""
}

@test "a DIMM's blocks read dimm by the ACPI bus; with no memory device there, no link is read" {
	mkroot --acpi-bus --firmware-node 16-19 0-15:online 16-19:offline
	run -0 "$MEMONLINE" --sysroot "$ROOT" list -r -n -o BLOCK,SOURCE
	assert_output $'0-15 boot\n16-19 dimm'
	rm -rf "$ROOT"
	# Only a present memory device binds blocks (drivers/acpi/glue.c): a
	# link that none made is not read.
	mkroot --acpi-bus 0-15:online 16-19:offline
	ln -s ../../../LNXSYSTM:00 "$MEM/memory16/firmware_node"
	run -0 "$MEMONLINE" --sysroot "$ROOT" list -r -n -o BLOCK,SOURCE
	assert_output $'0-15 boot\n16-19 unknown'
}
