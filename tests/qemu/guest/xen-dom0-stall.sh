# The stalled balloon, the kernel facts a waiting tool must handle: a target
# above the hypervisor's limit still hot-adds blocks, but populating them fails;
# after max_retry_count retries the driver gives up, and a later limit raise is
# ignored until target_kb is written with a different value (and left there
# until the driver woke up).
check "running as a Xen domain" grep -qx xen /sys/hypervisor/type
cur=$(cat $XB/info/current_kb)
target=$((cur + 524288))
check "limit set to 256 MiB below the target" xen-maxmem set $((target - 262144))
echo $target >$XB/target_kb
check "4 blocks appear although the limit is lower" \
	wait_until 30 eval '[ "$(count_new)" -ge 4 ]'
for i in /sys/devices/system/memory/memory*/state; do [ "$(cat $i)" = offline ] && echo online > $i; done
added=$(new_blocks)
check "the seed's loop onlined them" only_state online $added
# Retries after 1, 2, 4 and 8 s, then the driver gives up (drivers/xen/balloon.c:
# update_schedule returns BP_ECANCELED and resets its counters to 1).
balloon_state() {
	echo "@@MO:OUT $1: current_kb $(cat $XB/info/current_kb) target_kb $(cat $XB/target_kb)" \
		"low_kb $(cat $XB/info/low_kb) high_kb $(cat $XB/info/high_kb)" \
		"retry_count $(cat $XB/retry_count) schedule_delay $(cat $XB/schedule_delay)" \
		"$(xen-maxmem get)"
}
balloon_state "after onlining"
sleep 20
balloon_state "20 s later"
stuck=$(cat $XB/info/current_kb)
check "current_kb stays below the target" [ $stuck -lt $target ]
echo "@@MO:OUT stuck at current_kb $stuck, target $target, low_kb $(cat $XB/info/low_kb) high_kb $(cat $XB/info/high_kb)"
check "xen-maxmem set $((target + 8192)): the limit raised" xen-maxmem set $((target + 8192))
sleep 3
check "the cancelled driver ignores the raise (current_kb $stuck)" \
	eval '[ $(cat $XB/info/current_kb) -eq $stuck ]'
# The sleeping driver wakes when the credit (target - current) differs from the
# one it went to sleep with: the same target written again, or a different one
# quickly put back, is not seen. One page less does it.
stopwatch_start
echo $((target - 4)) >$XB/target_kb
check "a different target_kb re-kicks it: current_kb reaches $((target - 4))" \
	wait_until 30 eval '[ $(cat $XB/info/current_kb) -ge $((target - 4)) ]'
stopwatch xen-rekick-target
echo $target >$XB/target_kb
check "then current_kb reaches $target" \
	wait_until 30 eval '[ $(cat $XB/info/current_kb) -ge $target ]'
balloon_state "after the re-kick"
dmesg | grep -i -e balloon -e xen_memory | sed 's/^/@@MO:OUT dmesg: /'
