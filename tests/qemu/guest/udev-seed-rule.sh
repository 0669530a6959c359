# The seed's udev rule under the real systemd-udevd: every block of a hot-added
# DIMM, then of a virtio-mem grow, is onlined by RUN+= as its add event
# arrives.
cat >/etc/udev/rules.d/99-seed.rules <<'RULE'
SUBSYSTEM=="memory", ACTION=="add", RUN+="/bin/sh -c '[ -f /sys$devpath/state ] && echo online > /sys$devpath/state'"
RULE
start_udevd
request dimm_add dimm1 $dimm_bytes
wait_until 60 all_new_online $dimm_blocks && mark TIME udev-seed-rule
added=$(new_blocks)
check "all $dimm_blocks blocks online ($(new_range))" all_new_online $dimm_blocks
check "the seed's rule onlines into Normal" only_zone Normal $added
vmem_grow udev-seed-rule Normal
show /tmp/udevd.log
