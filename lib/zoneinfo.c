// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Online memory by node and zone from /proc/zoneinfo: what the kernel's own
 * auto-movable policy counts (zone present pages, mm/memory_hotplug.c), in
 * one read instead of a scan of every block.  The udev rule runs memonline
 * once per added block: with thousands of blocks, a scan per event is what
 * makes a rule too slow at the moment memory is short.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* zoneinfo is a few KiB per node; a larger file is not procfs. */
#define ZONEINFO_MAX (4u << 20)

int mo_zoneinfo_parse(const char *text, uint64_t page_size, struct mo_usage *u)
{
	struct mo_usage acc = { 0 };
	int node = -1, zone = -1;
	bool any = false;

	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n');
		char name[16];
		int n;
		unsigned long long pages;

		if (sscanf(line, "Node %d, zone %15s", &n, name) == 2) {
			if (n < 0)
				return -EINVAL;
			node = n;
			zone = -1;
			for (int z = 0; z < MO_ZONE__MAX; z++)
				if (strcmp(name, mo_zone_name(z)) == 0)
					zone = z;
			if (zone < 0)
				return -EINVAL;
		} else if (sscanf(line, " present %llu", &pages) == 1) {
			if (node < 0 || pages > UINT64_MAX / page_size)
				return -EINVAL;
			/* ZONE_DEVICE memory is never onlined through memory blocks. */
			if (zone != MO_ZONE_DEVICE)
				mo_usage_add(&acc, node, zone == MO_ZONE_MOVABLE,
					     (uint64_t)pages * page_size);
			any = true;
		}
		line = end ? end + 1 : NULL;
	}
	if (!any)
		return -EINVAL;
	*u = acc;
	return 0;
}

int mo_usage_from_zoneinfo(struct mo_ctx *ctx, struct mo_usage *u)
{
	long page_size = sysconf(_SC_PAGESIZE);
	char *text;
	int r;

	if (mo_proc_fd(ctx) < 0)
		return -ENOENT;
	r = mo_read_all(mo_proc_fd(ctx), "zoneinfo", ZONEINFO_MAX, &text, NULL);
	if (r < 0)
		return r;
	r = mo_zoneinfo_parse(text, page_size > 0 ? page_size : 4096, u);
	free(text);
	return r;
}
