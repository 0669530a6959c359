# The seed's own scenario in Xen dom0: xl mem-max, a balloon target 512 MiB
# higher, the new blocks onlined by the seed's shell loop, current reaches the
# target.
xen_grow 524288
added=$(new_blocks)
check "blocks $(new_range) appear offline" only_state offline $added
check "current_kb stays below the target while they are offline" eval '! xen_reached'
for i in /sys/devices/system/memory/memory*/state; do [ "$(cat $i)" = offline ] && echo online > $i; done
stopwatch xen-seed-loop-online
check "all new blocks online" only_state online $added
check "current_kb reaches the target $target" wait_until 30 xen_reached
stopwatch xen-seed-loop-target
xen-maxmem get >/tmp/xeninfo 2>&1
show /tmp/xeninfo
