# The seed's own onliner, a shell loop run once the DIMM's blocks are there:
# proves the harness (hot-add, markers, checks) without memonline.
request dimm_add dimm1 $dimm_bytes
wait_until 20 eval '[ "$(count_new)" -eq $dimm_blocks ]' ||
	fail "$dimm_blocks blocks appear (got $(count_new))"
pass "blocks $(new_range) appeared offline: $(states $(new_blocks) | sort | uniq -c | tr -s ' \n' ' ')"
before=$(kernel_pages)
for i in /sys/devices/system/memory/memory*/state; do [ "$(cat $i)" = offline ] && echo online > $i; done
mark TIME seed-loop
check "all $dimm_blocks new blocks online" all_new_online $dimm_blocks
check "the seed's loop onlines into Normal" eval \
	'[ -z "$(zones $(new_blocks) | grep -vx Normal)" ]'
check "zoneinfo: kernel zones grew by the DIMM" eval \
	'[ $(($(kernel_pages) - before)) -eq $((dimm_bytes / 4096)) ]'
