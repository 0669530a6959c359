// SPDX-License-Identifier: LGPL-2.1-or-later
/* Who onlines new memory: the kernel, memonline watch or the caller; the daemon's lock. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "internal.h"

#define DAEMON_MARKER "watch"

enum mo_owner mo_owner_decide(enum mo_auto_online a, bool daemon_running,
			      const struct mo_policy *p)
{
	if (a == MO_AUTO_OFFLINE || a == MO_AUTO_UNKNOWN)
		return daemon_running ? MO_OWNER_DAEMON : MO_OWNER_US;
	if (p && mo_policy_auto_online(p) == MO_AUTO_CORRECT)
		return MO_OWNER_KERNEL_CORRECTED;
	return MO_OWNER_KERNEL;
}

bool mo_owner_kernel(enum mo_owner o)
{
	return o == MO_OWNER_KERNEL || o == MO_OWNER_KERNEL_CORRECTED;
}

void mo_owner_read(struct mo_ctx *ctx, const struct mo_policy *p, unsigned flags,
		   struct mo_owner_info *ret)
{
	enum mo_auto_online a;

	if (mo_read_auto_online(ctx, &a) < 0)
		a = MO_AUTO_UNKNOWN;
	ret->auto_online = a;
	/* The daemon's own lock would conflict with the probe's: flock is per open file. */
	ret->daemon_running = !(flags & MO_OWNER_AS_DAEMON) && mo_daemon_running(ctx);
	ret->owner = mo_owner_decide(a, ret->daemon_running, p);
}

int mo_daemon_marker_path(const struct mo_ctx *ctx, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/" MO_RUN_SUBDIR "/" DAEMON_MARKER, mo_run_dir(ctx));

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

bool mo_daemon_running(struct mo_ctx *ctx)
{
	int dir = mo_run_open(ctx, false), fd;
	bool held;

	if (dir < 0)
		return false;
	fd = openat(dir, DAEMON_MARKER, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	close(dir);
	if (fd < 0)
		return false;
	/* A marker nobody holds locked was left by a daemon that died. */
	held = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

/* The pid a marker holds, 0 when it holds none. */
static pid_t marker_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	uint64_t v;

	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return mo_parse_u64(buf, 10, &v) == 0 && v > 0 && v <= INT32_MAX ? (pid_t)v : 0;
}

int mo_daemon_lock(struct mo_ctx *ctx, struct mo_daemon_lock *ret, pid_t *holder)
{
	char pid[32];
	int dir, fd, n, e;

	dir = mo_run_open(ctx, true);
	if (dir < 0)
		return dir;
	/* One name in a directory opened beneath RUN: never a link out of it. */
	fd = openat(dir, DAEMON_MARKER, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		e = -errno;
		close(dir);
		return e;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		e = -errno;
		if (e == -EWOULDBLOCK)
			*holder = marker_pid(fd);
		close(fd);
		close(dir);
		return e;
	}
	ret->dir = dir;
	ret->fd = fd;
	ret->pid_err = 0;
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	errno = 0; /* a short write sets none */
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, n, 0) != n)
		ret->pid_err = errno ? -errno : -EIO;
	return 0;
}

void mo_daemon_unlock(struct mo_daemon_lock *lock)
{
	if (lock->fd < 0)
		return;
	/* Unlink first: from here on the udev rule onlines new blocks again. */
	unlinkat(lock->dir, DAEMON_MARKER, 0);
	close(lock->fd);
	close(lock->dir);
	lock->fd = lock->dir = -1;
}
