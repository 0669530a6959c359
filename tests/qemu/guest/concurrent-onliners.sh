# Two onliners at once on the same offline blocks of the real kernel, which
# serialises them with its device hotplug lock: each block is onlined once,
# into the policy's zone, the loser of each race reads it back as already
# online, and neither reports an error. First two `memonline online --all`,
# which scan before either writes, so they do race; then the daemon's
# coldplug against `online --all` (the udev rule's --udev steps aside for a
# running daemon; a rule without that guard is this race).
cat >/etc/memonline.conf <<CONF
zone movable
CONF
request dimm_add dimm1 $dimm_bytes
request dimm_add dimm2 $dimm_bytes
want=$((2 * dimm_blocks))
check "$want blocks appear offline" wait_until 60 eval \
	'[ "$(count_new)" -eq $want ] && only_state offline $(new_blocks)'
added=$(new_blocks)

# onlined_once BLOCKS FILE...: between them, the files name each block as
# onlined exactly once ("memoryN: online ZONE", the daemon's "... in X ms").
onlined_once() {
	_blocks=$1
	shift
	for _b in $_blocks; do
		[ "$(cat "$@" | grep -c "memory$_b: online ")" -eq 1 ] || return 1
	done
}

memonline -c /etc/memonline.conf online --all >/tmp/a.out 2>&1 &
a=$!
memonline -c /etc/memonline.conf online --all >/tmp/b.out 2>&1 &
b=$!
wait $a
rc_a=$?
wait $b
rc_b=$?
show /tmp/a.out /tmp/b.out
check "both online --all exit 0 (got $rc_a and $rc_b)" [ $rc_a -eq 0 -a $rc_b -eq 0 ]
check "all $want blocks online ($(new_range))" all_new_online $want
check "all in Movable" only_zone Movable $added
check "each block onlined by exactly one of them" onlined_once "$added" /tmp/a.out /tmp/b.out
check "they raced: some block was already online when the other wrote it" \
	grep -q 'already online' /tmp/a.out /tmp/b.out
check "no error from either" log_clean /tmp/a.out
check "no error from either" log_clean /tmp/b.out

request dimm_add dimm3 $dimm_bytes
request dimm_add dimm4 $dimm_bytes
more=$((2 * dimm_blocks))
check "dimm3's and dimm4's $more blocks appear" wait_until 60 eval \
	'[ "$(count_new)" -eq $((want + more)) ]'
added34=$(new_blocks | grep -vxF "$added")
check "dimm3's and dimm4's blocks are offline" only_state offline $added34
# Started together. Onlining a block takes this kernel 3-30 ms, so which one
# does what, and whether they overlap at all, is up to the scheduler: the
# checks hold for every interleaving, and the split is shown.
memonline -c /etc/memonline.conf watch 2>/tmp/watch.log &
watch_pid=$!
memonline -c /etc/memonline.conf online --all >/tmp/c.out 2>&1
rc_c=$?
show /tmp/c.out
want=$((want + more))
check "online --all exits 0 (got $rc_c)" [ $rc_c -eq 0 ]
check "all $want blocks online" wait_until 30 all_new_online $want
check "dimm3 and dimm4 in Movable" only_zone Movable $added34
stop_watch
check "each of their blocks onlined once, by the daemon or the command" \
	onlined_once "$added34" /tmp/watch.log /tmp/c.out
mark "OUT split: the daemon onlined $(grep -c ': online ' /tmp/watch.log)," \
	"the command $(grep -c ': online ' /tmp/c.out)," \
	"already online for the command $(grep -c 'already online' /tmp/c.out)"
check "the daemon logged no error" log_clean /tmp/watch.log
check "the command reported no error" log_clean /tmp/c.out
