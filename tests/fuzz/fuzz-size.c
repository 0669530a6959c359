// SPDX-License-Identifier: GPL-2.0-or-later
/* Size arguments (512M, 4G) and their human form round-trip. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), human[32];
	uint64_t v;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (mo_parse_size(s, &v) == 0) {
		mo_size_human(v, human, sizeof(human));
		if (!human[0])
			abort();
	}
	free(s);
	return 0;
}
