# Time to usable memory after xl mem-set, for every onliner against kernel
# auto-online, in one domU (make bench): each grows it by one 128 MiB block,
# timed in the domU from its request to dom0 until current_kb reached the
# target and the block is online. udevd runs throughout, with the memory
# rule of the onliner under test only.
type=$(tr A-Z a-z </sys/hypervisor/guest_type)
check "the kernel leaves new blocks offline" grep -qx offline $MEM/auto_online_blocks
: >/etc/memonline.conf
start_udevd
dom0 xl mem-max g1 1024
mib=256
# grow NAME: the next 128 MiB, timed as xen-TYPE-NAME.
grow() {
	mib=$((mib + 128))
	xl_grow $mib xen-$type-$1
}
rules_reload() { udevadm control --reload && udevadm settle -t 10; }

echo online >$MEM/auto_online_blocks
grow kernel-auto-online
echo offline >$MEM/auto_online_blocks

start_watch -c /etc/memonline.conf || exit 1
grow memonline-watch
stop_watch
check "watch logged no error" log_clean /tmp/watch.log

cp /lib/memonline-test/rules/*.rules /etc/udev/rules.d/
rules_reload
grow udev-memonline-rule
rm /etc/udev/rules.d/*memonline*.rules
rules_reload

cat >/etc/udev/rules.d/99-seed.rules <<'RULE'
SUBSYSTEM=="memory", ACTION=="add", RUN+="/bin/sh -c '[ -f /sys$devpath/state ] && echo online > /sys$devpath/state'"
RULE
rules_reload
grow udev-seed-rule
check "every block added is online, in Normal" only_zone Normal $(new_blocks)
