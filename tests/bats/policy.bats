#!/usr/bin/env bats
# zone auto is the kernel's auto-movable policy (issue 15): each test is one
# of tests/qemu/run-differential's sequences on a fixture tree, with the zones
# the kernel gives in QEMU (Debian's 6.1), so a regression fails in seconds.

load helpers

# zones FIRST LAST: M for Movable, K for a kernel zone, - for offline.
zones() {
	local n out=
	for ((n = $1; n <= $2; n++)); do
		case $(block_state "$n"):$(block_zones "$n") in
		online:Movable) out+=M ;;
		online:*) out+=K ;;
		*) out+=- ;;
		esac
	done
	echo "$out"
}

# The add events of blocks FIRST..LAST, for watch --replay.
add_events() {
	local n
	for ((n = $1; n <= $2; n++)); do
		echo "add /devices/system/memory/memory$n"
	done >>"$BATS_TEST_TMPDIR/events"
}

virtio_mem_iomem() { # virtio_mem_iomem FIRST LAST: one device's blocks
	printf '%x-%x : virtio0\n  %x-%x : System RAM (virtio_mem)\n' \
		$(($1 << 27)) $((($2 + 1 << 27) - 1)) $(($1 << 27)) $((($2 + 1 << 27) - 1)) \
		>"$BATS_TEST_TMPDIR/iomem"
}

@test "a DIMM over the budget goes whole to Normal, not split (issue 15's fixture)" {
	mkroot --firmware-node 8-39 0-7:online 8-39:offline
	run -0 mo online --all -v
	assert_equal "$(zones 8 39)" KKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKK
	assert_line --partial "memory8: online Normal (zone auto: movable 0B + DIMM 4G > 3G (301% of early kernel))"
}

@test "DIMMs of growing size: the last, which does not fit, whole in Normal" {
	mkroot --firmware-node 8-11 --firmware-node 12-19 --firmware-node 20-35 0-7:online \
		8-35:offline
	run -0 mo online --all
	assert_equal "$(zones 8 35)" MMMMMMMMMMMMKKKKKKKKKKKKKKKK
}

@test "the same DIMMs under watch: coldplug, then add events one DIMM at a time" {
	mkroot --firmware-node 8-11 --firmware-node 12-19 --firmware-node 20-35 0-7:online \
		8-35:offline
	: >"$BATS_TEST_TMPDIR/events"
	run -0 mo watch --replay "$BATS_TEST_TMPDIR/events"
	assert_equal "$(zones 8 35)" MMMMMMMMMMMMKKKKKKKKKKKKKKKK
}

@test "a DIMM partly in Normal: the rest follows it" {
	mkroot --firmware-node 8-15 0-7:online 8:online:Normal 9-15:offline
	run -0 mo online --all -v
	assert_equal "$(zones 8 15)" KKKKKKKK
	assert_line --partial "its DIMM is partly in a kernel zone already"
}

# 512M of boot memory on each of two nodes; DIMMs 1G@1, 1G@1, 512M@0.
two_nodes_dimms() {
	mkroot --firmware-node 8-15 --firmware-node 16-23 --firmware-node 24-27 \
		0-3:online::0 4-7:online::1 8-23:offline::1 24-27:offline::0
}

@test "two nodes: each node's budget, a DIMM whole" {
	two_nodes_dimms
	run -0 mo online --all -v
	assert_equal "$(zones 8 27)" MMMMMMMMKKKKKKKKMMMM
	assert_line --partial "memory16: online Normal (zone auto: node 1 movable 1G + DIMM 1G > 1.5G"
}

@test "numa-aware no: the system's budget alone" {
	two_nodes_dimms
	echo "numa-aware no" >"$CONF"
	run -0 mo online --all
	assert_equal "$(zones 8 27)" MMMMMMMMMMMMMMMMMMMM
}

@test "ratio 150: the budget scales, DIMMs stay whole" {
	mkroot --firmware-node 8-15 --firmware-node 16-19 --firmware-node 20-23 0-7:online \
		8-23:offline
	echo "ratio 150" >"$CONF"
	run -0 mo online --all
	assert_equal "$(zones 8 23)" MMMMMMMMMMMMKKKK
}

@test "virtio-mem: per block, its own kernel blocks buy it room" {
	virtio_mem_iomem 8 39
	mkroot --iomem "$BATS_TEST_TMPDIR/iomem" 0-7:online 8-39:offline
	run -0 mo online --all
	assert_equal "$(zones 8 39)" MMMMMMMMMMMMMMMMMMMMMMMMKMMMKMMM
}

@test "DIMMs then virtio-mem: hot-added Normal memory is not early memory" {
	virtio_mem_iomem 40 55
	mkroot --iomem "$BATS_TEST_TMPDIR/iomem" --firmware-node 8-23 --firmware-node 24-39 \
		0-7:online 8-55:offline
	run -0 mo online --all
	assert_equal "$(zones 8 55)" \
		MMMMMMMMMMMMMMMMKKKKKKKKKKKKKKKKMMMMMMMMKMMMKMMM
}

@test "early kernel memory counts present pages from /proc/zoneinfo, less hot-added ones" {
	# 1 GiB of boot blocks with 400 KiB of holes, and a hot-added Normal
	# DIMM: 300% of 1 GiB less the holes leaves no room for a 24th block.
	mkroot --firmware-node 8-15 --firmware-node 16-38 --firmware-node 39 \
		0-7:online:Normal 8-15:online:Normal 16-38:online:Movable 39:offline
	echo "ratio 300" >"$CONF"
	cat >"$ROOT/proc/zoneinfo" <<-'EOF'
	Node 0, zone   Normal
	        present  524188
	Node 0, zone  Movable
	        present  753664
	EOF
	run -0 mo status --json
	assert_output --partial '"semantics": "kernel-auto-movable"'
	assert_output --partial '"movable": 3087007744'
	assert_output --partial '"limit": 3219996672'
	run -0 mo status
	assert_line --partial "Zone auto:           the kernel's auto-movable policy"
	assert_line "Movable budget:      126.8M left (movable 2.9G of 3G, 300% of early kernel memory)"
	run -0 mo online 39 -v
	assert_equal "$(zones 39 39)" K
}

@test "a rule or --zone never splits a DIMM: refused whole, with the reason" {
	mkroot --firmware-node 8-11 0-7:online 8-10:offline 11:offline:Normal
	echo "rule source=dimm zone=movable" >"$CONF"
	run -1 mo online --all
	assert_equal "$(writes)" ""
	assert_line --partial "memory8: failed"
	assert_line --partial "not a valid zone for every block of its DIMM"
	run -1 mo online --all --zone movable
	assert_equal "$(writes)" ""
}

@test "--zone kernel on a DIMM already partly movable is refused" {
	mkroot --firmware-node 8-11 0-7:online 8:online:Movable 9-11:offline
	run -1 mo online --all --zone kernel
	assert_equal "$(writes)" ""
	assert_line --partial "its DIMM is partly in Movable already, and a DIMM is never split"
}

# link_node_late BLOCK NODE: the kernel links the block to its node 0.3 s from
# now; until then its valid_zones must not be read (a directory fails).
link_node_late() {
	rm "$MEM/memory$1/valid_zones"
	mkdir "$MEM/memory$1/valid_zones"
	(
		sleep 0.3
		rmdir "$MEM/memory$1/valid_zones"
		echo "Normal Movable" >"$MEM/memory$1/valid_zones"
		ln -s ../../node/node$2 "$MEM/memory$1/node$2"
		ln -s ../../memory/memory$1 "$ROOT/sys/devices/system/node/node$2/memory$1"
	) &
}

# Node 1 is out of budget, the system is not: judged without its node, block
# 20 went movable, over node 1's 301%.  Its node link comes 0.3 s late.
node_link_late() {
	mkroot --firmware-node 20 0-3:online::0 4-7:online::1 8-19:online:Movable:1 \
		20:offline::-
	link_node_late 20 1
}

@test "watch: a block linked to its node after its add event is judged with its node" {
	node_link_late
	add_events 20 20
	run -0 mo watch --replay "$BATS_TEST_TMPDIR/events"
	wait
	assert_equal "$(writes)" "memory20 online_kernel"
}

@test "a block linked to its node after the add event is judged with its node (issue 15)" {
	node_link_late
	run -0 mo online --all -v
	wait
	assert_equal "$(writes)" "memory20 online_kernel"
	assert_line --partial "memory20: online Normal (zone auto: node 1 movable"
}

@test "dry run: a block without its node is not judged by the total alone" {
	mkroot 0-3:online::0 4-7:online::1 8-19:online:Movable:1 20:offline::-
	run -1 mo online --all --dry-run
	assert_line --partial "memory20: failed (zone auto: not linked to its node yet)"
}

# A DIMM being added: its blocks and node links are there, the ACPI handler
# has not bound them to the DIMM yet (firmware_node), which it does next.
dimm_being_bound() { # dimm_being_bound FIRST LAST
	local acpi=$ROOT/sys/devices/LNXSYSTM:00/PNP0C80:07
	mkdir -p "$acpi" "$ROOT/sys/bus/acpi/devices"
	echo 15 >"$acpi/status"
	ln -s ../../../devices/LNXSYSTM:00/PNP0C80:07 "$ROOT/sys/bus/acpi/devices/PNP0C80:07"
	(
		sleep 0.3
		for ((n = $1; n <= $2; n++)); do
			ln -s ../../../LNXSYSTM:00/PNP0C80:07 "$MEM/memory$n/firmware_node"
		done
		ln -s ../../system/memory/memory$1 "$acpi/physical_node"
	) &
}

@test "a DIMM's blocks wait until the DIMM is bound to them, then go whole (issue 15)" {
	# Judged before the binding, as blocks without a group, the first four
	# fit node 1's budget and the DIMM was split (seen in QEMU).
	mkroot --firmware-node 8-15 0-3:online::0 4-7:online::1 8-15:online:Movable:1 \
		16-21:offline::1
	dimm_being_bound 16 21
	run -0 mo online --all
	wait
	assert_equal "$(zones 16 21)" KKKKKK
}

@test "watch: a DIMM's add events before its binding, the DIMM whole" {
	mkroot --firmware-node 8-15 0-3:online::0 4-7:online::1 8-15:online:Movable:1 \
		16-21:offline::1
	dimm_being_bound 16 21
	add_events 16 21
	run -0 mo watch --replay "$BATS_TEST_TMPDIR/events"
	wait
	assert_equal "$(zones 16 21)" KKKKKK
}

@test "watch onlines blocks in address order, as the kernel, when a lower one settles late" {
	# 13% of 1G is one block: the kernel, adding 8 then 9, makes 8 movable.
	mkroot 0-7:online::0 8:offline::- 9:offline::0
	echo "ratio 13" >"$CONF"
	link_node_late 8 0
	add_events 8 9
	run -0 mo watch --replay "$BATS_TEST_TMPDIR/events"
	wait
	assert_equal "$(zones 8 9)" MK
}
