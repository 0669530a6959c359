# The seed's scenario with memonline watch as the onliner: xl mem-max, a
# balloon target 512 MiB higher, every new block onlined, current reaches the
# target. The balloon gives memory back by ballooning pages, never by
# offlining blocks, so memonline's built-in rule for Xen puts its blocks in
# Normal even under "zone movable".
cat >/etc/memonline.conf <<CONF
zone movable
CONF
start_watch -c /etc/memonline.conf || exit 1
xen_grow 524288
check "current_kb reaches the target" wait_until 60 xen_reached
stopwatch xen-memonline-watch-target
added=$(new_blocks)
check "all new blocks ($(new_range)) online" only_state online $added
check "valid_zones Normal for every new block (the built-in Xen rule)" only_zone Normal $added
run_memonline /tmp/status.out -c /etc/memonline.conf status
check "status exits 0 (got $rc)" [ $rc -eq 0 ]
check "status says the balloon reached its target" grep -Eiq 'verdict:.*reached' /tmp/status.out
stop_watch
check "watch logged a line for each block" log_names_blocks /tmp/watch.log $added
check "watch logged no error" log_clean /tmp/watch.log
