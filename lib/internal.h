/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MEMONLINE_INTERNAL_H
#define MEMONLINE_INTERNAL_H

#include <dirent.h>
#include <stdint.h>
#include <sys/types.h>

#include "dlopen.h"
#include "memonline.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Relative to the sysfs root: the one place these paths are spelled. */
#define MO_MEMORY_DIR "devices/system/memory"
#define MO_NODE_DIR "devices/system/node"
#define MO_HOTPLUG_PARAMS_DIR "module/memory_hotplug/parameters"

/* Longest value memonline reads from one sysfs attribute. */
#define MO_VALUE_MAX 256

/*
 * One message of the kernel's uevent group: 1 with *ev set for a memory
 * block's event, 0 for another subsystem's or an action that does not
 * matter, -EBADMSG for a message that is not a uevent.
 */
int mo_parse_kernel_uevent(const char *msg, size_t len, struct mo_event *ev);

/* Directory file descriptors of the two trees, opened by mo_new(). */
int mo_sys_fd(const struct mo_ctx *ctx);
int mo_proc_fd(const struct mo_ctx *ctx);
int mo_memory_fd(const struct mo_ctx *ctx);
/* The kernel has NUMA nodes in sysfs (devices/system/node/nodeN). */
bool mo_numa(struct mo_ctx *ctx);

/* memonline's directory below mo_run_dir(), where its runtime files live. */
#define MO_RUN_SUBDIR "memonline"
/*
 * RUN/memonline, RUN opened in the root and memonline beneath RUN; with
 * create, RUN and it are made first when missing (a captured tree may have
 * no run/: it is memonline's to make, as /run is).  -errno.
 */
int mo_run_open(struct mo_ctx *ctx, bool create);

/* mo_root_dir(), opened O_PATH: -1 and errno on failure. */
int mo_open_root(const struct mo_ctx *ctx);
/* DIR/NAME below the root (NAME may be NULL), for a message: ROOT/DIR/NAME. */
void mo_root_path(const struct mo_ctx *ctx, const char *dir, const char *name, char *buf,
		  size_t size);
/*
 * Note DIR/NAME (NAME may be NULL) below a sysroot in r (which may be NULL)
 * when err, the errno of mo_open_in_root(), says a link was not followed.
 */
void mo_refused_note(struct mo_refused *r, const struct mo_ctx *ctx, int err, const char *dir,
		     const char *name);
/* A symlink to /dev/null: systemd's and udev's way to mask a file. */
bool mo_is_mask(int dirfd, const char *path);

/*
 * openat that never resolves outside dirfd: relative links that stay beneath
 * it are followed (sysfs's own), and -1 and errno EXDEV for any that would
 * leave, an absolute link or path, or ".." above dirfd; with openat2 or not.
 */
int mo_open_beneath(int dirfd, const char *path, int flags);
/*
 * openat resolving path as if rootfd were "/", for the files of a root
 * filesystem (etc/, usr/lib/, run/): absolute links and ".." stay below it.
 * -1 and errno: ELOOP for a magic link (procfs) or a loop, EXDEV for any
 * link below a root other than the process's own where openat2 is missing.
 */
int mo_open_in_root(int rootfd, const char *path, int flags);
/* Whether path exists beneath dirfd, as faccessat(F_OK) would say: 0 or -errno. */
int mo_access_beneath(int dirfd, const char *path);
/* The same for a directory to read: NULL and errno on failure. */
DIR *mo_opendir_beneath(int dirfd, const char *path);
/*
 * "memoryN", or "memoryN/attr" (attr shorter than 32): what snprintf would
 * write, for a fraction of its cost, which a scan pays per block and file.
 */
#define MO_BLOCK_PATH_MAX 64
const char *mo_block_path(char path[MO_BLOCK_PATH_MAX], unsigned long id, const char *attr);
/* qsort's and bsearch's order of block ids (unsigned long). */
int mo_cmp_id(const void *a, const void *b);
/* "node3" -> 3: the name of a NUMA node directory or a block's node link. */
int mo_parse_node_name(const char *name, int *ret);
/*
 * Read one attribute below dirfd into buf, without the trailing newline.
 * Returns its length, or -errno; -EFBIG when it does not fit in buf.
 */
ssize_t mo_read_attr(int dirfd, const char *path, char *buf, size_t size);
/* Read a whole (small) file, NUL-terminated, into a malloc'ed buffer. */
int mo_read_all(int dirfd, const char *path, size_t max, char **ret, size_t *len);
/* The same from an open file, left open. */
int mo_read_fd(int fd, size_t max, char **ret, size_t *len);
/* Write value to an attribute, as one write(2) like echo does. */
int mo_write_attr(int dirfd, const char *path, const char *value);

/* Trim one trailing newline (sysfs values end in one). */
void mo_chomp(char *s, size_t *len);

/* The iomem resources that name a block's source. */
struct mo_iomem_range {
	uint64_t start, last;
	enum mo_source source;
	uint64_t device; /* the device's resource that holds it: start + 1 */
};
struct mo_iomem {
	size_t n;
	struct mo_iomem_range ranges[512];
};
int mo_iomem_parse(const char *text, struct mo_iomem *io);
/* offline: offline blocks' sources too (else only their groups, the source unknown). */
void mo_classify_sources(struct mo_ctx *ctx, struct mo_memory *mem, bool offline);
/* A present ACPI memory device (a DIMM) has not bound its blocks yet. */
bool mo_acpi_memory_binding(struct mo_ctx *ctx);
bool mo_block_has_firmware_node(struct mo_ctx *ctx, unsigned long id);

#endif
