// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Where a block's memory came from.  The kernel does not say so directly:
 * - /proc/iomem names the resources of virtio-mem ("System RAM (virtio_mem)")
 *   and dax kmem ("System RAM (kmem)") at any depth;
 * - an ACPI memory device links its blocks to itself (memoryN/firmware_node,
 *   drivers/acpi/acpi_memhotplug.c);
 * the same marks give the kernel's memory groups: the blocks of one DIMM
 * share its firmware_node, those of one virtio-mem or dax device share the
 * device's resource, the parent of their "System RAM (...)" ones;
 * - the Xen balloon and Hyper-V add plain "System RAM": the hypervisor tells
 *   them apart, but only while the block is offline; once online it looks
 *   like boot memory, so memonline writes down the source of each block it
 *   onlines, in RUN/memonline/source/memoryN (tmpfs: gone at reboot, when
 *   all memory is boot memory again), and an online block keeps it;
 * - on s390 the offline blocks at boot are standby storage, which the
 *   firmware reports and the admin configures with chmem; s390 shows in
 *   /proc/sysinfo and /sys/bus/ccw, and kernels before 5.13 also in
 *   memoryN/phys_device, the storage increment, which is 0 elsewhere.  Such a block that is online cannot be told from boot memory,
 *   so it reads "boot"; an offline one is the hypervisor's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* Enough for any real /proc/iomem; a larger file is not procfs. */
#define IOMEM_MAX (4u << 20)

static const struct {
	const char *name;
	enum mo_source source;
} iomem_names[] = {
	{ "System RAM (virtio_mem)", MO_SOURCE_VIRTIO_MEM },
	{ "System RAM (kmem)", MO_SOURCE_KMEM },
};

/* Nesting is two spaces a level (kernel/resource.c, r_show()). */
#define IOMEM_DEPTH 8

int mo_iomem_parse(const char *text, struct mo_iomem *io)
{
	uint64_t parents[IOMEM_DEPTH] = { 0 };
	const char *line = text;

	io->n = 0;
	while (line && *line) {
		const char *end = strchr(line, '\n');
		const char *sep = strstr(line, " : ");
		unsigned long long start, last;
		size_t depth;
		char *p;

		if (!end)
			end = line + strlen(line);
		if (sep && sep < end) {
			const char *name = sep + 3;
			size_t len = end - name;

			for (depth = 0; *line == ' '; line++)
				depth++;
			depth /= 2;
			errno = 0;
			start = strtoull(line, &p, 16);
			if (errno || p == line || *p != '-')
				return -EINVAL;
			last = strtoull(p + 1, &p, 16);
			if (errno || p == line || p != sep || last < start)
				return -EINVAL;
			if (depth < IOMEM_DEPTH)
				parents[depth] = start;
			/* Without CAP_SYS_ADMIN every address reads 0: no information. */
			for (size_t i = 0; last && i < ARRAY_SIZE(iomem_names); i++) {
				if (strlen(iomem_names[i].name) != len ||
				    strncmp(iomem_names[i].name, name, len) != 0)
					continue;
				if (io->n == ARRAY_SIZE(io->ranges))
					return -E2BIG;
				io->ranges[io->n++] = (struct mo_iomem_range){
					.start = start, .last = last,
					.source = iomem_names[i].source,
					.device = (depth && depth <= IOMEM_DEPTH
							   ? parents[depth - 1] : start) + 1,
				};
			}
		} else if (end != line) {
			return -EINVAL;
		}
		line = *end ? end + 1 : NULL;
	}
	return 0;
}

static int load_iomem(struct mo_ctx *ctx, struct mo_iomem *io)
{
	char *text;
	int r;

	io->n = 0;
	if (mo_proc_fd(ctx) < 0)
		return -ENOENT;
	r = mo_read_all(mo_proc_fd(ctx), "iomem", IOMEM_MAX, &text, NULL);
	if (r < 0)
		return r;
	r = mo_iomem_parse(text, io);
	free(text);
	return r;
}

enum hypervisor { HV_NONE, HV_XEN, HV_HYPERV, HV_S390 };

static enum hypervisor detect_hypervisor(struct mo_ctx *ctx)
{
	char buf[MO_VALUE_MAX];

	if (faccessat(mo_sys_fd(ctx), "bus/ccw", F_OK, 0) == 0 ||
	    (mo_proc_fd(ctx) >= 0 && faccessat(mo_proc_fd(ctx), "sysinfo", F_OK, 0) == 0))
		return HV_S390;

	/* The directory can exist, empty, on any machine. */
	if (mo_read_attr(mo_sys_fd(ctx), "hypervisor/type", buf, sizeof(buf)) >= 0 &&
	    strcmp(buf, "xen") == 0)
		return HV_XEN;
	if (faccessat(mo_sys_fd(ctx), "bus/vmbus", F_OK, 0) == 0)
		return HV_HYPERV;
	return HV_NONE;
}

#define SOURCE_RECORDS "source"

/* The records' directory below RUN/memonline, or -1 when there is none. */
static int open_records(struct mo_ctx *ctx, bool create)
{
	int run, fd;

	run = mo_run_open(ctx, create);
	if (run < 0) {
		errno = -run;
		return -1;
	}
	if (create)
		(void)mkdirat(run, SOURCE_RECORDS, 0755);
	fd = mo_open_beneath(run, SOURCE_RECORDS, O_RDONLY | O_DIRECTORY);
	close(run);
	return fd;
}

int mo_source_remember(struct mo_ctx *ctx, const struct mo_block *b)
{
	char name[MO_BLOCK_PATH_MAX], text[32];
	int dir, fd, r = 0;
	ssize_t len;

	if (b->source == MO_SOURCE_BOOT)
		return 0;
	dir = open_records(ctx, true);
	if (dir < 0)
		return -errno;
	mo_block_path(name, b->id, NULL);
	len = snprintf(text, sizeof(text), "%s\n", mo_source_name(b->source));
	/* One name in a directory opened beneath RUN: never a link out of it. */
	fd = openat(dir, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, len) != len)
		r = -errno;
	if (fd >= 0 && close(fd) < 0 && !r)
		r = -errno;
	close(dir);
	return r;
}

/*
 * The records' directory, read once: most online blocks have no record (boot
 * memory), and a failed open per block would cost a scan a syscall each.
 */
struct records {
	DIR *dir;
	size_t n;
	unsigned long *ids; /* sorted */
};

static void records_read(struct mo_ctx *ctx, struct records *rec)
{
	int fd = open_records(ctx, false);
	size_t cap = 0;
	struct dirent *de;

	*rec = (struct records){ 0 };
	if (fd < 0)
		return;
	rec->dir = fdopendir(fd);
	if (!rec->dir) {
		close(fd);
		return;
	}
	while ((de = readdir(rec->dir))) {
		unsigned long id;

		if (mo_parse_block_name(de->d_name, &id) < 0)
			continue;
		if (rec->n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			unsigned long *ids = realloc(rec->ids, ncap * sizeof(*ids));

			if (!ids)
				break; /* the records not listed read as boot memory */
			rec->ids = ids;
			cap = ncap;
		}
		rec->ids[rec->n++] = id;
	}
	if (rec->n > 1)
		qsort(rec->ids, rec->n, sizeof(*rec->ids), mo_cmp_id);
}

static void records_free(struct records *rec)
{
	if (rec->dir)
		closedir(rec->dir);
	free(rec->ids);
}

static enum mo_source remembered(const struct records *rec, const struct mo_block *b)
{
	char name[MO_BLOCK_PATH_MAX], buf[32];
	int s;

	if (!rec->n || !bsearch(&b->id, rec->ids, rec->n, sizeof(*rec->ids), mo_cmp_id))
		return MO_SOURCE_BOOT;
	mo_block_path(name, b->id, NULL);
	if (mo_read_attr(dirfd(rec->dir), name, buf, sizeof(buf)) <= 0)
		return MO_SOURCE_BOOT;
	s = mo_source_from_name(buf);
	return s < 0 ? MO_SOURCE_BOOT : s;
}

/* FNV-1a: the group of a DIMM is the ACPI device its firmware_node names. */
static uint64_t hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	return h | 1;
}

/* What classifying blocks takes, read once for all of them. */
struct sources {
	int memfd;
	enum hypervisor hv;
	bool links;   /* a block may have a firmware_node: read each one's */
	bool offline; /* offline blocks' sources too, not only their groups */
	struct records rec;
	struct mo_iomem io;
};

static enum mo_source classify(const struct sources *src, uint64_t block_size,
			       struct mo_block *b)
{
	uint64_t start = (uint64_t)b->id * block_size, last = start + block_size - 1;
	char path[MO_BLOCK_PATH_MAX], link[PATH_MAX];
	ssize_t n;

	b->group = MO_GROUP_NONE;
	b->group_id = 0;
	for (size_t i = 0; i < src->io.n; i++) {
		const struct mo_iomem_range *r = &src->io.ranges[i];

		if (r->start > last || r->last < start)
			continue;
		/* dax kmem registers a static group, virtio-mem a dynamic one. */
		b->group = r->source == MO_SOURCE_KMEM ? MO_GROUP_STATIC : MO_GROUP_DYNAMIC;
		b->group_id = r->device;
		return r->source;
	}
	n = src->links ? readlinkat(src->memfd, mo_block_path(path, b->id, "firmware_node"),
				    link, sizeof(link)) : -1;
	if (n >= 0) {
		b->group = MO_GROUP_STATIC;
		b->group_id = hash(link, n);
		return MO_SOURCE_DIMM;
	}
	if (b->state == MO_STATE_ONLINE)
		return remembered(&src->rec, b);
	if (!src->offline)
		return MO_SOURCE_UNKNOWN;
	mo_block_path(path, b->id, "phys_device");
	if (src->hv == HV_S390 || (mo_read_attr(src->memfd, path, link, sizeof(link)) > 0 &&
				   strcmp(link, "0") != 0))
		return MO_SOURCE_STANDBY;
	switch (src->hv) {
	case HV_XEN:
		return MO_SOURCE_XEN;
	case HV_HYPERV:
		return MO_SOURCE_HYPERV;
	default:
		return MO_SOURCE_UNKNOWN;
	}
}

/*
 * The ACPI memory hotplug handler adds a DIMM's blocks (their add events go
 * out, then the node links) and only then binds them to the device: the
 * firmware_node links, and the device's physical_nodeN links, come last
 * (drivers/acpi/acpi_memhotplug.c, acpi_memory_enable_device()).  Until
 * then a DIMM's block cannot be told from memory without a group.  True
 * while a present memory device has nothing bound.
 */
#define ACPI_DEVICES "bus/acpi/devices"
#define ACPI_MEMORY_HID "PNP0C80:"

/*
 * The memory devices on the ACPI bus, walked once: -ENOENT without one (no
 * ACPI, or a tree captured without it), else whether any is present (only a
 * present device binds blocks, so only then can a block have a
 * firmware_node), and whether a present one has bound nothing yet.
 */
static int acpi_memory_devices(struct mo_ctx *ctx, bool *present, bool *binding)
{
	DIR *d = mo_opendir_beneath(mo_sys_fd(ctx), ACPI_DEVICES);
	struct dirent *de;

	*present = *binding = false;
	if (!d)
		return -ENOENT;
	while (!*binding && (de = readdir(d))) {
		char path[NAME_MAX + 32], buf[MO_VALUE_MAX];
		uint64_t sta;
		int r;

		if (strncmp(de->d_name, ACPI_MEMORY_HID, strlen(ACPI_MEMORY_HID)) != 0)
			continue;
		/*
		 * _STA bit 0: present (ACPI 6.4, 6.3.7); an empty slot reads 0.
		 * A device without _STA has no status file, and is present.
		 * From the sysfs root: the entries are links to devices/.
		 */
		snprintf(path, sizeof(path), ACPI_DEVICES "/%s/status", de->d_name);
		r = mo_read_attr(mo_sys_fd(ctx), path, buf, sizeof(buf));
		if (r < 0 || mo_parse_u64(buf, 10, &sta) < 0) {
			*present = true;
			continue;
		}
		if (!(sta & 1))
			continue;
		*present = true;
		snprintf(path, sizeof(path), ACPI_DEVICES "/%s/physical_node", de->d_name);
		*binding = faccessat(mo_sys_fd(ctx), path, F_OK, AT_SYMLINK_NOFOLLOW) < 0;
	}
	closedir(d);
	return 0;
}

bool mo_acpi_memory_binding(struct mo_ctx *ctx)
{
	bool present, binding;

	return acpi_memory_devices(ctx, &present, &binding) == 0 && binding;
}

bool mo_block_has_firmware_node(struct mo_ctx *ctx, unsigned long id)
{
	char path[MO_BLOCK_PATH_MAX], link[8];

	mo_block_path(path, id, "firmware_node");
	return readlinkat(mo_memory_fd(ctx), path, link, sizeof(link)) >= 0;
}

/* One walk of the ACPI bus costs as much as a few blocks' links: worth it for a scan. */
#define ACPI_WALK_BLOCKS 16

void mo_classify_sources(struct mo_ctx *ctx, struct mo_memory *mem, bool offline)
{
	struct sources *src = calloc(1, sizeof(*src));
	bool present, binding;

	if (!src)
		return;
	src->memfd = mo_memory_fd(ctx);
	if (src->memfd < 0) {
		free(src);
		return;
	}
	src->offline = offline;
	src->hv = offline ? detect_hypervisor(ctx) : HV_NONE;
	/* Unreadable iomem (no procfs): fall back to links and the hypervisor. */
	if (load_iomem(ctx, &src->io) < 0)
		src->io.n = 0;
	src->links = mem->n_blocks < ACPI_WALK_BLOCKS ||
		     acpi_memory_devices(ctx, &present, &binding) < 0 || present;
	records_read(ctx, &src->rec);
	for (size_t i = 0; i < mem->n_blocks; i++)
		mem->blocks[i].source = classify(src, mem->block_size, &mem->blocks[i]);
	records_free(&src->rec);
	free(src);
}

void mo_block_read_source(struct mo_ctx *ctx, uint64_t block_size, struct mo_block *b)
{
	mo_blocks_read_source(ctx, block_size, b, 1);
}

void mo_blocks_read_source(struct mo_ctx *ctx, uint64_t block_size, struct mo_block *blocks,
			   size_t n)
{
	struct mo_memory some = { .block_size = block_size, .n_blocks = n, .blocks = blocks };

	mo_classify_sources(ctx, &some, true);
}
