# memonline watch with "zone movable": a hot-added DIMM comes online movable,
# and can be unplugged again (memonline offline, then device_del); then a
# virtio-mem grow comes online movable too. With
# run --deb the daemon is started as the packaged unit starts it: its
# ExecStart command line, /run/memonline made as RuntimeDirectory= does.
cat >/etc/memonline.conf <<CONF
zone movable
CONF
if [ -n "$deb_package" ]; then
	execstart=$(sed -n 's/^ExecStart=//p' $deb_unit)
	mark "OUT $deb_unit: ExecStart=$execstart"
	case $execstart in
	"$deb_bin "*watch*) ;;
	*)
		fail "$deb_unit's ExecStart runs $deb_bin watch (got '$execstart')"
		exit 1
		;;
	esac
	check "memonline on PATH is $deb_bin" eval '[ "$(command -v memonline)" = $deb_bin ]'
	mkdir -p /run/memonline
	start_daemon $execstart || exit 1
	check "the daemon runs $deb_bin, $deb_package's binary (path, sha256)" deb_exe $watch_pid
else
	start_watch -c /etc/memonline.conf || exit 1
fi
movable=$(zone_pages Movable present)
request dimm_add dimm1 $dimm_bytes
wait_until 60 all_new_online $dimm_blocks && mark TIME memonline-watch
added=$(new_blocks)
check "all $dimm_blocks blocks of dimm1 online ($(new_range))" all_new_online $dimm_blocks
check "valid_zones Movable for every new block" only_zone Movable $added
check "zoneinfo: Movable grew by the DIMM" eval \
	'[ $(($(zone_pages Movable present) - movable)) -eq $((dimm_bytes / 4096)) ]'

run_memonline /tmp/offline.out -c /etc/memonline.conf offline "$(new_range)"
check "memonline offline $(new_range) exits 0 (got $rc)" [ $rc -eq 0 ]
check "every block of dimm1 offline" only_state offline $added
sleep 1
check "watch leaves blocks offlined by memonline offline alone" only_state offline $added
request dimm_del dimm1 removed
check "dimm1's blocks leave sysfs after device_del" wait_until 20 eval '[ "$(count_new)" -eq 0 ]'
vmem_grow memonline-watch Movable
stop_watch
check "watch logged a line for each block" log_names_blocks /tmp/watch.log $added
check "watch logged no error" log_clean /tmp/watch.log
