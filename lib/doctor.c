// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What memonline doctor judges, gathered: the blocks, the balloon, the
 * drivers, the other onliners and what could add memory at all.  Reading
 * here, judging in the command.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* Whether anything could add memory to this machine, from what it shows. */
static int hotadd_possible(const struct mo_doctor_facts *f)
{
	const struct mo_driver_info *drv = f->drivers;
	struct mo_virt virt;
	int acpi;

	for (size_t i = 0; f->mem && i < f->mem->n_blocks; i++) {
		const struct mo_block *b = &f->mem->blocks[i];

		/* Memory to online now, or memory a device already added. */
		if ((b->state == MO_STATE_OFFLINE && b->source != MO_SOURCE_STANDBY) ||
		    (b->source != MO_SOURCE_BOOT && b->source != MO_SOURCE_UNKNOWN &&
		     b->source != MO_SOURCE_STANDBY))
			return 1;
	}
	if (!f->balloon.err || mo_hypervisor_is_xen(&f->balloon.hv))
		return 1;
	if (drv[MO_DRIVER_VIRTIO_MEM].devices > 0 || drv[MO_DRIVER_DAX_KMEM].devices > 0 ||
	    drv[MO_DRIVER_HV_BALLOON].devices > 0)
		return 1;
	mo_virt_detect(f->ctx, &virt);
	if (strcmp(virt.vendor, "Hyper-V") == 0)
		return 1;
	if (drv[MO_DRIVER_ACPI_MEMORY].state == MO_DRIVER_ABSENT)
		return 0;
	acpi = mo_acpi_memory_hotpluggable(f->ctx);
	return acpi < 0 ? -1 : acpi;
}

int mo_doctor_facts_gather(struct mo_ctx *ctx, const struct mo_policy *p,
			   const struct mo_clock *clock, struct mo_doctor_facts **ret)
{
	struct mo_doctor_facts *f = calloc(1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	f->ctx = mo_ref(ctx);
	f->policy = p;
	f->scan_err = mo_memory_scan(ctx, MO_SCAN_SOURCE, &f->mem);
	if (f->scan_err < 0)
		f->mem = NULL;
	f->sys_read_only = mo_sys_read_only(ctx);
	f->unprivileged = mo_is_live(ctx) && geteuid() != 0;
	/* Beneath sysfs: a tree's link out of it must not answer for the host. */
	if (f->mem && faccessat(mo_memory_fd(ctx), "auto_online_blocks", W_OK,
				AT_EACCESS | AT_SYMLINK_NOFOLLOW) < 0)
		f->auto_online_access = -errno;
	mo_xen_observe(ctx, clock, f->mem, true, &f->balloon);
	mo_drivers_read(ctx, f->drivers);
	f->rules_err = mo_udev_memory_rules(ctx, &f->rules, &f->n_rules, &f->refused);
	if (f->rules_err == -ENOMEM) {
		mo_doctor_facts_free(f);
		return -ENOMEM;
	}
	if (f->rules_err < 0)
		f->n_rules = 0;
	for (size_t i = 0; i < f->n_rules && !f->our_rule; i++)
		if (f->rules[i].memonline)
			f->our_rule = &f->rules[i];
	mo_owner_read(ctx, p, 0, &f->owner);
	f->daemon_enabled = mo_unit_enabled(ctx, "memonline.service", &f->refused) > 0;
	f->hotadd = hotadd_possible(f);
	*ret = f;
	return 0;
}

struct mo_doctor_facts *mo_doctor_facts_free(struct mo_doctor_facts *f)
{
	if (!f)
		return NULL;
	if (f->rules_err == 0)
		free(f->rules);
	mo_memory_free(f->mem);
	mo_unref(f->ctx);
	free(f);
	return NULL;
}
