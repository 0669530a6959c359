// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The Xen balloon's numbers (decimal KiB, hex counters, 0/1) and target
 * arguments (+512M, 4G): any bytes give a value or -errno, never a crash,
 * and a relative target never wraps below zero.  The first byte picks.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t v;
	int b;
	char *s;

	if (size < 1)
		return 0;
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 4) {
	case 0:
		mo_xen_parse_kb(s, &v);
		break;
	case 1:
		mo_xen_parse_counter(s, &v);
		break;
	case 2:
		if (mo_xen_parse_bool(s, &b) == 0 && b != 0 && b != 1)
			abort();
		break;
	case 3:
		if (mo_xen_parse_target(s, 1048576, &v) == 0 && v == 0)
			abort(); /* a target is above 0 */
		break;
	}
	free(s);
	return 0;
}
