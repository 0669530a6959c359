// SPDX-License-Identifier: LGPL-2.1-or-later
/* The library context: where sysfs, procfs, the root and /run are. */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
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

int mo_protect_from_oom(struct mo_ctx *ctx)
{
	char path[32];

	/* PID/, not self/: a symlink, and a process sees only its own. */
	snprintf(path, sizeof(path), "%d/oom_score_adj", (int)getpid());
	return mo_write_attr(ctx->proc_fd, path, "-1000");
}
