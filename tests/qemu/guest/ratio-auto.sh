# "zone auto" with "ratio 100", the kernel's auto-movable semantics: a DIMM
# goes movable only if all of it fits 100% of the kernel memory present
# since boot, and goes whole; Normal memory hot-added later buys no movable
# memory. status --json reports the semantics and the budget left.
cat >/etc/memonline.conf <<CONF
zone auto
ratio 100
CONF
start_watch -c /etc/memonline.conf || exit 1
# 512 MiB of boot memory, less its holes: 256M fits, 256M more does not.
n=0
for size in 256M 256M 512M; do
	before=$(new_blocks)
	want=$(($(count_new) + ${size%M} * 1048576 / block_bytes))
	n=$((n + 1))
	request dimm_add dimm$n $size
	check "dimm$n online" wait_until 30 all_new_online $want
	eval "dimm$n=\"$(new_blocks | grep -vxF "${before:-none}" | tr '\n' ' ')\""
done
added=$(new_blocks)
echo "@@MO:OUT valid_zones: $(for b in $added; do echo "memory$b=$(zones $b)"; done | tr "\n" " ")"
check "dimm1 (256M, fits) all Movable" only_zone Movable $dimm1
check "dimm2 (256M more, over 100% of boot memory) all Normal" only_zone Normal $dimm2
check "dimm3 (512M) all Normal: dimm2's Normal memory buys it nothing" only_zone Normal $dimm3

hot_normal=$(( $(echo $dimm2 $dimm3 | wc -w) * block_bytes ))
early=$(($(kernel_pages) * 4096 - hot_normal))
movable=$(($(zone_pages Movable present) * 4096))
echo "@@MO:OUT zoneinfo: early kernel $((early >> 20)) MiB, movable $((movable >> 20)) MiB"
check "zoneinfo: movable <= 100% of early kernel memory" eval '[ $movable -le $early ]'

run_memonline /tmp/status.json -c /etc/memonline.conf status --json
check "status --json exits 0 (got $rc)" [ $rc -eq 0 ]
check "status --json reports policy ratio 100" eval '[ "$(json_num /tmp/status.json ratio)" = 100 ]'
check "status --json: semantics kernel-auto-movable" \
	grep -q '"semantics": *"kernel-auto-movable"' /tmp/status.json
# The first budget entry is the whole system's.
jl=$(tr -d '\n' </tmp/status.json | sed 's/.*"budget": *\[//' | grep -o '"limit": *[0-9]*' |
	head -n 1 | sed 's/.*: *//')
jm=$(tr -d '\n' </tmp/status.json | sed 's/.*"budget": *\[//' | grep -o '"movable": *[0-9]*' |
	head -n 1 | sed 's/.*: *//')
check "status --json: budget limit $jl = 100% of zoneinfo's early kernel $early" \
	eval '[ "$jl" = $early ]'
check "status --json: budget movable $jm = zoneinfo's $movable" eval '[ "$jm" = $movable ]'
check "status --json: movable_ratio_percent <= 100" eval \
	'[ "$(json_num /tmp/status.json movable_ratio_percent)" -le 100 ]'
stop_watch
check "watch logged no error" log_clean /tmp/watch.log
