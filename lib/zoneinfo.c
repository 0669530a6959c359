// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * /proc/zoneinfo, read once instead of a file per block:
 * - online memory by node and zone: what the kernel's own auto-movable
 *   policy counts (zone present pages, mm/memory_hotplug.c).  The udev rule
 *   runs memonline once per added block: with thousands of blocks, a scan
 *   per event is what makes a rule too slow at the moment memory is short.
 * - where each zone lies (start_pfn, spanned): an online block that only one
 *   zone of its node spans is in that zone, so a scan need not read its
 *   valid_zones (mm/vmstat.c zoneinfo_show_print; zones of a node may
 *   overlap once blocks were onlined to both, and then valid_zones decides).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* zoneinfo is a few KiB per node; a larger file is not procfs. */
#define ZONEINFO_MAX (4u << 20)

enum zoneinfo_key { KEY_PRESENT, KEY_SPANNED, KEY_START_PFN, KEY_CMA };

static bool scan_key(const char *line, enum zoneinfo_key *key, unsigned long long *value)
{
	if (sscanf(line, " present %llu", value) == 1)
		*key = KEY_PRESENT;
	else if (sscanf(line, " spanned %llu", value) == 1)
		*key = KEY_SPANNED;
	else if (sscanf(line, " start_pfn: %llu", value) == 1)
		*key = KEY_START_PFN;
	else if (sscanf(line, " cma %llu", value) == 1)
		*key = KEY_CMA; /* CONFIG_CMA */
	else
		return false;
	return true;
}

/* Lines worth a sscanf: most of zoneinfo is counters, per CPU too, read by no one here. */
static bool wanted(const char *line)
{
	static const char *const words[] = { "Node", "present", "spanned", "start_pfn:", "cma" };

	line += strspn(line, " \t\v\f\r");
	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (strncmp(line, words[i], strlen(words[i])) == 0)
			return true;
	return false;
}

/*
 * Walk the "Node N, zone NAME" sections and hand each of the three numbers
 * to fn with its node and zone.  -EINVAL for a file that is not zoneinfo.
 */
static int zoneinfo_walk(const char *text,
			 int (*fn)(void *data, int node, int zone, enum zoneinfo_key key,
				   unsigned long long value),
			 void *data)
{
	int node = -1, zone = -1;
	bool any = false;

	for (const char *next = text; next && *next;) {
		const char *end = strchr(next, '\n');
		/* One line at a time: sscanf's white space would cross newlines. */
		char line[128], name[16];
		enum zoneinfo_key key;
		unsigned long long value;
		int n, r;

		if (!wanted(next)) {
			next = end ? end + 1 : NULL;
			continue;
		}
		snprintf(line, sizeof(line), "%.*s", (int)(end ? end - next : 127), next);
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
		} else if (scan_key(line, &key, &value)) {
			if (node < 0)
				return -EINVAL;
			r = fn(data, node, zone, key, value);
			if (r < 0)
				return r;
			any |= key == KEY_PRESENT;
		}
		next = end ? end + 1 : NULL;
	}
	return any ? 0 : -EINVAL;
}

struct usage_walk {
	struct mo_usage acc;
	uint64_t page_size;
};

static int add_present(void *data, int node, int zone, enum zoneinfo_key key,
		       unsigned long long pages)
{
	struct usage_walk *w = data;

	if (key != KEY_PRESENT && key != KEY_CMA)
		return 0;
	if (pages > UINT64_MAX / w->page_size)
		return -EINVAL;
	/* ZONE_DEVICE memory is never onlined through memory blocks. */
	if (zone == MO_ZONE_DEVICE)
		return 0;
	if (key == KEY_PRESENT) {
		mo_usage_add(&w->acc, node, zone == MO_ZONE_MOVABLE,
			     (uint64_t)pages * w->page_size);
	} else if (zone != MO_ZONE_MOVABLE) {
		/* CMA pages sit in kernel zones but are movable. */
		w->acc.cma += (uint64_t)pages * w->page_size;
		if (node < MO_MAX_NODES)
			w->acc.node_cma[node] += (uint64_t)pages * w->page_size;
	}
	return 0;
}

static void usage_done(struct usage_walk *w, struct mo_usage *u)
{
	/* Read alone, zoneinfo cannot tell boot memory: all of it counts as early. */
	w->acc.page_size = w->page_size;
	w->acc.early_kernel = w->acc.kernel;
	memcpy(w->acc.node_early_kernel, w->acc.node_kernel, sizeof(w->acc.node_kernel));
	for (int n = 1; n < MO_MAX_NODES; n++)
		w->acc.numa |= w->acc.node_kernel[n] + w->acc.node_movable[n] > 0;
	*u = w->acc;
}

int mo_zoneinfo_parse(const char *text, uint64_t page_size, struct mo_usage *u)
{
	struct usage_walk w = { .page_size = page_size };
	int r = zoneinfo_walk(text, add_present, &w);

	if (r < 0)
		return r;
	usage_done(&w, u);
	return 0;
}

static uint64_t minus(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/* Hot-added kernel memory is whole blocks: present less those is early. */
static void usage_refine(struct mo_usage *u, const struct mo_usage *zi)
{
	u->early_kernel = minus(zi->kernel, minus(u->kernel, u->early_kernel));
	for (int n = 0; n < MO_MAX_NODES; n++)
		u->node_early_kernel[n] = minus(zi->node_kernel[n],
						minus(u->node_kernel[n], u->node_early_kernel[n]));
	u->kernel = zi->kernel;
	u->movable = zi->movable;
	u->cma = zi->cma;
	memcpy(u->node_kernel, zi->node_kernel, sizeof(u->node_kernel));
	memcpy(u->node_movable, zi->node_movable, sizeof(u->node_movable));
	memcpy(u->node_cma, zi->node_cma, sizeof(u->node_cma));
	u->page_size = zi->page_size;
}

int mo_usage_refine(struct mo_ctx *ctx, struct mo_usage *u)
{
	struct mo_usage *zi = malloc(sizeof(*zi));
	int r;

	if (!zi)
		return -ENOMEM;
	r = mo_usage_from_zoneinfo(ctx, zi);
	if (r == 0)
		usage_refine(u, zi);
	free(zi);
	return r;
}

void mo_usage_read(struct mo_ctx *ctx, const struct mo_memory *mem, struct mo_usage *u)
{
	mo_usage_from_memory(mem, u);
	if (mem->zoneinfo)
		usage_refine(u, mem->zoneinfo);
	else
		mo_usage_refine(ctx, u);
}

/* The last zone of spans, or a new one when (node, zone) is not it. */
static struct mo_zone_span *span_of(struct mo_zone_spans *spans, int node, int zone)
{
	struct mo_zone_span *s;

	if (spans->n && spans->span[spans->n - 1].node == node &&
	    spans->span[spans->n - 1].zone == zone)
		return &spans->span[spans->n - 1];
	if (spans->n % 64 == 0) {
		s = realloc(spans->span, (spans->n + 64) * sizeof(*s));
		if (!s)
			return NULL;
		spans->span = s;
	}
	s = &spans->span[spans->n++];
	*s = (struct mo_zone_span){ .node = node, .zone = zone };
	return s;
}

static int add_span(void *data, int node, int zone, enum zoneinfo_key key,
		    unsigned long long value)
{
	struct mo_zone_span *s;

	if (key == KEY_PRESENT)
		return 0;
	s = span_of(data, node, zone);
	if (!s)
		return -ENOMEM;
	if (key == KEY_SPANNED) {
		s->spanned = value;
	} else {
		s->start_pfn = value;
		s->have_start = true;
	}
	if (s->have_start && s->start_pfn + s->spanned < s->start_pfn)
		return -EINVAL;
	return 0;
}

int mo_zoneinfo_parse_spans(const char *text, struct mo_zone_spans *spans)
{
	struct mo_zone_spans acc = { 0 };
	int r = zoneinfo_walk(text, add_span, &acc);

	if (r < 0) {
		free(acc.span);
		return r;
	}
	*spans = acc;
	return 0;
}

void mo_zone_spans_free(struct mo_zone_spans *spans)
{
	free(spans->span);
	*spans = (struct mo_zone_spans){ 0 };
}

int mo_zone_spans_zone(const struct mo_zone_spans *spans, int node, uint64_t start_pfn,
		       uint64_t nr_pages)
{
	int zone = -1;

	for (size_t i = 0; i < spans->n; i++) {
		const struct mo_zone_span *s = &spans->span[i];

		if (s->node != node || !s->spanned)
			continue;
		/* A zone that spans pages but says not where could be anywhere. */
		if (!s->have_start)
			return -1;
		if (s->start_pfn >= start_pfn + nr_pages || s->start_pfn + s->spanned <= start_pfn)
			continue;
		if (zone >= 0 || s->zone == MO_ZONE_DEVICE)
			return -1;
		zone = s->zone;
	}
	return zone;
}

static int read_zoneinfo(struct mo_ctx *ctx, char **text)
{
	if (mo_proc_fd(ctx) < 0)
		return -ENOENT;
	return mo_read_all(mo_proc_fd(ctx), "zoneinfo", ZONEINFO_MAX, text, NULL);
}

int mo_usage_from_zoneinfo(struct mo_ctx *ctx, struct mo_usage *u)
{
	long page_size = sysconf(_SC_PAGESIZE);
	char *text;
	int r = read_zoneinfo(ctx, &text);

	if (r < 0)
		return r;
	r = mo_zoneinfo_parse(text, page_size > 0 ? page_size : 4096, u);
	free(text);
	return r;
}

/* A scan's one walk: the spans, and the counts if wanted; each may fail alone. */
struct scan_walk {
	struct mo_zone_spans spans;
	struct usage_walk *usage;
	int spans_err, usage_err;
};

static int add_scan(void *data, int node, int zone, enum zoneinfo_key key,
		    unsigned long long value)
{
	struct scan_walk *w = data;

	if (!w->spans_err)
		w->spans_err = add_span(&w->spans, node, zone, key, value);
	if (w->usage && !w->usage_err)
		w->usage_err = add_present(w->usage, node, zone, key, value);
	return 0;
}

int mo_zone_spans_read(struct mo_ctx *ctx, struct mo_zone_spans *spans, struct mo_usage **usage)
{
	long page_size = sysconf(_SC_PAGESIZE);
	struct usage_walk *uw = NULL;
	struct scan_walk w = { 0 };
	char *text;
	int r;

	*spans = (struct mo_zone_spans){ 0 };
	if (usage) {
		*usage = NULL;
		uw = calloc(1, sizeof(*uw));
		if (!uw)
			return -ENOMEM;
		uw->page_size = page_size > 0 ? page_size : 4096;
	}
	w.usage = uw;
	r = read_zoneinfo(ctx, &text);
	if (r == 0) {
		r = zoneinfo_walk(text, add_scan, &w);
		free(text);
	}
	if (r == 0 && uw && !w.usage_err && (*usage = malloc(sizeof(**usage))))
		usage_done(uw, *usage);
	free(uw);
	if (r == 0 && w.spans_err)
		r = w.spans_err;
	if (r < 0)
		free(w.spans.span);
	else
		*spans = w.spans;
	return r;
}
