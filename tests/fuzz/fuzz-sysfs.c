// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Every parser of a value the kernel (or a hostile sysroot) hands us:
 * state, valid_zones, block_size_bytes, phys_index, auto_online_blocks,
 * block names and uevent DEVPATHs, /proc/iomem, /proc/zoneinfo.  The first
 * byte picks the parser; the rest is the value.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	uint64_t v;
	unsigned long id;
	unsigned zones;
	int first;
	enum mo_state st;
	enum mo_auto_online ao;

	if (size < 1)
		return 0;
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 9) {
	case 0:
		if (mo_parse_state(s, &st) == 0 && st == MO_STATE_UNKNOWN)
			abort();
		break;
	case 1:
		if (mo_parse_valid_zones(s, &zones, &first) == 0 &&
		    (first >= MO_ZONE__MAX || (first >= 0 && !(zones & MO_ZONE_BIT(first)))))
			abort();
		break;
	case 2:
		if (mo_parse_block_size(s, &v) == 0 && (v == 0 || (v & (v - 1))))
			abort();
		break;
	case 3:
		mo_parse_phys_index(s, &v);
		break;
	case 4:
		mo_parse_auto_online(s, &ao);
		break;
	case 5:
		if (mo_parse_block_name(s, &id) == 0 && strncmp(s, "memory", 6) != 0)
			abort();
		break;
	case 6:
		if (mo_parse_devpath(s, &id) == 0 && strstr(s, ".."))
			abort();
		break;
	case 7: {
		struct mo_iomem *io = malloc(sizeof(*io));

		if (io && mo_iomem_parse(s, io) == 0)
			for (size_t i = 0; i < io->n; i++)
				if (io->ranges[i].last < io->ranges[i].start)
					abort();
		free(io);
		break;
	}
	case 8: {
		struct mo_zone_spans spans;
		struct mo_usage u;

		mo_zoneinfo_parse(s, 4096, &u);
		if (mo_zoneinfo_parse_spans(s, &spans) == 0) {
			for (size_t i = 0; i < spans.n; i++)
				if (mo_zone_spans_zone(&spans, spans.span[i].node, 0, 1 << 15) >=
				    MO_ZONE__MAX)
					abort();
			mo_zone_spans_free(&spans);
		}
		break;
	}
	}
	free(s);
	return 0;
}
