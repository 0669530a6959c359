# The seed's procedure from dom0 into this domU (run-xen-domu), in one boot:
# 6. the kernel's unpopulated range for foreign mappings (checked at the end:
#    it never becomes a block);
# 1. xl mem-max and xl mem-set grow it while memonline watch onlines;
# 4. xl mem-set shrinks it: the balloon inflates, nothing is offlined;
# 2. xl mem-set grows it again, the installed udev rule under systemd-udevd
#    onlining (from here on);
# 5. memonline target above the hypervisor's limit (which xl mem-set lowered
#    to its target + 1 MiB) is refused, and doctor names xl mem-max;
# 3. dom0 raises the limit: memonline target --wait re-kicks the driver and
#    reaches the target, every new block online;
# (a) xl mem-max and mem-set 1280: the paging pool stops a PVH domU.
# dom0 checks xl list after each step.
type=$(cat /sys/hypervisor/guest_type)
check "a Xen domU ($type) with the balloon driver" [ -d $XB ]
check "the kernel leaves new blocks offline" grep -qx offline $MEM/auto_online_blocks
conf=/etc/memonline.conf
if [ -n "$deb_package" ]; then
	daemon=$(sed -n 's/^ExecStart=//p' $deb_unit)
	mkdir -p /run/memonline
else
	daemon="memonline watch -c $conf"
fi
# zone movable: the built-in Xen rule must still put balloon blocks in Normal.
echo "zone movable" >$conf

memonline_says() {
	run_memonline /tmp/mo.out "$@"
}

# 6. -------------------------------------------------------------------------
# With CONFIG_XEN_UNPOPULATED_ALLOC (Debian's kernel has it) a backend's pages
# for foreign mappings and grants come from a "Xen scratch" range of
# ZONE_DEVICE memory (drivers/xen/unpopulated-alloc.c, docs/xen.md). Make the
# kernel take one before the balloon hot-adds, then check at the end that no
# memory block covers it.
check "the kernel takes pages for foreign mappings (gntdev)" \
	eval 'insmod /lib/modules/xen-gntdev.ko && xen-gntmap 16 >/tmp/gntmap.out 2>&1'
show /tmp/gntmap.out
grep -i "xen scratch" /proc/iomem | sed 's/^/@@MO:OUT iomem: /'
scratch=$(sed -n 's/^ *\([0-9a-f]*\)-\([0-9a-f]*\) : Xen scratch$/\1 \2/p' /proc/iomem | head -n 1)
check "a 'Xen scratch' range in /proc/iomem" [ -n "$scratch" ]
# blocks_over START END (hex): the memory blocks that overlap the range.
blocks_over() {
	for _b in $(blocks); do
		[ $((_b * block_bytes)) -le $((0x$2)) ] &&
			[ $(((_b + 1) * block_bytes - 1)) -ge $((0x$1)) ] && echo memory$_b
	done
}

# 1. -------------------------------------------------------------------------
start_daemon $daemon || exit 1
[ -z "$deb_package" ] || check "the daemon is the packaged binary" deb_exe $watch_pid
# Only after the balloon driver read its static-max: else a PVH domU panics
# ("Initial ballooning failed!"). Its sysfs directory exists by /init.
dom0 xl mem-max g1 1024
check "dom0: xl mem-max g1 1024 exits 0 (got $rc)" [ "$rc" = 0 ]
xl_grow 768 xen-domu-watch-768M
added=$(new_blocks)
check "blocks $(new_range) added" [ -n "$added" ]
check "valid_zones Normal for every new block (the built-in Xen rule)" \
	only_zone Normal $added
memonline_says target
check "target exits 0 and says reached" eval '[ $rc = 0 ] && grep -q "Verdict: *reached" /tmp/mo.out'
memonline_says status
check "status names the hypervisor" grep -q "Hypervisor: *Xen $type guest" /tmp/mo.out
check "status shows the balloon's target and current" \
	grep -Eq "^Xen balloon: *target [0-9.]+M, current [0-9.]+M" /tmp/mo.out

# 4. -------------------------------------------------------------------------
online_before=$(states $(blocks) | grep -cx online)
before=$(cat $XB/target_kb)
dom0 xl mem-set g1 512
check "dom0: xl mem-set g1 512 exits 0" [ "$rc" = 0 ]
check "target_kb falls" wait_until 30 target_moved $before
check "the balloon inflates to the target" wait_until 120 reached
check "nothing offlined ($online_before blocks online)" \
	[ "$(states $(blocks) | grep -cx online)" = $online_before ]
memonline_says target
check "target says reached after the shrink" grep -q "Verdict: *reached" /tmp/mo.out
dom0 list-mem 512 511
stop_watch
check "watch logged no error" log_clean /tmp/watch.log

# 2. -------------------------------------------------------------------------
# xl mem-set 896: the 256 MiB the shrink ballooned come back, and one new
# block that the installed udev rule onlines, under systemd-udevd.
rules=/lib/memonline-test/rules
[ -z "$deb_package" ] || rules=
for r in $rules/*.rules; do
	[ -f "$r" ] && cp "$r" /etc/udev/rules.d/
done
if [ -n "$deb_package" ]; then start_udevd --debug; else start_udevd; fi
before=$(blocks)
xl_grow 896 xen-domu-udev-memonline-rule-896M
udev_added=$(blocks | grep -vxF "$before")
check "the grow added a block ($(echo $udev_added))" [ -n "$udev_added" ]
check "valid_zones Normal for every block it added" only_zone Normal $udev_added
# ran_udev BLOCK...: udevd ran the packaged binary for each block.
ran_udev() {
	for _b; do
		grep -qF "Running command \"$deb_bin online --udev memory$_b\"" /tmp/udevd.log ||
			return 1
	done
}
if [ -n "$deb_package" ]; then
	check "udevd read the packaged rule" grep -qF \
		"Reading rules file: /usr/lib/udev/rules.d/85-memonline.rules" /tmp/udevd.log
	check "udevd ran '$deb_bin online --udev memoryN' for each block the grow added" \
		ran_udev $udev_added
fi

# 5. -------------------------------------------------------------------------
# xl mem-set lowered the hypervisor's limit to 896 MiB + 1 MiB; static-max
# stays 1024, so xl refuses a mem-set above that, in dom0. The udev rule
# onlines from here on.
dom0 xl mem-set g1 1100
check "dom0: xl mem-set above mem-max fails (exit $rc)" [ "$rc" != 0 ]
memonline_says target 1024M
check "target 1024M is written (exit $rc)" [ $rc = 0 ]
[ "$type" = PV ] ||
	check "target explains the PVH boot offset" grep -q "xl mem-set" /tmp/mo.out
check "the driver fails to populate and backs off" wait_until 30 \
	eval '[ "$(cat $XB/retry_count)" != 1 ]'
check "then gives up (retry_count back at 1), below the target" wait_until 60 \
	eval '[ "$(cat $XB/retry_count)" = 1 ] && ! reached'
memonline_says target
check "target: hypervisor refuses" grep -q "Verdict: *hypervisor refuses" /tmp/mo.out
check "target names xl mem-max" grep -q "xl mem-max" /tmp/mo.out
dom0 over-allocation yes
memonline_says doctor
check "doctor names the fix: xl mem-max in the control domain" \
	grep -q "xl mem-max" /tmp/mo.out
check "doctor knows xl mem-set lowered the limit" grep -q "xl mem-set" /tmp/mo.out
balloon_show

# 3. -------------------------------------------------------------------------
dom0 xl mem-max g1 1024
check "dom0: xl mem-max g1 1024 exits 0 (got $rc)" [ "$rc" = 0 ]
stopwatch_start
memonline_says target 1024M --wait=120
check "target 1024M --wait re-kicks and exits 0 (got $rc)" [ $rc = 0 ]
stopwatch xen-domu-target-wait
check "current_kb reached 1 GiB" [ "$(cat $XB/info/current_kb)" -ge 1048576 ]
check "every new block online" eval '! states $(new_blocks) | grep -qvx online'
dom0 list-mem 1025 1023

# (a) of the issue: a domain created with maxmem 256 and raised to 1280. A PVH
# domU stops short of it without "Over-allocation" (Xen's paging pool, sized
# at creation), a PV one (no such pool) gets there; the verdict names the
# pool only where it exists.
dom0 xl mem-max g1 1280
check "dom0: xl mem-max g1 1280 exits 0" [ "$rc" = 0 ]
dom0 xl mem-set g1 1280
check "dom0: xl mem-set g1 1280 exits 0" [ "$rc" = 0 ]
gave_up() { ! reached && [ "$(cat $XB/retry_count)" = 1 ] && sleep 3 && ! reached; }
wait_until 90 eval 'reached || gave_up'
memonline_says target
balloon_show
if [ "$type" = PV ]; then
	check "PV: current_kb reaches 1280 MiB" reached
	dom0 list-mem 1280 1279
else
	check "PVH: the balloon stops short of 1280 MiB" eval '! reached'
	check "target: hypervisor refuses" grep -q "Verdict: *hypervisor refuses" /tmp/mo.out
	check "target names both causes: xl mem-max, and the paging pool" \
		eval 'grep -q "xl mem-max" /tmp/mo.out && grep -q "shadow_memory" /tmp/mo.out'
	dom0 over-allocation no
fi

# 6. ----------------------------------------------------------------------------
[ -z "$scratch" ] || check "no memory block over the 'Xen scratch' range $scratch" \
	eval '[ -z "$(blocks_over $scratch)" ]'

if [ $failed != 0 ]; then
	balloon_show
	dmesg | grep -iE 'xen|balloon|memory' | tail -n 30 | sed 's/^/@@MO:OUT dmesg: /'
fi
