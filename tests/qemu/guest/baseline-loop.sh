# The seed's own onliner, a shell loop run once the DIMM's blocks are there:
# proves the harness (hot-add, markers, checks) without memonline.
request dimm_add dimm1 $dimm_bytes
check "$dimm_blocks blocks appear" wait_until 60 eval '[ "$(count_new)" -eq $dimm_blocks ]'
added=$(new_blocks)
check "blocks $(new_range) appear offline" only_state offline $added
kernel=$(kernel_pages)
for i in /sys/devices/system/memory/memory*/state; do [ "$(cat $i)" = offline ] && echo online > $i; done
mark TIME seed-loop
check "all $dimm_blocks new blocks online" all_new_online $dimm_blocks
check "the seed's loop onlines into Normal" only_zone Normal $added
check "zoneinfo: kernel zones grew by the DIMM" eval \
	'[ $(($(kernel_pages) - kernel)) -eq $((dimm_bytes / 4096)) ]'
