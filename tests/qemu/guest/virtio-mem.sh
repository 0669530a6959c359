# virtio-mem grows by 1 GiB and shrinks back. A source rule sends its blocks to
# Movable while the default zone is kernel; virtio-mem must not stall (the
# host checks that the plugged size reaches each request).
cat >/etc/memonline.conf <<CONF
zone kernel
rule source=virtio-mem zone=movable
CONF
check "virtio_mem driver bound" eval 'ls /sys/bus/virtio/drivers/virtio_mem | grep -q virtio'
start_watch -c /etc/memonline.conf || exit 1
want=$((1073741824 / block_bytes))
request vmem_resize 1G
wait_until 60 all_new_online $want && mark TIME memonline-watch-virtio-mem
added=$(new_blocks)
check "all $want virtio-mem blocks online ($(new_range))" all_new_online $want
check "the source rule put them in Movable" only_zone Movable $added
check "/proc/iomem shows System RAM (virtio_mem)" grep -q 'System RAM (virtio_mem)' /proc/iomem
run_memonline /tmp/list.out -c /etc/memonline.conf list --blocks
request vmem_resize 0
check "virtio-mem unplugs its blocks on resize to 0" \
	wait_until 60 eval '[ "$(count_new)" -eq 0 ]'
stop_watch
check "watch logged a line for each block" log_names_blocks /tmp/watch.log $added
check "watch logged no error" log_clean /tmp/watch.log
