// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Files beneath a directory fd: opened without leaving the tree (openat2
 * RESOLVE_BENEATH or RESOLVE_IN_ROOT, or a walk that does the same where
 * openat2 is missing), read and written as sysfs attributes.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/openat2.h>
#include <unistd.h>

#include "internal.h"

/* How a walk without openat2 treats a link or ".." met below its directory. */
enum walk_mode {
	WALK_NO_LINKS, /* either: EXDEV */
	WALK_BENEATH,  /* followed while they stay beneath it, as RESOLVE_BENEATH does */
};

/*
 * The directories a walk holds open, so that ".." goes back to the very one
 * it came from rather than to what ".." names by then (a directory renamed
 * out of the tree would take ".." out with it); and the links one lookup may
 * follow (MAXSYMLINKS, include/linux/namei.h).
 */
#define WALK_DEPTH 64
#define WALK_LINKS 40

/*
 * name in dir, whose open failed with err, as a link: its target in buf, or
 * -1 and errno err when it is none (or went away), ENOENT for an empty one
 * (as the kernel's lookup says) and ENAMETOOLONG for one that does not fit.
 */
static ssize_t walk_readlink(int dir, const char *name, int err, char *buf, size_t size)
{
	ssize_t n = readlinkat(dir, name, buf, size);

	if (n <= 0 || (size_t)n == size) {
		errno = n < 0 ? err : n ? ENAMETOOLONG : ENOENT;
		return -1;
	}
	buf[n] = '\0';
	return n;
}

/*
 * openat2's resolution without it, one component at a time and none of
 * them followed by the kernel (O_NOFOLLOW): the walk itself decides, by
 * mode, what a link or ".." may do, so a tree's links never reach past
 * dirfd.  A link's target is read and walked in place of its name; an
 * absolute one, or an absolute path, is refused (EXDEV).
 */
static int walk_open(int dirfd, const char *path, int flags, enum walk_mode mode)
{
	char buf[PATH_MAX], target[PATH_MAX], *name, *rest = buf;
	int stack[WALK_DEPTH], depth = 0, links = 0, fd = -1, e;

	if (!*path) {
		errno = ENOENT;
		return -1;
	}
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (mode == WALK_BENEATH && *path == '/') {
		errno = EXDEV;
		return -1;
	}
	for (;;) {
		int dir = depth ? stack[depth - 1] : dirfd, fl = flags | O_NOFOLLOW;
		bool slash, last;
		ssize_t n;

		rest += strspn(rest, "/");
		name = rest;
		rest += strcspn(rest, "/");
		slash = *rest == '/';
		if (slash)
			*rest++ = '\0';
		last = !rest[strspn(rest, "/")];
		if (!*name) /* "/" alone, below the root */
			name = ".";
		if (!strcmp(name, "..")) {
			if (mode == WALK_NO_LINKS || !depth) {
				errno = EXDEV;
				break;
			}
			close(stack[--depth]);
			name = ".";
			dir = depth ? stack[depth - 1] : dirfd;
		}
		if (!last && !strcmp(name, "."))
			continue;
		if (!last || slash)
			fl = last ? fl | O_DIRECTORY
				  : O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
		fd = openat(dir, name, fl);
		if (fd >= 0 && (fl & O_PATH) && !(fl & O_DIRECTORY)) {
			/* O_PATH | O_NOFOLLOW opens a link itself: see what it is. */
			struct stat st;

			if (fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
				close(fd);
				fd = -1;
				errno = ELOOP;
			}
		}
		if (fd >= 0) {
			if (last)
				break;
			if (depth == WALK_DEPTH) {
				close(fd);
				fd = -1;
				errno = ENAMETOOLONG;
				break;
			}
			stack[depth++] = fd;
			fd = -1; /* what a failure further on returns */
			continue;
		}
		/* A link fails O_NOFOLLOW with ELOOP, O_DIRECTORY with ENOTDIR. */
		if (errno != ELOOP && errno != ENOTDIR)
			break;
		n = walk_readlink(dir, name, errno, target, sizeof(target));
		if (n < 0)
			break;
		if (mode == WALK_NO_LINKS || *target == '/') {
			errno = EXDEV;
			break;
		}
		if (++links > WALK_LINKS) {
			errno = ELOOP;
			break;
		}
		/* The target, then what followed the link (a trailing "/" too). */
		if (slash && snprintf(target + n, sizeof(target) - n, "/%s", rest) >=
				     (int)sizeof(target) - n) {
			errno = ENAMETOOLONG;
			break;
		}
		memcpy(buf, target, strlen(target) + 1);
		rest = buf;
	}
	e = errno;
	while (depth)
		close(stack[--depth]);
	errno = e;
	return fd;
}

/*
 * openat2, again when it says EAGAIN: a rename raced a "..", which it then
 * cannot vouch for, and it asks for a retry (openat2(2)).
 */
static int openat2_retry(int dirfd, const char *path, const struct open_how *how)
{
	int fd, tries = 0;

	do
		fd = syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
	while (fd < 0 && errno == EAGAIN && ++tries < 8);
	return fd;
}

/*
 * openat2 failed with err because the kernel has none (before 5.6: ENOSYS)
 * or a container's seccomp filter written before it refuses it (Docker's
 * answered EPERM before 20.10).  A real EPERM comes back from the walk too.
 */
static bool openat2_missing(int err)
{
	return err == ENOSYS || err == EPERM;
}

int mo_open_beneath(int dirfd, const char *path, int flags)
{
	struct open_how how = {
		/* openat2 refuses O_PATH with any flag but these (fs/open.c). */
		.flags = flags | O_CLOEXEC | (flags & O_PATH ? 0 : O_NOCTTY),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	/*
	 * A captured tree is data, and data may lie: a symlink in it must not
	 * lead a read, let alone a write, out of the tree (into the host's
	 * own /sys, say).  openat2 (Linux 5.6) refuses that with EXDEV.  Yet
	 * sysfs's own relative links are followed: bus/acpi/devices/X and
	 * class/dmi/id lead into devices/.
	 */
	fd = openat2_retry(dirfd, path, &how);
	if (fd >= 0 || !openat2_missing(errno))
		return fd;
	return walk_open(dirfd, path, how.flags, WALK_BENEATH);
}

/*
 * Without openat2, the process's own root resolves links as RESOLVE_IN_ROOT
 * would: an absolute link and ".." stop at it.  Any other root cannot
 * contain them, so below it a link anywhere in path is refused (EXDEV),
 * never followed, and so is "..".
 */
static int open_in_root_fallback(int rootfd, const char *path, int flags)
{
	struct stat root, st;

	if (fstat(rootfd, &st) == 0 && stat("/", &root) == 0 && st.st_dev == root.st_dev &&
	    st.st_ino == root.st_ino)
		return openat(rootfd, path, flags);
	return walk_open(rootfd, path, flags, WALK_NO_LINKS);
}

int mo_open_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = flags | O_CLOEXEC | (flags & O_PATH ? 0 : O_NOCTTY),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	/*
	 * A root filesystem's links mean what they mean on its own machine: an
	 * absolute one starts at the root, as in a chroot, and ".." stops at it,
	 * so /etc's link into /usr/lib is read and a tree's never reaches the
	 * host.  A magic link (procfs) could still jump out: ELOOP.
	 */
	fd = openat2_retry(rootfd, path, &how);
	if (fd >= 0 || !openat2_missing(errno))
		return fd;
	return open_in_root_fallback(rootfd, path, how.flags);
}

int mo_access_beneath(int dirfd, const char *path)
{
	int fd = mo_open_beneath(dirfd, path, O_PATH);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

DIR *mo_opendir_beneath(int dirfd, const char *path)
{
	int fd = mo_open_beneath(dirfd, path, O_RDONLY | O_DIRECTORY);
	DIR *d;

	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d) {
		int e = errno;

		close(fd);
		errno = e;
	}
	return d;
}

void mo_chomp(char *s, size_t *len)
{
	if (*len > 0 && s[*len - 1] == '\n')
		s[--*len] = '\0';
}

ssize_t mo_read_attr(int dirfd, const char *path, char *buf, size_t size)
{
	size_t len = 0;
	int fd, r = 0;

	fd = mo_open_beneath(dirfd, path, O_RDONLY);
	if (fd < 0)
		return -errno;
	/*
	 * sysfs hands over a whole attribute in one read, and a regular file
	 * (a fixture) reads short only at its end: a short read is the end,
	 * which saves the second read(2) per file that a scan would spend.
	 */
	while (len < size) {
		ssize_t n = read(fd, buf + len, size - len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		len += n;
		if (n == 0 || len < size)
			break;
	}
	close(fd);
	if (r < 0)
		return r;
	if (len == size)
		return -EFBIG;
	buf[len] = '\0';
	if (memchr(buf, '\0', len))
		return -EINVAL; /* binary junk is no sysfs value */
	mo_chomp(buf, &len);
	return len;
}

int mo_read_fd(int fd, size_t max, char **ret, size_t *ret_len)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	int r = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *nb;

			if (cap >= max) {
				r = -EFBIG;
				break;
			}
			cap *= 2;
			nb = realloc(buf, cap);
			if (!nb) {
				r = -ENOMEM;
				break;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		len += n;
	}
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[len] = '\0';
	*ret = buf;
	if (ret_len)
		*ret_len = len;
	return 0;
}

int mo_read_all(int dirfd, const char *path, size_t max, char **ret, size_t *ret_len)
{
	int fd = mo_open_beneath(dirfd, path, O_RDONLY), r;

	if (fd < 0)
		return -errno;
	r = mo_read_fd(fd, max, ret, ret_len);
	close(fd);
	return r;
}

int mo_write_attr(int dirfd, const char *path, const char *value)
{
	size_t len = strlen(value);
	ssize_t n;
	int fd, r = 0;

	fd = mo_open_beneath(dirfd, path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, value, len);
	if (n < 0)
		r = -errno;
	else if ((size_t)n != len)
		r = -EIO; /* sysfs takes a store whole or not at all */
	/* Some attributes report their error only on close. */
	if (close(fd) < 0 && r == 0 && errno != EINTR)
		r = -errno;
	return r;
}

bool mo_is_mask(int dirfd, const char *path)
{
	char target[16];
	ssize_t n = readlinkat(dirfd, path, target, sizeof(target) - 1);

	if (n < 0)
		return false;
	target[n] = '\0';
	return strcmp(target, "/dev/null") == 0;
}
