// SPDX-License-Identifier: LGPL-2.1-or-later
/* The kernel's words, and parsers for the values sysfs and users give us. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const state_names[] = {
	[MO_STATE_UNKNOWN] = "unknown",
	[MO_STATE_ONLINE] = "online",
	[MO_STATE_OFFLINE] = "offline",
	[MO_STATE_GOING_OFFLINE] = "going-offline",
};

/* As printed by valid_zones (mm/page_alloc.c zone_names). */
static const char *const zone_names[] = {
	[MO_ZONE_DMA] = "DMA",
	[MO_ZONE_DMA32] = "DMA32",
	[MO_ZONE_NORMAL] = "Normal",
	[MO_ZONE_HIGHMEM] = "HighMem",
	[MO_ZONE_MOVABLE] = "Movable",
	[MO_ZONE_DEVICE] = "Device",
};

/* What drivers/base/memory.c state_store() accepts. */
static const char *const online_type_words[] = {
	[MO_ONLINE_DEFAULT] = "online",
	[MO_ONLINE_KERNEL] = "online_kernel",
	[MO_ONLINE_MOVABLE] = "online_movable",
	[MO_OFFLINE] = "offline",
};

static const char *const auto_online_names[] = {
	[MO_AUTO_UNKNOWN] = "unknown",
	[MO_AUTO_OFFLINE] = "offline",
	[MO_AUTO_ONLINE] = "online",
	[MO_AUTO_ONLINE_KERNEL] = "online_kernel",
	[MO_AUTO_ONLINE_MOVABLE] = "online_movable",
};

static const char *const source_names[] = {
	[MO_SOURCE_UNKNOWN] = "unknown",
	[MO_SOURCE_BOOT] = "boot",
	[MO_SOURCE_VIRTIO_MEM] = "virtio-mem",
	[MO_SOURCE_DIMM] = "dimm",
	[MO_SOURCE_XEN] = "xen",
	[MO_SOURCE_HYPERV] = "hyperv",
	[MO_SOURCE_KMEM] = "kmem",
	[MO_SOURCE_STANDBY] = "standby",
};

static const char *name_of(const char *const *table, size_t n, unsigned i)
{
	return i < n && table[i] ? table[i] : "?";
}

static int index_of(const char *const *table, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (table[i] && strcmp(table[i], s) == 0)
			return i;
	return -EINVAL;
}

const char *mo_state_name(enum mo_state s)
{
	return name_of(state_names, ARRAY_SIZE(state_names), s);
}

const char *mo_zone_name(enum mo_zone z)
{
	return name_of(zone_names, ARRAY_SIZE(zone_names), z);
}

int mo_block_zone_row(const struct mo_block *b)
{
	if (!b->have_zones)
		return MO_ZONE_ROW_UNKNOWN; /* no valid_zones: no MEMORY_HOTREMOVE */
	return b->zone < 0 ? MO_ZONE_ROW_SPANS : b->zone;
}

const char *mo_zone_row_name(int row)
{
	if (row == MO_ZONE_ROW_SPANS)
		return "none";
	if (row == MO_ZONE_ROW_UNKNOWN)
		return "unknown";
	return mo_zone_name(row);
}

const char *mo_block_zone_name(const struct mo_block *b)
{
	return mo_zone_row_name(mo_block_zone_row(b));
}

const char *mo_online_type_word(enum mo_online_type t)
{
	return name_of(online_type_words, ARRAY_SIZE(online_type_words), t);
}

const char *mo_auto_online_name(enum mo_auto_online a)
{
	return name_of(auto_online_names, ARRAY_SIZE(auto_online_names), a);
}

const char *mo_source_name(enum mo_source s)
{
	return name_of(source_names, ARRAY_SIZE(source_names), s);
}

int mo_source_from_name(const char *name)
{
	return index_of(source_names, ARRAY_SIZE(source_names), name);
}

int mo_parse_state(const char *s, enum mo_state *ret)
{
	int i = index_of(state_names, ARRAY_SIZE(state_names), s);

	/* "unknown" is our word, not the kernel's. */
	if (i <= MO_STATE_UNKNOWN)
		return -EINVAL;
	*ret = i;
	return 0;
}

int mo_parse_valid_zones(const char *s, unsigned *zones, int *first)
{
	unsigned mask = 0;
	int head = -1;

	/* An online block spanning zones or nodes: "none" (the ABI doc says "None"). */
	if (strcmp(s, "none") == 0 || strcmp(s, "None") == 0) {
		*zones = MO_ZONES_NONE;
		*first = -1;
		return 0;
	}
	while (*s) {
		char word[16];
		size_t len = strcspn(s, " ");
		int z;

		if (len == 0 || len >= sizeof(word))
			return -EINVAL;
		memcpy(word, s, len);
		word[len] = '\0';
		z = index_of(zone_names, ARRAY_SIZE(zone_names), word);
		if (z < 0)
			return -EINVAL;
		if (head < 0)
			head = z;
		mask |= MO_ZONE_BIT(z);
		s += len;
		if (*s == ' ' && *++s == '\0')
			return -EINVAL;
	}
	if (head < 0)
		return -EINVAL;
	*zones = mask;
	*first = head;
	return 0;
}

int mo_parse_u64(const char *s, int base, uint64_t *ret)
{
	uint64_t v = 0;
	const char *p = s;

	if (!*p)
		return -EINVAL;
	for (; *p; p++) {
		int d;

		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (base == 16 && isxdigit((unsigned char)*p))
			d = tolower((unsigned char)*p) - 'a' + 10;
		else
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	*ret = v;
	return 0;
}

int mo_parse_block_size(const char *s, uint64_t *ret)
{
	uint64_t v;
	int r = mo_parse_u64(s, 16, &v);

	if (r < 0)
		return r;
	/* A memory block is at least one section and a power of two. */
	if (v == 0 || (v & (v - 1)) != 0)
		return -EINVAL;
	*ret = v;
	return 0;
}

int mo_parse_phys_index(const char *s, uint64_t *ret)
{
	return mo_parse_u64(s, 16, ret);
}

int mo_parse_auto_online(const char *s, enum mo_auto_online *ret)
{
	int i = index_of(auto_online_names, ARRAY_SIZE(auto_online_names), s);

	if (i <= MO_AUTO_UNKNOWN)
		return -EINVAL;
	*ret = i;
	return 0;
}

/* A scan parses each block's name twice (memory/, node/): digits by hand. */
int mo_parse_block_name(const char *name, unsigned long *ret)
{
	unsigned long v = 0;

	if (strncmp(name, "memory", 6) != 0)
		return -EINVAL;
	name += 6;
	/* memory0 is the only name with a leading zero: no aliases like memory01. */
	if (!name[0] || (name[0] == '0' && name[1]))
		return -EINVAL;
	for (; *name; name++) {
		/* Past ULONG_MAX / 20, one more digit is beyond ULONG_MAX / 2. */
		if (*name < '0' || *name > '9' || v > ULONG_MAX / 20)
			return -EINVAL;
		v = v * 10 + (*name - '0');
	}
	if (v > ULONG_MAX / 2)
		return -EINVAL;
	*ret = v;
	return 0;
}

int mo_parse_node_name(const char *name, int *ret)
{
	uint64_t v;

	if (strncmp(name, "node", 4) != 0 || mo_parse_u64(name + 4, 10, &v) < 0 ||
	    v > INT32_MAX)
		return -EINVAL;
	*ret = v;
	return 0;
}

int mo_parse_devpath(const char *devpath, unsigned long *ret)
{
	static const char prefix[] = "/devices/system/memory/";

	if (strncmp(devpath, prefix, sizeof(prefix) - 1) != 0)
		return -EINVAL;
	return mo_parse_block_name(devpath + sizeof(prefix) - 1, ret);
}

int mo_parse_size(const char *s, uint64_t *ret)
{
	static const char units[] = "KMGTPE";
	char digits[32];
	size_t len = strspn(s, "0123456789");
	unsigned power = 0, base = 1024;
	uint64_t v;
	int r;

	if (len == 0 || len >= sizeof(digits))
		return -EINVAL;
	memcpy(digits, s, len);
	digits[len] = '\0';
	r = mo_parse_u64(digits, 10, &v);
	if (r < 0)
		return r;
	s += len;
	if (*s) {
		const char *u = strchr(units, toupper((unsigned char)*s));

		if (!u)
			return -EINVAL;
		power = u - units + 1;
		s++;
		/*
		 * As util-linux's strtosize(), which chmem and lsmem use: 1G and
		 * 1GiB are 2^30, 1GB is 10^9.
		 */
		if (*s == 'i' && (s[1] == 'B' || s[1] == 'b'))
			s += 2;
		else if (*s == 'B' || *s == 'b')
			s++, base = 1000;
		if (*s)
			return -EINVAL;
	}
	for (; power; power--) {
		if (v > UINT64_MAX / base)
			return -ERANGE;
		v *= base;
	}
	*ret = v;
	return 0;
}

static int parse_block_number(const char *s, unsigned long *ret)
{
	uint64_t v;

	if (strncmp(s, "memory", 6) == 0)
		return mo_parse_block_name(s, ret);
	if (mo_parse_u64(s, 10, &v) < 0 || v > ULONG_MAX / 2)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int parse_address(const char *s, uint64_t *ret)
{
	if (strncmp(s, "0x", 2) != 0 && strncmp(s, "0X", 2) != 0)
		return -EINVAL;
	return mo_parse_u64(s + 2, 16, ret);
}

int mo_parse_which(const char *arg, uint64_t block_size, struct mo_which *ret)
{
	const char *dash = strchr(arg, '-');
	struct mo_which w = { .kind = MO_WHICH_BLOCKS };
	char first[64];
	uint64_t a, b;

	if (strlen(arg) >= sizeof(first))
		return -EINVAL;
	if (!dash) {
		if (parse_block_number(arg, &w.first) == 0) {
			w.last = w.first;
		} else {
			if (mo_parse_size(arg, &w.size) < 0 || w.size == 0)
				return -EINVAL;
			if (w.size % block_size)
				return -ERANGE; /* not a whole number of blocks */
			w.kind = MO_WHICH_SIZE;
		}
	} else {
		memcpy(first, arg, dash - arg);
		first[dash - arg] = '\0';
		/* 0xSTART-0xEND, an address range as lsmem prints it. */
		if (parse_address(first, &a) == 0) {
			if (parse_address(dash + 1, &b) < 0 || b < a)
				return -EINVAL;
			if (a % block_size || (b + 1) % block_size)
				return -ERANGE;
			w.first = a / block_size;
			w.last = b / block_size;
		} else if (parse_block_number(first, &w.first) < 0 ||
			   parse_block_number(dash + 1, &w.last) < 0 || w.last < w.first) {
			return -EINVAL;
		}
	}
	*ret = w;
	return 0;
}

int mo_parse_duration(const char *s, uint64_t max, uint64_t *ret)
{
	size_t len = strspn(s, "0123456789");
	uint64_t v, mult = 1;
	char digits[16];

	if (len == 0 || len > 9)
		return -EINVAL;
	if (s[len] == 'm' && !s[len + 1])
		mult = 60;
	else if (s[len] == 'h' && !s[len + 1])
		mult = 3600;
	else if (s[len] && !(s[len] == 's' && !s[len + 1]))
		return -EINVAL;
	memcpy(digits, s, len);
	digits[len] = '\0';
	if (mo_parse_u64(digits, 10, &v) < 0 || v * mult > max)
		return -EINVAL;
	*ret = v * mult;
	return 0;
}

void mo_size_human(uint64_t bytes, char *buf, size_t size)
{
	static const char units[] = "BKMGTPE";
	unsigned exp = 0;
	uint64_t whole = bytes, frac = 0;

	while (whole >= 1024 && exp < sizeof(units) - 2) {
		frac = whole % 1024;
		whole /= 1024;
		exp++;
	}
	if (exp == 0) {
		snprintf(buf, size, "%" PRIu64 "B", bytes);
		return;
	}
	/* One decimal, rounded, dropped when it is zero (as util-linux prints). */
	frac = (frac * 10 + 512) / 1024;
	if (frac == 10) {
		whole++;
		frac = 0;
	}
	if (frac)
		snprintf(buf, size, "%" PRIu64 ".%" PRIu64 "%c", whole, frac, units[exp]);
	else
		snprintf(buf, size, "%" PRIu64 "%c", whole, units[exp]);
}
