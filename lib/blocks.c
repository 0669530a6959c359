// SPDX-License-Identifier: LGPL-2.1-or-later
/* Reading the memory-block model from sysfs. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

const char *mo_block_path(char path[MO_BLOCK_PATH_MAX], unsigned long id, const char *attr)
{
	char digits[24], *p = path + 6;
	size_t n = 0;

	memcpy(path, "memory", 6);
	do
		digits[n++] = '0' + id % 10;
	while ((id /= 10));
	while (n)
		*p++ = digits[--n];
	if (attr) {
		size_t len = strnlen(attr, path + MO_BLOCK_PATH_MAX - p - 2);

		*p++ = '/';
		memcpy(p, attr, len);
		p += len;
	}
	*p = '\0';
	return path;
}

static int read_block_attr(int memfd, unsigned long id, const char *attr, char *buf,
			   size_t size)
{
	char path[MO_BLOCK_PATH_MAX];

	mo_block_path(path, id, attr);
	return mo_read_attr(memfd, path, buf, size);
}

/*
 * settled: the kernel has linked the block to its node, or has no nodes.
 * Until then an offline block's valid_zones must not be read: Linux 6.1
 * computes it with nid -1 and dereferences NULL in zone_for_pfn_range()
 * (seen on Debian's 6.1.0 in the QEMU suite; drivers/base/memory.c sets
 * the nid only when it links the block, after the add event).
 */
/* Which zones a read wants, and what zoneinfo already says. */
struct zone_hint {
	int online_zone;    /* the one zone spanning the block if online, or -1 */
	bool offline_zones; /* an offline block's valid_zones, for a policy */
};
#define READ_ALL_ZONES ((struct zone_hint){ .online_zone = -1, .offline_zones = true })

static int read_block(int memfd, struct mo_block *b, bool settled, struct zone_hint hint)
{
	char buf[MO_VALUE_MAX];
	enum mo_state state;
	unsigned zones;
	int first, r;

	b->bad_attr = "state";
	r = read_block_attr(memfd, b->id, "state", buf, sizeof(buf));
	if (r < 0)
		return r;
	r = mo_parse_state(buf, &state);
	if (r < 0)
		return r;
	b->state = state;

	b->bad_attr = NULL;
	if (state == MO_STATE_OFFLINE && !settled)
		return -EAGAIN;
	if (state == MO_STATE_OFFLINE && !hint.offline_zones)
		return 0;
	/* What valid_zones would read: the one zone that spans the block. */
	if (state == MO_STATE_ONLINE && hint.online_zone >= 0) {
		b->have_zones = true;
		b->zones = MO_ZONE_BIT(hint.online_zone);
		b->zone = hint.online_zone;
		return 0;
	}
	b->bad_attr = "valid_zones";

	/* Without MEMORY_HOTREMOVE there is no valid_zones: that is normal. */
	r = read_block_attr(memfd, b->id, "valid_zones", buf, sizeof(buf));
	if (r == -ENOENT) {
		b->have_zones = false;
		b->zones = MO_ZONES_NONE;
		b->zone = -1;
		b->bad_attr = NULL;
		return 0;
	}
	if (r < 0)
		return r;
	r = mo_parse_valid_zones(buf, &zones, &first);
	if (r < 0)
		return r;
	b->have_zones = true;
	b->zones = zones;
	b->zone = first;
	b->bad_attr = NULL;
	return 0;
}

/*
 * Settled: linked to its node (read once: links do not go away while the
 * block lives), and not a DIMM's block waiting to be bound to its device,
 * which would be judged without its group (issue 15).
 */
static bool block_settled(struct mo_ctx *ctx, struct mo_block *b)
{
	if (b->node < 0 && mo_numa(ctx)) {
		int node = mo_block_read_node(ctx, b->id);

		if (node < 0)
			return false;
		b->node = node;
	}
	return mo_block_has_firmware_node(ctx, b->id) || !mo_acpi_memory_binding(ctx);
}

int mo_block_refresh(struct mo_ctx *ctx, struct mo_block *b)
{
	struct mo_block copy = *b;
	int memfd = mo_memory_fd(ctx);
	int r;

	if (memfd < 0)
		return memfd;
	r = read_block(memfd, &copy, block_settled(ctx, &copy), READ_ALL_ZONES);
	if (r < 0)
		return r;
	*b = copy;
	return 0;
}

int mo_block_check_settled(struct mo_ctx *ctx, struct mo_block *b)
{
	return block_settled(ctx, b) ? 0 : -EAGAIN;
}

int mo_read_auto_online(struct mo_ctx *ctx, enum mo_auto_online *ret)
{
	char buf[MO_VALUE_MAX];
	int memfd = mo_memory_fd(ctx);
	int r;

	if (memfd < 0)
		return memfd;
	r = mo_read_attr(memfd, "auto_online_blocks", buf, sizeof(buf));
	if (r < 0)
		return r;
	return mo_parse_auto_online(buf, ret);
}

static void read_params(struct mo_ctx *ctx, struct mo_hotplug_params *p)
{
	char path[128], buf[MO_VALUE_MAX];
	uint64_t v;

	memset(p, 0, sizeof(*p));
	p->auto_movable_ratio = p->auto_movable_numa_aware = -1;

#define PARAM(name) (snprintf(path, sizeof(path), MO_HOTPLUG_PARAMS_DIR "/%s", name), \
		     mo_read_attr(mo_sys_fd(ctx), path, buf, sizeof(buf)) >= 0)
	if (PARAM("online_policy") && strlen(buf) < sizeof(p->online_policy))
		strcpy(p->online_policy, buf);
	if (PARAM("auto_movable_ratio") && mo_parse_u64(buf, 10, &v) == 0 && v <= INT32_MAX)
		p->auto_movable_ratio = v;
	if (PARAM("auto_movable_numa_aware") && (buf[0] == 'Y' || buf[0] == 'N') && !buf[1])
		p->auto_movable_numa_aware = buf[0] == 'Y';
	if (PARAM("memmap_on_memory") && strlen(buf) < sizeof(p->memmap_on_memory))
		strcpy(p->memmap_on_memory, buf);
#undef PARAM
}

static int cmp_block(const void *a, const void *b)
{
	const struct mo_block *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

struct mo_block *mo_memory_find(const struct mo_memory *mem, unsigned long id)
{
	struct mo_block key = { .id = id };
	size_t i;

	if (!mem->n_blocks)
		return NULL;
	/* Blocks are mostly one run of ids: the block is where its id says. */
	i = id - mem->blocks[0].id;
	if (id >= mem->blocks[0].id && i < mem->n_blocks && mem->blocks[i].id == id)
		return &mem->blocks[i];
	return bsearch(&key, mem->blocks, mem->n_blocks, sizeof(key), cmp_block);
}

/*
 * Node links: one directory read per node (node/nodeY/memoryN) instead of
 * one per block.  Links are created after the block, so a new block may
 * have none yet.
 */
static void read_nodes(struct mo_ctx *ctx, struct mo_memory *mem)
{
	DIR *nodes = mo_opendir_beneath(mo_sys_fd(ctx), MO_NODE_DIR);
	struct dirent *de;

	if (!nodes)
		return;
	while ((de = readdir(nodes))) {
		struct dirent *me;
		int node;
		DIR *d;

		if (mo_parse_node_name(de->d_name, &node) < 0)
			continue;
		d = mo_opendir_beneath(dirfd(nodes), de->d_name);
		if (!d)
			continue;
		while ((me = readdir(d))) {
			unsigned long id;
			struct mo_block *b;

			if (mo_parse_block_name(me->d_name, &id) < 0)
				continue;
			b = mo_memory_find(mem, id);
			if (b)
				b->node = node;
		}
		closedir(d);
	}
	closedir(nodes);
}

/*
 * Called for every add event by the watch daemon: getdents64 into a stack
 * buffer instead of opendir(), which would malloc its own per call.
 */
int mo_block_read_node(struct mo_ctx *ctx, unsigned long id)
{
	int memfd = mo_memory_fd(ctx);
	char path[MO_BLOCK_PATH_MAX], buf[2048] __attribute__((aligned(8)));
	int fd, node = -ENOENT;
	ssize_t n = 0;

	if (memfd < 0)
		return memfd;
	mo_block_path(path, id, NULL);
	fd = mo_open_beneath(memfd, path, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return -errno;
	while (node < 0 && (n = getdents64(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *de = (struct dirent64 *)(buf + off);

			off += de->d_reclen;
			if (mo_parse_node_name(de->d_name, &node) == 0)
				break;
		}
	}
	if (node == -ENOENT && n < 0)
		node = -errno;
	close(fd);
	return node;
}

void mo_memory_read_nodes(struct mo_ctx *ctx, struct mo_memory *mem)
{
	for (size_t i = 0; i < mem->n_blocks; i++)
		if (mem->blocks[i].node >= 0)
			return;
	for (size_t i = 0; i < mem->n_blocks; i++) {
		int node = mo_block_read_node(ctx, mem->blocks[i].id);

		mem->blocks[i].node = node >= 0 ? node : -1;
	}
}

int mo_block_read_removable(struct mo_ctx *ctx, unsigned long id)
{
	char path[MO_BLOCK_PATH_MAX], buf[16];
	uint64_t v;
	ssize_t r;

	mo_block_path(path, id, "removable");
	r = mo_read_attr(mo_memory_fd(ctx), path, buf, sizeof(buf));
	if (r < 0)
		return r;
	if (mo_parse_u64(buf, 10, &v) < 0)
		return -EINVAL;
	return v == 1;
}

int mo_block_read_ino(struct mo_ctx *ctx, unsigned long id, uint64_t *ret)
{
	int memfd = mo_memory_fd(ctx);
	char path[MO_BLOCK_PATH_MAX];
	struct stat st;

	if (memfd < 0)
		return memfd;
	mo_block_path(path, id, NULL);
	/* The directory's own inode: a tree's link must not stat the host's. */
	if (fstatat(memfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	*ret = st.st_ino;
	return 0;
}

static int read_block_size(int memfd, uint64_t *ret)
{
	char buf[MO_VALUE_MAX];
	int r = mo_read_attr(memfd, "block_size_bytes", buf, sizeof(buf));

	if (r < 0)
		return r;
	return mo_parse_block_size(buf, ret);
}

int mo_cmp_id(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return (x > y) - (x < y);
}

/*
 * ids in order, as blocks: a directory lists them in hash order.  Block ids
 * are mostly one run, so a bitmap of them sorts in one pass, where qsort
 * cost a scan more than its reads did; ids spread thin are qsorted.
 */
static struct mo_block *blocks_of(unsigned long *ids, size_t *n, unsigned long max)
{
	struct mo_block *blocks = malloc((*n ? *n : 1) * sizeof(*blocks));
	uint64_t *bits = max / 64 < 4 * *n + 64 ? calloc(max / 64 + 1, sizeof(*bits)) : NULL;
	size_t k = 0;

	if (!blocks) {
		free(bits);
		return NULL;
	}
	if (bits) {
		/* A directory read while it changes may repeat a name: one block. */
		for (size_t i = 0; i < *n; i++)
			bits[ids[i] / 64] |= 1ull << (ids[i] % 64);
		for (unsigned long w = 0; w <= max / 64; w++)
			for (uint64_t m = bits[w]; m; m &= m - 1)
				ids[k++] = w * 64 + __builtin_ctzll(m);
		free(bits);
	} else {
		if (*n > 1) /* qsort takes no NULL, even for nothing */
			qsort(ids, *n, sizeof(*ids), mo_cmp_id);
		k = *n;
	}
	for (size_t i = 0; i < k; i++)
		blocks[i] = (struct mo_block){ .id = ids[i], .node = -1, .zone = -1 };
	*n = k;
	return blocks;
}

static int list_blocks(int memfd, struct mo_block **ret, size_t *ret_n)
{
	unsigned long *ids = NULL, max = 0;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d = mo_opendir_beneath(memfd, ".");

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		unsigned long id;

		/* Skips memory_failure-like names, memory../ and memory1x alike. */
		if (mo_parse_block_name(de->d_name, &id) < 0)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			unsigned long *ni = realloc(ids, ncap * sizeof(*ni));

			if (!ni) {
				free(ids);
				closedir(d);
				return -ENOMEM;
			}
			ids = ni;
			cap = ncap;
		}
		ids[n++] = id;
		max = id > max ? id : max;
	}
	closedir(d);
	*ret = blocks_of(ids, &n, max);
	free(ids);
	if (!*ret)
		return -ENOMEM;
	*ret_n = n;
	return 0;
}

/* What a scan reads besides the blocks: block size and the kernel's settings. */
static int read_settings(struct mo_ctx *ctx, int memfd, struct mo_memory *mem)
{
	int r = read_block_size(memfd, &mem->block_size);

	if (r < 0)
		return r;
	if (mo_read_auto_online(ctx, &mem->auto_online) < 0)
		mem->auto_online = MO_AUTO_UNKNOWN;
	read_params(ctx, &mem->params);
	return 0;
}

/*
 * Read one block for a scan: -ENOENT when it was removed meanwhile (it is
 * simply gone), else 0 with the block kept.  One unreadable block does not
 * hide the others: it is kept, marked with its error.
 */
static int read_block_kept(int memfd, struct mo_block *b, bool settled,
			   struct zone_hint hint)
{
	int r = read_block(memfd, b, settled, hint);

	if (r == -ENOENT && b->state == MO_STATE_UNKNOWN)
		return r;
	if (r < 0 && r != -EAGAIN)
		b->state = MO_STATE_UNKNOWN;
	if (r < 0)
		b->error = r;
	return 0;
}

/*
 * The zone of an online block as valid_zones would show it, from zoneinfo's
 * spans: -1 when the node is not known yet or zones overlap there.
 */
static int span_zone(const struct mo_zone_spans *spans, const struct mo_memory *mem,
		     const struct mo_block *b, bool numa, uint64_t page_size)
{
	uint64_t pages = mem->block_size / page_size;
	int node = numa ? b->node : 0;

	if (!spans->n || node < 0 || !pages)
		return -1;
	return mo_zone_spans_zone(spans, node, (uint64_t)b->id * pages, pages);
}

int mo_memory_scan(struct mo_ctx *ctx, unsigned flags, struct mo_memory **ret)
{
	struct mo_memory *mem;
	struct mo_zone_spans spans = { 0 };
	int memfd = mo_memory_fd(ctx);
	long page_size = sysconf(_SC_PAGESIZE);
	bool numa, binding, zones_file = false;
	size_t kept = 0;
	int r;

	if (memfd < 0)
		return memfd == -ENOENT ? -ENODEV : memfd;
	mem = calloc(1, sizeof(*mem));
	if (!mem)
		return -ENOMEM;

	r = read_settings(ctx, memfd, mem);
	if (r < 0)
		goto fail;

	r = list_blocks(memfd, &mem->blocks, &mem->n_blocks);
	if (r < 0)
		goto fail;
	/* Nodes first: they tell which offline blocks are safe to read whole. */
	read_nodes(ctx, mem);
	numa = mo_numa(ctx);
	binding = mo_acpi_memory_binding(ctx);
	/* Without zoneinfo (most fixture trees), every block's valid_zones. */
	if (page_size <= 0 || mo_zone_spans_read(ctx, &spans, &mem->zoneinfo) < 0)
		spans.n = 0;
	for (size_t i = 0; i < mem->n_blocks; i++) {
		struct mo_block *b = &mem->blocks[i];
		/*
		 * Zones from spans only once one valid_zones was read: a kernel
		 * without it (no MEMORY_HOTREMOVE) shows no zones at all.
		 */
		struct zone_hint hint = {
			.online_zone = zones_file ? span_zone(&spans, mem, b, numa, page_size) : -1,
			.offline_zones = !(flags & MO_SCAN_ONLINE_ZONES),
		};
		bool settled = (!numa || b->node >= 0) &&
			       (!binding || mo_block_has_firmware_node(ctx, b->id));

		if (read_block_kept(memfd, b, settled, hint) < 0)
			continue;
		zones_file |= b->have_zones;
		mem->blocks[kept++] = *b;
	}
	mem->n_blocks = kept;
	mo_zone_spans_free(&spans);

	if (flags & MO_SCAN_SOURCE)
		mo_classify_sources(ctx, mem, !(flags & MO_SCAN_ONLINE_SOURCE));
	*ret = mem;
	return 0;
fail:
	mo_memory_free(mem);
	return r;
}

int mo_memory_read_one(struct mo_ctx *ctx, unsigned long id, struct mo_memory **ret)
{
	struct mo_memory *mem;
	struct mo_block *b;
	int memfd = mo_memory_fd(ctx);
	int r;

	if (memfd < 0)
		return memfd == -ENOENT ? -ENODEV : memfd;
	mem = calloc(1, sizeof(*mem));
	if (mem)
		mem->blocks = calloc(1, sizeof(*mem->blocks));
	if (!mem || !mem->blocks) {
		mo_memory_free(mem);
		return -ENOMEM;
	}
	r = read_settings(ctx, memfd, mem);
	if (r < 0)
		goto fail;

	mem->n_blocks = 1;
	b = &mem->blocks[0];
	*b = (struct mo_block){ .id = id, .node = -1, .zone = -1 };
	/* As the scan does: node first, then what is safe to read. */
	r = read_block_kept(memfd, b, block_settled(ctx, b), READ_ALL_ZONES);
	if (r < 0)
		goto fail;
	mo_classify_sources(ctx, mem, true);
	*ret = mem;
	return 0;
fail:
	mo_memory_free(mem);
	return r;
}

void mo_memory_free(struct mo_memory *mem)
{
	if (!mem)
		return;
	free(mem->blocks);
	free(mem->zoneinfo);
	free(mem);
}
