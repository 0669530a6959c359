# Zones as the kernel shows them, where memonline takes them from
# /proc/zoneinfo's spans (lib/zoneinfo.c): a DIMM onlined alternately to
# Normal and Movable, so that the two zones overlap, and one all Movable
# beyond it.  memonline list must read exactly as lsmem, which reads every
# block's valid_zones, and status as /proc/zoneinfo counts.
per_dimm=$((1073741824 / block_bytes))
request dimm_add dimm1 1G
check "dimm1's blocks appear" wait_until 30 eval '[ $(count_new) -eq $per_dimm ]'
i=0
for b in $(new_blocks); do
	if [ $((i % 2)) -eq 0 ]; then word=online_kernel; else word=online_movable; fi
	echo $word >$MEM/memory$b/state || fail "memory$b: $word refused"
	i=$((i + 1))
done
first=$(new_blocks)
request dimm_add dimm2 1G
check "dimm2's blocks appear" wait_until 30 eval '[ $(count_new) -eq $((2 * per_dimm)) ]'
for b in $(new_blocks | grep -vxF "$first"); do
	echo online_movable >$MEM/memory$b/state || fail "memory$b: online_movable refused"
done
echo "@@MO:OUT valid_zones: $(for b in $(new_blocks); do echo "memory$b=$(zones $b)"; done | tr "\n" " ")"
show /proc/zoneinfo

cols=RANGE,STATE,BLOCK,NODE,ZONES
run_memonline /tmp/list.txt list -r -o $cols
check "list exits 0 (got $rc)" [ $rc -eq 0 ]
lsmem -r -o $cols | sed 's/on->off/going-offline/' >/tmp/lsmem.txt
show /tmp/lsmem.txt
check "list reads the same as lsmem, zone by zone" cmp -s /tmp/list.txt /tmp/lsmem.txt
check "the two zones overlap: Normal and Movable blocks alternate" eval \
	'grep -c " Normal$" /tmp/list.txt | grep -qv "^[01]$"'

run_memonline /tmp/status.json status --json
check "status --json exits 0 (got $rc)" [ $rc -eq 0 ]
movable=$(($(zone_pages Movable present) * 4096))
check "status --json: movable bytes = zoneinfo's $movable" eval \
	'[ "$(json_num /tmp/status.json movable)" = $movable ]'

# A scan of this many blocks walks the ACPI bus before any firmware_node
# (lib/source.c): the DIMMs are present there, so their blocks' links are
# read, and every hot-added block is a DIMM's.
run_memonline /tmp/source.txt list -a -r -n -o BLOCK,SOURCE
check "list: the DIMMs' $(count_new) blocks read dimm" eval \
	'[ "$(grep -c " dimm$" /tmp/source.txt)" = "$(count_new)" ]'
