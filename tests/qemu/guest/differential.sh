# One half of a differential pair (tests/qemu/run-differential): replay the
# hot-add sequence mo_seq= step by step, onlined by the kernel's own
# auto-movable policy (mo_onliner=kernel) or by memonline watch with zone
# auto (mo_onliner=memonline), the ratio and numa-awareness set alike on both
# sides. After each step, every hot-added block's zone goes to the host
# (@@MO:ZONES STEP memoryN=ZONE...), with the budget at that moment
# (@@MO:BUDGET); the host compares the two halves.
onliner=$(param onliner)
ratio=$(param ratio)
numa_aware=$(param numa_aware)
# STEP is dimm:SIZE[:NODE] (a DIMM plugged) or vmem:SIZE (virtio-mem's
# requested size set to SIZE in all).
case $(param seq) in
dimm-vmem) steps="dimm:256M dimm:512M dimm:1G dimm:256M vmem:512M vmem:1G vmem:1536M" ;;
numa) steps="dimm:512M:1 dimm:512M:1 dimm:256M:0 dimm:512M:0 vmem:256M vmem:768M" ;;
ratio) steps="dimm:512M:1 dimm:256M:1 dimm:256M:0 vmem:256M vmem:768M" ;;
*) fail "unknown sequence mo_seq=$(param seq)"; exit 1 ;;
esac

P=/sys/module/memory_hotplug/parameters
if [ "$onliner" = kernel ]; then
	check "the kernel onlines: auto_online_blocks online" grep -qx online $MEM/auto_online_blocks
	check "online_policy auto-movable" grep -qx auto-movable $P/online_policy
	check "auto_movable_ratio $ratio" grep -qx "$ratio" $P/auto_movable_ratio
	check "auto_movable_numa_aware $numa_aware" grep -qx "$numa_aware" $P/auto_movable_numa_aware
else
	check "memonline onlines: auto_online_blocks offline" grep -qx offline $MEM/auto_online_blocks
	printf 'zone auto\nratio %s\nnuma-aware %s\n' "$ratio" \
		"$([ "$numa_aware" = Y ] && echo yes || echo no)" >/etc/memonline.conf
	start_watch -c /etc/memonline.conf || exit 1
fi

zone_of() {
	if [ "$(cat $MEM/memory$1/state)" = online ]; then cat $MEM/memory$1/valid_zones
	else echo offline; fi
}
# Per node: kernel zones' and Movable's present MiB, as /proc/zoneinfo says.
budget() {
	awk '/^Node/ { n = $2; sub(",", "", n); z = $4 }
	     $1 == "present" { if (z == "Movable") m[n] += $2; else k[n] += $2 }
	     END { for (n in k) printf "node%s kernel %dM movable %dM; ", n, k[n] / 256, m[n] / 256 }' \
		/proc/zoneinfo
	if [ "$onliner" = memonline ]; then
		memonline -c /etc/memonline.conf status 2>&1 | sed -n 's/^ *\(Movable budget\|node [0-9]*\): */\1: /p' |
			tr '\n' ';'
	fi
}

want=0
i=0
for step in $steps; do
	i=$((i + 1))
	kind=${step%%:*}
	size=${step#*:}
	node=${size#*:}
	size=${size%%:*}
	[ "$node" != "$size" ] || node=
	case $size in
	*G) bytes=$((${size%G} << 30)) ;;
	*) bytes=$((${size%M} << 20)) ;;
	esac
	case $kind in
	dimm)
		request dimm_add dimm$i $size $node
		want=$((want + bytes / block_bytes))
		;;
	vmem)
		request vmem_resize $size 60
		want=$((want - ${vmem_now:-0} / block_bytes + bytes / block_bytes))
		vmem_now=$bytes
		;;
	esac
	check "step $i ($step): $want hot-added blocks online" wait_until 60 all_new_online $want
	echo "@@MO:ZONES $i $(for b in $(new_blocks); do printf '%s=%s ' $b "$(zone_of $b)"; done)"
	echo "@@MO:BUDGET $i $(budget)"
done
if [ "$onliner" = memonline ]; then
	stop_watch
	check "watch logged no error" log_clean /tmp/watch.log
fi
