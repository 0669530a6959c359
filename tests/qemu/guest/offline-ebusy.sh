# A kernel-zone block in use cannot be offlined: memonline offline gets EBUSY
# from the kernel, exits 1 and says why; the DIMM cannot be unplugged.
#
# A one-block DIMM is onlined into Normal. The boot memory of a 512 MiB guest is
# all DMA32, so Normal becomes the preferred zone of every kernel allocation:
# the page tables and kernel stacks of a few processes and the inodes of a few
# thousand tmpfs files land in that block, and they cannot be migrated.
request dimm_add dimm1 $block_bytes
check "1 block appears" wait_until 30 eval '[ "$(count_new)" -eq 1 ]'
b=$(new_blocks)
run_memonline /tmp/online.out online --zone kernel $b
check "memonline online --zone kernel $b exits 0 (got $rc)" [ $rc -eq 0 ]
check "memory$b online in Normal" eval '[ "$(states $b)" = online ] && only_zone Normal $b'
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do sleep 1000 & done
mkdir /tmp/many
i=0
while [ $i -lt 3000 ]; do : >/tmp/many/$i; i=$((i + 1)); done
used=$(($(zone_pages Normal managed) - $(awk '/^Node/ { z = $4 } z == "Normal" && $1 == "pages" && $2 == "free" { print $3 }' /proc/zoneinfo)))
check "the kernel allocates from the new Normal zone ($used pages used)" [ $used -gt 256 ]

run_memonline /tmp/offline.out offline --timeout 10 $b
check "memonline offline $b exits 1 (got $rc)" [ $rc -eq 1 ]
check "the message mentions unmovable pages" grep -qi unmovable /tmp/offline.out
check "the message names the error (busy)" grep -qi busy /tmp/offline.out
check "memory$b is still online" eval '[ "$(states $b)" = online ]'
# The kernel's own answer, without memonline: the fact this test relies on.
err=$( (echo offline >$MEM/memory$b/state) 2>&1)
echo "@@MO:OUT echo offline > memory$b/state: $err"
check "the kernel itself refuses with EBUSY" eval 'echo "$err" | grep -qi busy'
request dimm_del dimm1 kept
check "the kernel refuses the eject (dmesg: Offline failed)" \
	wait_until 20 eval 'dmesg | grep -q "Offline failed"'
dmesg | grep -i 'offline failed' | sed 's/^/@@MO:OUT dmesg: /'
