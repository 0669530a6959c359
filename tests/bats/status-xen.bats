#!/usr/bin/env bats
# memonline status: the hypervisor, the Xen balloon and the hot-add drivers.

load helpers

json_get() { # json_get PYTHON-EXPRESSION-ON-d
	python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

@test "status on a Xen guest shows the balloon and its verdict" {
	mkroot --xen 1048576:524288 --xen-guest-type PVH --hotplug-unpopulated 0-3:online \
		32-35:offline
	run -0 mo status
	assert_line "Hypervisor:          Xen PVH guest (from /sys/hypervisor)"
	assert_line "Xen balloon:         target 1G, current 512M, low 0B, high 0B, hotplug yes"
	assert_line --partial "Xen verdict:         waiting for onlining"
}

@test "status --json carries the hypervisor and the balloon" {
	mkroot --xen 1048576:1048576 0-3:online
	run -0 mo status --json
	run -0 json_get 'd["hypervisor"]["type"], d["hypervisor"]["guest_type"], d["xen_balloon"]["verdict"], d["xen_balloon"]["hotplug"]' <<<"$output"
	assert_output "xen HVM reached False"
}

@test "status --json: a refused PVH balloon's fix names the paging pool, a PV one's not" {
	mkroot --xen 1310720:1269372:41348 --hotplug-unpopulated --xen-counters 4:3:20:4 \
		--xen-guest-type PVH 0-3:online
	run -0 mo status --json
	run -0 json_get 'd["xen_balloon"]["verdict"], "xl mem-max" in d["xen_balloon"]["fix"], "shadow_memory" in d["xen_balloon"]["fix"]' <<<"$output"
	assert_output "hypervisor-refuses True True"
	rm -rf "$ROOT"
	mkroot --xen 1310720:1269372:41348 --hotplug-unpopulated --xen-counters 4:3:20:4 \
		--xen-guest-type PV 0-3:online
	run -0 mo status --json
	run -0 json_get '"xl mem-set lowers it" in d["xen_balloon"]["fix"], "shadow_memory" in d["xen_balloon"]["fix"]' <<<"$output"
	assert_output "True False"
}

@test "an empty /sys/hypervisor is no hypervisor, and no balloon" {
	mkroot --hypervisor-dir 0-3:online
	run -0 mo status --json
	run -0 json_get 'd["hypervisor"]["type"], d["xen_balloon"]' <<<"$output"
	assert_output "None None"
	run -0 mo status
	assert_line "Hypervisor:          none detected"
	refute_line --partial "Xen balloon:"
}

@test "a malformed balloon does not hide the rest of status" {
	mkroot --xen 1048576:1048576 0-3:online
	echo 20 >"$ROOT/sys/devices/system/xen_memory/xen_memory0/target"
	echo junk >"$ROOT/sys/devices/system/xen_memory/xen_memory0/info/low_kb"
	run -0 mo status
	assert_line "memonline: $ROOT/sys/devices/system/xen_memory/xen_memory0/info/low_kb: unexpected value, ignoring the balloon"
	assert_line "Blocks:              4 (4 online, 0 offline)"
}

@test "drivers below a sysroot: built-in with parameters, loaded module, ACPI, absent" {
	mkroot --module virtio_mem:builtin:unplug_online=Y --module hv_balloon:live:hot_add=N \
		--acpi-memory-hotplug 0:online
	run -0 mo status
	assert_line "Hot-add drivers:     virtio_mem built-in (unplug_online Y), hv_balloon loaded (hot_add N), acpi_memhotplug built-in (enabled Y), kmem absent"
}

@test "dax kmem built in without parameters is found by its driver directory" {
	mkroot 0:online
	mkdir -p "$ROOT/sys/bus/dax/drivers/kmem"
	run -0 mo status --json
	run -0 json_get '[x["state"] for x in d["hotadd_drivers"] if x["driver"] == "kmem"][0]' <<<"$output"
	assert_output "built-in"
}

@test "status --json lists every hot-add driver with its parameter" {
	mkroot --module virtio_mem:live:unplug_online=N 0:online
	run -0 mo status --json
	run -0 json_get '[(x["driver"], x["state"]) for x in d["hotadd_drivers"]], d["hotadd_drivers"][0]["unplug_online"]' <<<"$output"
	assert_output "[('virtio_mem', 'loaded'), ('hv_balloon', 'absent'), ('acpi_memhotplug', 'absent'), ('kmem', 'absent')] False"
}
