// SPDX-License-Identifier: LGPL-2.1-or-later
/* The udev rule's burst: who onlines the blocks of the events that come at once. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* RUN/memonline/NAME, created: one name beneath dir, never a link out of it. */
static int open_run_file(int dir, const char *name)
{
	int fd = openat(dir, name, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
			0600);

	return fd >= 0 ? fd : -errno;
}

int mo_burst_open(struct mo_ctx *ctx, struct mo_burst *ret)
{
	int dir = mo_run_open(ctx, true), queue, lock;

	if (dir < 0)
		return dir;
	queue = open_run_file(dir, "udev-queue");
	lock = queue < 0 ? queue : open_run_file(dir, "udev-burst");
	close(dir);
	if (lock < 0) {
		if (queue >= 0)
			close(queue);
		return lock;
	}
	*ret = (struct mo_burst){ .queue = queue, .lock = lock };
	return 0;
}

int mo_burst_join(struct mo_burst *b, unsigned long id)
{
	char line[32];
	int n = snprintf(line, sizeof(line), "%lu\n", id);
	int r = 0;

	errno = 0; /* a short write sets none */
	if (flock(b->queue, LOCK_SH) < 0 || write(b->queue, line, n) != n)
		r = errno ? -errno : -EIO;
	flock(b->queue, LOCK_UN);
	if (r < 0)
		return r;
	return flock(b->lock, LOCK_EX | LOCK_NB) == 0 || errno != EWOULDBLOCK;
}

static int cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return (x > y) - (x < y);
}

ssize_t mo_burst_take(struct mo_burst *b, unsigned long **ids)
{
	struct stat st;
	char *text = NULL, *line, *save;
	unsigned long *v;
	size_t n = 0, k = 0;
	ssize_t len = -1;

	b->empty_err = 0;
	if (flock(b->queue, LOCK_EX) < 0) {
		*ids = NULL;
		return 0;
	}
	if (fstat(b->queue, &st) == 0 && st.st_size > 0 && (text = malloc(st.st_size + 1)))
		len = pread(b->queue, text, st.st_size, 0);
	if (len > 0 && ftruncate(b->queue, 0) < 0)
		b->empty_err = -errno;
	flock(b->queue, LOCK_UN);
	if (len <= 0) {
		free(text);
		*ids = NULL;
		return 0;
	}
	text[len] = '\0';
	v = calloc(len / 2 + 1, sizeof(*v));
	for (line = strtok_r(text, "\n", &save); v && line;
	     line = strtok_r(NULL, "\n", &save)) {
		uint64_t id;

		if (mo_parse_u64(line, 10, &id) == 0 && id <= ULONG_MAX / 2)
			v[n++] = id;
	}
	free(text);
	if (!v)
		return -ENOMEM;
	qsort(v, n, sizeof(*v), cmp_ulong);
	for (size_t i = 0; i < n; i++)
		if (!k || v[k - 1] != v[i])
			v[k++] = v[i];
	*ids = v;
	return k;
}

bool mo_burst_again(struct mo_burst *b)
{
	struct stat st;

	flock(b->lock, LOCK_UN);
	return fstat(b->queue, &st) == 0 && st.st_size > 0 &&
	       flock(b->lock, LOCK_EX | LOCK_NB) == 0;
}

void mo_burst_close(struct mo_burst *b)
{
	if (b->queue >= 0)
		close(b->queue);
	if (b->lock >= 0)
		close(b->lock);
	b->queue = b->lock = -1;
}
