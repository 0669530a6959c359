// SPDX-License-Identifier: GPL-2.0-or-later
/* Which hypervisor: cpuid signatures and DMI strings, without files or a CPU. */
#include "internal.h"
#include "tap.h"

static void test_cpuid(void)
{
	static const struct {
		const char *sig, *want;
	} cases[] = {
		{ "KVMKVMKVM", "KVM" },        { "Linux KVM Hv", "KVM" },
		{ "XenVMMXenVMM", "Xen" },     { "Microsoft Hv", "Hyper-V" },
		{ "VMwareVMware", "VMware" },  { "TCGTCGTCGTCG", "QEMU" },
		{ "VBoxVBoxVBox", "VirtualBox" }, { "bhyve bhyve ", "bhyve" },
		{ "ACRNACRNACRN", "ACRN" },    { "prl hyperv  ", "Parallels" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		is_str(mo_virt_from_cpuid(cases[i].sig), cases[i].want, "cpuid '%s'",
		       cases[i].sig);
	ok(mo_virt_from_cpuid("GenuineIntel") == NULL, "a CPU vendor is no hypervisor");
}

static void test_dmi(void)
{
	const char *kvm[] = { "QEMU", "Standard PC (Q35 + ICH9, 2009)", "SeaBIOS", NULL };
	const char *hyperv[] = { "Microsoft Corporation", "Virtual Machine", "Microsoft "
				 "Corporation", "Microsoft Corporation" };
	const char *surface[] = { "Microsoft Corporation", "Surface Pro", "Microsoft "
				  "Corporation", "Microsoft Corporation" };
	const char *ec2[] = { "Amazon EC2", "m5.large", "Amazon EC2", "Amazon EC2" };
	const char *metal[] = { "Amazon EC2", "i3.metal", "Amazon EC2", "Amazon EC2" };
	const char *vmware[] = { "VMware, Inc.", "VMware Virtual Platform", NULL, NULL };
	const char *vbox[] = { "innotek GmbH", "VirtualBox", "innotek GmbH", NULL };
	const char *none[] = { NULL, NULL, NULL, NULL };

	is_str(mo_virt_from_dmi(kvm, 4), "QEMU", "QEMU's DMI");
	is_str(mo_virt_from_dmi(hyperv, 4), "Hyper-V", "Hyper-V's Virtual Machine");
	ok(mo_virt_from_dmi(surface, 4) == NULL, "a Microsoft laptop is no guest");
	is_str(mo_virt_from_dmi(ec2, 4), "KVM", "an EC2 instance is a KVM guest");
	ok(mo_virt_from_dmi(metal, 4) == NULL, "EC2 bare metal is no guest");
	is_str(mo_virt_from_dmi(vmware, 4), "VMware", "VMware");
	is_str(mo_virt_from_dmi(vbox, 4), "VirtualBox", "VirtualBox");
	ok(mo_virt_from_dmi(none, 4) == NULL, "no DMI, no answer");
}

int main(void)
{
	test_cpuid();
	test_dmi();
	return tap_done();
}
