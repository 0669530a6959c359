#!/usr/bin/env bats
# memonline status --format prometheus: node_exporter's textfile format,
# checked by a strict parser (tests/promcheck) and by promtool when present.

load helpers

PROMCHECK=$TOP/tests/promcheck

xen_tree() {
	mkroot --xen 1048576:524288:0:0 --hotplug-unpopulated --module virtio_mem:builtin \
		0-3:online:DMA32 4-7:online:Normal 8-9:online:Movable:1 10:going-offline:Movable:1 \
		32-35:offline
}

@test "the metrics pass the strict parser" {
	xen_tree
	run -0 mo status --format prometheus
	echo "$output" >"$BATS_TEST_TMPDIR/m.prom"
	run -0 "$PROMCHECK" "$BATS_TEST_TMPDIR/m.prom"
	assert_output --regexp '^[0-9]+ families, [0-9]+ samples$'
}

@test "the metrics pass promtool check metrics" {
	local promtool
	promtool=$(promtool_bin) || skip "no promtool (scripts/fetch-promtool puts one in .cache)"
	xen_tree
	run -0 mo status --format prometheus
	run -0 "$promtool" check metrics <<<"$output"
}

@test "blocks and bytes by state, and zone when online" {
	xen_tree
	run -0 mo status --format prometheus
	assert_line 'memonline_blocks{state="online",zone="DMA32"} 4'
	assert_line 'memonline_blocks{state="online",zone="Movable"} 2'
	assert_line 'memonline_blocks{state="going_offline",zone="Movable"} 1'
	assert_line 'memonline_blocks{state="offline"} 4'
	assert_line 'memonline_memory_bytes{state="offline"} 536870912'
	assert_line 'memonline_memory_bytes{state="online",zone="Normal"} 536870912'
	assert_line 'memonline_node_memory_bytes{node="1",kind="movable"} 402653184'
}

@test "the movable ratio and the budget" {
	xen_tree
	run -0 mo status --format prometheus
	# 3 movable blocks (going-offline still counts) over 8 kernel blocks.
	assert_line 'memonline_movable_kernel_ratio 0.375000'
	assert_line 'memonline_movable_kernel_ratio_budget 3.01'
	assert_line 'memonline_kernel_auto_online{mode="offline"} 1'
}

@test "the Xen target and current, and the balloon's verdict" {
	xen_tree
	run -0 mo status --format prometheus
	assert_line 'memonline_xen_balloon_target_bytes 1073741824'
	assert_line 'memonline_xen_balloon_current_bytes 536870912'
	assert_line 'memonline_xen_balloon_hotplug 1'
	assert_line 'memonline_xen_balloon_verdict{verdict="waiting-online"} 1'
	assert_line 'memonline_xen_balloon_verdict{verdict="reached"} 0'
}

@test "no Xen family on a machine that is not a Xen guest" {
	mkroot 0-3:online
	run -0 mo status --format prometheus
	refute_output --partial memonline_xen_
}

@test "doctor's verdicts, one series per check" {
	xen_tree
	run -0 mo status --format prometheus
	assert_line 'memonline_doctor_check{check="offline-blocks"} 1'
	assert_line 'memonline_doctor_check{check="xen-balloon"} 1'
	assert_line 'memonline_doctor_check{check="hotplug"} 0'
	assert_line 'memonline_hotadd_driver{driver="virtio_mem",state="built-in"} 1'
	[ "$(grep -c '^memonline_doctor_check{' <<<"$output")" -eq 9 ]
}

@test "a kernel without memory blocks still gives valid metrics" {
	ROOT=$BATS_TEST_TMPDIR/root
	mkdir -p "$ROOT/sys/devices/system" "$ROOT/proc"
	CONF=$BATS_TEST_TMPDIR/memonline.conf && : >"$CONF"
	run -0 mo status --format prometheus
	assert_line 'memonline_doctor_check{check="hotplug"} 2'
	run -0 "$PROMCHECK" <<<"$output"
}

@test "the documented cron line replaces the file atomically" {
	xen_tree
	local dir=$BATS_TEST_TMPDIR/textfile && mkdir "$dir"
	local line
	# The line from docs/metrics.md, pointed at the fixture.
	line=$(sed -n 's/^\* \* \* \* \* root //p' "$TOP/docs/metrics.md")
	[ -n "$line" ]
	line=${line//\/var\/lib\/prometheus\/node-exporter/$dir}
	line=${line//memonline status/memonline --sysroot $ROOT --config $CONF status}
	PATH=$(dirname "$MEMONLINE"):$PATH run -0 sh -c "$line"
	run -0 ls -A "$dir"
	assert_output memonline.prom
	run -0 "$PROMCHECK" "$dir/memonline.prom"
}

@test "--format rejects an unknown format" {
	mkroot 0:online
	run -2 mo status --format yaml
	assert_output --partial "--format: 'yaml' is not text, json or prometheus"
}

# The checker must be strict, or its passes mean nothing.
@test "promcheck refuses what node_exporter refuses" {
	local bad
	for bad in \
		$'# HELP a x\n# TYPE a gauge\na 1\n# HELP b x\n# TYPE b gauge\nb 1\na{x="1"} 2\n' \
		$'# HELP a x\n# TYPE a gauge\na 1\na 2\n' \
		$'# HELP a x\n# TYPE a gauge\na{x="\\q"} 1\n' \
		$'# HELP a x\n# TYPE a gauge\na{x="1",x="2"} 1\n' \
		$'# HELP a x\n# TYPE a gauge\na one\n' \
		$'# HELP a x\n# TYPE a gauge\na 1' \
		$'a 1\n' \
		$'# HELP a x\n# TYPE a meter\na 1\n' \
		$'# HELP 1a x\n# TYPE 1a gauge\n1a 1\n' \
		$'# HELP a x\n# TYPE a gauge\na{__x="1"} 1\n'; do
		run -1 bash -c 'printf %s "$1" | "$2"' _ "$bad" "$PROMCHECK"
	done
	run -0 "$PROMCHECK" <<<$'# HELP a x\n# TYPE a gauge\na{x="q\\"\\\\\\n"} NaN\na{x="2"} +Inf 1700000000000'
}

@test "zero-valued series are there: no offline block is offline 0" {
	mkroot 0-7:online
	run -0 "$MEMONLINE" --sysroot "$ROOT" --config "$CONF" status --format prometheus
	assert_line 'memonline_blocks{state="offline"} 0'
	assert_line 'memonline_memory_bytes{state="offline"} 0'
	assert_line 'memonline_blocks{state="unreadable"} 0'
}

@test "the movable:kernel ratio agrees: a fraction in Prometheus, a percent in JSON" {
	mkroot 0-7:online:Normal 8-11:online:Movable
	run -0 "$MEMONLINE" --sysroot "$ROOT" --config "$CONF" status --format prometheus
	assert_line "memonline_movable_kernel_ratio 0.500000"
	run -0 "$MEMONLINE" --sysroot "$ROOT" --config "$CONF" status --json
	run -0 python3 -c 'import json, sys; print(json.load(sys.stdin)["movable_ratio_percent"])' <<<"$output"
	assert_output 50
}
