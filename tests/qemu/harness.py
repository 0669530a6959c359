"""Host side of the QEMU guest tests: start QEMU, follow the guest's markers on
the serial log, carry out its requests over QMP, and judge a scenario.

Python standard library only. The guest protocol is described in guest/lib.sh.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MARKER = re.compile(r"@@MO:(\w+)(?: (.*))?")
KERNEL_BUG = re.compile(r"Kernel panic|BUG:|Oops|WARNING:")


def parse_size(text):
    """'512M', '4G', '1073741824' -> bytes."""
    m = re.fullmatch(r"(\d+)([KMG]?)(?:i?B)?", text.strip(), re.I)
    if not m:
        raise ValueError(f"bad size {text!r}")
    return int(m.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[m.group(2).upper()]


class QMPError(Exception):
    pass


class QMP:
    """A line-based QMP client that keeps the events it reads on the way."""

    def __init__(self, path, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise QMPError(f"cannot connect to QMP at {path}")
                time.sleep(0.02)
        self.buf = b""
        self.events = []
        self._read(timeout)  # greeting
        self.cmd("qmp_capabilities")

    def _read(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise QMPError("timeout waiting for QMP")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                raise QMPError("QMP connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def cmd(self, name, timeout=10, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            reply = self._read(timeout)
            if "event" in reply:
                self.events.append(reply)
            elif "error" in reply:
                raise QMPError(f"{name}: {reply['error'].get('desc', reply['error'])}")
            elif "return" in reply:
                return reply["return"]

    def wait_event(self, name, timeout, match=lambda data: True):
        deadline = time.monotonic() + timeout
        while True:
            for ev in self.events:
                if ev["event"] == name and match(ev.get("data", {})):
                    self.events.remove(ev)
                    return ev
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                reply = self._read(left)
            except QMPError:
                return None
            if "event" in reply:
                self.events.append(reply)

    def close(self):
        self.sock.close()


class Scenario:
    """One guest boot: NAME is also the guest script guest/NAME.sh."""

    def __init__(self, name, title, append="", memonline=True, vmem=False,
                 timeout=60, slots=4, xen=False, mem=512 * 2**20, bench=False,
                 domu=None, script=None, nodes=0, compare=None, tolerate=None,
                 disk=False):
        """TOLERATE: a regex of kernel warnings that are this scenario's
        expected outcome, noted but not failed (a starved guest's kernel
        cannot allocate a new block's memmap)."""
        self.name, self.title = name, title
        self.tolerate = tolerate and re.compile(tolerate)
        # domu: "pvh" or "pv". NAME boots dom0 (guest/xen-dom0-xl.sh), whose
        # xl starts a domU of that type running SCRIPT (default NAME).
        self.domu, self.script = domu, script or name
        self.xen = xen or domu is not None
        self.append, self.memonline, self.vmem = append, memonline, vmem
        self.timeout, self.slots = timeout, slots
        # Boot memory; bench: run only when named (make bench), never by default.
        self.mem, self.bench = mem, bench
        # nodes: NUMA nodes sharing the boot memory equally (0: none);
        # compare: the scenario whose zones (ZONES markers) this one's must equal.
        self.nodes, self.compare = nodes, compare
        # disk: memonline's ext4 image (mkinitramfs --disk) as a virtio-blk /dev/vda.
        self.disk = disk


class Result:
    def __init__(self):
        self.failures = []   # text of each failed check, guest or host
        self.checks = []     # (ok, text) in order
        self.output = []     # @@MO:OUT lines
        self.zones = {}      # step -> {block: zone}, from @@MO:ZONES
        self.budget = {}     # step -> text, from @@MO:BUDGET
        self.timings = []    # (name, seconds)
        self.stats = {}      # @@MO:STAT KEY=VALUE pairs
        self.notes = []

    def check(self, ok, text):
        self.checks.append((ok, text))
        if not ok:
            self.failures.append(text)

    @property
    def ok(self):
        return not self.failures


class Guest:
    """QEMU running one scenario; run() returns a Result."""

    def __init__(self, scenario, kernel, initrd, workdir, dimm_bytes, vmem_bytes,
                 verbose=False, smp=1):
        self.sc = scenario
        self.kernel, self.initrd, self.workdir = kernel, initrd, workdir
        self.dimm_bytes, self.vmem_bytes = dimm_bytes, vmem_bytes
        self.smp = smp
        self.verbose = verbose
        self.serial = os.path.join(workdir, scenario.name + ".serial.log")
        # A socket path must fit in sun_path (108 bytes): keep it short.
        self.qmp_dir = tempfile.mkdtemp(prefix="mo-qmp.")
        self.qmp_path = os.path.join(self.qmp_dir, "qmp.sock")
        self.res = Result()
        self.dimms = {}        # id -> size, plugged and not deleted
        self.t_hotadd = None   # time of the last hot-add request
        self.oops = False      # the guest kernel reported a bug

    def command(self):
        sc = self.sc
        if sc.xen:
            return self.xen_command()
        # maxmem: boot memory, the DIMMs and a virtio-mem region must all fit;
        # the region holds the largest grow a scenario asks for.
        vmem_region = max(4 * 2**30, self.vmem_bytes)
        maxmem = sc.mem + sc.slots * max(self.dimm_bytes, 2**30) + vmem_region
        append = (f"console=ttyS0 quiet loglevel=5 panic=-1 memhp_default_state=offline "
                  f"{sc.append} mo_scenario={sc.script} mo_dimm_bytes={self.dimm_bytes} "
                  f"mo_vmem_bytes={self.vmem_bytes}")
        cmd = ["qemu-system-x86_64", "-M", "pc", "-accel", "tcg",
               "-m", f"{sc.mem // 2**20}M,slots={sc.slots},maxmem={maxmem // 2**20}M",
               "-smp", str(self.smp), "-nodefaults", "-display", "none",
               "-no-reboot", "-no-shutdown",
               "-kernel", self.kernel, "-initrd", self.initrd, "-append", append,
               "-serial", "file:" + self.serial,
               "-qmp", f"unix:{self.qmp_path},server=on,wait=off"]
        for n in range(sc.nodes):
            cmd += ["-object", f"memory-backend-ram,id=ram{n},size={sc.mem // sc.nodes}",
                    "-numa", f"node,nodeid={n},memdev=ram{n}"]
        if sc.vmem:
            cmd += ["-object", f"memory-backend-ram,id=vmem0,size={vmem_region}",
                    "-device", "virtio-mem-pci,id=vm0,memdev=vmem0,requested-size=0"]
        if sc.disk:
            disk = os.path.join(os.path.dirname(self.initrd), "root.ext4")
            cmd += ["-drive", f"file={disk},if=virtio,format=raw,readonly=on"]
        return cmd

    def xen_command(self):
        """Xen under TCG with the same kernel as dom0 (real-kernel-testing.md):
        -smap or dom0 dies in create_bounce_frame."""
        sc = self.sc
        xen = os.path.join(os.path.dirname(os.path.dirname(self.kernel)), "xen", "xen")
        dom0 = (f"{self.kernel} console=hvc0 earlyprintk=xen quiet {sc.append} "
                f"mo_scenario={sc.name}")
        cpu, xen_args = "max,-smap", ""
        if sc.domu:
            # A domU under TCG (tests/qemu/README.md): without -rdtscp a PVH
            # guest dies on "Insn mismatch"; FSGSBASE and XSAVE corrupted
            # domUs at random.
            dom0 = (f"{self.kernel} console=hvc0 earlyprintk=xen quiet {sc.append} "
                    f"mo_scenario=xen-dom0-xl mo_domu_type={sc.domu} "
                    f"mo_domu_script={sc.script}")
            # Every level of Xen's log: "Over-allocation" is a guest's INFO.
            cpu, xen_args = ("max,-smap,-rdtscp,-fsgsbase",
                             " xsave=0 loglvl=all guest_loglvl=all")
        # In -initrd, a comma separates modules: a literal one is written twice.
        modules = dom0.replace(",", ",,") + "," + self.initrd
        return ["qemu-system-x86_64", "-M", "pc", "-accel", "tcg", "-cpu", cpu,
                "-smp", "2", "-m", "3G", "-nodefaults", "-display", "none",
                "-no-reboot", "-no-shutdown",
                "-kernel", xen, "-initrd", modules,
                "-append", "console=com1 com1=115200,8n1 dom0_mem=512M,max:512M "
                           "dom0_max_vcpus=2" + xen_args,
                "-serial", "file:" + self.serial,
                "-qmp", f"unix:{self.qmp_path},server=on,wait=off"]

    def run(self):
        for path in (self.serial, self.qmp_path):
            if os.path.exists(path):
                os.unlink(path)
        start = time.monotonic()
        self.deadline = start + self.sc.timeout
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            self.qmp = QMP(self.qmp_path)
            self._follow()
            self._finish()
        except QMPError as e:
            self.res.check(False, f"host: QMP: {e}")
        finally:
            self._stop()
        self.res.notes.append(f"wall time {time.monotonic() - start:.1f} s")
        return self.res

    def _follow(self):
        """Read the serial log until the guest's END marker."""
        pos, partial, booted, ended = 0, b"", False, False
        while not ended:
            if time.monotonic() > self.deadline:
                if not self.oops:
                    self.res.check(False, f"host: scenario timed out after {self.sc.timeout} s"
                                   + ("" if booted else " (guest never reached /init)"))
                return
            if self.proc.poll() is not None:
                self.res.check(False, f"host: QEMU exited early with {self.proc.returncode}: "
                               + self.proc.stdout.read().decode(errors="replace").strip())
                return
            with open(self.serial, "rb") as f:
                f.seek(pos)
                chunk = f.read()
            if not chunk:
                time.sleep(0.01)
                continue
            pos += len(chunk)
            lines = (partial + chunk).split(b"\n")
            partial = lines.pop()
            for raw in lines:
                line = raw.decode(errors="replace").rstrip("\r")
                m = MARKER.search(line)
                if not m:
                    if self._tolerated(line):
                        self.res.notes.append(f"tolerated: {line.strip()}")
                    elif KERNEL_BUG.search(line):
                        self.res.check(False, f"guest kernel: {line.strip()}")
                        # Whatever the guest waits for may never come now: keep
                        # a few seconds for the trace, then give up.
                        self.deadline = min(self.deadline, time.monotonic() + 5)
                        self.oops = True
                    continue
                kind, arg = m.group(1), m.group(2) or ""
                if kind == "BOOTED":
                    booted = True
                    self.res.notes.append(f"guest reached /init at {arg} s uptime")
                elif kind == "END":
                    ended = True
                    if arg != "0":
                        self.res.check(False, f"guest scenario exited with {arg}")
                else:
                    self._marker(kind, arg)

    def _marker(self, kind, arg):
        if kind == "CHECK":
            verdict, _, text = arg.partition(" ")
            self.res.check(verdict == "ok", "guest: " + text)
        elif kind == "OUT":
            self.res.output.append(arg)
        elif kind == "ZONES":
            step, *pairs = arg.split()
            self.res.zones[step] = dict(p.split("=", 1) for p in pairs)
        elif kind == "BUDGET":
            step, _, text = arg.partition(" ")
            self.res.budget[step] = text
        elif kind == "STAT":
            self.res.stats.update(kv.split("=", 1) for kv in arg.split() if "=" in kv)
        elif kind == "TIME":
            if self.t_hotadd is None:
                self.res.check(False, f"host: TIME {arg} before any hot-add")
            else:
                self.res.timings.append((arg, time.monotonic() - self.t_hotadd))
        elif kind == "GTIME":
            name, _, secs = arg.partition(" ")
            self.res.timings.append((name, float(secs)))
        elif kind == "REQ":
            action, *args = arg.split()
            handler = getattr(self, "req_" + action, None)
            if handler is None:
                self.res.check(False, f"host: unknown request {arg!r}")
            else:
                handler(*args)
        else:
            self.res.check(False, f"host: unknown marker {kind} {arg}")

    # Requests from the guest ------------------------------------------------

    def _memory_devices(self):
        return {d["data"]["id"]: d for d in self.qmp.cmd("query-memory-devices")
                if "id" in d.get("data", {})}

    def req_dimm_add(self, name, size, node=None):
        size = parse_size(size)
        # reserve=false (MAP_NORESERVE): a DIMM larger than the host's memory
        # (the real-sysfs scan's 128G) is only ever touched in part.
        self.qmp.cmd("object-add", **{"qom-type": "memory-backend-ram",
                                      "id": "mem-" + name, "size": size, "reserve": False})
        self.t_hotadd = time.monotonic()
        self.qmp.cmd("device_add", driver="pc-dimm", id=name, memdev="mem-" + name,
                     **({} if node is None else {"node": int(node)}))
        self.dimms[name] = size
        dev = self._memory_devices().get(name)
        self.res.check(dev is not None and dev["data"]["size"] == size,
                       f"host: {name} plugged with {size >> 20} MiB "
                       f"(query-memory-devices: {dev and dev['data']['size']})")

    def req_dimm_del(self, name, expect="removed"):
        """device_del NAME; EXPECT is 'removed', or 'kept' when the guest must
        refuse the eject (it reports a failure through _OST)."""
        self.qmp.cmd("device_del", id=name)
        if expect == "removed":
            ev = self.qmp.wait_event("DEVICE_DELETED", 20,
                                     lambda d: d.get("device") == name)
            present = name in self._memory_devices()
            self.res.check(ev is not None and not present,
                           f"host: {name} removed (DEVICE_DELETED "
                           f"{'seen' if ev else 'not seen'}, still listed: {present})")
            if ev is not None:
                self.qmp.cmd("object-del", id="mem-" + name)
                del self.dimms[name]
            return
        # _OST source 3 is the eject request; 0x84 means "in progress", 0 done.
        ost = self.qmp.wait_event(
            "ACPI_DEVICE_OST", 20,
            lambda d: d.get("info", {}).get("device") == name
            and d["info"].get("source") == 3 and d["info"].get("status") != 0x84)
        gone = self.qmp.wait_event("DEVICE_DELETED", 0.5,
                                   lambda d: d.get("device") == name)
        status = ost and ost["data"]["info"].get("status")
        self.res.check(ost is not None and status != 0 and gone is None
                       and name in self._memory_devices(),
                       f"host: the guest refuses to eject {name} (_OST status "
                       f"{status if status is None else hex(status)}), QEMU keeps it")

    def req_vmem_resize(self, size, timeout="30"):
        """Set virtio-mem's requested-size and wait until the guest plugged it."""
        size = parse_size(size)
        self.t_hotadd = time.monotonic()
        self.qmp.cmd("qom-set", path="vm0", property="requested-size", value=size)
        deadline = time.monotonic() + float(timeout)
        plugged = None
        while time.monotonic() < deadline and not self._guest_crashed():
            plugged = self.qmp.cmd("qom-get", path="vm0", property="size")
            if plugged == size:
                break
            time.sleep(0.05)
        self.res.check(plugged == size, f"host: virtio-mem size reaches {size >> 20} MiB "
                       f"(qom-get size {plugged if plugged is None else plugged >> 20} MiB "
                       f"after {time.monotonic() - self.t_hotadd:.1f} s)")
        if plugged == size:
            self.res.timings.append((f"virtio-mem-plugged-{size >> 20}M",
                                     time.monotonic() - self.t_hotadd))

    def _tolerated(self, line):
        return self.sc.tolerate is not None and self.sc.tolerate.search(line)

    def _guest_crashed(self):
        """A kernel bug report in the serial log, for waits on the host side."""
        try:
            with open(self.serial, "rb") as f:
                lines = f.read().decode(errors="replace").splitlines()
        except OSError:
            return False
        return any(KERNEL_BUG.search(line) and not self._tolerated(line) for line in lines)

    # End of run ---------------------------------------------------------------

    def _finish(self):
        """Host-side checks once the guest is done: QEMU's view of memory."""
        if not hasattr(self, "qmp"):
            return
        devices = self._memory_devices()
        for name, size in self.dimms.items():
            dev = devices.get(name)
            self.res.check(dev is not None and dev["data"]["size"] == size,
                           f"host: at the end {name} is plugged with {size >> 20} MiB")

    def _stop(self):
        try:
            if hasattr(self, "qmp"):
                self.qmp.cmd("quit", timeout=3)
                self.qmp.close()
        except (QMPError, OSError):
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        shutil.rmtree(self.qmp_dir, ignore_errors=True)

    def serial_tail(self, n=40):
        """The last N lines of the serial log, or N lines from the first kernel
        bug report when there is one."""
        try:
            with open(self.serial, "rb") as f:
                lines = f.read().decode(errors="replace").splitlines()
        except OSError:
            return []
        lines = [line for line in lines if line.strip()]
        for i, line in enumerate(lines):
            if KERNEL_BUG.search(line):
                return lines[max(i - 2, 0):i - 2 + n]
        return lines[-n:]


def have(program):
    return shutil.which(program) is not None


def tap_diag(lines):
    for line in lines:
        print("#", line)


def unit_file(workdir):
    """memonline.service from its template, as --add arguments: the default
    install's scenario starts the daemon with the unit's settings."""
    with open(os.path.join(HERE, "..", "..", "systemd", "memonline.service.in")) as f:
        text = f.read().replace("@BINDIR@", "/usr/bin")
    dest = os.path.join(workdir, "memonline.service")
    with open(dest, "w") as f:
        f.write(text)
    return ["--file", dest + ":/lib/memonline-test/memonline.service"]


def udev_rules(workdir):
    """memonline's udev rules from the repository, as --memonline-rules
    arguments: the .in template (the source; a generated .rules file may be
    stale) with the paths filled in for the guest, or a plain .rules file."""
    top = os.path.join(HERE, "..", "..", "udev")
    names = sorted(os.listdir(top)) if os.path.isdir(top) else []
    args = []
    for name in names:
        src = os.path.join(top, name)
        if name.endswith(".rules") and name + ".in" not in names:
            args += ["--memonline-rules", src]
        elif name.endswith(".rules.in"):
            dest = os.path.join(workdir, name[:-3])
            with open(src) as f:
                text = f.read()
            for key, value in (("@BINDIR@", "/usr/bin"), ("@SBINDIR@", "/usr/sbin"),
                               ("@SYSCONFDIR@", "/etc"), ("@VERSION@", "test")):
                text = text.replace(key, value)
            with open(dest, "w") as f:
                f.write(text)
            args += ["--memonline-rules", dest]
    return args


def main(doc, scenarios, xen=False, suite=None):
    """SUITE, for a runner with its own options (tests/qemu/starved): an
    object with options(ap), scenarios(args) -> [Scenario], helpers (C
    helpers to build: (name, cflags...)), adds (SRC:DEST host files for the
    initramfs) and report(args, [(Scenario, Result)]) -> failures."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("scenarios", nargs="*", metavar="SCENARIO")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="print every check and the guest's output, not only failures")
    ap.add_argument("--list", action="store_true", help="list the scenarios")
    ap.add_argument("--memonline", default=os.environ.get(
        "MEMONLINE", os.path.join(HERE, "..", "..", "memonline")))
    ap.add_argument("--deb", default=os.environ.get("MEMONLINE_QEMU_DEB") or None,
                    metavar="FILE",
                    help="test this .deb (scripts/build-deb) instead of the build tree: "
                    "its binary, udev rule and unit at their installed paths")
    ap.add_argument("--dimm-size", default=os.environ.get("MEMONLINE_QEMU_DIMM_SIZE", "1G"),
                    help="size of the DIMM in the timed scenarios (default %(default)s)")
    ap.add_argument("--vmem-size", default=os.environ.get("MEMONLINE_QEMU_VMEM_SIZE", "1G"),
                    help="size of the virtio-mem grow in the timed scenarios "
                    "(default %(default)s)")
    ap.add_argument("--timeout", type=float, help="per-scenario timeout in seconds")
    ap.add_argument("--smp", type=int, default=1,
                    help="vCPUs of a KVM-style guest (default %(default)s; Xen guests "
                    "keep their own)")
    ap.add_argument("--cache", default=os.environ.get(
        "MEMONLINE_QEMU_CACHE", os.path.join(HERE, "..", "..", ".cache", "qemu")))
    if suite:
        suite.options(ap)
    args = ap.parse_args()
    if suite:
        scenarios = suite.scenarios(args)

    if args.list:
        for sc in scenarios:
            print(f"{sc.name:20} {sc.title}" + (" (make bench only)" if sc.bench else ""))
        return 0
    byname = {sc.name: sc for sc in scenarios}
    unknown = [n for n in args.scenarios if n not in byname]
    if unknown:
        ap.error(f"unknown scenario {', '.join(unknown)} (see --list)")
    chosen = [byname[n] for n in args.scenarios] or [sc for sc in scenarios if not sc.bench]
    try:
        args.dimm_bytes = parse_size(args.dimm_size)
        args.vmem_bytes = parse_size(args.vmem_size)
    except ValueError as e:
        ap.error(str(e))

    print(f"1..{len(chosen)}", flush=True)
    if args.deb:
        print(f"# memonline from the package {os.path.abspath(args.deb)}", flush=True)

    def bail(msg):
        # Every test fails loudly: a missing tool is never a silent skip.
        for i, sc in enumerate(chosen, 1):
            print(f"not ok {i} - {sc.name}: {sc.title}")
            print(f"# {msg}")
        return 1

    if not have("qemu-system-x86_64"):
        return bail("qemu-system-x86_64 not found: apt-get install "
                    + " ".join(open(os.path.join(HERE, "apt-packages.txt")).read().split()))
    t0 = time.monotonic()
    fetch = subprocess.run([os.path.join(HERE, "fetch")] + (["--xen"] if xen else []),
                           capture_output=True, text=True,
                           env=dict(os.environ, MEMONLINE_QEMU_CACHE=args.cache))
    if fetch.returncode != 0:
        return bail("tests/qemu/fetch failed: " + fetch.stderr.strip().replace("\n", "\n# "))
    for line in fetch.stderr.splitlines():
        print("#", line)
    print(f"# fetch: {time.monotonic() - t0:.1f} s", flush=True)

    # A private directory per run, so two runs can share the cache; it becomes
    # run/ (the last run's serial logs and initramfs) at the end.
    args.cache = os.path.realpath(args.cache)
    workdir = tempfile.mkdtemp(prefix="run.", dir=args.cache)
    try:
        return run_all(args, chosen, workdir, xen, bail, suite)
    finally:
        last = os.path.join(args.cache, "run")
        shutil.rmtree(last, ignore_errors=True)
        try:
            os.rename(workdir, last)
        except OSError:
            shutil.rmtree(workdir, ignore_errors=True)


def compare_zones(res, ref, ref_name):
    """Every block's zone after every step must be the reference's (the
    kernel's own choice, in a differential pair); a difference names the
    block, both zones and both budgets at that step."""
    if ref is None:
        res.check(False, f"host: {ref_name} did not run: nothing to compare with")
        return
    if not ref.zones or set(ref.zones) != set(res.zones):
        res.check(False, f"host: steps differ: {ref_name} {sorted(ref.zones)}, "
                  f"this run {sorted(res.zones)}")
        return
    for step in sorted(res.zones):
        mine, theirs = res.zones[step], ref.zones[step]
        diff = [b for b in sorted(set(mine) | set(theirs), key=int)
                if mine.get(b) != theirs.get(b)]
        for b in diff:
            res.check(False, f"host: step {step}: memory{b}: {ref_name} {theirs.get(b)}, "
                      f"this run {mine.get(b)}; budget then: {ref_name}: "
                      f"{ref.budget.get(step)}; this run: {res.budget.get(step)}")
        if not diff:
            res.check(True, f"host: step {step}: the zones of all {len(mine)} hot-added "
                      f"blocks are {ref_name}'s")


def run_all(args, chosen, workdir, xen, bail, suite=None):
    dimm_bytes = args.dimm_bytes
    kernel = os.path.join(args.cache, "kernel", "vmlinux")
    memonline = os.path.abspath(args.memonline)
    have_memonline = os.access(memonline, os.X_OK)
    deb = args.deb and os.path.abspath(args.deb)
    if deb:
        have_memonline = os.path.isfile(deb)
    def add_helper(name, *cflags):
        """Build tests/qemu/NAME.c for the guest, as /usr/bin/NAME; an error
        message, or None once it is in extra."""
        out = os.path.join(workdir, name)
        r = subprocess.run(["gcc", "-O2", "-Wall", *cflags, "-o", out,
                            os.path.join(HERE, name + ".c")], capture_output=True, text=True)
        if r.returncode != 0:
            return f"building {name} failed: " + r.stderr.strip()
        extra.extend(["--add", f"{out}:/usr/bin/{name}"])
        return None

    extra = []
    # The forger of udev's netlink messages (uevent-hostile): tiny, so built
    # for every run.  With Xen, the xl mem-max stand-in, built against the
    # cached libxen-dev headers.
    err = add_helper("uevent-send")
    if not err and xen:
        err = add_helper("xen-maxmem", "-I", os.path.join(args.cache, "xenheaders", "include"))
    if not err and xen:
        # For a domU (run-xen-domu): a backend's reservation of pages for
        # foreign mappings, through gntdev.
        err = add_helper("xen-gntmap", "-I", os.path.join(args.cache, "xenheaders", "include"))
        extra.extend(["--file", os.path.join(args.cache, "kernel", "modules", "xen-gntdev.ko")
                      + ":/lib/modules/xen-gntdev.ko"])
    for helper in suite.helpers if suite else ():
        err = err or add_helper(*helper)
    if err:
        return bail(err)
    # lsmem, from the host's util-linux: what memonline list is compared with.
    lsmem = shutil.which("lsmem")
    if not lsmem:
        return bail("lsmem not found: apt-get install util-linux")
    extra += ["--add", f"{lsmem}:/usr/bin/lsmem"]
    for spec in suite.adds if suite else ():
        if not os.path.exists(spec.split(":")[0]):
            return bail(f"{spec.split(':')[0]} not found")
        extra.extend(["--add", spec])
    if not deb:
        # With --deb the package's own rule is the one tested.
        extra += udev_rules(workdir) + unit_file(workdir)
    initrds = {}

    def initrd(with_memonline):
        if with_memonline not in initrds:
            path = os.path.join(workdir, ("initrd-memonline.cpio" if with_memonline
                                          else "initrd-busybox.cpio"))
            cmd = [os.path.join(HERE, "mkinitramfs"), "-o", path, "--cache", args.cache]
            if not with_memonline:
                cmd += ["--no-memonline"]
            else:
                cmd += ["--deb", deb] if deb else ["--memonline", memonline]
                if any(sc.disk for sc in chosen):
                    cmd += ["--disk", os.path.join(workdir, "root.ext4")]
            r = subprocess.run(cmd + extra, capture_output=True, text=True)
            initrds[with_memonline] = (path, r.stderr.strip()) if r.returncode == 0 \
                else (None, r.stderr.strip())
        return initrds[with_memonline]

    def dom0_initrd():
        """dom0 with the xl toolstack, and the domU's kernel and initramfs
        (memonline's) in /boot."""
        if "dom0" not in initrds:
            domu, err = initrd(True)
            if domu is None:
                return None, err
            path = os.path.join(workdir, "initrd-dom0.cpio")
            cmd = [os.path.join(HERE, "mkinitramfs"), "-o", path, "--cache", args.cache,
                   "--no-memonline", "--no-udev",
                   "--xen-toolstack", os.path.join(args.cache, "xentools"),
                   "--file", os.path.join(args.cache, "kernel", "vmlinuz") + ":/boot/vmlinuz",
                   "--file", domu + ":/boot/domu.cpio"]
            r = subprocess.run(cmd, capture_output=True, text=True)
            initrds["dom0"] = (path, r.stderr.strip()) if r.returncode == 0 \
                else (None, r.stderr.strip())
        return initrds["dom0"]

    failed = 0
    results = {}
    for i, sc in enumerate(chosen, 1):
        label = f"{i} - {sc.name}: {sc.title}"
        if sc.memonline and not have_memonline:
            print(f"not ok {label}")
            print(f"# package {deb} not found: run scripts/build-deb" if deb else
                  f"# memonline binary {memonline} not found: run make first")
            failed += 1
            continue
        path, err = dom0_initrd() if sc.domu else initrd(sc.memonline)
        if path is None:
            print(f"not ok {label}")
            print(f"# mkinitramfs failed: {err}")
            failed += 1
            continue
        if args.timeout:
            sc.timeout = args.timeout
        guest = Guest(sc, kernel, path, workdir, dimm_bytes, args.vmem_bytes, args.verbose,
                      args.smp)
        res = results[sc.name] = guest.run()
        if sc.compare:
            compare_zones(res, results.get(sc.compare), sc.compare)
        print(f"{'ok' if res.ok else 'not ok'} {label}")
        failed += not res.ok
        for name, secs in res.timings:
            print(f"# timing: {name} {secs:.2f}")
        if res.ok and not args.verbose:
            print(f"# {len(res.checks)} checks, {'; '.join(res.notes)}")
            continue
        tap_diag(f"{'ok' if ok else 'FAILED'}: {text}" for ok, text in res.checks)
        tap_diag(res.notes)
        tap_diag(res.output)
        if not res.ok:
            log = os.path.join(args.cache, "run", os.path.basename(guest.serial))
            print(f"# serial log (kept in {log} after the run), last lines:")
            tap_diag("  " + line for line in guest.serial_tail())
        sys.stdout.flush()
    if suite:
        failed += suite.report(args, [(sc, results[sc.name]) for sc in chosen
                                      if sc.name in results])
    return 1 if failed else 0
