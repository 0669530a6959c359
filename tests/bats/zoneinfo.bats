#!/usr/bin/env bats
# Zones of online blocks from /proc/zoneinfo's spans: a scan reads
# valid_zones only where the zones of a node overlap (lib/zoneinfo.c).

load helpers

# Node 0: Normal over blocks 0-12 with Movable inside it at 8-11 (onlined
# alternately), block 20 across two zones; node 1: Movable alone.
overlapping_tree() {
	mkroot --zoneinfo 0-7:online:Normal 8-11:online:Movable 12:online:Normal \
		13-15:offline 16-19:online:Movable:1 20:online:none 21:going-offline:Movable:1
}

without_budget() {
	python3 -c 'import json, sys; d = json.load(sys.stdin); del d["budget"]; print(json.dumps(d))'
}

@test "zones from zoneinfo read the same as valid_zones, overlap and all" {
	overlapping_tree
	run -0 "$MEMONLINE" --sysroot "$ROOT" list --blocks -J
	local spans=$output
	# Not zone auto's budget: it counts zoneinfo's present pages where there
	# are some (docs/zone-auto.md), and this zoneinfo leaves block 20 out.
	run -0 "$MEMONLINE" --sysroot "$ROOT" status -J
	local spans_status=$(without_budget <<<"$output")
	rm "$ROOT/proc/zoneinfo"
	run -0 "$MEMONLINE" --sysroot "$ROOT" list --blocks -J
	assert_equal "$spans" "$output"
	run -0 "$MEMONLINE" --sysroot "$ROOT" status -J
	assert_equal "$spans_status" "$(without_budget <<<"$output")"
}

@test "an online block that one zone spans is not read for its zone" {
	overlapping_tree
	# Unreadable valid_zones: an error for any block whose file is read.
	rm "$MEM/memory5/valid_zones" "$MEM/memory17/valid_zones"
	mkdir "$MEM/memory5/valid_zones" "$MEM/memory17/valid_zones"
	run -0 "$MEMONLINE" --sysroot "$ROOT" list --blocks -r -n -o BLOCK,ZONES
	assert_line "5 Normal"
	assert_line "17 Movable"
	rm "$ROOT/proc/zoneinfo"
	run "$MEMONLINE" --sysroot "$ROOT" list --blocks -r -n -o BLOCK,ZONES
	assert_output --partial "memory5/valid_zones"
}

@test "a block where zones overlap is read for its zone" {
	overlapping_tree
	rm "$MEM/memory9/valid_zones"
	mkdir "$MEM/memory9/valid_zones"
	run "$MEMONLINE" --sysroot "$ROOT" list --blocks -r -n -o BLOCK,ZONES
	assert_output --partial "memory9/valid_zones"
}

@test "a zoneinfo that is not zoneinfo leaves every zone to valid_zones" {
	overlapping_tree
	run -0 "$MEMONLINE" --sysroot "$ROOT" list --blocks -J
	local expected=$output
	printf 'Node 0, zone Normal\n        spanned  999999999\n' >"$ROOT/proc/zoneinfo"
	run -0 "$MEMONLINE" --sysroot "$ROOT" list --blocks -J
	assert_equal "$output" "$expected"
}
