# memonline's own udev rules under the real systemd-udevd: a hot-added DIMM,
# then a virtio-mem grow, are onlined by the rule, into the zone
# /etc/memonline.conf names. With run --deb
# the rule is the package's, where the package put it, and udevd must be seen
# reading that file and running the packaged /usr/bin/memonline from it.
udevd_args=
if [ -n "$deb_package" ]; then
	check "$deb_rule is $deb_package's rule (sha256 $deb_rule_sha256)" \
		file_sha256 $deb_rule $deb_rule_sha256
	check "$deb_rule is /usr/lib/udev/rules.d/85-memonline.rules (merged /usr)" eval \
		'[ "$(readlink -f $deb_rule)" = /usr/lib/udev/rules.d/85-memonline.rules ]'
	check "no other memonline rule in /etc/udev/rules.d" eval \
		'[ -z "$(ls /etc/udev/rules.d | grep memonline)" ]'
	check "memonline on PATH is $deb_bin" eval '[ "$(command -v memonline)" = $deb_bin ]'
	check "$deb_bin is $deb_package's binary (sha256)" file_sha256 $deb_bin $deb_bin_sha256
	show $deb_rule
	# Debug: udevd then names each rules file it reads and each RUN it does.
	udevd_args=--debug
else
	rules=$(ls /lib/memonline-test/rules/*.rules 2>/dev/null)
	if [ -z "$rules" ]; then
		fail "memonline's udev rules in the initramfs (none in the repository's udev/)"
		exit 1
	fi
	cp $rules /etc/udev/rules.d/
	for r in $rules; do show $r; done
fi
cat >/etc/memonline.conf <<CONF
zone movable
CONF
start_udevd $udevd_args
request dimm_add dimm1 $dimm_bytes
wait_until 60 all_new_online $dimm_blocks && mark TIME udev-memonline-rule
added=$(new_blocks)
check "all $dimm_blocks blocks online ($(new_range))" all_new_online $dimm_blocks
check "valid_zones Movable for every new block" only_zone Movable $added
vmem_grow udev-memonline-rule Movable
if [ -z "$deb_package" ]; then
	show /tmp/udevd.log
	exit
fi
packaged=/usr/lib/udev/rules.d/85-memonline.rules
# ran_for BLOCK...: udevd ran the packaged binary for the first block; the
# others' events may find their block onlined already by that process,
# which serves the whole burst (the rule's ATTR{state}=="offline").
ran_for() {
	grep -qF "Running command \"$deb_bin online --udev memory$1\"" /tmp/udevd.log
}
check "udevd read $packaged" grep -qF "Reading rules file: $packaged" /tmp/udevd.log
check "udevd ran RUN from $packaged" \
	grep -q "$packaged:[0-9]* RUN '$deb_bin online --udev" /tmp/udevd.log
check "udevd ran '$deb_bin online --udev memoryN' for the first new block" ran_for $added
grep -E 'memonline|rules file' /tmp/udevd.log >/tmp/udevd.memonline.log
show /tmp/udevd.memonline.log
