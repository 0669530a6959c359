# The default install: memonline.service's daemon running (the unit's
# ExecStart=, OOMScoreAdjust=, Nice=) and memonline's udev rule under the real
# systemd-udevd. A DIMM, then a virtio-mem grow, come online Movable, onlined
# by the daemon: udevd ran no memonline for any block (the rule's TEST on
# /run/memonline/watch; a memonline online --udev would have made its
# queue, /run/memonline/udev-queue). Then the daemon stops, as when an admin
# stops, disables or masks the unit, and the rule onlines a second DIMM.
# No --debug for udevd: its logging would slow the timed onlining.
cat >/etc/memonline.conf <<CONF
zone movable
CONF
cp /lib/memonline-test/rules/*.rules /etc/udev/rules.d/
start_udevd
unit=${deb_unit:-/lib/memonline-test/memonline.service}
unit_value() { sed -n "s/^$1=//p" $unit; }
check "the unit sets OOMScoreAdjust= and Nice=" \
	eval '[ -n "$(unit_value OOMScoreAdjust)" ] && [ -n "$(unit_value Nice)" ]'
start_daemon memonline watch --events kernel || exit 1
echo "$(unit_value OOMScoreAdjust)" >/proc/$watch_pid/oom_score_adj
# busybox's renice -n adds to the nice value, which starts at 0.
renice -n "$(unit_value Nice)" -p $watch_pid >/dev/null
check "the daemon runs at the unit's Nice=$(unit_value Nice)" \
	eval '[ "$(cut -d" " -f19 /proc/$watch_pid/stat)" = "$(unit_value Nice)" ]'
request dimm_add dimm1 $dimm_bytes
wait_until 60 all_new_online $dimm_blocks && mark TIME default-install
added=$(new_blocks)
check "all $dimm_blocks blocks online ($(new_range))" all_new_online $dimm_blocks
check "valid_zones Movable for every new block" only_zone Movable $added
vmem_grow default-install Movable
udevadm settle -t 30
check "no memonline online --udev queued a block while the daemon ran" \
	[ ! -e /run/memonline/udev-queue ]
stop_watch
# systemd removes /run/memonline (RuntimeDirectory=) when the unit stops.
rm -rf /run/memonline
before=$(new_blocks)
request dimm_add dimm2 $dimm_bytes
wait_until 60 all_new_online $((dimm_blocks * 2 + vmem_blocks)) && mark TIME default-install-fallback
check "the rule onlined dimm2 with the daemon stopped" \
	all_new_online $((dimm_blocks * 2 + vmem_blocks))
dimm2=$(new_blocks | grep -vxF "$before")
check "dimm2 Movable" only_zone Movable $dimm2
check "the rule's memonline online --udev queued dimm2's blocks" [ -e /run/memonline/udev-queue ]
