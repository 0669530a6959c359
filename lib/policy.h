/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MEMONLINE_POLICY_H
#define MEMONLINE_POLICY_H

#include <stdio.h>

#include "memonline.h"

/* The kernel's auto_movable_ratio default (mm/memory_hotplug.c). */
#define MO_DEFAULT_RATIO 301
#define MO_MAX_RATIO 10000

struct mo_policy {
	enum mo_choice zone;
	unsigned ratio;
	bool numa_aware;
	enum mo_auto_online_mode auto_online;
	struct mo_rule *rules;
	size_t n_rules, cap_rules;
	char **files; /* names the rules point into */
	size_t n_files;
};

int mo_policy_add_rule(struct mo_policy *p, const struct mo_rule *rule);
/* Parse config lines from f, named name in errors, over p. */
int mo_policy_parse_stream(struct mo_policy *p, FILE *f, const char *name,
			   struct mo_config_error *err);

#endif
