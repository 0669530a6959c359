#!/usr/bin/env bats
# memonline status: settings, blocks by zone and node, the ratio.

load helpers

@test "status on the tree captured from an EC2 KVM guest" {
	run -0 "$MEMONLINE" --sysroot "$FIXTURES/ec2-kvm-24g" status
	assert_line "Block size:          128M"
	assert_line "Blocks:              192 (192 online, 0 offline)"
	assert_line "Online memory:       24G (kernel 24G, movable 0B)"
	assert_line "auto_online_blocks:  offline"
	assert_line --partial "New memory:          left offline by the kernel"
	assert_line --regexp "^DMA32 +23 +2.9G$"
	assert_line --regexp "^Normal +168 +21G$"
	assert_line --regexp "^none +1 +128M$"
}

@test "status reports zones, nodes and the movable:kernel ratio" {
	mkroot 0-7:online:Normal:0 8-13:online:Movable:0 14-15:offline::0 16-19:online:Movable:1 \
		20-23:online:Normal:1
	run -0 "$MEMONLINE" --sysroot "$ROOT" status
	assert_line "Movable:kernel:      83% (memonline's budget 301%)"
	assert_line --regexp "^0 +1G +768M +256M +75%$"
	assert_line --regexp "^1 +512M +512M +0B +100%$"
}

@test "status says who onlines new memory when the kernel auto-onlines" {
	mkroot --auto-online online_movable 0-3:online
	run -0 "$MEMONLINE" --sysroot "$ROOT" status
	assert_line "auto_online_blocks:  online_movable"
	assert_line "New memory:          onlined by the kernel itself, into ZONE_MOVABLE"
}

@test "status --json carries the same facts" {
	mkroot 0-7:online:Normal 8-11:online:Movable 12:offline 13:going-offline:Movable
	echo "ratio 150" >"$CONF"
	run -0 "$MEMONLINE" --sysroot "$ROOT" --config "$CONF" status --json
	run -0 python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["block_size"], d["auto_online_blocks"], d["kernel_onlines_new_memory"])
print(d["blocks"]["online"], d["blocks"]["offline"], d["blocks"]["going_offline"])
print(d["bytes"]["kernel"] >> 20, d["bytes"]["movable"] >> 20, d["movable_ratio_percent"])
print(d["policy"]["ratio"], d["kernel_policy"]["online_policy"])
print(sorted((z["zone"], z["blocks"]) for z in d["zones"]))' <<<"$output"
	assert_output "134217728 offline False
12 1 1
1024 640 63
150 contig-zones
[('Movable', 5), ('Normal', 8)]"
}

@test "kernels without the memory_hotplug parameters or valid_zones are normal" {
	mkroot --no-params --no-valid-zones 0-3:online::-
	run -0 "$MEMONLINE" --sysroot "$ROOT" status
	refute_line --partial "Kernel policy:"
	assert_line --regexp "^unknown +4 +512M$"
	refute_output --partial "memonline:"
}

@test "a kernel without memory hotplug is told plainly" {
	ROOT=$BATS_TEST_TMPDIR/root
	mkdir -p "$ROOT/sys/devices/system" "$ROOT/proc"
	run -1 "$MEMONLINE" --sysroot "$ROOT" status
	assert_output "memonline: $ROOT/sys/devices/system/memory: no memory blocks: the kernel was built without CONFIG_MEMORY_HOTPLUG"
}

@test "a malformed block_size_bytes is named" {
	mkroot --block-size 0x8000000 0:online
	run -1 "$MEMONLINE" --sysroot "$ROOT" status
	assert_output "memonline: $ROOT/sys/devices/system/memory: unexpected block_size_bytes"
}

@test "a missing sysroot is named" {
	run -1 "$MEMONLINE" --sysroot "$BATS_TEST_TMPDIR/nowhere" status
	assert_output "memonline: $BATS_TEST_TMPDIR/nowhere/sys: No such file or directory"
}

@test "MEMONLINE_SYSROOT and MEMONLINE_CONFIG stand for the options" {
	mkroot 0-3:online
	echo "ratio 42" >"$CONF"
	MEMONLINE_SYSROOT=$ROOT MEMONLINE_CONFIG=$CONF run -0 "$MEMONLINE" status
	assert_line "Blocks:              4 (4 online, 0 offline)"
	assert_line --partial "ratio 42%"
}

@test "status says which config files were read and which rules are in force" {
	mkroot 0-3:online
	printf 'rule source=dimm zone=movable\n' >"$CONF"
	mkdir "$CONF.d"
	printf '\nrule node=1 zone=kernel\n' >"$CONF.d/10-node.conf"
	run -0 "$MEMONLINE" --sysroot "$ROOT" --config "$CONF" status
	assert_line "Config files:        $CONF, $CONF.d/10-node.conf"
	assert_line "Rules (first wins):  node=1 zone=kernel ($CONF.d/10-node.conf:2)"
	assert_line "                     source=dimm zone=movable ($CONF:1)"
	assert_line "                     source=kmem zone=skip (built-in)"
	run -0 "$MEMONLINE" --sysroot "$ROOT" --config "$CONF" status --json
	run -0 python3 -c '
import json, sys
d = json.load(sys.stdin)["policy"]
print(d["config_files"])
print([(r["rule"], r["line"]) for r in d["rules"]][:2])' <<<"$output"
	assert_output "['$CONF', '$CONF.d/10-node.conf']
[('node=1 zone=kernel', 2), ('source=dimm zone=movable', 1)]"
}

# hv_status: the Hypervisor line of status, and the same in JSON.
hv_status() {
	run -0 "$MEMONLINE" --sysroot "$ROOT" --config "$CONF" status
	local line
	line=$(grep '^Hypervisor:' <<<"$output")
	run -0 "$MEMONLINE" --sysroot "$ROOT" --config "$CONF" status --json
	run -0 python3 -c '
import json, sys
v = json.load(sys.stdin)["virtualization"]
print(sys.argv[1]); print(v["vendor"], v["detected_by"])' "$line" <<<"$output"
}

@test "the hypervisor from a captured cpuid leaf 0x40000000: KVM, VMware, Hyper-V" {
	mkroot 0-3:online
	mkdir "$ROOT/cpuid"
	echo KVMKVMKVM >"$ROOT/cpuid/40000000"
	hv_status
	assert_output $'Hypervisor:          KVM (from cpuid)\nKVM cpuid'
	echo VMwareVMware >"$ROOT/cpuid/40000000"
	hv_status
	assert_output $'Hypervisor:          VMware (from cpuid)\nVMware cpuid'
	echo "Microsoft Hv" >"$ROOT/cpuid/40000000"
	hv_status
	assert_output --partial "Hyper-V cpuid"
}

@test "the hypervisor from /sys/hypervisor: Xen PV, PVH and HVM, even with Viridian's cpuid" {
	local t
	for t in PV PVH HVM; do
		rm -rf "$ROOT"
		mkroot --xen 1048576:1048576 --xen-guest-type $t 0-3:online
		mkdir "$ROOT/cpuid"
		echo "Microsoft Hv" >"$ROOT/cpuid/40000000"
		hv_status
		assert_output "Hypervisor:          Xen $t guest (from /sys/hypervisor)
Xen /sys/hypervisor"
	done
}

@test "the hypervisor from vmbus: Hyper-V, as list's SOURCE says" {
	mkroot 0-3:online 4:offline
	mkdir -p "$ROOT/sys/bus/vmbus"
	hv_status
	assert_output $'Hypervisor:          Hyper-V (from /sys/bus/vmbus)\nHyper-V /sys/bus/vmbus'
	run -0 "$MEMONLINE" --sysroot "$ROOT" list -o BLOCK,SOURCE
	assert_line --regexp "^ +4 +hyperv$"
}

@test "the hypervisor from DMI: QEMU, VMware, an EC2 instance but not EC2 metal" {
	mkroot 0-3:online
	local dmi=$ROOT/sys/class/dmi/id
	mkdir -p "$dmi"
	echo QEMU >"$dmi/sys_vendor"
	hv_status
	assert_output $'Hypervisor:          QEMU (from DMI)\nQEMU DMI'
	echo "VMware, Inc." >"$dmi/sys_vendor"
	hv_status
	assert_output --partial "VMware DMI"
	echo "Amazon EC2" >"$dmi/sys_vendor"
	echo "m6i.large" >"$dmi/product_name"
	hv_status
	assert_output --partial "KVM DMI"
	echo "i3.metal" >"$dmi/product_name"
	hv_status
	assert_output $'Hypervisor:          none detected\nNone None'
}

@test "the hypervisor from s390's /proc/sysinfo: z/VM" {
	mkroot 0-3:online
	printf 'VM00 Name:            LINUX1\nVM00 Control Program: z/VM    7.2.0\n' \
		>"$ROOT/proc/sysinfo"
	hv_status
	assert_output $'Hypervisor:          z/VM (from /proc/sysinfo)\nz/VM /proc/sysinfo'
}

@test "a going-offline block counts as online memory, so kernel is never above online" {
	mkroot 0-7:online:Normal 8:going-offline:Normal 9:offline
	run -0 "$MEMONLINE" --sysroot "$ROOT" status
	assert_line "Online memory:       1.1G (kernel 1.1G, movable 0B; 128M of it going offline)"
}

@test "the hypervisor from the device tree (arm64, powerpc): KVM" {
	mkroot 0-3:online
	mkdir -p "$ROOT/sys/firmware/devicetree/base/hypervisor"
	printf 'linux,kvm\0' >"$ROOT/sys/firmware/devicetree/base/hypervisor/compatible"
	hv_status
	assert_output $'Hypervisor:          KVM (from device tree)\nKVM device tree'
}
