// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * status --format prometheus: the text exposition format that
 * node_exporter's textfile collector reads (*.prom).  A fleet keeps the
 * monitoring it has; memonline only feeds it.  Every family is a gauge with
 * HELP and TYPE, samples grouped per family, label values escaped.
 */
#include <inttypes.h>
#include <string.h>

#include "cli.h"

static void family(const char *name, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* Label values: backslash, double quote and newline are escaped. */
static void label_value(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			printf("\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", stdout);
		else
			putchar(*s);
	}
	putchar('"');
}

static const char *state_label(enum mo_state s)
{
	switch (s) {
	case MO_STATE_ONLINE:
		return "online";
	case MO_STATE_OFFLINE:
		return "offline";
	case MO_STATE_GOING_OFFLINE:
		return "going_offline";
	default:
		return "unreadable";
	}
}

/* Rows of (state, zone): an offline block has no zone, so no zone label. */
struct row {
	const char *state, *zone;
	uint64_t blocks;
};

static size_t tally(const struct mo_memory *mem, struct row *rows, size_t max)
{
	/* States without a zone are always there, 0 when no block is in them. */
	size_t n = 2;

	rows[0] = (struct row){ "offline", NULL, 0 };
	rows[1] = (struct row){ "unreadable", NULL, 0 };
	for (size_t i = 0; i < mem->n_blocks; i++) {
		const struct mo_block *b = &mem->blocks[i];
		const char *state = state_label(b->state);
		const char *zone = b->state == MO_STATE_ONLINE ||
						   b->state == MO_STATE_GOING_OFFLINE ?
					   mo_block_zone_name(b) : NULL;
		size_t k;

		for (k = 0; k < n; k++)
			if (!strcmp(rows[k].state, state) &&
			    (rows[k].zone == zone || (rows[k].zone && zone &&
						      !strcmp(rows[k].zone, zone))))
				break;
		if (k == n) {
			if (n == max)
				continue;
			rows[n++] = (struct row){ state, zone, 0 };
		}
		rows[k].blocks++;
	}
	return n;
}

static void state_zone_samples(const char *name, const struct row *rows, size_t n,
			       uint64_t mult)
{
	for (size_t i = 0; i < n; i++) {
		printf("%s{state=", name);
		label_value(rows[i].state);
		if (rows[i].zone) {
			fputs(",zone=", stdout);
			label_value(rows[i].zone);
		}
		printf("} %" PRIu64 "\n", rows[i].blocks * mult);
	}
}

static void memory_metrics(const struct mo_memory *mem, const struct mo_policy *p)
{
	struct row rows[32];
	size_t n = tally(mem, rows, ARRAY_SIZE(rows));
	struct mo_usage u;
	static const enum mo_auto_online modes[] = {
		MO_AUTO_OFFLINE, MO_AUTO_ONLINE,
		MO_AUTO_ONLINE_KERNEL, MO_AUTO_ONLINE_MOVABLE,
	};

	family("memonline_block_size_bytes", "Size of one memory block.");
	printf("memonline_block_size_bytes %" PRIu64 "\n", mem->block_size);

	family("memonline_blocks", "Memory blocks by state, and zone when online.");
	state_zone_samples("memonline_blocks", rows, n, 1);
	family("memonline_memory_bytes", "Memory in blocks by state, and zone when online.");
	state_zone_samples("memonline_memory_bytes", rows, n, mem->block_size);

	mo_usage_from_memory(mem, &u);
	family("memonline_node_memory_bytes",
	       "Online kernel and movable memory per NUMA node.");
	for (int node = 0; node < MO_MAX_NODES; node++) {
		if (!u.node_kernel[node] && !u.node_movable[node])
			continue;
		printf("memonline_node_memory_bytes{node=\"%d\",kind=\"kernel\"} %" PRIu64 "\n",
		       node, u.node_kernel[node]);
		printf("memonline_node_memory_bytes{node=\"%d\",kind=\"movable\"} %" PRIu64 "\n",
		       node, u.node_movable[node]);
	}

	/* No sample without kernel memory: a ratio of nothing is no number. */
	if (u.kernel) {
		family("memonline_movable_kernel_ratio",
		       "Online movable memory divided by online kernel memory.");
		printf("memonline_movable_kernel_ratio %.6f\n", (double)u.movable / u.kernel);
	}
	family("memonline_movable_kernel_ratio_budget",
	       "memonline's ratio budget (memonline.conf ratio / 100).");
	printf("memonline_movable_kernel_ratio_budget %.2f\n", mo_policy_ratio(p) / 100.0);

	family("memonline_kernel_auto_online",
	       "The kernel's auto_online_blocks: 1 for the mode in effect.");
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++)
		printf("memonline_kernel_auto_online{mode=\"%s\"} %d\n",
		       mo_auto_online_name(modes[i]), mem->auto_online == modes[i]);
}

static void xen_metrics(const struct mo_xen_view *v)
{
	if (v->err)
		return; /* not Xen, or no balloon: nothing to say */
	family("memonline_xen_balloon_target_bytes", "The Xen balloon's target.");
	printf("memonline_xen_balloon_target_bytes %" PRIu64 "\n", v->b.target_kb * 1024);
	family("memonline_xen_balloon_current_bytes", "Memory the Xen balloon has populated.");
	printf("memonline_xen_balloon_current_bytes %" PRIu64 "\n", v->b.current_kb * 1024);
	family("memonline_xen_balloon_ballooned_bytes",
	       "Pages in the Xen balloon, not populated (low and high memory).");
	printf("memonline_xen_balloon_ballooned_bytes{kind=\"low\"} %" PRIu64 "\n",
	       v->b.low_kb * 1024);
	printf("memonline_xen_balloon_ballooned_bytes{kind=\"high\"} %" PRIu64 "\n",
	       v->b.high_kb * 1024);
	family("memonline_xen_balloon_hotplug",
	       "1 when the kernel can hot-add memory for the balloon.");
	printf("memonline_xen_balloon_hotplug %d\n", v->b.hotplug_unpopulated >= 0);
	family("memonline_xen_balloon_verdict", "1 for the Xen balloon's verdict.");
	for (int i = MO_XEN_REACHED; i < MO_XEN_VERDICT__MAX; i++) {
		if (i == MO_XEN_OVERRIDDEN)
			continue; /* only said of a target memonline itself wrote */
		printf("memonline_xen_balloon_verdict{verdict=\"%s\"} %d\n",
		       mo_xen_verdict_name(i), v->d.verdict == (enum mo_xen_verdict)i);
	}
}

static void driver_metrics(const struct mo_driver_info *drv)
{
	family("memonline_hotadd_driver",
	       "Drivers that hot-add memory: 1 for each driver's state.");
	for (int d = 0; d < MO_DRIVER__MAX; d++)
		printf("memonline_hotadd_driver{driver=\"%s\",state=\"%s\"} 1\n", mo_driver_name(d),
		       mo_driver_state_name(drv[d].state));
}

static int severity(enum check_level l)
{
	return l == CHECK_PROBLEM ? 2 : l == CHECK_WARNING ? 1 : 0;
}

static void doctor_metrics(const struct doctor *d)
{
	family("memonline_doctor_check",
	       "memonline doctor's verdict per check: 0 ok or skipped, 1 warning, 2 problem.");
	for (int i = 0; i < CHECK__MAX; i++)
		printf("memonline_doctor_check{check=\"%s\"} %d\n", d->checks[i].id,
		       severity(d->checks[i].level));
	family("memonline_doctor_warnings", "Checks of memonline doctor that warn.");
	printf("memonline_doctor_warnings %u\n", d->warnings);
	family("memonline_doctor_problems", "Checks of memonline doctor that found a problem.");
	printf("memonline_doctor_problems %u\n", d->problems);
}

void print_prometheus(const struct mo_doctor_facts *f, const struct doctor *d)
{
	if (f->mem)
		memory_metrics(f->mem, f->policy);
	xen_metrics(&f->balloon);
	driver_metrics(f->drivers);
	doctor_metrics(d);
}
