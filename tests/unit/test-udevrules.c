// SPDX-License-Identifier: GPL-2.0-or-later
/* Which udev rules online memory: the rules people really install. */
#include "internal.h"
#include "tap.h"

int main(void)
{
	static const struct {
		const char *what;
		const char *text;
		bool want;
	} cases[] = {
		{ "the seed's rule (a shell per block)",
		  "SUBSYSTEM==\"memory\", ACTION==\"add\", RUN+=\"/bin/sh -c '[ -f "
		  "/sys$devpath/state ] && echo online > /sys$devpath/state'\"\n", true },
		{ "RHEL's 40-redhat.rules: a GOTO guard, the word in ENV",
		  "# Memory hotadd request\n"
		  "SUBSYSTEM!=\"memory\", GOTO=\"memory_hotplug_end\"\n"
		  "ACTION!=\"add\", GOTO=\"memory_hotplug_end\"\n"
		  "ENV{.state}=\"online\"\n"
		  "ATTR{state}==\"offline\", ATTR{state}=\"$env{.state}\"\n"
		  "LABEL=\"memory_hotplug_end\"\n", true },
		{ "Ubuntu's 40-vm-hotadd.rules",
		  "ATTR{[dmi/id]sys_vendor}==\"Xen\", GOTO=\"vm_hotadd_apply\"\n"
		  "GOTO=\"vm_hotadd_end\"\nLABEL=\"vm_hotadd_apply\"\n"
		  "SUBSYSTEM==\"memory\", ACTION==\"add\", DEVPATH==\"/devices/system/memory/"
		  "memory[0-9]*\", TEST==\"state\", ATTR{state}==\"offline\", ATTR{state}=\"online\"\n"
		  "SUBSYSTEM==\"cpu\", ACTION==\"add\", TEST==\"online\", ATTR{online}==\"0\", "
		  "ATTR{online}=\"1\"\nLABEL=\"vm_hotadd_end\"\n", true },
		{ "memonline's own rule",
		  "SUBSYSTEM==\"memory\", ACTION==\"add\", KERNEL==\"memory[0-9]*\", "
		  "ATTR{state}==\"offline\", TEST!=\"/run/memonline/watch\", "
		  "RUN+=\"/usr/bin/memonline online --udev $kernel\"\n", true },
		{ "a continuation line",
		  "SUBSYSTEM==\"memory\", ACTION==\"add\", \\\n  ATTR{online}=\"1\"\n", true },
		{ "spaces around the operators",
		  "SUBSYSTEM == \"memory\", ATTR{state} = \"online_movable\"\n", true },
		{ "only CPUs are onlined", "SUBSYSTEM==\"cpu\", ACTION==\"add\", ATTR{online}=\"1\"\n",
		  false },
		{ "memory matched, nothing written (a permissions rule)",
		  "SUBSYSTEM==\"memory\", ACTION==\"add\", ATTR{state}==\"offline\", "
		  "TAG+=\"systemd\"\n", false },
		{ "commented out", "#SUBSYSTEM==\"memory\", ATTR{state}=\"online\"\n", false },
		{ "SUBSYSTEMS is another key", "SUBSYSTEMS==\"memory\", ATTR{state}=\"online\"\n",
		  false },
		{ "empty (a mask)", "", false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		is_int(mo_udev_rules_online_memory(cases[i].text), cases[i].want, "%s",
		       cases[i].what);
	return tap_done();
}
