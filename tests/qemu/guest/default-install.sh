# The default install: memonline.service's daemon running (the unit's
# ExecStart=, OOMScoreAdjust=) and memonline's udev rule under the real
# systemd-udevd. A DIMM, then a virtio-mem grow, come online Movable, onlined
# by the daemon: udevd ran no memonline for any block (the rule's TEST on
# /run/memonline/watch). Then the daemon stops, as when an admin stops,
# disables or masks the unit, and the rule onlines a second DIMM.
cat >/etc/memonline.conf <<CONF
zone movable
CONF
cp /lib/memonline-test/rules/*.rules /etc/udev/rules.d/
start_udevd --debug
start_daemon memonline watch --events kernel || exit 1
echo -1000 >/proc/$watch_pid/oom_score_adj
request dimm_add dimm1 $dimm_bytes
wait_until 60 all_new_online $dimm_blocks && mark TIME default-install
added=$(new_blocks)
check "all $dimm_blocks blocks online ($(new_range))" all_new_online $dimm_blocks
check "valid_zones Movable for every new block" only_zone Movable $added
vmem_grow default-install Movable
udevadm settle -t 30
check "udevd ran no memonline while the daemon ran" \
	eval '! grep -q "Running command.*memonline online" /tmp/udevd.log'
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
check "udevd ran memonline online --udev for dimm2" \
	grep -q "Running command.*memonline online --udev" /tmp/udevd.log
grep -E 'memonline' /tmp/udevd.log | tail -20 >/tmp/udevd.memonline.log
show /tmp/udevd.memonline.log
