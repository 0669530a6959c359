// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The Xen balloon: value parsers, target sizes and the verdict, without
 * files; then the observation, on a tree and a fake clock.
 */
#include <errno.h>
#include <string.h>

#include "fixture.h"
#include "internal.h"
#include "tap.h"

static void test_counters(void)
{
	static const struct {
		const char *in;
		int ret;
		uint64_t want;
	} cases[] = {
		{ "20", 0, 0x20 },  /* max_schedule_delay's default: 32 seconds */
		{ "4", 0, 4 },
		{ "1", 0, 1 },
		{ "a", 0, 10 },     /* "%lx": a retry_count of ten */
		{ "ff", 0, 255 },
		{ "0x20", -EINVAL, 0 }, /* the kernel never prints the prefix */
		{ "", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 },
		{ "1 ", -EINVAL, 0 },
		{ "10000000000000000", -ERANGE, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t v = 7;
		int r = mo_xen_parse_counter(cases[i].in, &v);

		is_int(r, cases[i].ret, "counter '%s' -> %d", cases[i].in, cases[i].ret);
		is_u64(v, r == 0 ? cases[i].want : 7, "counter '%s' value", cases[i].in);
	}
}

static void test_kb_and_bool(void)
{
	uint64_t v = 0;
	int b = 5;

	is_int(mo_xen_parse_kb("1048576", &v), 0, "target_kb is decimal");
	is_u64(v, 1048576, "target_kb value");
	is_int(mo_xen_parse_kb("20", &v), 0, "a decimal 20 is not hex");
	is_u64(v, 20, "20 KiB");
	is_int(mo_xen_parse_kb("1f", &v), -EINVAL, "hex digits in a KiB value are refused");
	is_int(mo_xen_parse_kb("", &v), -EINVAL, "empty KiB value");
	is_int(mo_xen_parse_bool("1", &b), 0, "bool 1");
	is_int(b, 1, "bool 1 value");
	is_int(mo_xen_parse_bool("0", &b), 0, "bool 0");
	is_int(b, 0, "bool 0 value");
	is_int(mo_xen_parse_bool("Y", &b), -EINVAL, "bool Y is not the balloon's format");
	is_int(mo_xen_parse_bool("10", &b), -EINVAL, "bool 10");
}

static void test_target_sizes(void)
{
	static const struct {
		const char *in;
		uint64_t base_kb;
		int ret;
		uint64_t want_kb;
	} cases[] = {
		{ "1G", 524288, 0, 1048576 },
		{ "512M", 0, 0, 524288 },
		{ "4096K", 0, 0, 4096 },
		{ "2T", 0, 0, 2147483648ULL },
		{ "1GiB", 0, 0, 1048576 },
		{ "+512M", 524288, 0, 1048576 },
		{ "-512M", 1048576, 0, 524288 },
		{ "+0G", 1000, 0, 1000 },
		{ "-1G", 1048576, -ERANGE, 0 },  /* nothing left */
		{ "-2G", 1048576, -ERANGE, 0 },
		{ "0G", 0, -ERANGE, 0 },
		{ "4096", 0, -EINVAL, 0 },       /* bytes or KiB? refused */
		{ "+4096", 0, -EINVAL, 0 },
		{ "1P", 0, -EINVAL, 0 },
		{ "1X", 0, -EINVAL, 0 },
		{ "G", 0, -EINVAL, 0 },
		{ "1.5G", 0, -EINVAL, 0 },
		{ "--1G", 0, -EINVAL, 0 },
		{ "", 0, -EINVAL, 0 },
		{ "+16777216T", UINT64_MAX - 10, -ERANGE, 0 },
		{ "99999T", 0, -E2BIG, 0 },      /* more than Linux can address */
		{ "4096T", 0, 0, 4096ULL << 30 },
		{ "+1K", 4096ULL << 30, -E2BIG, 0 },
		{ "1GB", 0, -EINVAL, 0 },        /* 10^9 bytes: not whole KiB */
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t kb = 99;
		int r = mo_xen_parse_target(cases[i].in, cases[i].base_kb, &kb);

		is_int(r, cases[i].ret, "target '%s' from %" PRIu64 " KiB -> %d", cases[i].in,
		       cases[i].base_kb, cases[i].ret);
		is_u64(kb, r == 0 ? cases[i].want_kb : 99, "target '%s' value", cases[i].in);
	}
}

/* A Xen guest with a balloon: retry_count as the driver shows it, hotplug or not. */
#define XEN(retry, hp) .xen = true, .balloon = true, .retry_count = (retry), .hotplug = (hp)
#define SETTLED .stable_ms = MO_XEN_SETTLE_MS

static void test_verdicts(void)
{
	static const struct {
		const char *what;
		struct mo_xen_facts f;
		enum mo_xen_verdict want;
		bool kick;
	} cases[] = {
		{ "not Xen", { .xen = false }, MO_XEN_NOT_XEN, false },
		{ "Xen without a balloon driver", { .xen = true }, MO_XEN_NO_BALLOON, false },
		{ "current equals target", { XEN(1, true), .target_kb = 1024, .current_kb = 1024 },
		  MO_XEN_REACHED, false },
		{ "pre-ballooned pages at target are normal",
		  { XEN(1, true), .target_kb = 1024, .current_kb = 1024, .low_kb = 512, SETTLED },
		  MO_XEN_REACHED, false },
		{ "target below current", { XEN(1, true), .target_kb = 512, .current_kb = 1024 },
		  MO_XEN_RELEASING, false },
		{ "offline blocks while below target",
		  { XEN(1, true), .target_kb = 2048, .current_kb = 1024, .offline_blocks = 4, SETTLED },
		  MO_XEN_WAITING_ONLINE, false },
		{ "ballooned pages, just onlined",
		  { XEN(1, true), .target_kb = 2048, .current_kb = 1024, .low_kb = 512 },
		  MO_XEN_POPULATING, false },
		{ "ballooned pages, driver backing off",
		  { XEN(3, true), .target_kb = 2048, .current_kb = 1024, .low_kb = 512 },
		  MO_XEN_REFUSED, false },
		{ "ballooned pages persisting, counters reset: cancelled",
		  { XEN(1, true), .target_kb = 2048, .current_kb = 1024, .high_kb = 512, SETTLED },
		  MO_XEN_REFUSED, true },
		{ "empty balloon, no hotplug",
		  { XEN(1, false), .target_kb = 2048, .current_kb = 1024 },
		  MO_XEN_HOTPLUG_UNSUPPORTED, false },
		{ "our target clamped to current: no hotplug",
		  { XEN(1, false), .target_kb = 1024, .current_kb = 1024,
		    .requested_kb = 2048 },
		  MO_XEN_HOTPLUG_UNSUPPORTED, false },
		{ "our target replaced by the toolstack's",
		  { XEN(1, true), .target_kb = 1536, .current_kb = 1024, .requested_kb = 2048 },
		  MO_XEN_OVERRIDDEN, false },
		{ "empty balloon, hotplug, about to add",
		  { XEN(1, true), .target_kb = 2048, .current_kb = 1024 }, MO_XEN_POPULATING, false },
		{ "empty balloon, hotplug, nothing for long: hot-add failed",
		  { XEN(1, true), .target_kb = 2048, .current_kb = 1024, SETTLED }, MO_XEN_STALLED, true },
		{ "retry_count absent (old kernel) and settled",
		  { XEN(MO_XEN_UNSET, true), .target_kb = 2048, .current_kb = 1024,
		    .low_kb = 4, SETTLED },
		  MO_XEN_REFUSED, true },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct mo_xen_diagnosis d;

		mo_xen_diagnose(&cases[i].f, &d);
		is_str(mo_xen_verdict_name(d.verdict), mo_xen_verdict_name(cases[i].want), "%s",
		       cases[i].what);
		is_int(d.kick, cases[i].kick, "%s: kick", cases[i].what);
	}
}

/* Refused in a PVH or HVM guest: the limit, or Xen's paging pool (no way to tell). */
static void test_pool(void)
{
	struct mo_xen_facts f = { XEN(3, true), .target_kb = 1310720, .current_kb = 1269372,
				  .low_kb = 41348 };
	struct mo_xen_diagnosis d;

	mo_xen_diagnose(&f, &d);
	is_int(d.pool, false, "PV, refused: only the limit");
	f.translated = true;
	mo_xen_diagnose(&f, &d);
	is_int(d.verdict, MO_XEN_REFUSED, "PVH, backing off: refused");
	is_int(d.pool, true, "PVH, refused: the limit or the paging pool");
	f.retry_count = 1;
	f.stable_ms = MO_XEN_SETTLE_MS;
	mo_xen_diagnose(&f, &d);
	is_int(d.pool && d.kick, true, "PVH, given up: the pool too, and a kick");
	f.current_kb = f.target_kb;
	mo_xen_diagnose(&f, &d);
	is_int(d.pool, false, "PVH, reached: nothing to blame");
}

static void test_translated(void)
{
	struct mo_hypervisor hv = { "xen", "PVH" };

	is_int(mo_hypervisor_is_translated(&hv), true, "PVH is translated");
	strcpy(hv.guest_type, "HVM");
	is_int(mo_hypervisor_is_translated(&hv), true, "HVM is translated");
	strcpy(hv.guest_type, "PV");
	is_int(mo_hypervisor_is_translated(&hv), false, "PV is not");
	strcpy(hv.type, "");
	strcpy(hv.guest_type, "PVH");
	is_int(mo_hypervisor_is_translated(&hv), false, "not Xen: not a Xen guest type");
}

#define BALLOON "sys/devices/system/xen_memory/xen_memory0/"

/* A PVH guest's balloon, 1 GiB to reach 2 GiB, with hotplug. */
static void xen_tree(struct tree *t, const char *low_kb)
{
	tree_new(t);
	tree_put(t, "sys/hypervisor/type", "xen\n");
	tree_put(t, "sys/hypervisor/guest_type", "PVH\n");
	tree_put(t, BALLOON "target_kb", "2097152\n");
	tree_put(t, BALLOON "target", "2147483648\n");
	tree_put(t, BALLOON "info/current_kb", "1048576\n");
	tree_put(t, BALLOON "info/low_kb", low_kb);
	tree_put(t, BALLOON "info/high_kb", "0\n");
	tree_put(t, BALLOON "retry_count", "1\n");
	tree_put(t, "proc/sys/xen/balloon/hotplug_unpopulated", "0\n");
}

static struct mo_ctx *ctx_of(const struct tree *t)
{
	struct mo_ctx *ctx;

	if (mo_new(t->dir, &ctx) < 0)
		abort();
	return ctx;
}

static void test_view_read(void)
{
	struct fake_clock fc = { .now_ns = 5 };
	struct mo_clock clock = FAKE_CLOCK(&fc);
	struct mo_xen_view v = { 0 };
	struct tree t, outside;
	struct mo_ctx *ctx;
	char path[512];

	xen_tree(&t, "0\n");
	ctx = ctx_of(&t);
	is_int(mo_xen_view_read(ctx, &clock, &v), 0, "a PVH guest's balloon reads");
	is_u64(v.b.current_kb, 1048576, "current_kb");
	is_int(v.reads, 1, "one read");
	is_u64(v.moved_ns, 5, "the first read starts the stable time");
	fc.now_ns = 7;
	mo_xen_view_read(ctx, &clock, &v);
	is_int(v.moved, false, "nothing changed: not moved");
	is_u64(v.moved_ns, 5, "and still stable since the first read");
	tree_put(&t, BALLOON "retry_count", "2\n");
	fc.now_ns = 9;
	mo_xen_view_read(ctx, &clock, &v);
	is_int(v.moved, true, "a retry counted is the driver at work");
	is_u64(v.moved_ns, 9, "stable from that read on");

	tree_put(&t, BALLOON "info/low_kb", "many\n");
	is_int(mo_xen_view_read(ctx, &clock, &v), -EINVAL, "a bad value fails the read");
	is_str(v.bad_attr, "devices/system/xen_memory/xen_memory0/info/low_kb",
	       "and names the attribute");
	tree_put(&t, BALLOON "info/low_kb", "0\n");
	tree_put(&t, "sys/hypervisor/type", "kvm\n");
	is_int(mo_xen_view_read(ctx, &clock, &v), -ENODEV, "a balloon outside Xen is none");
	mo_unref(ctx);
	tree_free(&t);

	/* A tree's balloon that is a link to another: never read. */
	xen_tree(&outside, "0\n");
	tree_new(&t);
	tree_put(&t, "sys/hypervisor/type", "xen\n");
	snprintf(path, sizeof(path), "%s/" BALLOON, outside.dir);
	tree_link(&t, "sys/devices/system/xen_memory/xen_memory0", path);
	ctx = ctx_of(&t);
	memset(&v, 0, sizeof(v));
	is_int(mo_xen_view_read(ctx, &clock, &v), -EXDEV, "a balloon linked out is refused");
	mo_unref(ctx);
	tree_free(&t);
	tree_free(&outside);

	tree_new(&t);
	tree_put(&t, "sys/hypervisor/type", "xen\n");
	ctx = ctx_of(&t);
	memset(&v, 0, sizeof(v));
	is_int(mo_xen_view_read(ctx, &clock, &v), -ENODEV, "Xen without the balloon driver");
	mo_xen_view_diagnose(&v);
	is_int(v.d.verdict, MO_XEN_NO_BALLOON, "is diagnosed so");
	mo_unref(ctx);
	tree_free(&t);
}

/* The driver adds memory at the third look. */
static void driver_populates(struct fake_clock *fc)
{
	if (fc->sleeps == 3)
		tree_put(fc->tree, BALLOON "info/current_kb", "1179648\n");
}

static void test_observe(void)
{
	struct fake_clock fc = { .now_ns = 1000 };
	struct mo_clock clock = FAKE_CLOCK(&fc);
	struct mo_block blocks[] = {
		{ .id = 8, .state = MO_STATE_ONLINE },
		{ .id = 9, .state = MO_STATE_OFFLINE },
		{ .id = 10, .state = MO_STATE_OFFLINE },
	};
	struct mo_memory mem = { .block_size = 128 << 20, .n_blocks = 3, .blocks = blocks };
	struct mo_xen_view v;
	struct mo_ctx *ctx;
	struct tree t;

	xen_tree(&t, "65536\n");
	ctx = ctx_of(&t);
	is_int(mo_xen_observe(ctx, &clock, NULL, false, &v), 0, "one look");
	is_int(v.d.verdict, MO_XEN_POPULATING, "ballooned pages, at first sight: populating");
	is_int(fc.sleeps, 0, "without settle, no wait");

	mo_xen_observe(ctx, &clock, NULL, true, &v);
	is_int(v.d.verdict, MO_XEN_REFUSED, "unmoved for the settle time: refused");
	is_int(v.d.kick && v.d.pool, true, "cancelled, and a PVH guest's pool may be why");
	is_int(fc.sleeps, MO_XEN_SETTLE_MS / 250, "settled in the driver's time, not ours");

	fc.sleeps = 0;
	fc.on_sleep = driver_populates;
	fc.tree = &t;
	mo_xen_observe(ctx, &clock, NULL, true, &v);
	is_int(v.d.verdict, MO_XEN_POPULATING, "current moved: populating");
	is_int(v.moved, true, "seen moving");
	is_int(fc.sleeps, 3, "and no longer watched once it moved");

	fc.on_sleep = NULL;
	mo_xen_observe(ctx, &clock, &mem, true, &v);
	is_u64(v.offline_blocks, 2, "offline blocks counted from the scan");
	is_u64(v.block_size, 128 << 20, "with their size");
	is_int(v.d.verdict, MO_XEN_WAITING_ONLINE, "the driver waits for them");
	mo_unref(ctx);
	tree_free(&t);
}

int main(void)
{
	test_counters();
	test_kb_and_bool();
	test_target_sizes();
	test_verdicts();
	test_pool();
	test_translated();
	test_view_read();
	test_observe();
	return tap_done();
}
