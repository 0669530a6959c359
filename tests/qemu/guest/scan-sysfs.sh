# make bench: memonline status and list --json against lsmem on real sysfs
# (kernfs open and show() cost what a fixture on ext4 does not), with a DIMM
# of --dimm-size (128G: 1,024 blocks) of which 3/8 go Normal, 3/8 Movable
# and the rest stays offline.  Untouched memory: QEMU allocates none of it,
# and the guest's boot memory holds the memmap.  Each round runs the four
# tools once, the order reversed every other round; busybox time measures.
request dimm_add big $((dimm_bytes >> 20))M
check "$dimm_blocks blocks appear" wait_until 600 eval '[ $(count_new) -eq $dimm_blocks ]'
i=0
for b in $(new_blocks); do
	if [ $i -lt $((dimm_blocks * 3 / 8)) ]; then
		echo online_kernel >$MEM/memory$b/state
	elif [ $i -lt $((dimm_blocks * 6 / 8)) ]; then
		echo online_movable >$MEM/memory$b/state
	fi
	i=$((i + 1))
done
echo "@@MO:OUT blocks by state: $(states $(blocks) | sort | uniq -c | tr -s ' \n' ' ')"
mark GTIME "sysfs-blocks $(blocks | grep -c .)"

tools="memonline-status memonline-list-json lsmem lsmem-json"
command_of() {
	case $1 in
	memonline-status) echo memonline status ;;
	memonline-list-json) echo memonline list --json ;;
	lsmem) echo lsmem ;;
	lsmem-json) echo lsmem --json ;;
	esac
}
for t in $tools; do $(command_of $t) >/dev/null; done # warm the dentry cache, untimed
rounds=$(param scan_rounds)
for r in $(seq "${rounds:-5}"); do
	order=$tools
	[ $((r % 2)) -eq 0 ] && order=$(echo $tools | tr ' ' '\n' | sort -r)
	for t in $order; do
		if ! time -f "%e %U %S" -o /tmp/time $(command_of $t) >/dev/null; then
			fail "$(command_of $t) failed"
			continue
		fi
		read -r wall user sys </tmp/time
		mark GTIME "sysfs-$t $wall"
		mark GTIME "sysfs-cpu-$t $(echo "$user $sys" | awk '{ print $1 + $2 }')"
	done
done
