// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Which hypervisor runs this machine, from the sources lscpu reads, in the
 * order that tells nested and enlightened setups apart:
 * - /sys/hypervisor/type "xen": a Xen HVM guest with Viridian shows
 *   "Microsoft Hv" in cpuid leaf 0x40000000, so Xen's own word comes first;
 * - cpuid leaf 0x40000000, the hypervisor's signature (x86, live only: a
 *   captured tree is another machine, so it carries the signature in
 *   cpuid/40000000 beside sys/ and proc/, and this CPU is never asked);
 * - /sys/bus/vmbus: Hyper-V's bus, whatever cpuid says;
 * - /proc/sysinfo on s390 (z/VM, KVM), the device tree's hypervisor node on
 *   arm64 and powerpc;
 * - DMI: the vendor and product the firmware reports (a guest without the
 *   hypervisor cpuid bit, or a captured tree).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__i386__) || defined(__x86_64__)
#include <cpuid.h>
#endif

#include "internal.h"

/* Signatures of leaf 0x40000000 (EBX, ECX, EDX), as lscpu and systemd know them. */
static const struct {
	const char *signature;
	const char *vendor;
} cpuid_vendors[] = {
	{ "KVMKVMKVM", "KVM" },
	{ "Linux KVM Hv", "KVM" }, /* KVM offering Hyper-V enlightenments */
	{ "XenVMMXenVMM", "Xen" },
	{ "Microsoft Hv", "Hyper-V" },
	{ "VMwareVMware", "VMware" },
	{ "TCGTCGTCGTCG", "QEMU" },
	{ "VBoxVBoxVBox", "VirtualBox" },
	{ "prl hyperv  ", "Parallels" },
	{ " lrpepyh  vr", "Parallels" },
	{ "bhyve bhyve ", "bhyve" },
	{ "ACRNACRNACRN", "ACRN" },
	{ "QNXQVMBSQG", "QNX" },
	{ "SRESRESRESRE", "SRE" },
	{ "Apple VZ", "Apple" },
	{ "UnisysSpar64", "Unisys s-Par" },
};

/* DMI strings (sys_vendor, product_name, bios_vendor, board_vendor) by prefix. */
static const struct {
	const char *prefix;
	const char *vendor;
} dmi_vendors[] = {
	{ "KVM", "KVM" },
	{ "QEMU", "QEMU" },
	{ "VMware", "VMware" },
	{ "VMW", "VMware" },
	{ "innotek GmbH", "VirtualBox" },
	{ "VirtualBox", "VirtualBox" },
	{ "Xen", "Xen" },
	{ "Bochs", "Bochs" },
	{ "Parallels", "Parallels" },
	{ "BHYVE", "bhyve" },
	{ "Google Compute Engine", "KVM" },
	{ "Amazon EC2", "KVM" },
	{ "Apple Virtualization", "Apple" },
};

const char *mo_virt_from_cpuid(const char *signature)
{
	for (size_t i = 0; i < ARRAY_SIZE(cpuid_vendors); i++)
		if (strcmp(signature, cpuid_vendors[i].signature) == 0)
			return cpuid_vendors[i].vendor;
	return NULL;
}

const char *mo_virt_from_dmi(const char *const *strings, size_t n)
{
	for (size_t s = 0; s < n; s++) {
		const char *v = strings[s];

		if (!v || !*v)
			continue;
		/* Hyper-V: "Microsoft Corporation", product "Virtual Machine". */
		if (s == 1 && strcmp(v, "Virtual Machine") == 0 && strings[0] &&
		    strcmp(strings[0], "Microsoft Corporation") == 0)
			return "Hyper-V";
		/* EC2 bare metal carries the same vendor: i3.metal is no guest. */
		if (s == 0 && strcmp(v, "Amazon EC2") == 0 && n > 1 && strings[1] &&
		    strstr(strings[1], ".metal"))
			return NULL;
		for (size_t i = 0; i < ARRAY_SIZE(dmi_vendors); i++)
			if (strncmp(v, dmi_vendors[i].prefix, strlen(dmi_vendors[i].prefix)) == 0)
				return dmi_vendors[i].vendor;
	}
	return NULL;
}

/* The signature of leaf 0x40000000, or "" when the CPU reports no hypervisor. */
static void live_cpuid(char sig[13])
{
	sig[0] = '\0';
#if defined(__i386__) || defined(__x86_64__)
	unsigned a, b, c, d;

	/* CPUID.1:ECX bit 31, the hypervisor bit: 0 on bare metal. */
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 31)))
		return;
	__cpuid(0x40000000, a, b, c, d);
	memcpy(sig, &b, 4);
	memcpy(sig + 4, &c, 4);
	memcpy(sig + 8, &d, 4);
	sig[12] = '\0';
#endif
}

static void found(struct mo_virt *v, const char *vendor, const char *source)
{
	snprintf(v->vendor, sizeof(v->vendor), "%s", vendor);
	v->source = source;
}

static bool from_sysinfo(struct mo_ctx *ctx, struct mo_virt *v)
{
	char *text, *cp;

	if (mo_proc_fd(ctx) < 0 || mo_read_all(mo_proc_fd(ctx), "sysinfo", 1 << 16, &text,
					       NULL) < 0)
		return false;
	/* "VM00 Control Program: z/VM    7.2.0" or "... KVM/Linux"; none: an LPAR. */
	cp = strstr(text, "Control Program:");
	if (cp) {
		cp += strlen("Control Program:");
		cp += strspn(cp, " ");
		found(v, strncmp(cp, "KVM", 3) == 0 ? "KVM" : strncmp(cp, "z/VM", 4) == 0 ?
			 "z/VM" : "unknown (s390)", "/proc/sysinfo");
	} else {
		found(v, "PR/SM (LPAR)", "/proc/sysinfo");
	}
	free(text);
	return true;
}

void mo_virt_detect(struct mo_ctx *ctx, struct mo_virt *ret)
{
	static const char *const dmi_files[] = {
		"class/dmi/id/sys_vendor", "class/dmi/id/product_name",
		"class/dmi/id/bios_vendor", "class/dmi/id/board_vendor",
	};
	char buf[MO_VALUE_MAX], sig[13] = "", dmi[ARRAY_SIZE(dmi_files)][MO_VALUE_MAX];
	const char *dmi_p[ARRAY_SIZE(dmi_files)];
	const char *vendor;
	char *text;
	int sys = mo_sys_fd(ctx);

	memset(ret, 0, sizeof(*ret));
	if (mo_read_attr(sys, "hypervisor/type", buf, sizeof(buf)) > 0 &&
	    strcmp(buf, "xen") == 0) {
		found(ret, "Xen", "/sys/hypervisor");
		return;
	}
	if (mo_is_live(ctx)) {
		live_cpuid(sig);
	} else {
		int root = mo_open_root(ctx);

		if (root >= 0 && mo_read_attr(root, "cpuid/40000000", buf, sizeof(buf)) > 0 &&
		    strlen(buf) < sizeof(sig))
			strcpy(sig, buf);
		if (root >= 0)
			close(root);
	}
	if (sig[0]) {
		vendor = mo_virt_from_cpuid(sig);
		found(ret, vendor ? vendor : "unknown", "cpuid");
		return;
	}
	if (mo_access_beneath(sys, "bus/vmbus") == 0) {
		found(ret, "Hyper-V", "/sys/bus/vmbus");
		return;
	}
	if (from_sysinfo(ctx, ret))
		return;
	/* "linux,kvm" or "xen,xen": a list of NUL-terminated strings, the first counts. */
	if (mo_read_all(sys, "firmware/devicetree/base/hypervisor/compatible", 4096, &text,
			NULL) == 0) {
		found(ret, strstr(text, "kvm") ? "KVM" : strstr(text, "xen") ? "Xen" :
			   "unknown", "device tree");
		free(text);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(dmi_files); i++)
		dmi_p[i] = mo_read_attr(sys, dmi_files[i], dmi[i], sizeof(dmi[i])) > 0 ? dmi[i] :
											  NULL;
	vendor = mo_virt_from_dmi(dmi_p, ARRAY_SIZE(dmi_p));
	if (vendor)
		found(ret, vendor, "DMI");
}
