# Offlining a kernel-zone block that holds unmovable pages: the highest boot
# block holds the memmap and other early allocations (memblock allocates
# top-down), so the kernel refuses with EBUSY; memonline must say why.
top=$(blocks | tail -n 1)
check "memory$top is online in a kernel zone ($(zones $top))" eval \
	'[ "$(states $top)" = online ] && ! zones $top | grep -qx Movable'
run_memonline /tmp/offline.out offline $top --timeout 10
check "memonline offline $top exits 1 (got $rc)" [ $rc -eq 1 ]
check "the message mentions unmovable pages" grep -qi unmovable /tmp/offline.out
check "the message names the error (busy)" grep -qi busy /tmp/offline.out
check "memory$top is still online" eval '[ "$(states $top)" = online ]'
# The kernel's own answer, without memonline: the fact the test relies on.
err=$( (echo offline >$MEM/memory$top/state) 2>&1)
echo "@@MO:OUT echo offline > memory$top/state: $err"
check "the kernel itself refuses with EBUSY" eval 'echo "$err" | grep -qi busy'
