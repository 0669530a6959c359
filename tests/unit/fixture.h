/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A sysroot built in the test, and a clock that moves only when slept on. */
#ifndef MEMONLINE_FIXTURE_H
#define MEMONLINE_FIXTURE_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memonline.h"

struct tree {
	char dir[64];
};

static inline void tree_new(struct tree *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/memonline-unit-XXXXXX");
	if (!mkdtemp(t->dir))
		abort();
}

/* PATH below the tree, its parent directories made as needed. */
static inline void tree_path(const struct tree *t, const char *path, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", t->dir, path);
	for (char *p = buf + strlen(t->dir) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			abort();
		*p = '/';
	}
}

static inline void tree_put(const struct tree *t, const char *path, const char *text)
{
	char full[512];
	FILE *f;

	tree_path(t, path, full, sizeof(full));
	f = fopen(full, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
}

static inline void tree_link(const struct tree *t, const char *path, const char *target)
{
	char full[512];

	tree_path(t, path, full, sizeof(full));
	if (symlink(target, full) < 0)
		abort();
}

static inline void tree_free(struct tree *t)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	if (system(cmd) != 0)
		abort();
}

/* Time passes only in sleep, which may then change the tree (the driver at work). */
struct fake_clock {
	uint64_t now_ns;
	unsigned sleeps;
	void (*on_sleep)(struct fake_clock *fc);
	const struct tree *tree;
};

static inline uint64_t fake_now(void *data)
{
	return ((struct fake_clock *)data)->now_ns;
}

static inline void fake_sleep(void *data, uint64_t ns)
{
	struct fake_clock *fc = data;

	fc->now_ns += ns;
	fc->sleeps++;
	if (fc->on_sleep)
		fc->on_sleep(fc);
}

#define FAKE_CLOCK(fc) ((struct mo_clock){ .now = fake_now, .sleep = fake_sleep, .data = (fc) })

#endif
