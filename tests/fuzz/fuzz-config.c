// SPDX-License-Identifier: GPL-2.0-or-later
/* memonline.conf: any bytes give a policy or FILE:LINE: message, never a crash. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mo_config_error err = { 0 };
	struct mo_policy *p;
	FILE *f;
	int r;

	if (size == 0 || mo_policy_new_default(&p) < 0)
		return 0;
	f = fmemopen((void *)data, size, "r");
	if (!f) {
		mo_policy_free(p);
		return 0;
	}
	r = mo_policy_parse_stream(p, f, "fuzz.conf", &err);
	if (r == -EINVAL && (!err.line || !err.msg[0]))
		abort(); /* a bad line must say where and what */
	if (r == 0 && (p->ratio > MO_MAX_RATIO || p->zone >= MO_CHOICE__MAX))
		abort();
	fclose(f);
	mo_policy_free(p);
	return 0;
}
