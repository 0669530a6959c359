// SPDX-License-Identifier: LGPL-2.1-or-later
/* The library context: where sysfs and procfs are, and how they are read. */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
#include <linux/magic.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <linux/openat2.h>
#include <unistd.h>

#include "internal.h"

struct mo_ctx {
	int refcount;
	char *sys_dir;
	char *proc_dir;
	char *run_dir;
	char *root_dir; /* "/" or the sysroot: etc/, usr/lib/ (udev rules, units) */
	int sys_fd;
	int proc_fd;
	int memory_fd;
	int numa; /* -1: not looked yet */
	bool sys_ro;
};

/*
 * libmount, loaded only when sysfs or procfs is not at its usual place: linked,
 * it and what it brings (libblkid, libselinux, libpcre2) were two thirds of
 * the dynamic loader's work at every start, one per udev event.
 */
#define MOUNT_SONAME "libmount.so.1"
MO_NOTE_DLOPEN(note_dlopen_mount,
	       MO_DLOPEN_JSON("mount",
			      "Finding sysfs and procfs when they are not mounted "
			      "at /sys and /proc",
			      "recommended", MOUNT_SONAME));

struct libmount {
	typeof(mnt_new_table_from_file) *mnt_new_table_from_file;
	typeof(mnt_unref_table) *mnt_unref_table;
	typeof(mnt_new_iter) *mnt_new_iter;
	typeof(mnt_free_iter) *mnt_free_iter;
	typeof(mnt_table_next_fs) *mnt_table_next_fs;
	typeof(mnt_fs_match_fstype) *mnt_fs_match_fstype;
	typeof(mnt_fs_get_target) *mnt_fs_get_target;
};

/*
 * The latest mount of a filesystem type anywhere but its usual place, which
 * statfs(2) found covered: mountinfo still lists the mount underneath.
 */
static int find_mount(const struct libmount *m, struct libmnt_table *tb, const char *type,
		      const char *usual, char **target)
{
	struct libmnt_iter *itr = m->mnt_new_iter(MNT_ITER_BACKWARD);
	struct libmnt_fs *fs, *found = NULL;

	if (!itr)
		return -ENOMEM;
	while (!found && m->mnt_table_next_fs(tb, itr, &fs) == 0)
		if (m->mnt_fs_match_fstype(fs, type) &&
		    strcmp(m->mnt_fs_get_target(fs), usual))
			found = fs;
	m->mnt_free_iter(itr);
	if (!found)
		return -ENODEV;
	*target = strdup(m->mnt_fs_get_target(found));
	return *target ? 0 : -ENOMEM;
}

static int set_path(char **path, const char *value)
{
	*path = strdup(value);
	return *path ? 0 : -ENOMEM;
}

static int locate_in_mountinfo(struct mo_ctx *ctx, bool sys_usual, bool proc_usual)
{
	struct libmount m;
	const struct mo_dlsym syms[] = {
		MO_DLSYM(&m, mnt_new_table_from_file),
		MO_DLSYM(&m, mnt_unref_table),
		MO_DLSYM(&m, mnt_new_iter),
		MO_DLSYM(&m, mnt_free_iter),
		MO_DLSYM(&m, mnt_table_next_fs),
		MO_DLSYM(&m, mnt_fs_match_fstype),
		MO_DLSYM(&m, mnt_fs_get_target),
	};
	struct libmnt_table *tb;
	void *dl = mo_dlopen(MOUNT_SONAME, syms, ARRAY_SIZE(syms));
	int r = -ENODEV; /* without procfs, nothing to go on */

	if (!dl)
		return -ENOPKG;
	tb = m.mnt_new_table_from_file("/proc/self/mountinfo");
	if (tb) {
		r = sys_usual ? set_path(&ctx->sys_dir, "/sys")
			      : find_mount(&m, tb, "sysfs", "/sys", &ctx->sys_dir);
		if (r == 0)
			r = proc_usual
				    ? set_path(&ctx->proc_dir, "/proc")
				    : find_mount(&m, tb, "proc", "/proc", &ctx->proc_dir);
		m.mnt_unref_table(tb);
	}
	dlclose(dl);
	return r;
}

static bool mounted_at(const char *path, long type)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && sf.f_type == type;
}

/* Where sysfs and procfs are: almost always /sys and /proc, two statfs(2). */
static int locate_live(struct mo_ctx *ctx)
{
	bool sys = mounted_at("/sys", SYSFS_MAGIC),
	     proc = mounted_at("/proc", PROC_SUPER_MAGIC);

	if (!sys || !proc)
		return locate_in_mountinfo(ctx, sys, proc);
	return set_path(&ctx->sys_dir, "/sys") ?: set_path(&ctx->proc_dir, "/proc");
}

static int locate_sysroot(struct mo_ctx *ctx, const char *sysroot)
{
	if (!(ctx->root_dir = strdup(sysroot)))
		return -ENOMEM;
	if (asprintf(&ctx->run_dir, "%s/run", sysroot) < 0) {
		ctx->run_dir = NULL;
		return -ENOMEM;
	}
	if (asprintf(&ctx->sys_dir, "%s/sys", sysroot) < 0) {
		ctx->sys_dir = NULL;
		return -ENOMEM;
	}
	if (asprintf(&ctx->proc_dir, "%s/proc", sysroot) < 0) {
		ctx->proc_dir = NULL;
		return -ENOMEM;
	}
	return 0;
}

int mo_new(const char *sysroot, struct mo_ctx **ret)
{
	struct mo_ctx *ctx = calloc(1, sizeof(*ctx));
	struct statvfs sv;
	int r;

	if (!ctx)
		return -ENOMEM;
	ctx->refcount = 1;
	ctx->sys_fd = ctx->proc_fd = ctx->memory_fd = -1;
	ctx->numa = -1;

	r = sysroot ? locate_sysroot(ctx, sysroot) : locate_live(ctx);
	if (r < 0)
		goto fail;
	/* tmpfs at /run is what udevd and systemd assume: no lookup needed. */
	if (!ctx->run_dir && !(ctx->run_dir = strdup("/run"))) {
		r = -ENOMEM;
		goto fail;
	}
	if (!ctx->root_dir && !(ctx->root_dir = strdup("/"))) {
		r = -ENOMEM;
		goto fail;
	}

	ctx->sys_fd = open(ctx->sys_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ctx->sys_fd < 0) {
		r = -errno;
		goto fail;
	}
	/* Containers often mount sysfs read-only; so may a captured tree be. */
	if (fstatvfs(ctx->sys_fd, &sv) == 0 && (sv.f_flag & ST_RDONLY))
		ctx->sys_ro = true;
	/* procfs is optional: only sources (iomem) and Xen knobs come from it. */
	ctx->proc_fd = open(ctx->proc_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	*ret = ctx;
	return 0;
fail:
	mo_unref(ctx);
	return r;
}

struct mo_ctx *mo_ref(struct mo_ctx *ctx)
{
	if (ctx)
		ctx->refcount++;
	return ctx;
}

struct mo_ctx *mo_unref(struct mo_ctx *ctx)
{
	if (!ctx || --ctx->refcount > 0)
		return NULL;
	if (ctx->memory_fd >= 0)
		close(ctx->memory_fd);
	if (ctx->proc_fd >= 0)
		close(ctx->proc_fd);
	if (ctx->sys_fd >= 0)
		close(ctx->sys_fd);
	free(ctx->sys_dir);
	free(ctx->proc_dir);
	free(ctx->run_dir);
	free(ctx->root_dir);
	free(ctx);
	return NULL;
}

const char *mo_sys_dir(const struct mo_ctx *ctx)
{
	return ctx->sys_dir;
}

const char *mo_proc_dir(const struct mo_ctx *ctx)
{
	return ctx->proc_dir;
}

const char *mo_run_dir(const struct mo_ctx *ctx)
{
	return ctx->run_dir;
}

int mo_run_open(struct mo_ctx *ctx, bool create)
{
	int root, run, fd, e;

	root = mo_open_root(ctx);
	if (root < 0)
		return -errno;
	/* In the root: a tree's run -> /run link must not lead writes to the host's. */
	if (create && mkdirat(root, "run", 0755) < 0 && errno != EEXIST) {
		e = -errno;
		close(root);
		return e;
	}
	run = mo_open_in_root(root, "run", O_RDONLY | O_DIRECTORY);
	e = -errno;
	close(root);
	if (run < 0)
		return e;
	if (create && mkdirat(run, MO_RUN_SUBDIR, 0755) < 0 && errno != EEXIST) {
		e = -errno;
		close(run);
		return e;
	}
	fd = mo_open_beneath(run, MO_RUN_SUBDIR, O_RDONLY | O_DIRECTORY);
	e = -errno;
	close(run);
	return fd >= 0 ? fd : e;
}

const char *mo_root_dir(const struct mo_ctx *ctx)
{
	return ctx->root_dir;
}

int mo_open_root(const struct mo_ctx *ctx)
{
	return open(ctx->root_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

void mo_root_path(const struct mo_ctx *ctx, const char *dir, const char *name, char *buf,
		  size_t size)
{
	const char *root = ctx->root_dir;

	snprintf(buf, size, "%s%s%s%s%s", root, root[strlen(root) - 1] == '/' ? "" : "/", dir,
		 name ? "/" : "", name ? name : "");
}

void mo_refused_note(struct mo_refused *r, const struct mo_ctx *ctx, int err, const char *dir,
		     const char *name)
{
	/*
	 * The running system's root has no outside: what it leaves unfollowed
	 * (a magic link) is no tree answering for the host.
	 */
	if (!r || (err != ELOOP && err != EXDEV) || mo_is_live(ctx))
		return;
	if (r->n < ARRAY_SIZE(r->path))
		mo_root_path(ctx, dir, name, r->path[r->n], sizeof(r->path[r->n]));
	r->n++;
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

bool mo_is_live(const struct mo_ctx *ctx)
{
	return strcmp(ctx->root_dir, "/") == 0;
}

bool mo_sys_read_only(const struct mo_ctx *ctx)
{
	return ctx->sys_ro;
}

int mo_sys_fd(const struct mo_ctx *ctx)
{
	return ctx->sys_fd;
}

int mo_proc_fd(const struct mo_ctx *ctx)
{
	return ctx->proc_fd;
}

bool mo_numa(struct mo_ctx *ctx)
{
	struct dirent *de;
	DIR *d;
	int node;

	if (ctx->numa >= 0)
		return ctx->numa;
	ctx->numa = 0;
	d = mo_opendir_beneath(ctx->sys_fd, MO_NODE_DIR);
	if (!d)
		return false;
	while ((de = readdir(d)))
		if (mo_parse_node_name(de->d_name, &node) == 0)
			ctx->numa = 1;
	closedir(d);
	return ctx->numa;
}

int mo_memory_fd(const struct mo_ctx *ctx)
{
	struct mo_ctx *c = (struct mo_ctx *)ctx; /* opened on first use */

	if (c->memory_fd < 0)
		c->memory_fd = mo_open_beneath(c->sys_fd, MO_MEMORY_DIR, O_RDONLY | O_DIRECTORY);
	return c->memory_fd >= 0 ? c->memory_fd : -errno;
}

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

int mo_protect_from_oom(struct mo_ctx *ctx)
{
	char path[32];

	/* PID/, not self/: a symlink, and a process sees only its own. */
	snprintf(path, sizeof(path), "%d/oom_score_adj", (int)getpid());
	return mo_write_attr(ctx->proc_fd, path, "-1000");
}
