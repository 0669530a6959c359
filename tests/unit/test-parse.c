// SPDX-License-Identifier: GPL-2.0-or-later
/* Parsers of kernel values and user arguments: table-driven. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>

#include "internal.h"
#include "tap.h"

static void test_state(void)
{
	static const struct {
		const char *in;
		int ret;
		enum mo_state want;
	} cases[] = {
		{ "online", 0, MO_STATE_ONLINE },
		{ "offline", 0, MO_STATE_OFFLINE },
		{ "going-offline", 0, MO_STATE_GOING_OFFLINE },
		{ "going-online", -EINVAL, 0 }, /* no such state in the kernel */
		{ "unknown", -EINVAL, 0 },
		{ "Online", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
		{ "online ", -EINVAL, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		enum mo_state s = 99;
		int r = mo_parse_state(cases[i].in, &s);

		is_int(r, cases[i].ret, "state '%s' -> %d", cases[i].in, cases[i].ret);
		if (r == 0)
			is_int(s, cases[i].want, "state '%s' value", cases[i].in);
		else
			is_int(s, 99, "state '%s' leaves output alone on failure", cases[i].in);
	}
}

static void test_valid_zones(void)
{
	static const struct {
		const char *in;
		int ret;
		unsigned zones;
		int first;
	} cases[] = {
		{ "Normal Movable", 0, MO_ZONE_BIT(MO_ZONE_NORMAL) | MO_ZONE_BIT(MO_ZONE_MOVABLE),
		  MO_ZONE_NORMAL },
		{ "Movable Normal", 0, MO_ZONE_BIT(MO_ZONE_NORMAL) | MO_ZONE_BIT(MO_ZONE_MOVABLE),
		  MO_ZONE_MOVABLE },
		{ "DMA32 Movable", 0, MO_ZONE_BIT(MO_ZONE_DMA32) | MO_ZONE_BIT(MO_ZONE_MOVABLE),
		  MO_ZONE_DMA32 },
		{ "Movable", 0, MO_ZONE_BIT(MO_ZONE_MOVABLE), MO_ZONE_MOVABLE },
		{ "DMA", 0, MO_ZONE_BIT(MO_ZONE_DMA), MO_ZONE_DMA },
		{ "none", 0, MO_ZONES_NONE, -1 }, /* what the code prints */
		{ "None", 0, MO_ZONES_NONE, -1 }, /* what the ABI doc says */
		{ "", -EINVAL, 0, 0 },
		{ "Normal  Movable", -EINVAL, 0, 0 },
		{ "Normal ", -EINVAL, 0, 0 },
		{ "Bogus", -EINVAL, 0, 0 },
		{ "NormalMovableNormalMovable", -EINVAL, 0, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		unsigned zones = 0;
		int first = 0, r = mo_parse_valid_zones(cases[i].in, &zones, &first);

		is_int(r, cases[i].ret, "valid_zones '%s' -> %d", cases[i].in, cases[i].ret);
		if (r == 0) {
			is_int(zones, cases[i].zones, "valid_zones '%s' mask", cases[i].in);
			is_int(first, cases[i].first, "valid_zones '%s' first", cases[i].in);
		}
	}
}

static void test_numbers(void)
{
	uint64_t v = 0;

	is_int(mo_parse_block_size("8000000", &v), 0, "block_size_bytes 8000000");
	is_u64(v, 128ull << 20, "is 128 MiB");
	is_int(mo_parse_block_size("80000000", &v), 0, "block_size_bytes 2 GiB");
	is_u64(v, 2ull << 30, "is 2 GiB");
	is_int(mo_parse_block_size("0", &v), -EINVAL, "zero block size refused");
	is_int(mo_parse_block_size("3000000", &v), -EINVAL, "non power of two refused");
	is_int(mo_parse_block_size("0x8000000", &v), -EINVAL, "0x prefix is not sysfs");
	is_int(mo_parse_block_size("ffffffffffffffffff", &v), -ERANGE, "overflow refused");
	is_int(mo_parse_phys_index("00000020", &v), 0, "phys_index");
	is_u64(v, 32, "phys_index is hex");
	is_int(mo_parse_u64("18446744073709551615", 10, &v), 0, "u64 max");
	is_int(mo_parse_u64("18446744073709551616", 10, &v), -ERANGE, "u64 max + 1");
	is_int(mo_parse_u64("-1", 10, &v), -EINVAL, "negative");
	is_int(mo_parse_u64("12a", 10, &v), -EINVAL, "trailing junk");
}

static void test_auto_online(void)
{
	static const struct {
		const char *in;
		int ret;
		enum mo_auto_online want;
	} cases[] = {
		{ "offline", 0, MO_AUTO_OFFLINE },
		{ "online", 0, MO_AUTO_ONLINE },
		{ "online_kernel", 0, MO_AUTO_ONLINE_KERNEL },
		{ "online_movable", 0, MO_AUTO_ONLINE_MOVABLE },
		{ "unknown", -EINVAL, 0 },
		{ "yes", -EINVAL, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		enum mo_auto_online a = 0;
		int r = mo_parse_auto_online(cases[i].in, &a);

		is_int(r, cases[i].ret, "auto_online_blocks '%s'", cases[i].in);
		if (r == 0)
			is_int(a, cases[i].want, "auto_online_blocks '%s' value", cases[i].in);
	}
}

static void test_names(void)
{
	static const struct {
		const char *in;
		int ret;
		unsigned long want;
	} names[] = {
		{ "memory0", 0, 0 },
		{ "memory8192", 0, 8192 },
		{ "memory01", -EINVAL, 0 },
		{ "memory", -EINVAL, 0 },
		{ "memory1x", -EINVAL, 0 },
		{ "memory..", -EINVAL, 0 },
		{ "memory-1", -EINVAL, 0 },
		{ "memory_failure", -EINVAL, 0 },
		{ "memory99999999999999999999999", -EINVAL, 0 },
		{ "node0", -EINVAL, 0 },
	}, devpaths[] = {
		{ "/devices/system/memory/memory32", 0, 32 },
		{ "/sys/devices/system/memory/memory32", -EINVAL, 0 },
		{ "/devices/system/memory/memory32/../../cpu", -EINVAL, 0 },
		{ "/devices/system/memory/", -EINVAL, 0 },
		{ "/devices/system/cpu/cpu0", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		unsigned long id = 12345;
		int r = mo_parse_block_name(names[i].in, &id);

		is_int(r, names[i].ret, "block name '%s'", names[i].in);
		is_int(id, r == 0 ? names[i].want : 12345, "block name '%s' id", names[i].in);
	}
	/* Ids up to ULONG_MAX / 2, and not one more. */
	for (unsigned long v = ULONG_MAX / 2 - 1; v != ULONG_MAX / 2 + 2; v++) {
		char name[32];
		unsigned long id = 12345;
		int r;

		snprintf(name, sizeof(name), "memory%lu", v);
		r = mo_parse_block_name(name, &id);
		is_int(r, v <= ULONG_MAX / 2 ? 0 : -EINVAL, "block name '%s'", name);
		is_int(id == v, r == 0, "block name '%s' id", name);
	}
	for (size_t i = 0; i < ARRAY_SIZE(devpaths); i++) {
		unsigned long id = 12345;
		int r = mo_parse_devpath(devpaths[i].in, &id);

		is_int(r, devpaths[i].ret, "devpath '%s'", devpaths[i].in);
		if (r == 0)
			is_int(id, devpaths[i].want, "devpath '%s' id", devpaths[i].in);
	}
}

static void test_sizes(void)
{
	static const struct {
		const char *in;
		int ret;
		uint64_t want;
	} cases[] = {
		{ "4096", 0, 4096 },
		{ "512M", 0, 512ull << 20 },
		{ "1G", 0, 1ull << 30 },
		{ "1g", 0, 1ull << 30 },
		{ "1GiB", 0, 1ull << 30 },
		{ "1GB", 0, 1000000000ull },
		{ "1gb", 0, 1000000000ull },
		{ "512MB", 0, 512000000ull },
		{ "1Gi", -EINVAL, 0 },
		{ "16E", -ERANGE, 0 },
		{ "2T", 0, 2ull << 40 },
		{ "64K", 0, 64ull << 10 },
		{ "1.5G", -EINVAL, 0 },
		{ "G", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
		{ "1X", -EINVAL, 0 },
		{ "1Gx", -EINVAL, 0 },
		{ "-1G", -EINVAL, 0 },
		{ "99999999999P", -ERANGE, 0 },
	};
	static const struct {
		uint64_t in;
		const char *want;
	} human[] = {
		{ 0, "0B" }, { 1023, "1023B" }, { 128ull << 20, "128M" },
		{ 3ull << 30, "3G" }, { (3ull << 30) - (128ull << 20), "2.9G" },
		{ 24ull << 30, "24G" }, { (1ull << 30) + (128ull << 20), "1.1G" },
	};
	char buf[32];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t v = 0;
		int r = mo_parse_size(cases[i].in, &v);

		is_int(r, cases[i].ret, "size '%s'", cases[i].in);
		if (r == 0)
			is_u64(v, cases[i].want, "size '%s' value", cases[i].in);
	}
	for (size_t i = 0; i < ARRAY_SIZE(human); i++) {
		mo_size_human(human[i].in, buf, sizeof(buf));
		is_str(buf, human[i].want, "human %" PRIu64, human[i].in);
	}
}

/* What online and offline take: blocks by number, name or address, or a SIZE. */
static void test_which(void)
{
	const uint64_t bs = 128ull << 20;
	static const struct {
		const char *in;
		int ret, kind;
		unsigned long first, last;
		uint64_t size;
	} cases[] = {
		{ "memory7", 0, MO_WHICH_BLOCKS, 7, 7, 0 },
		{ "7", 0, MO_WHICH_BLOCKS, 7, 7, 0 },
		{ "4-9", 0, MO_WHICH_BLOCKS, 4, 9, 0 },
		{ "memory4-memory9", 0, MO_WHICH_BLOCKS, 4, 9, 0 },
		{ "0x100000000-0x13fffffff", 0, MO_WHICH_BLOCKS, 32, 39, 0 },
		{ "0X100000000-0X107ffffff", 0, MO_WHICH_BLOCKS, 32, 32, 0 },
		{ "1G", 0, MO_WHICH_SIZE, 0, 0, 1ull << 30 },
		{ "9-4", -EINVAL, 0, 0, 0, 0 },
		{ "0x200-0x100", -EINVAL, 0, 0, 0, 0 },
		{ "0x100000000-0x100000fff", -ERANGE, 0, 0, 0, 0 },
		{ "100M", -ERANGE, 0, 0, 0, 0 },
		{ "0", 0, MO_WHICH_BLOCKS, 0, 0, 0 },
		{ "0G", -EINVAL, 0, 0, 0, 0 },
		{ "memoryX", -EINVAL, 0, 0, 0, 0 },
		{ "", -EINVAL, 0, 0, 0, 0 },
		{ "1-2-3", -EINVAL, 0, 0, 0, 0 },
		{ "1111111111111111111111111111111111111111111111111111111111111111-2",
		  -EINVAL, 0, 0, 0, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct mo_which w = { .first = 99, .last = 99 };
		int r = mo_parse_which(cases[i].in, bs, &w);

		is_int(r, cases[i].ret, "which '%s'", cases[i].in);
		if (r < 0) {
			is_u64(w.first, 99, "which '%s': nothing written on failure",
			       cases[i].in);
			continue;
		}
		is_int(w.kind, cases[i].kind, "which '%s': kind", cases[i].in);
		is_u64(w.first, cases[i].first, "which '%s': first", cases[i].in);
		is_u64(w.last, cases[i].last, "which '%s': last", cases[i].in);
		is_u64(w.size, cases[i].size, "which '%s': size", cases[i].in);
	}
}

static void test_iomem(void)
{
	struct mo_iomem io;

	is_int(mo_iomem_parse("00001000-0009fbff : System RAM\n"
			      "100000000-13fffffff : System RAM\n"
			      "140000000-33fffffff : virtio0\n"
			      "  140000000-147ffffff : System RAM (virtio_mem)\n"
			      "  148000000-14fffffff : System RAM (virtio_mem)\n"
			      "340000000-37fffffff : dax0.0\n"
			      "  340000000-37fffffff : System RAM (kmem)\n",
			      &io),
	       0, "iomem with virtio_mem and kmem");
	is_int(io.n, 3, "three source ranges");
	is_u64(io.ranges[0].start, 0x140000000ull, "virtio_mem start");
	is_u64(io.ranges[1].last, 0x14fffffffull, "second virtio_mem end");
	is_int(io.ranges[2].source, MO_SOURCE_KMEM, "kmem range");
	is_int(mo_iomem_parse("00000000-00000000 : System RAM (virtio_mem)\n", &io), 0,
	       "iomem as an unprivileged user sees it");
	is_int(io.n, 0, "zeroed addresses tell nothing");
	is_int(mo_iomem_parse("", &io), 0, "empty iomem");
	is_int(mo_iomem_parse("garbage\n", &io), -EINVAL, "no ' : ' separator");
	is_int(mo_iomem_parse("zz-1 : System RAM\n", &io), -EINVAL, "bad address");
	is_int(mo_iomem_parse("2000-1000 : System RAM (kmem)\n", &io), -EINVAL,
	       "end before start");
}

static void test_zoneinfo(void)
{
	static const char text[] =
		"Node 0, zone      DMA\n"
		"  per-node stats\n"
		"      nr_inactive_anon 0\n"
		"  pages free     3840\n"
		"        spanned  4095\n"
		"        present  3998\n"
		"        managed  3840\n"
		"Node 0, zone    DMA32\n"
		"        present  782304\n"
		"Node 0, zone   Normal\n"
		"        present  262144\n"
		"Node 0, zone  Movable\n"
		"        present  131072\n"
		"Node 1, zone   Normal\n"
		"        present  0\n"
		"Node 1, zone  Movable\n"
		"        present  262144\n"
		"Node 1, zone   Device\n"
		"        present  999\n";
	struct mo_usage u;

	is_int(mo_zoneinfo_parse(text, 4096, &u), 0, "zoneinfo of two nodes");
	is_u64(u.kernel, (3998ull + 782304 + 262144) * 4096, "kernel: DMA, DMA32, Normal");
	is_u64(u.movable, (131072ull + 262144) * 4096, "movable: both nodes");
	is_u64(u.node_movable[1], 1ull << 30, "node 1 movable 1 GiB");
	is_u64(u.node_kernel[1], 0, "node 1 has no kernel memory; Device not counted");
	is_int(mo_zoneinfo_parse("", 4096, &u), -EINVAL, "empty zoneinfo");
	is_int(mo_zoneinfo_parse("        present  5\n", 4096, &u), -EINVAL,
	       "present before any zone");
	is_int(mo_zoneinfo_parse("Node 0, zone Bogus\n present 1\n", 4096, &u), -EINVAL,
	       "unknown zone");
	is_int(mo_zoneinfo_parse("Node 0, zone Normal\n present 99999999999999999\n", 4096,
				 &u), -EINVAL, "present that overflows bytes");
	is_int(mo_zoneinfo_parse("Node 0, zone Normal\n\n present 1\n", 4096, &u), 0,
	       "a blank line");
	is_u64(u.kernel, 4096, "a blank line does not count the next line twice");
}

static void test_zone_spans(void)
{
	/* As Linux 6.1 prints it: start_pfn only for populated zones. */
	static const char text[] =
		"Node 0, zone      DMA\n"
		"        spanned  4095\n"
		"        present  3998\n"
		"  start_pfn:           1\n"
		"Node 0, zone    DMA32\n"
		"        spanned  1044480\n"
		"        present  782304\n"
		"  start_pfn:           4096\n"
		"Node 0, zone   Normal\n"
		"        spanned  262144\n"
		"        present  262144\n"
		"  start_pfn:           1048576\n"
		"Node 0, zone  Movable\n"
		"        spanned  131072\n"
		"        present  65536\n"
		"  start_pfn:           1310720\n"
		"Node 1, zone   Normal\n"
		"        spanned  0\n"
		"        present  0\n"
		"Node 1, zone  Movable\n"
		"        spanned  65536\n"
		"        present  0\n";
	struct mo_zone_spans spans;
	const uint64_t blk = 32768; /* 128 MiB of 4 KiB pages */

	is_int(mo_zoneinfo_parse_spans(text, &spans), 0, "zoneinfo spans of two nodes");
	is_int((int)spans.n, 6, "six zones");
	is_int(mo_zone_spans_zone(&spans, 0, 0, blk), -1, "block 0 spans DMA and DMA32: none");
	is_int(mo_zone_spans_zone(&spans, 0, 1 * blk, blk), MO_ZONE_DMA32, "block 1: DMA32");
	is_int(mo_zone_spans_zone(&spans, 0, 32 * blk, blk), MO_ZONE_NORMAL, "block 32: Normal");
	is_int(mo_zone_spans_zone(&spans, 0, 40 * blk, blk), MO_ZONE_MOVABLE,
	       "block 40: Movable, right after Normal's end");
	is_int(mo_zone_spans_zone(&spans, 0, 44 * blk, blk), -1, "block 44: past every zone");
	is_int(mo_zone_spans_zone(&spans, 1, 0, blk), -1,
	       "node 1: a zone spans pages without a start_pfn: could be anywhere");
	is_int(mo_zone_spans_zone(&spans, 2, 40 * blk, blk), -1, "a node zoneinfo lacks");
	mo_zone_spans_free(&spans);

	is_int(mo_zoneinfo_parse_spans("Node 0, zone Normal\n spanned 8\n present 8\n"
				       " start_pfn: 0\nNode 0, zone Movable\n spanned 8\n"
				       " present 4\n start_pfn: 4\n", &spans), 0,
	       "overlapping Normal and Movable");
	is_int(mo_zone_spans_zone(&spans, 0, 4, 2), -1, "in the overlap: valid_zones decides");
	is_int(mo_zone_spans_zone(&spans, 0, 0, 4), MO_ZONE_NORMAL, "before it: Normal");
	is_int(mo_zone_spans_zone(&spans, 0, 8, 4), MO_ZONE_MOVABLE, "after it: Movable");
	mo_zone_spans_free(&spans);

	is_int(mo_zoneinfo_parse_spans("Node 0, zone Device\n spanned 8\n present 8\n"
				       " start_pfn: 0\n", &spans), 0, "ZONE_DEVICE");
	is_int(mo_zone_spans_zone(&spans, 0, 0, 4), -1, "never a block's zone");
	mo_zone_spans_free(&spans);
	is_int(mo_zoneinfo_parse_spans("Node 0, zone Normal\n spanned 8\n present 8\n"
				       " start_pfn: 18446744073709551615\n", &spans), -EINVAL,
	       "a span that wraps");
	is_int(mo_zoneinfo_parse_spans("garbage\n", &spans), -EINVAL, "not zoneinfo");
}

int main(void)
{
	test_state();
	test_valid_zones();
	test_numbers();
	test_auto_online();
	test_names();
	test_sizes();
	test_which();
	test_iomem();
	test_zoneinfo();
	test_zone_spans();
	return tap_done();
}
