# "zone auto" with "ratio 100": as DIMMs arrive, blocks go movable only while
# movable memory stays within 100% of kernel memory; status reports the ratio.
cat >/etc/memonline.conf <<CONF
zone auto
ratio 100
CONF
start_watch -c /etc/memonline.conf || exit 1
per_dimm=$((512 * 1048576 / block_bytes))
for d in 1 2 3; do
	request dimm_add dimm$d 512M
	check "dimm$d online" wait_until 30 all_new_online $((d * per_dimm))
done
added=$(new_blocks)
echo "@@MO:OUT valid_zones: $(for b in $added; do echo "memory$b=$(zones $b)"; done | tr "\n" " ")"
kernel=$(($(kernel_pages) * 4096))
movable=$(($(zone_pages Movable present) * 4096))
echo "@@MO:OUT zoneinfo present: kernel $((kernel >> 20)) MiB, movable $((movable >> 20)) MiB"
check "some new blocks Movable" eval '[ $movable -gt 0 ]'
check "some new blocks Normal (the ratio held movable back)" eval \
	'zones $added | grep -qx Normal'
# memonline counts whole blocks: the kernel zones' present pages can be a hole
# or two smaller than the blocks that hold them.
check "zoneinfo: movable <= 100% of kernel memory (one block of slack)" eval \
	'[ $movable -le $((kernel + block_bytes)) ]'
check "zoneinfo: the ratio is used, not just respected (movable > kernel - 2 blocks)" \
	eval '[ $movable -gt $((kernel - 2 * block_bytes)) ]'

run_memonline /tmp/status.json -c /etc/memonline.conf status --json
check "status --json exits 0 (got $rc)" [ $rc -eq 0 ]
check "status --json reports policy ratio 100" eval '[ "$(json_num /tmp/status.json ratio)" = 100 ]'
jk=$(json_num /tmp/status.json kernel)
jm=$(json_num /tmp/status.json movable)
check "status --json: movable bytes $jm = zoneinfo's $movable" eval '[ "$jm" = $movable ]'
check "status --json: kernel bytes $jk within a block of zoneinfo's $kernel" eval \
	'[ "$jk" -ge $kernel ] && [ "$jk" -lt $((kernel + block_bytes)) ]'
check "status --json: movable <= 100% of kernel" eval '[ "$jm" -le "$jk" ]'
check "status --json: movable_ratio_percent <= 100" eval \
	'[ "$(json_num /tmp/status.json movable_ratio_percent)" -le 100 ]'
stop_watch
check "watch logged no error" log_clean /tmp/watch.log
