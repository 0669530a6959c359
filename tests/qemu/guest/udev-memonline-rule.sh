# memonline's own udev rules under the real systemd-udevd: a hot-added DIMM is
# onlined by the rule, into the zone /etc/memonline.conf names.
rules=$(ls /lib/memonline-test/rules/*.rules 2>/dev/null)
if [ -z "$rules" ]; then
	fail "memonline's udev rules in the initramfs (none in the repository's udev/)"
	exit 1
fi
cp $rules /etc/udev/rules.d/
for r in $rules; do show $r; done
cat >/etc/memonline.conf <<CONF
zone movable
CONF
start_udevd
request dimm_add dimm1 $dimm_bytes
wait_until 60 all_new_online $dimm_blocks && mark TIME udev-memonline-rule
added=$(new_blocks)
check "all $dimm_blocks blocks online ($(new_range))" all_new_online $dimm_blocks
check "valid_zones Movable for every new block" only_zone Movable $added
show /tmp/udevd.log
