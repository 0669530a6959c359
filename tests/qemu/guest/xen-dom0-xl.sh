# dom0 of the domU scenarios (run-xen-domu): the xl toolstack from Debian's
# packages starts domU g1 (memory = maxmem = 256 MiB, type mo_domu_type) with
# the scenario mo_domu_script, relays its console to ours, and carries out
# the requests it prints (guest/lib.sh: dom0). The domU's markers reach the
# host unchanged, behind "g1| "; its END becomes a check here.
domu_type=$(param domu_type)
domu_script=$(param domu_script)
export PATH=$PATH:/usr/lib/xen-4.17/bin
for m in xen-evtchn xen-gntdev xen-gntalloc xenfs; do
	insmod /lib/modules/$m.ko || fail "insmod $m"
done
mkdir -p /proc/xen && mount -t xenfs xenfs /proc/xen
xenstored --pid-file /run/xenstored.pid >/tmp/xenstored.log 2>&1 ||
	fail "xenstored starts"
xen-init-dom0 >/tmp/init-dom0.log 2>&1 || { fail "xen-init-dom0"; show /tmp/init-dom0.log; }
xenconsoled --log=guest --log-dir=/var/log/xen/console || fail "xenconsoled starts"
# tsc_mode native: under TCG an emulated TSC corrupted guests at random
# (tests/qemu/README.md). Every way out of the domU destroys it.
cat >/etc/xen/g1.cfg <<CFG
name = "g1"
type = "$domu_type"
kernel = "/boot/vmlinuz"
ramdisk = "/boot/domu.cpio"
extra = "console=hvc0 loglevel=5 panic=-1 memhp_default_state=offline mo_scenario=$domu_script"
memory = 256
maxmem = 256
vcpus = 1
tsc_mode = "native"
on_poweroff = "destroy"
on_reboot = "destroy"
on_crash = "destroy"
CFG
console=/var/log/xen/console/guest-g1.log
: >/etc/xen/xl.conf

# xl_show TEXT COMMAND...: COMMAND's output, for the host's diagnostics.
xl_show() {
	_t=$1
	shift
	"$@" 2>&1 | sed "s|^|@@MO:OUT dom0 $_t: |"
}
mem_of() { xl list g1 2>/dev/null | awk 'NR == 2 { print $3 }'; }

# serve: read the domU's console through its pty, pass its lines on, and answer
# "@@DOM0 N COMMAND" with "ack N RC" once COMMAND ran. Returns 0 at the domU's
# END, 1 when its console closed before /init, 2 when it closed after.
serve() {
	_booted=1
	while IFS= read -r _line; do
		case $_line in
		*@@MO:END*)
			_rc=${_line##*@@MO:END }
			check "domU: the scenario ends with exit 0 (got $_rc)" [ "$_rc" = 0 ]
			return 0 ;;
		*@@MO:BOOTED*)
			_booted=2
			echo "@@MO:OUT g1 reached /init (${_line##*BOOTED })" ;;
		*@@DOM0\ *)
			set -- ${_line#*@@DOM0 }
			_n=$1
			shift
			request_xl "$@"
			echo "ack $_n $rc" >&3 ;;
		*) echo "g1| $_line" ;;
		esac
	done
	return $_booted
}

# request_xl COMMAND...: one request of the domU, its exit code in $rc.
request_xl() {
	case $1 in
	xl)
		shift
		xl "$@" >/tmp/xl.out 2>&1
		rc=$?
		echo "@@MO:OUT dom0 \$ xl $* (exit $rc)"
		show /tmp/xl.out ;;
	list-mem)
		# xl list's Mem column: the domain's pages, rounded down to MiB.
		_max=$2 _min=$3
		check "dom0: xl list shows g1 between $_min and $_max MiB (got $(mem_of))" \
			eval '[ "$(mem_of)" -ge $_min ] && [ "$(mem_of)" -le $_max ]'
		rc=0 ;;
	over-allocation)
		# Xen's word when populate_physmap hits the domain's max_pages.
		xl dmesg >/tmp/xl-dmesg.log 2>&1
		if [ "$2" = no ]; then
			check "dom0: no Over-allocation for g1 in xl dmesg" \
				eval '! grep -q "Over-allocation" /tmp/xl-dmesg.log'
		else
			check "dom0: Over-allocation in xl dmesg" grep -q "Over-allocation" /tmp/xl-dmesg.log
		fi
		grep -i "over-allocation" /tmp/xl-dmesg.log | tail -n 5 | sed 's/^/@@MO:OUT dom0 xl dmesg: /'
		xl dmesg -c >/dev/null 2>&1
		rc=0 ;;
	*)
		fail "dom0: unknown request $*"
		rc=127 ;;
	esac
	xl_show "xl list" xl list
}

# A PVH early-boot triple fault under TCG (about 1 boot in 6, always before
# /init): destroy and boot again, at most three times, and say so.
for try in 1 2 3 4; do
	xl create /etc/xen/g1.cfg >/tmp/xl-create.log 2>&1 || {
		fail "xl create (try $try)"
		show /tmp/xl-create.log
		break
	}
	domid=$(xl domid g1)
	tty=$(xenstore-read /local/domain/$domid/console/tty)
	stty -F "$tty" raw -echo
	exec 3<>"$tty"
	# Through a FIFO, so that serve's checks count in this shell.
	rm -f /tmp/g1.fifo && mkfifo /tmp/g1.fifo
	tr -d '\r' <&3 >/tmp/g1.fifo &
	relay=$!
	serve </tmp/g1.fifo
	booted=$?
	exec 3>&-
	kill $relay 2>/dev/null
	wait $relay
	if [ $booted = 0 ]; then
		break
	elif [ $booted = 2 ]; then
		fail "g1 ran its scenario to the end (its console closed before END)"
		break
	fi
	echo "@@MO:OUT dom0: g1 died before /init (try $try)"
	xl destroy g1 2>/dev/null
	[ $try -lt 4 ] || fail "g1 reaches /init within 4 boots"
done
xl_show "xl info" sh -c 'xl info | grep -E "memory|xen_version"'
xl_show "xl dmesg" sh -c 'xl dmesg | grep -iE "over-allocation|g1|d1|shadow|p2m" | tail -n 20'
if [ $failed != 0 ]; then
	sed 's|^|@@MO:OUT g1 console: |' $console | tail -n 80
fi
