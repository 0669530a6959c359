# The kernel onlines by itself (memhp_default_state=online_movable). First
# with nothing but systemd-udevd running, the floor the other onliners are
# timed against: a DIMM, then a virtio-mem grow. udevd handles every block's
# add and online events on the guest's one vCPU, as on every real system and
# in the default install's timing, with no rule of memonline's. Then with
# memonline watch started: it steps aside without an error, and online --all
# has nothing to do.
cat >/etc/memonline.conf <<CONF
zone movable
CONF
start_udevd
check "auto_online_blocks reads online_movable" \
	grep -qx online_movable $MEM/auto_online_blocks
run_memonline /tmp/status.out -c /etc/memonline.conf status
check "status names the kernel's auto-online setting" grep -q online_movable /tmp/status.out
request dimm_add dimm1 $dimm_bytes
wait_until 60 all_new_online $dimm_blocks && mark TIME kernel-auto-online
added=$(new_blocks)
check "all $dimm_blocks blocks online ($(new_range))" all_new_online $dimm_blocks
check "the kernel put them in Movable" only_zone Movable $added
vmem_grow kernel-auto-online Movable

memonline -c /etc/memonline.conf watch 2>/tmp/watch.log &
watch_pid=$!
request dimm_add dimm2 $dimm_bytes
want=$((2 * dimm_blocks + vmem_blocks))
wait_until 60 all_new_online $want && mark TIME kernel-auto-online-with-watch
added=$(new_blocks)
check "all $want blocks online ($(new_range))" all_new_online $want
check "the kernel put dimm2 in Movable" only_zone Movable $added
if kill -0 $watch_pid 2>/dev/null; then
	stop_watch
else
	wait $watch_pid
	wrc=$?
	check "watch stepped aside with exit 0 (got $wrc)" [ $wrc -eq 0 ]
	show /tmp/watch.log
fi
check "watch logged no error" log_clean /tmp/watch.log
run_memonline /tmp/online.out -c /etc/memonline.conf online --all
check "online --all exits 0 (got $rc)" [ $rc -eq 0 ]
check "online --all says already online / nothing to do" \
	grep -Eiq 'already online|nothing to (do|online)' /tmp/online.out
check "online --all left the zones alone" only_zone Movable $added
