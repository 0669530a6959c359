// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The Xen balloon, as drivers/xen/xen-balloon.c shows it in sysfs:
 * - target_kb and info/{current,low,high}_kb are decimal KiB ("%lu");
 * - target is BYTES (the ABI document says pages; the code shifts by
 *   PAGE_SHIFT), and is written with memparse suffixes;
 * - schedule_delay, retry_count and their max_ are DEVICE_ULONG_ATTRs,
 *   shown with "%lx": hex without 0x;
 * - target_kb is stored with simple_strtoull(buf, NULL, 0): a leading 0
 *   means octal, so it is always written here in plain decimal.
 * /proc/sys/xen/balloon/hotplug_unpopulated exists only when the kernel
 * has CONFIG_XEN_BALLOON_MEMORY_HOTPLUG: without it a target above the
 * boot reservation is silently clamped (balloon.c reserve_additional_memory).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define BALLOON_DIR "devices/system/xen_memory/xen_memory0"
#define HOTPLUG_UNPOPULATED "sys/xen/balloon/hotplug_unpopulated"

static const char *const verdict_names[] = {
	[MO_XEN_NOT_XEN] = "not-xen",
	[MO_XEN_NO_BALLOON] = "no-balloon",
	[MO_XEN_REACHED] = "reached",
	[MO_XEN_RELEASING] = "releasing",
	[MO_XEN_WAITING_ONLINE] = "waiting-online",
	[MO_XEN_POPULATING] = "populating",
	[MO_XEN_REFUSED] = "hypervisor-refuses",
	[MO_XEN_HOTPLUG_UNSUPPORTED] = "hotplug-unsupported",
	[MO_XEN_STALLED] = "stalled",
	[MO_XEN_OVERRIDDEN] = "overridden",
};

const char *mo_xen_verdict_name(enum mo_xen_verdict v)
{
	return v < ARRAY_SIZE(verdict_names) ? verdict_names[v] : "?";
}

const char *mo_xen_balloon_dir(void)
{
	return BALLOON_DIR;
}

void mo_hypervisor_read(struct mo_ctx *ctx, struct mo_hypervisor *ret)
{
	char buf[MO_VALUE_MAX];

	memset(ret, 0, sizeof(*ret));
	/* /sys/hypervisor exists, empty, wherever the hypervisor kobject does. */
	if (mo_read_attr(mo_sys_fd(ctx), "hypervisor/type", buf, sizeof(buf)) > 0 &&
	    strlen(buf) < sizeof(ret->type))
		strcpy(ret->type, buf);
	if (mo_read_attr(mo_sys_fd(ctx), "hypervisor/guest_type", buf, sizeof(buf)) > 0 &&
	    strlen(buf) < sizeof(ret->guest_type))
		strcpy(ret->guest_type, buf);
}

bool mo_hypervisor_is_xen(const struct mo_hypervisor *hv)
{
	return strcmp(hv->type, "xen") == 0;
}

bool mo_hypervisor_is_translated(const struct mo_hypervisor *hv)
{
	return mo_hypervisor_is_xen(hv) &&
	       (!strcmp(hv->guest_type, "PVH") || !strcmp(hv->guest_type, "HVM"));
}

int mo_xen_parse_kb(const char *s, uint64_t *ret)
{
	return mo_parse_u64(s, 10, ret);
}

int mo_xen_parse_counter(const char *s, uint64_t *ret)
{
	return mo_parse_u64(s, 16, ret);
}

int mo_xen_parse_bool(const char *s, int *ret)
{
	if ((s[0] != '0' && s[0] != '1') || s[1])
		return -EINVAL;
	*ret = s[0] == '1';
	return 0;
}

static int parse_bytes(const char *s, uint64_t *ret)
{
	return mo_parse_u64(s, 10, ret);
}

int mo_xen_parse_target(const char *s, uint64_t base_kb, uint64_t *ret_kb)
{
	int sign = 0;
	size_t digits;
	uint64_t bytes, kb;
	int r;

	if (*s == '+' || *s == '-')
		sign = *s++ == '+' ? 1 : -1;
	digits = strspn(s, "0123456789");
	if (digits == 0 || !strchr("KkMmGgTt", s[digits]) || !s[digits])
		return -EINVAL;
	r = mo_parse_size(s, &bytes);
	if (r < 0)
		return r;
	if (bytes % 1024)
		return -EINVAL; /* 1GB, 10^9 bytes: not whole KiB, as the balloon counts */
	kb = bytes / 1024;
	if (sign > 0) {
		if (kb > UINT64_MAX - base_kb)
			return -ERANGE;
		kb = base_kb + kb;
	} else if (sign < 0) {
		if (kb >= base_kb)
			return -ERANGE;
		kb = base_kb - kb;
	}
	if (kb == 0)
		return -ERANGE;
	/* Above 2^52 bytes, the most physical memory Linux can address (5-level paging). */
	if (kb > MO_XEN_TARGET_MAX_KB)
		return -E2BIG;
	*ret_kb = kb;
	return 0;
}

struct field {
	const char *path; /* relative to the sysfs root */
	int (*parse)(const char *s, uint64_t *ret);
	size_t offset;
	bool optional; /* older kernels lack it */
};

#define F(name, member, fn, opt) \
	{ BALLOON_DIR "/" name, fn, offsetof(struct mo_xen_balloon, member), opt }

static const struct field fields[] = {
	F("target_kb", target_kb, mo_xen_parse_kb, false),
	F("target", target, parse_bytes, false),
	F("info/current_kb", current_kb, mo_xen_parse_kb, false),
	F("info/low_kb", low_kb, mo_xen_parse_kb, false),
	F("info/high_kb", high_kb, mo_xen_parse_kb, false),
	F("schedule_delay", schedule_delay, mo_xen_parse_counter, true),
	F("max_schedule_delay", max_schedule_delay, mo_xen_parse_counter, true),
	F("retry_count", retry_count, mo_xen_parse_counter, true),
	F("max_retry_count", max_retry_count, mo_xen_parse_counter, true),
};
#undef F

int mo_xen_balloon_read(struct mo_ctx *ctx, struct mo_xen_balloon *ret,
			const char **bad_attr)
{
	struct mo_xen_balloon b;
	char buf[MO_VALUE_MAX];
	int r;

	r = mo_access_beneath(mo_sys_fd(ctx), BALLOON_DIR);
	if (r < 0)
		return r == -ENOENT || r == -ENOTDIR ? -ENODEV : r;
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		const struct field *f = &fields[i];
		uint64_t *dst = (uint64_t *)((char *)&b + f->offset);

		*dst = MO_XEN_UNSET;
		r = mo_read_attr(mo_sys_fd(ctx), f->path, buf, sizeof(buf));
		if (r == -ENOENT && f->optional)
			continue;
		if (r >= 0)
			r = f->parse(buf, dst);
		if (r < 0) {
			if (bad_attr)
				*bad_attr = f->path;
			return r;
		}
	}

	b.scrub_pages = -1;
	if (mo_read_attr(mo_sys_fd(ctx), BALLOON_DIR "/scrub_pages", buf, sizeof(buf)) >= 0 &&
	    mo_xen_parse_bool(buf, &b.scrub_pages) < 0)
		b.scrub_pages = -1; /* cosmetic: not worth failing the whole read */

	b.hotplug_unpopulated = -1;
	if (mo_proc_fd(ctx) >= 0) {
		r = mo_read_attr(mo_proc_fd(ctx), HOTPLUG_UNPOPULATED, buf, sizeof(buf));
		if (r >= 0 && mo_xen_parse_bool(buf, &b.hotplug_unpopulated) < 0)
			b.hotplug_unpopulated = 1; /* it exists: that is what matters */
		else if (r < 0 && r != -ENOENT)
			b.hotplug_unpopulated = 1; /* exists, unreadable (not root) */
	}
	*ret = b;
	return 0;
}

int mo_xen_set_target_kb(struct mo_ctx *ctx, uint64_t kb)
{
	char buf[32];

	/* Plain decimal, no leading zero: simple_strtoull base 0 would read octal. */
	snprintf(buf, sizeof(buf), "%" PRIu64, kb);
	return mo_write_attr(mo_sys_fd(ctx), BALLOON_DIR "/target_kb", buf);
}

void mo_xen_diagnose(const struct mo_xen_facts *f, struct mo_xen_diagnosis *ret)
{
	struct mo_xen_diagnosis d = { 0 };
	bool ballooned = f->low_kb + f->high_kb > 0;
	bool settled = f->stable_ms >= MO_XEN_SETTLE_MS;

	if (!f->xen)
		d.verdict = MO_XEN_NOT_XEN;
	else if (!f->balloon)
		d.verdict = MO_XEN_NO_BALLOON;
	else if (f->requested_kb && f->target_kb < f->requested_kb && !f->hotplug)
		d.verdict = MO_XEN_HOTPLUG_UNSUPPORTED; /* our target, clamped */
	else if (f->requested_kb && f->target_kb != f->requested_kb)
		d.verdict = MO_XEN_OVERRIDDEN; /* xenstore memory/target wins */
	else if (f->current_kb == f->target_kb)
		d.verdict = MO_XEN_REACHED;
	else if (f->current_kb > f->target_kb)
		d.verdict = MO_XEN_RELEASING;
	else if (f->offline_blocks)
		/* With hotplug the driver adds blocks, then polls until they are up. */
		d.verdict = MO_XEN_WAITING_ONLINE;
	else if (ballooned && f->retry_count != MO_XEN_UNSET && f->retry_count > 1)
		/* increase_reservation() got fewer pages than asked: backing off. */
		d.verdict = MO_XEN_REFUSED;
	else if (ballooned && settled)
		/*
		 * Counters back at 1 with pages still ballooned: after
		 * max_retry_count failures update_schedule() returns BP_ECANCELED,
		 * and the thread then sleeps until the credit changes.
		 */
		d.verdict = MO_XEN_REFUSED, d.kick = true;
	else if (!ballooned && !f->hotplug)
		d.verdict = MO_XEN_HOTPLUG_UNSUPPORTED;
	else if (!ballooned && settled)
		/* reserve_additional_memory() failed (see the kernel log): cancelled. */
		d.verdict = MO_XEN_STALLED, d.kick = true;
	else
		d.verdict = MO_XEN_POPULATING;
	/*
	 * Populating needs p2m entries, and a translated guest's come from a
	 * pool xl sizes from maxmem at creation (libxl shadow_memory): a
	 * domain created small and raised later by xl mem-max runs out before
	 * its limit, with no "Over-allocation" (seen at 1240 of 1280 MiB for a
	 * PVH domU created with 256).  The guest sees the same failed populate.
	 */
	d.pool = d.verdict == MO_XEN_REFUSED && f->translated;
	*ret = d;
}

/* Everything the verdict reads: a change in any is the driver at work. */
static bool same_balloon(const struct mo_xen_balloon *a, const struct mo_xen_balloon *b)
{
	return a->target_kb == b->target_kb && a->current_kb == b->current_kb &&
	       a->low_kb == b->low_kb && a->high_kb == b->high_kb &&
	       a->retry_count == b->retry_count;
}

int mo_xen_view_read(struct mo_ctx *ctx, const struct mo_clock *clock, struct mo_xen_view *v)
{
	struct mo_xen_balloon before = v->b;

	mo_hypervisor_read(ctx, &v->hv);
	v->bad_attr = NULL;
	v->err = mo_xen_balloon_read(ctx, &v->b, &v->bad_attr);
	/* A balloon that is not a Xen guest's is nothing memonline knows. */
	if (v->err == 0 && !mo_hypervisor_is_xen(&v->hv))
		v->err = -ENODEV;
	if (v->err < 0)
		return v->err;
	v->read_ns = clock->now(clock->data);
	v->moved = v->reads && !same_balloon(&before, &v->b);
	if (!v->reads++ || v->moved)
		v->moved_ns = v->read_ns;
	return 0;
}

void mo_xen_view_diagnose(struct mo_xen_view *v)
{
	uint64_t stable_ms = (v->read_ns - v->moved_ns) / 1000000;
	struct mo_xen_facts f = {
		.xen = mo_hypervisor_is_xen(&v->hv),
		.balloon = v->err == 0,
		.offline_blocks = v->offline_blocks,
		.requested_kb = v->requested_kb,
		.stable_ms = stable_ms > UINT_MAX ? UINT_MAX : stable_ms,
	};

	if (v->err == 0) {
		f.target_kb = v->b.target_kb;
		f.current_kb = v->b.current_kb;
		f.low_kb = v->b.low_kb;
		f.high_kb = v->b.high_kb;
		f.retry_count = v->b.retry_count;
		f.hotplug = v->b.hotplug_unpopulated >= 0;
		f.translated = mo_hypervisor_is_translated(&v->hv);
	}
	mo_xen_diagnose(&f, &v->d);
}

/* The driver polls once a second while it waits: four looks to each of its. */
#define SETTLE_POLL_NS 250000000ull

int mo_xen_observe(struct mo_ctx *ctx, const struct mo_clock *clock,
		   const struct mo_memory *mem, bool settle, struct mo_xen_view *v)
{
	memset(v, 0, sizeof(*v));
	for (size_t i = 0; mem && i < mem->n_blocks; i++)
		v->offline_blocks += mem->blocks[i].state == MO_STATE_OFFLINE;
	v->block_size = mem ? mem->block_size : 0;
	mo_xen_view_read(ctx, clock, v);
	mo_xen_view_diagnose(v);
	/*
	 * In progress, or stopped?  Only time tells: watch for movement a
	 * little longer than the driver's one-second poll.  Populating is
	 * never the verdict on a balloon that stood still MO_XEN_SETTLE_MS.
	 */
	while (settle && v->err == 0 && v->d.verdict == MO_XEN_POPULATING) {
		clock->sleep(clock->data, SETTLE_POLL_NS);
		if (mo_xen_view_read(ctx, clock, v) < 0)
			break;
		mo_xen_view_diagnose(v);
		if (v->moved)
			break;
	}
	return v->err;
}
