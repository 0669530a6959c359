# virtio-mem grows to 1 GiB, then to 3 GiB, then shrinks to nothing. A source
# rule sends its blocks to Movable while the default zone is kernel.
# virtio-mem must not stall: the host checks that the plugged size reaches
# each request.
cat >/etc/memonline.conf <<CONF
zone kernel
rule source=virtio-mem zone=movable
CONF
check "virtio_mem driver bound" eval 'ls /sys/bus/virtio/drivers/virtio_mem | grep -q virtio'
start_watch -c /etc/memonline.conf || exit 1
per_gib=$((1073741824 / block_bytes))
request vmem_resize 1G
wait_until 60 all_new_online $per_gib && mark TIME memonline-watch-virtio-mem-1G
check "all $per_gib blocks of the first GiB online ($(new_range))" all_new_online $per_gib
# virtio-mem keeps no more than about 1 GiB offline (its offline_threshold):
# the third GiB arrives only while the onliner keeps up: the stall test.
request vmem_resize 3G
wait_until 60 all_new_online $((3 * per_gib)) && mark TIME memonline-watch-virtio-mem-3G
added=$(new_blocks)
check "all $((3 * per_gib)) blocks online ($(new_range))" all_new_online $((3 * per_gib))
check "the source rule put them in Movable" only_zone Movable $added
check "/proc/iomem shows System RAM (virtio_mem)" grep -q 'System RAM (virtio_mem)' /proc/iomem
run_memonline /tmp/list.out -c /etc/memonline.conf list --blocks
request vmem_resize 0
check "virtio-mem unplugs its blocks on resize to 0" \
	wait_until 60 eval '[ "$(count_new)" -eq 0 ]'
stop_watch
check "watch logged a line for each block" log_names_blocks /tmp/watch.log $added
check "watch logged no error" log_clean /tmp/watch.log
