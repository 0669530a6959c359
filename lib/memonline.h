/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmemonline: the memory-block model, the zone policy and the act of
 * onlining, for tools that bring hot-added memory online.
 *
 * Every function returns 0 (or a count) on success and a negative errno on
 * failure; nothing here prints or exits.  Output parameters are written only
 * on success.
 */
#ifndef MEMONLINE_H
#define MEMONLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct mo_ctx;

/*
 * sysroot: the directory that holds sys/ and proc/ (a captured tree), or
 * NULL for the running system: /sys and /proc when sysfs and procfs are
 * mounted there, else where libmount finds them in /proc/self/mountinfo.
 * -ENODEV: no sysfs mounted; -ENOPKG: not at /sys and libmount not loadable.
 */
int mo_new(const char *sysroot, struct mo_ctx **ret);
struct mo_ctx *mo_ref(struct mo_ctx *ctx);
struct mo_ctx *mo_unref(struct mo_ctx *ctx);

/* Where sysfs and procfs are read from, e.g. "/sys" or "DIR/sys". */
const char *mo_sys_dir(const struct mo_ctx *ctx);
const char *mo_proc_dir(const struct mo_ctx *ctx);
/* Where runtime state lives: "/run", or "DIR/run" below a sysroot. */
const char *mo_run_dir(const struct mo_ctx *ctx);
/*
 * The root of files outside sysfs and procfs (etc/udev/rules.d, systemd
 * units): "/", or the sysroot, which then holds them as a chroot would.
 */
const char *mo_root_dir(const struct mo_ctx *ctx);
/* The running system, not a captured tree. */
bool mo_is_live(const struct mo_ctx *ctx);
/* The running system's sysfs is mounted read-only (containers). */
bool mo_sys_read_only(const struct mo_ctx *ctx);

/* ---- Kernel words ---------------------------------------------------- */

enum mo_state {
	MO_STATE_UNKNOWN,
	MO_STATE_ONLINE,
	MO_STATE_OFFLINE,
	MO_STATE_GOING_OFFLINE,
};

enum mo_zone {
	MO_ZONE_DMA,
	MO_ZONE_DMA32,
	MO_ZONE_NORMAL,
	MO_ZONE_HIGHMEM,
	MO_ZONE_MOVABLE,
	MO_ZONE_DEVICE,
	MO_ZONE__MAX,
};
#define MO_ZONE_BIT(z) (1u << (z))
/* valid_zones of an online block that spans zones or nodes reads "none". */
#define MO_ZONES_NONE 0u

/* What is written to a block's state file. */
enum mo_online_type {
	MO_ONLINE_DEFAULT, /* "online": the kernel chooses the zone */
	MO_ONLINE_KERNEL,  /* "online_kernel" */
	MO_ONLINE_MOVABLE, /* "online_movable" */
	MO_OFFLINE,        /* "offline" */
	MO_ONLINE_TYPE__MAX,
};

/* kernel auto_online_blocks: who onlines new blocks. */
enum mo_auto_online {
	MO_AUTO_UNKNOWN, /* file missing or unreadable */
	MO_AUTO_OFFLINE,
	MO_AUTO_ONLINE,
	MO_AUTO_ONLINE_KERNEL,
	MO_AUTO_ONLINE_MOVABLE,
};

enum mo_source {
	MO_SOURCE_UNKNOWN,
	MO_SOURCE_BOOT,
	MO_SOURCE_VIRTIO_MEM,
	MO_SOURCE_DIMM,
	MO_SOURCE_XEN,
	MO_SOURCE_HYPERV,
	MO_SOURCE_KMEM,
	MO_SOURCE_STANDBY, /* s390 standby storage: the firmware's, not hot-added */
	MO_SOURCE__MAX,
};

const char *mo_state_name(enum mo_state s);
const char *mo_zone_name(enum mo_zone z);
const char *mo_online_type_word(enum mo_online_type t);
const char *mo_auto_online_name(enum mo_auto_online a);
const char *mo_source_name(enum mo_source s);
int mo_source_from_name(const char *name); /* enum mo_source or -EINVAL */

/* ---- Parsers of kernel files (pure; exposed for tests and fuzzing) --- */

int mo_parse_state(const char *s, enum mo_state *ret);
/* Zones as a bit mask; *first gets the first listed zone or -1 for "none". */
int mo_parse_valid_zones(const char *s, unsigned *zones, int *first);
int mo_parse_block_size(const char *s, uint64_t *ret);     /* hex, no 0x */
int mo_parse_phys_index(const char *s, uint64_t *ret);     /* hex */
int mo_parse_auto_online(const char *s, enum mo_auto_online *ret);
int mo_parse_u64(const char *s, int base, uint64_t *ret);  /* whole line */
/* "memory123" -> 123; a name that is not exactly memory<decimal> fails. */
int mo_parse_block_name(const char *name, unsigned long *ret);
/* "/devices/system/memory/memory123" (a uevent DEVPATH) -> 123. */
int mo_parse_devpath(const char *devpath, unsigned long *ret);
/* "512M", "1G", "1GiB", "4096" (bytes): K M G T P E, 2^10 each; "1GB": 10^9. */
int mo_parse_size(const char *s, uint64_t *ret);
/*
 * A block or a SIZE as the commands take them: memoryN, N, N-M, 0xSTART-0xEND
 * (an address range, as lsmem prints it), or a SIZE.  -EINVAL for none of
 * these, -ERANGE for an address range or SIZE that is not whole blocks.
 */
struct mo_which {
	enum { MO_WHICH_BLOCKS, MO_WHICH_SIZE } kind;
	unsigned long first, last; /* blocks, inclusive */
	uint64_t size;             /* bytes */
};
int mo_parse_which(const char *arg, uint64_t block_size, struct mo_which *ret);
/* Seconds: "90", "90s", "2m", "1h", at most max; -EINVAL otherwise. */
int mo_parse_duration(const char *s, uint64_t max, uint64_t *ret);
/* "128M", "2.9G": one letter, one decimal, as lsmem prints sizes. */
void mo_size_human(uint64_t bytes, char *buf, size_t size);

/* ---- The model ------------------------------------------------------- */

/*
 * The kernel's memory groups (mm/memory_hotplug.c, since 5.15), which its
 * auto-movable policy decides by: a static group is one ACPI memory device
 * (a DIMM, its blocks share firmware_node) or one dax kmem device, decided
 * as a whole; a dynamic group is one virtio-mem device (its blocks share the
 * device's /proc/iomem resource), decided per block.
 */
enum mo_group {
	MO_GROUP_NONE,
	MO_GROUP_STATIC,
	MO_GROUP_DYNAMIC,
};

struct mo_block {
	unsigned long id;      /* N of memoryN; phys_index is the same number */
	enum mo_state state;
	bool have_zones;       /* valid_zones exists (MEMORY_HOTREMOVE) */
	unsigned zones;        /* MO_ZONE_BIT mask; MO_ZONES_NONE for "none" */
	int zone;              /* online: its zone; offline: the kernel's default; -1 */
	int node;              /* -1 when the block has no node link (yet) */
	enum mo_source source;
	enum mo_group group;   /* set with source */
	uint64_t group_id;     /* which group of its kind; 0 with MO_GROUP_NONE */
	int error;             /* -errno reading bad_attr: the block is unusable */
	const char *bad_attr;  /* "state" or "valid_zones" */
};

struct mo_hotplug_params {
	char online_policy[32]; /* "contig-zones", "auto-movable", "" if absent */
	int auto_movable_ratio; /* percent, -1 if absent */
	int auto_movable_numa_aware; /* 0/1, -1 if absent */
	char memmap_on_memory[16];   /* "Y", "N", "force", "" if absent */
};

struct mo_memory {
	uint64_t block_size;
	enum mo_auto_online auto_online;
	struct mo_hotplug_params params;
	size_t n_blocks;
	struct mo_block *blocks; /* sorted by id */
	/* zoneinfo's counts, read by the scan with its spans, for mo_usage_read(); or NULL */
	struct mo_usage *zoneinfo;
};

enum {
	MO_SCAN_SOURCE = 1 << 0, /* classify each block's source (iomem, links) */
	MO_SCAN_ONLINE_ZONES = 1 << 1, /* zones of online blocks only: a report's */
	MO_SCAN_ONLINE_SOURCE = 1 << 2, /* offline blocks' groups, not their sources */
};

/*
 * Read block size, kernel settings and every memoryN block.  Blocks that
 * vanish while being read are left out; a missing valid_zones or node link
 * is normal.  -ENODEV when the kernel has no memory blocks at all (built
 * without MEMORY_HOTPLUG).
 */
int mo_memory_scan(struct mo_ctx *ctx, unsigned flags, struct mo_memory **ret);
void mo_memory_free(struct mo_memory *mem);
/*
 * The kernel settings and one block, read as a scan reads them (zones once
 * the block is linked to its node, its node, and its source): for the udev
 * rule, which is about one block.  -ENOENT when the block does not exist.
 */
int mo_memory_read_one(struct mo_ctx *ctx, unsigned long id, struct mo_memory **ret);
struct mo_block *mo_memory_find(const struct mo_memory *mem, unsigned long id);

/* Re-read one block's state and zones into *b. -ENOENT when it vanished. */
int mo_block_refresh(struct mo_ctx *ctx, struct mo_block *b);
/*
 * A block just added is not ready until the kernel has linked it to its
 * node (NUMA kernels; the link comes after the add event): before that,
 * reading its valid_zones can crash Linux 6.1 and its state must not be
 * written.  Nor is a DIMM's block until the ACPI handler has bound the DIMM's
 * blocks to it (firmware_node, after the node links): before that its
 * group is unknown, and the kernel's auto-movable policy decides a DIMM as
 * a whole.  Scans and mo_block_refresh() report such an offline block with
 * error -EAGAIN and no zones.  0 or -EAGAIN, now: the onlining engine's
 * settle schedule (below) waits for the links.
 */
int mo_block_check_settled(struct mo_ctx *ctx, struct mo_block *b);
/* The node a block belongs to, from its nodeY link; -ENOENT when it has none yet. */
int mo_block_read_node(struct mo_ctx *ctx, unsigned long id);
/*
 * When no block of mem has a node (a tree without devices/system/node, where
 * a scan does not look for them), each block's own nodeY link, as lsmem
 * reads it; a block without one keeps -1.
 */
void mo_memory_read_nodes(struct mo_ctx *ctx, struct mo_memory *mem);
/*
 * memoryN/removable: 1 or 0 (the kernel has said 1 for every block since
 * 5.10, when it stopped checking, but lsmem shows it), or -errno.
 */
int mo_block_read_removable(struct mo_ctx *ctx, unsigned long id);
void mo_block_read_source(struct mo_ctx *ctx, uint64_t block_size, struct mo_block *b);
/* The same for n blocks at once: /proc/iomem is read once, not n times. */
void mo_blocks_read_source(struct mo_ctx *ctx, uint64_t block_size, struct mo_block *blocks,
			   size_t n);
/*
 * Write down b->source for a block memonline onlines (RUN/memonline/source/
 * memoryN), so that the block keeps it once online, where nothing else tells
 * Xen or Hyper-V memory from boot memory.  Best effort: -errno.
 */
int mo_source_remember(struct mo_ctx *ctx, const struct mo_block *b);
/*
 * The inode number of memoryN/: kernfs gives a block removed and added again
 * under the same number a new one, which tells the two apart after events
 * were lost.
 */
int mo_block_read_ino(struct mo_ctx *ctx, unsigned long id, uint64_t *ret);

int mo_read_auto_online(struct mo_ctx *ctx, enum mo_auto_online *ret);

/*
 * Lock the calling process's memory, each page once it is used, and make
 * the program, its libraries and 64 KiB of stack resident now: the path a
 * hot-added block takes must not wait for the disk when memory is short.
 * -EDQUOT without CAP_IPC_LOCK under a finite RLIMIT_MEMLOCK (*memlock_limit,
 * bytes: locking would make later allocations fail); -EOPNOTSUPP in an
 * AddressSanitizer build; else -errno of mlockall().
 */
int mo_lock_memory(uint64_t *memlock_limit);

/*
 * oom_score_adj -1000 for the calling process: the OOM killer must not pick
 * the one that relieves the pressure (it needs CAP_SYS_RESOURCE).
 */
int mo_protect_from_oom(struct mo_ctx *ctx);

/* ---- Events: blocks coming and going ---------------------------------- */

/*
 * An event source for a daemon: the kernel's uevents (through libudev), or
 * synthetic ones replayed from a file descriptor (tests).  Either is a file
 * descriptor to poll and a receive call that never blocks.
 */
struct mo_monitor;

enum mo_monitor_kind {
	MO_MONITOR_AUTO,   /* udev when udevd runs, else kernel */
	MO_MONITOR_UDEV,   /* events udevd re-broadcasts once it has processed them */
	MO_MONITOR_KERNEL, /* the kernel's own: no udevd needed, nor its netns */
};

enum mo_event_action {
	MO_EVENT_ADD,
	MO_EVENT_REMOVE,
	MO_EVENT_ONLINE,
	MO_EVENT_OFFLINE,
};

struct mo_event {
	enum mo_event_action action;
	unsigned long block; /* N of memoryN */
	uint64_t seqnum;     /* the kernel's SEQNUM; 0 in a replay */
};

/*
 * The receive buffer asked for, as systemd-udevd asks for its own kernel
 * socket.  It is a limit, not an allocation: the kernel charges queued
 * events only (about 1 KiB each), so this holds some 100,000 events, ten
 * times a 1 TiB hot-add in 128 MiB blocks, while the daemon is busy.
 */
#define MO_MONITOR_RCVBUF (128u << 20)

/*
 * Listen to uevents of subsystem "memory".  MO_MONITOR_AUTO takes the udev
 * group when udevd runs (mo_run_dir()/udev/control exists), the kernel group when
 * it does not (initramfs, minimal guests).  Events are queued only from
 * mo_monitor_enable() on: enable, then scan, and nothing falls in between.
 * libudev is loaded here; without it, MO_MONITOR_AUTO takes the kernel group,
 * read from a socket of memonline's own, and MO_MONITOR_UDEV fails, -ENOPKG.
 */
int mo_monitor_new_uevent(struct mo_ctx *ctx, enum mo_monitor_kind kind,
			  struct mo_monitor **ret);
/*
 * Replay lines "ACTION DEVPATH" (add, remove, online, offline; DEVPATH as
 * the kernel sends it, /devices/system/memory/memoryN) read from fd, which
 * the monitor then owns.  A line "ENOBUFS" stands for lost events; '#'
 * starts a comment.
 */
int mo_monitor_new_replay(int fd, struct mo_monitor **ret);
struct mo_monitor *mo_monitor_free(struct mo_monitor *m);
int mo_monitor_enable(struct mo_monitor *m);
int mo_monitor_fd(const struct mo_monitor *m);
const char *mo_monitor_name(const struct mo_monitor *m); /* "udev", "kernel", "replay" */
/* Bytes the kernel will queue for the monitor; 0 for a replay. */
size_t mo_monitor_rcvbuf(const struct mo_monitor *m);
/*
 * The next event of a memory block.  Returns 1 with *ev set, 0 when none is
 * pending, -ENOBUFS when events were lost (rescan), -EBADMSG for a message
 * that is not an event (a uevent libudev could not parse, or a replay line
 * that is not 'ACTION DEVPATH'; the next call reads on), -EPIPE once a
 * replay has ended, or -errno.
 */
int mo_monitor_receive(struct mo_monitor *m, struct mo_event *ev);

/* ---- Online memory, by zone and node: what the ratio is counted on --- */

/* The kernel allows up to 1 << CONFIG_NODES_SHIFT, at most 10 bits. */
#define MO_MAX_NODES 1024
/* Groups beyond this many are decided as memory without a group. */
#define MO_MAX_GROUPS 256

/* One memory group, as the kernel accounts it (struct memory_group). */
struct mo_group_usage {
	enum mo_group kind;
	uint64_t id;
	int node;                 /* of its first block seen; -1 unknown */
	uint64_t size;            /* bytes of every block it has */
	uint64_t kernel, movable; /* online bytes, by zone */
	unsigned offline_zones;   /* valid_zones every offline block shares */
};

struct mo_usage {
	uint64_t movable, kernel;                 /* online bytes, all nodes */
	uint64_t node_movable[MO_MAX_NODES];
	uint64_t node_kernel[MO_MAX_NODES];
	/*
	 * Kernel-zone memory present since boot (the kernel's
	 * present_early_pages): kernel memory hot-added later buys no movable
	 * memory, except inside its own dynamic group.
	 */
	uint64_t early_kernel, node_early_kernel[MO_MAX_NODES];
	/* CMA pages in kernel zones: the kernel counts them as movable. */
	uint64_t cma, node_cma[MO_MAX_NODES];
	uint64_t page_size;                       /* 0: 4096 */
	bool numa;                                /* some block has a node */
	size_t n_groups;
	struct mo_group_usage groups[MO_MAX_GROUPS];
};

/*
 * From the blocks: early kernel memory is every online kernel-zone block
 * whose source is boot (no hot-add mark), whole blocks without holes.
 */
void mo_usage_from_memory(const struct mo_memory *mem, struct mo_usage *u);
/*
 * The same, then present and CMA pages from /proc/zoneinfo, as the kernel
 * counts them: early kernel memory is the kernel zones' present pages less
 * the hot-added blocks online in them (zoneinfo as the scan read it, else
 * read now).  Without zoneinfo (most fixture trees), the blocks' count stands.
 */
void mo_usage_read(struct mo_ctx *ctx, const struct mo_memory *mem, struct mo_usage *u);
/* The second step alone, over usage counted from blocks; -errno of zoneinfo. */
int mo_usage_refine(struct mo_ctx *ctx, struct mo_usage *u);
/*
 * From /proc/zoneinfo alone (zone present pages, as the kernel counts):
 * one read, where a scan reads every block; all kernel memory counts as
 * early.  -EINVAL for a file that is not zoneinfo, -ENOENT without one.
 */
int mo_usage_from_zoneinfo(struct mo_ctx *ctx, struct mo_usage *u);
int mo_zoneinfo_parse(const char *text, uint64_t page_size, struct mo_usage *u);
/*
 * Where each zone of each node lies, from /proc/zoneinfo: a scan takes an
 * online block's zone from here when exactly one zone of its node spans
 * it, and reads valid_zones only where zones overlap.
 */
struct mo_zone_span {
	int node;
	int zone;               /* enum mo_zone */
	bool have_start;        /* start_pfn is shown only for populated zones */
	uint64_t start_pfn, spanned; /* pages */
};
struct mo_zone_spans {
	size_t n;
	struct mo_zone_span *span;
};
int mo_zoneinfo_parse_spans(const char *text, struct mo_zone_spans *spans);
/*
 * Read once for a scan: the spans, -errno when they cannot be had, and with
 * usage, zoneinfo's counts too (mo_usage_from_zoneinfo's), or NULL.
 */
int mo_zone_spans_read(struct mo_ctx *ctx, struct mo_zone_spans *spans,
		       struct mo_usage **usage);
void mo_zone_spans_free(struct mo_zone_spans *spans);
/* The one zone of node that spans pfns [start, start+nr), or -1: none or several. */
int mo_zone_spans_zone(const struct mo_zone_spans *spans, int node, uint64_t start_pfn,
		       uint64_t nr_pages);
/* Account size bytes coming online in a zone (or going away), by node only. */
void mo_usage_add(struct mo_usage *u, int node, bool movable, uint64_t size);
/* Account block b as a member of its group (online or not). */
void mo_usage_add_member(struct mo_usage *u, const struct mo_block *b, uint64_t size);
/* Account block b coming online: by node, in its group, and as early memory. */
void mo_usage_add_block(struct mo_usage *u, const struct mo_block *b, bool movable,
			uint64_t size);

/* ---- Blocks counted by state, zone and node (status) ---------------- */

/*
 * The row status counts a block in: its zone (enum mo_zone), or one of two
 * rows of memonline's own, named as mo_block_zone_name() names them.
 */
enum { MO_ZONE_ROW_SPANS = MO_ZONE__MAX, MO_ZONE_ROW_UNKNOWN, MO_ZONE_ROWS };
int mo_block_zone_row(const struct mo_block *b);
const char *mo_zone_row_name(int row);

struct mo_count {
	uint64_t n;
	uint64_t bytes;
};

/* Going-offline memory is in its zone until it is gone: kernel or movable. */
struct mo_node_count {
	struct mo_count kernel, movable, offline;
};

struct mo_tally {
	struct mo_count online, offline, going_offline, unreadable;
	struct mo_count zone[MO_ZONE_ROWS];      /* online and going offline */
	struct mo_node_count node[MO_MAX_NODES + 1]; /* last: blocks without a node */
	bool have_nodes;                         /* some block has a node */
};
void mo_memory_tally(const struct mo_memory *mem, struct mo_tally *t);
/* movable as a rounded percentage of kernel memory; -1 without kernel memory. */
long long mo_ratio_percent(uint64_t movable, uint64_t kernel);

/* ---- The zone policy ------------------------------------------------- */

enum mo_choice {
	MO_CHOICE_AUTO,    /* movable within the ratio budget, else kernel */
	MO_CHOICE_MOVABLE,
	MO_CHOICE_KERNEL,
	MO_CHOICE_DEFAULT, /* write "online": the kernel chooses */
	MO_CHOICE_SKIP,    /* leave it offline: someone else owns it */
	MO_CHOICE__MAX,
};
const char *mo_choice_name(enum mo_choice c);
int mo_choice_from_name(const char *name); /* enum mo_choice or -EINVAL */
/* Online (or going offline) in ZONE_MOVABLE; without valid_zones, never. */
bool mo_block_movable(const struct mo_block *b);
/*
 * In the zones a choice names: MO_CHOICE_MOVABLE, MO_CHOICE_KERNEL, or any
 * block for a negative choice.  A block that spans zones, or whose zone is
 * unknown, is in neither.
 */
bool mo_block_in_choice(const struct mo_block *b, int choice);

struct mo_rule {
	int source;       /* enum mo_source, or -1 for any */
	int node;         /* or -1 for any */
	enum mo_choice choice;
	const char *file; /* where it was written; NULL for built-in */
	unsigned line;
};

struct mo_policy;

enum mo_auto_online_mode {
	MO_AUTO_STEP_ASIDE, /* kernel auto-onlines: memonline does nothing */
	MO_AUTO_CORRECT,    /* ... but moves blocks the kernel put in the wrong zone */
};

/* Where a configuration error was found. */
struct mo_config_error {
	char file[256];
	unsigned line;   /* 0: the file as a whole */
	char msg[160];
};

/* The built-in policy: right for most virtual machines. */
int mo_policy_new_default(struct mo_policy **ret);
enum {
	MO_CONFIG_REQUIRED = 1 << 0, /* FILE was named by the user: it must exist */
};
/*
 * Read FILE, then FILE.d/ *.conf in name order, over the built-in policy.
 * A missing FILE.d is not an error, nor is a missing FILE without
 * MO_CONFIG_REQUIRED (-ENOENT with it).  On -EINVAL (a bad line) *err says
 * where and what; nothing is returned.
 */
int mo_policy_load(const char *file, unsigned flags, struct mo_policy **ret,
		   struct mo_config_error *err);
/* The files read, in order: FILE, then its drop-ins. */
size_t mo_policy_n_files(const struct mo_policy *p);
const char *mo_policy_file(const struct mo_policy *p, size_t i);
void mo_policy_free(struct mo_policy *p);

enum mo_choice mo_policy_zone(const struct mo_policy *p);
unsigned mo_policy_ratio(const struct mo_policy *p);
bool mo_policy_numa_aware(const struct mo_policy *p);
enum mo_auto_online_mode mo_policy_auto_online(const struct mo_policy *p);
size_t mo_policy_n_rules(const struct mo_policy *p);
const struct mo_rule *mo_policy_rule(const struct mo_policy *p, size_t i);

struct mo_decision {
	enum mo_online_type type; /* meaningful unless skip */
	bool skip;
	bool impossible;          /* skipped: the zone is not valid for it, or its group */
	bool unsettled;           /* skipped: not linked to its node yet, try again */
	char reason[256];
};

/*
 * The auto-movable budget on node (-1: the whole system), as the kernel
 * checks it for memory outside any group (auto_movable_can_online_movable):
 * movable memory, outside dynamic groups, against ratio% of early kernel
 * memory less what dynamic groups need.  -ENOENT for a node not in u.
 */
struct mo_budget {
	uint64_t movable; /* bytes counted against the limit */
	uint64_t limit;   /* bytes: ratio% of early kernel memory, as the kernel rounds */
	uint64_t left;    /* bytes that may still go movable: limit - movable, or 0 */
};
int mo_policy_budget(const struct mo_policy *p, const struct mo_usage *u, int node,
		     struct mo_budget *ret);
/* The choice applies the budget: zone auto, by rule or by default. */
bool mo_policy_needs_budget(const struct mo_policy *p, const struct mo_block *b,
			    enum mo_choice forced);

/*
 * Decide where one offline block goes, from facts only: no I/O.
 * forced is a choice given on the command line, or MO_CHOICE__MAX for none.
 * zone auto is the kernel's auto-movable policy (mm/memory_hotplug.c,
 * auto_movable_zone_for_pfn): u must hold b's group (mo_usage_add_member).
 * A static group (a DIMM) goes one way as a whole: a choice that is not
 * valid for every offline block of it, or that would split it, is skipped
 * as impossible.  On a NUMA system a block without its node is skipped as
 * unsettled, never judged without its node's budget.
 */
void mo_policy_decide(const struct mo_policy *p, const struct mo_block *b,
		      uint64_t block_size, const struct mo_usage *u,
		      enum mo_choice forced, struct mo_decision *d);

/* ---- Time ------------------------------------------------------------ */

/*
 * A monotonic clock in nanoseconds, and a way to wait on it.  Whatever
 * waits or retries takes one, so that tests can pass a fake clock that
 * moves only when slept on.
 */
struct mo_clock {
	uint64_t (*now)(void *data);
	void (*sleep)(void *data, uint64_t ns);
	void *data;
};
/* CLOCK_MONOTONIC; its sleep resumes after a signal. */
extern const struct mo_clock mo_clock_monotonic;

/* ---- Applying a decision ---------------------------------------------- */

/*
 * Write type to memoryN/state and read the state back into *b.
 * Returns 0 when the block changed, -EALREADY when it was already in the
 * wanted state (the kernel, or another onliner, got there first: not an
 * error), or the negative errno of the write (-EBUSY, -EPERM, ...), or
 * -ENOENT when the block vanished.
 */
int mo_block_set_state(struct mo_ctx *ctx, struct mo_block *b, enum mo_online_type type);

/*
 * Online one offline block by policy: mo_policy_decide(), then (unless
 * dry_run or the decision is skip) mo_block_set_state(), then account the
 * block in *u so the next decision sees it.  The onlining engine (below)
 * goes through here for every onliner, so they cannot drift apart.
 * Returns 0 (onlined, or skipped: see d->skip), -EAGAIN when the block is
 * not linked to its node yet (d->unsettled: try again), -EALREADY when another agent
 * onlined it first, or the error of mo_block_set_state().  *d is always set.
 */
int mo_block_online_by_policy(struct mo_ctx *ctx, const struct mo_policy *p,
			      uint64_t block_size, struct mo_usage *u, enum mo_choice forced,
			      bool dry_run, struct mo_block *b, struct mo_decision *d);

/*
 * "Movable", "Normal", ...: the zone of an online block or, offline, the
 * kernel's default; "none" when it spans zones, "unknown" without valid_zones.
 */
const char *mo_block_zone_name(const struct mo_block *b);
/*
 * What an errno of writing a block's state means, in words (offline: of an
 * offline); NULL when there is nothing to add to strerror().
 */
const char *mo_block_error_reason(int err, bool offline);
/*
 * Offline a block, and stop the kernel's page migration after timeout_ns
 * with a SIGALRM (offlining ends with EINTR on a pending signal:
 * mm/memory_hotplug.c).  -ETIME when timeout_ns is 0: nothing was tried.
 */
int mo_block_offline_within(struct mo_ctx *ctx, struct mo_block *b, uint64_t timeout_ns);

/* ---- Drivers that hot-add memory ------------------------------------- */

enum mo_driver {
	MO_DRIVER_VIRTIO_MEM,  /* virtio_mem */
	MO_DRIVER_HV_BALLOON,  /* hv_balloon */
	MO_DRIVER_ACPI_MEMORY, /* ACPI memory hotplug: built into the ACPI core */
	MO_DRIVER_DAX_KMEM,    /* kmem: persistent memory or CXL as System RAM */
	MO_DRIVER__MAX,
};

enum mo_driver_state {
	MO_DRIVER_ABSENT,
	MO_DRIVER_BUILTIN,
	MO_DRIVER_LOADED,
	MO_DRIVER_AVAILABLE, /* a module on disk, not loaded (live system only) */
	MO_DRIVER_STATE__MAX,
};

struct mo_driver_info {
	enum mo_driver_state state;
	/* virtio_mem unplug_online, hv_balloon hot_add, ACPI enabled: 0/1, -1 */
	int param;
	/* devices bound to it (a driver without one adds nothing); ACPI: -1 */
	int devices;
};
/*
 * Whether the firmware lets memory be plugged in: a memory device
 * (PNP0C80) or a hot-pluggable SRAT range: 1 or 0; -errno when the SRAT
 * cannot be read (it is root's only).  mo_srat_hotpluggable() reads a
 * table's bytes: 1, 0, or -EINVAL when it is no SRAT.
 */
int mo_acpi_memory_hotpluggable(struct mo_ctx *ctx);
int mo_srat_hotpluggable(const unsigned char *srat, size_t len);

const char *mo_driver_name(enum mo_driver d);
const char *mo_driver_state_name(enum mo_driver_state s);
const char *mo_driver_param_name(enum mo_driver d); /* NULL when none matters */
/*
 * Which drivers are there.  On the live system libkmod answers (it knows
 * modules.builtin and the module files), loaded on first use; below a
 * sysroot, whose /sys libkmod cannot be pointed at, or when libkmod cannot
 * be loaded, the tree's sys/module is read.
 */
void mo_drivers_read(struct mo_ctx *ctx, struct mo_driver_info out[MO_DRIVER__MAX]);
/*
 * libkmod's initstate (KMOD_MODULE_* or -errno) in our words.  Without
 * modules.builtin (no /lib/modules for this kernel) libkmod calls a built-in
 * driver that has parameters "coming": sys/module/NAME exists without
 * initstate.  have_initstate tells the two apart.
 */
enum mo_driver_state mo_driver_state_from_kmod(int initstate, bool have_initstate,
					       bool module_file);

/* ---- Other onliners: udev rules, systemd units ------------------------ */

/*
 * Files below mo_root_dir() left unread because they lead out of it (a
 * sysroot's absolute link to the host's /etc, say): the first few, and
 * how many in all.  Reading them would report the host, not the tree.
 */
struct mo_refused {
	size_t n;
	char path[4][640];
};

struct mo_udev_rules_file {
	char name[256];  /* e.g. 40-redhat.rules; NAME_MAX + 1 */
	char path[640];  /* where it was found, below mo_root_dir() */
	bool memonline;  /* memonline's own rule */
};

/*
 * The rules files in effect that online memory blocks, in name order.
 * udev's directories are read with its precedence (etc, run, then the
 * library directories; a file masks a same-named one after it, and a
 * /dev/null symlink or an empty file masks without rules of its own),
 * below mo_root_dir(), so --sysroot DIR reads DIR/etc/udev/rules.d.  A
 * directory or file that leads out of the root is noted in refused (may be
 * NULL), not read; a /dev/null link is a mask, not a way out.
 */
int mo_udev_memory_rules(struct mo_ctx *ctx, struct mo_udev_rules_file **ret, size_t *n,
			 struct mo_refused *refused);
/*
 * Whether a rules file's text onlines memory blocks: it matches the memory
 * subsystem (== or the != of a GOTO guard) and writes ATTR{state} or
 * ATTR{online}, or RUNs something that onlines.  A heuristic, by design:
 * rules are a language, and the point is to find the usual onliners.
 */
bool mo_udev_rules_online_memory(const char *text);

/*
 * Whether systemd starts unit at boot, below mo_root_dir(): linked into
 * some etc/systemd/system/ *.wants/, and not masked (a /dev/null link).
 * 1 or 0; a .wants directory that leads out of the root is noted in
 * refused (may be NULL), not read.
 */
int mo_unit_enabled(struct mo_ctx *ctx, const char *unit, struct mo_refused *refused);

/* ---- The hypervisor and the Xen balloon -------------------------------- */

/* Which hypervisor runs the machine (lib/hypervisor.c says from where). */
struct mo_virt {
	char vendor[32];    /* "KVM", "Xen", "Hyper-V", "VMware", ...; "" for none */
	const char *source; /* "cpuid", "/sys/hypervisor", "DMI", ...; NULL for none */
};
void mo_virt_detect(struct mo_ctx *ctx, struct mo_virt *ret);
/* Pure: a cpuid 0x40000000 signature, or DMI sys_vendor, product_name,
 * bios_vendor, board_vendor (NULL where absent), to a vendor; NULL: unknown. */
const char *mo_virt_from_cpuid(const char *signature);
const char *mo_virt_from_dmi(const char *const *strings, size_t n);

struct mo_hypervisor {
	char type[16];       /* /sys/hypervisor/type ("xen"), "" when absent */
	char guest_type[16]; /* /sys/hypervisor/guest_type: PV, HVM, PVH; "" */
};
/* Never fails: an absent or empty /sys/hypervisor (any non-Xen machine) is "". */
void mo_hypervisor_read(struct mo_ctx *ctx, struct mo_hypervisor *ret);
bool mo_hypervisor_is_xen(const struct mo_hypervisor *hv);
/*
 * A PVH or HVM guest: Xen translates its addresses through tables it keeps in
 * a per-domain pool (xl's shadow_memory), sized from maxmem at creation.
 * A PV guest's tables are its own memory. Its balloon target also differs
 * from xl's figure by a boot offset (drivers/xen/xen-balloon.c watch_target).
 */
bool mo_hypervisor_is_translated(const struct mo_hypervisor *hv);

#define MO_XEN_UNSET UINT64_MAX /* an optional attribute that is absent */

/* /sys/devices/system/xen_memory/xen_memory0, in the units the kernel uses. */
struct mo_xen_balloon {
	uint64_t target_kb;
	uint64_t target;          /* bytes (not pages: the ABI doc is wrong) */
	uint64_t current_kb, low_kb, high_kb;
	uint64_t schedule_delay, max_schedule_delay; /* seconds; MO_XEN_UNSET */
	uint64_t retry_count, max_retry_count;       /* MO_XEN_UNSET */
	int scrub_pages;          /* 0/1, -1 when absent */
	int hotplug_unpopulated;  /* 0/1, -1: no XEN_BALLOON_MEMORY_HOTPLUG */
};

/*
 * Read the balloon.  -ENODEV when there is none (not Xen, or no balloon
 * driver).  On another failure *bad_attr names the attribute, relative to
 * the sysfs root, and nothing is returned.
 */
int mo_xen_balloon_read(struct mo_ctx *ctx, struct mo_xen_balloon *ret,
			const char **bad_attr);
/* Write target_kb, in decimal: the kernel parses it with base 0. */
int mo_xen_set_target_kb(struct mo_ctx *ctx, uint64_t kb);
/* Where the balloon lives, relative to the sysfs root (for messages). */
const char *mo_xen_balloon_dir(void);

/* Parsers of the balloon's values (pure). */
int mo_xen_parse_kb(const char *s, uint64_t *ret);      /* "%lu" */
int mo_xen_parse_counter(const char *s, uint64_t *ret); /* "%lx": hex, no 0x */
int mo_xen_parse_bool(const char *s, int *ret);         /* "0" or "1" */

/*
 * A target as a person writes it: SIZE with a unit (K, M, G or T, binary),
 * or +SIZE / -SIZE relative to base_kb.  A bare number is refused: bytes or
 * KiB would both be a plausible reading, and the wrong one is fatal.
 * -EINVAL malformed, -ERANGE when the result overflows or is not above 0.
 */
int mo_xen_parse_target(const char *s, uint64_t base_kb, uint64_t *ret_kb);
#define MO_XEN_TARGET_MAX_KB (1ULL << 42) /* -E2BIG above: 4 PiB */

enum mo_xen_verdict {
	MO_XEN_NOT_XEN,
	MO_XEN_NO_BALLOON,     /* a Xen guest without the balloon driver */
	MO_XEN_REACHED,
	MO_XEN_RELEASING,      /* target below current: giving memory back */
	MO_XEN_WAITING_ONLINE, /* hot-added blocks sit offline; the driver waits */
	MO_XEN_POPULATING,     /* in progress */
	MO_XEN_REFUSED,        /* pages ballooned, not populated: the hypervisor says no */
	MO_XEN_HOTPLUG_UNSUPPORTED,
	MO_XEN_STALLED,        /* the driver gave up (hot-add failed or cancelled) */
	MO_XEN_OVERRIDDEN,     /* the toolstack set another target since ours */
	MO_XEN_VERDICT__MAX,
};
const char *mo_xen_verdict_name(enum mo_xen_verdict v); /* "waiting-online" */

/* What the verdict is decided on: all facts, no I/O. */
struct mo_xen_facts {
	bool xen, balloon;
	uint64_t target_kb, current_kb, low_kb, high_kb;
	uint64_t retry_count;   /* MO_XEN_UNSET when unknown */
	bool hotplug;           /* /proc/sys/xen/balloon/hotplug_unpopulated exists */
	bool translated;        /* PVH or HVM (mo_hypervisor_is_translated) */
	uint64_t offline_blocks;
	uint64_t requested_kb;  /* what we wrote, 0 when we wrote nothing */
	unsigned stable_ms;     /* how long nothing in the balloon has moved */
};

/*
 * Past this long without movement, ballooned pages that are not populated
 * mean the driver has stopped trying: it polls every second while waiting
 * and retries at once after onlining (drivers/xen/balloon.c).
 */
#define MO_XEN_SETTLE_MS 2000

struct mo_xen_diagnosis {
	enum mo_xen_verdict verdict;
	bool kick;  /* the driver is cancelled: writing a different target wakes it */
	bool final; /* nothing will change without someone acting */
	/*
	 * Refused, and the guest cannot tell why: its limit (xl mem-max), or,
	 * translated, Xen's paging pool for it, full before the limit.  Only
	 * dom0 sees which ("Over-allocation" in xl dmesg for the limit).
	 */
	bool pool;
};
void mo_xen_diagnose(const struct mo_xen_facts *f, struct mo_xen_diagnosis *ret);

/*
 * The balloon as one look, or a series of looks, sees it: what status,
 * doctor and target --wait show.  err is part of what was seen, not a
 * failure of the call.
 */
struct mo_xen_view {
	struct mo_hypervisor hv;
	int err;              /* of reading the balloon; -ENODEV: none, or not a Xen guest's */
	const char *bad_attr; /* with another err: what could not be read, below sysfs */
	struct mo_xen_balloon b;
	uint64_t offline_blocks; /* hot-added blocks left offline: the driver waits on them */
	uint64_t block_size;
	uint64_t requested_kb;   /* the target memonline wrote, 0 for none */
	unsigned reads;          /* of the balloon, successful */
	uint64_t read_ns;        /* of the last read, on the caller's clock */
	uint64_t moved_ns;       /* since then the balloon reads as it does now */
	bool moved;              /* the last read differs from the one before */
	struct mo_xen_diagnosis d;
};
/*
 * Read the hypervisor and the balloon into v once more; returns v->err.
 * The first read, or one that differs from the previous, starts moved_ns.
 */
int mo_xen_view_read(struct mo_ctx *ctx, const struct mo_clock *clock, struct mo_xen_view *v);
/* The verdict on v as last read (pure): stable since moved_ns. */
void mo_xen_view_diagnose(struct mo_xen_view *v);
/*
 * Look at the balloon, with mem's offline blocks (mem may be NULL).  With
 * settle, a populating balloon is watched until it moves or has stood
 * still for MO_XEN_SETTLE_MS: only time tells progress from a stop.
 * Returns v->err.
 */
int mo_xen_observe(struct mo_ctx *ctx, const struct mo_clock *clock,
		   const struct mo_memory *mem, bool settle, struct mo_xen_view *v);

/* ---- Who onlines ------------------------------------------------------ */

/*
 * Who onlines a block the kernel adds from now on.  The kernel comes first:
 * with auto_online_blocks other than offline it onlines the block before
 * anyone sees the event, and memonline steps aside, or, with the policy's
 * "auto-online correct", its daemon moves the blocks the kernel put in
 * another zone than the policy's.  Else memonline watch, while it runs;
 * else the caller itself (the udev rule, `online`).
 */
enum mo_owner {
	MO_OWNER_US,
	MO_OWNER_DAEMON,
	MO_OWNER_KERNEL,
	MO_OWNER_KERNEL_CORRECTED,
};

struct mo_owner_info {
	enum mo_owner owner;
	enum mo_auto_online auto_online; /* MO_AUTO_UNKNOWN: missing or unreadable */
	bool daemon_running;             /* never set with MO_OWNER_AS_DAEMON */
};

enum {
	/* The caller is memonline watch: its own lock is no other onliner. */
	MO_OWNER_AS_DAEMON = 1 << 0,
};

/*
 * The one answer, from the facts; p NULL: the built-in policy (step aside).
 * auto_online_blocks missing or unreadable (kernels before 4.7 with
 * MEMORY_HOTPLUG_DEFAULT_ONLINE unset) means nobody else onlines.
 */
enum mo_owner mo_owner_decide(enum mo_auto_online a, bool daemon_running,
			      const struct mo_policy *p);
/* The kernel onlines new memory: MO_OWNER_KERNEL or MO_OWNER_KERNEL_CORRECTED. */
bool mo_owner_kernel(enum mo_owner o);
/*
 * Read auto_online_blocks and the daemon's lock, and decide.  What cannot be
 * read counts as nobody else onlining, so this cannot fail.
 */
void mo_owner_read(struct mo_ctx *ctx, const struct mo_policy *p, unsigned flags,
		   struct mo_owner_info *ret);

/*
 * memonline watch's marker, RUN/memonline/watch: locked while the daemon
 * runs, and holding its pid.  The udev rule steps aside while it exists
 * (TEST!=), a second daemon refuses to start, and a marker nobody holds was
 * left by a daemon that died.
 */
struct mo_daemon_lock {
	int dir, fd;  /* RUN/memonline and the marker; -1 when not held */
	int pid_err;  /* -errno: our pid could not be written (the lock is ours still) */
};
/*
 * Take it, creating RUN and RUN/memonline as needed.  -EWOULDBLOCK: another
 * daemon holds it, *holder its pid (0 when unreadable).
 */
int mo_daemon_lock(struct mo_ctx *ctx, struct mo_daemon_lock *ret, pid_t *holder);
/* Remove the marker, then unlock: the udev rule onlines new blocks again. */
void mo_daemon_unlock(struct mo_daemon_lock *lock);
/* A daemon holds the marker: false without one, or with a stale one. */
bool mo_daemon_running(struct mo_ctx *ctx);
/* The marker's path, for messages: -ENAMETOOLONG when it does not fit. */
int mo_daemon_marker_path(const struct mo_ctx *ctx, char *buf, size_t size);

/*
 * The udev rule's burst.  udevd runs the rule once per added block, up to
 * children_max processes at once, each loading the policy and reading sysfs
 * while the guest may be short of memory: together they took a starving
 * workload's last pages (issue 16).  Instead the first process onlines the
 * blocks of every event of the burst and a process that starts meanwhile
 * leaves at once; the blocks onlined early fail the rule's
 * ATTR{state}=="offline" guard, and no process starts for them at all.
 *
 * RUN/memonline/udev-queue lists the block of each event, one per line:
 * an append holds its lock shared, the holder of the burst takes it alone
 * to read and empty the queue.  RUN/memonline/udev-burst, locked, marks the
 * holder.  A process queues its block, then tries the burst lock and
 * leaves if it is held.  The holder empties the queue before each pass and,
 * once it has unlocked, locks again for another pass while the queue is
 * not empty.  No block is lost: a process that found the lock held had
 * queued its block before, so when that holder unlocks, either a pass has
 * taken the block or the queue is not empty and the holder, or whoever
 * took the lock from it (and makes a pass after), goes on.
 *
 * The holder's loop:
 *	do {
 *		n = mo_burst_take(&b, &ids);
 *		(online ids[0..n), unless the daemon or the kernel took over)
 *		free(ids);
 *	} while (mo_burst_again(&b));
 */
struct mo_burst {
	int queue, lock;
	int empty_err; /* set by mo_burst_take: -errno, the queue could not be emptied */
};
/* Open (creating them and their directories) the queue and the burst's lock. */
int mo_burst_open(struct mo_ctx *ctx, struct mo_burst *ret);
/*
 * Queue the block and try the burst's lock.  1: this process holds the burst
 * (or the lock failed: it onlines alone); 0: the holder onlines the block;
 * -errno: the block could not be queued.
 */
int mo_burst_join(struct mo_burst *b, unsigned long id);
/*
 * The queued blocks, sorted and once each, in a malloc'ed array; the queue is
 * emptied.  -ENOMEM: they are left to their events.
 */
ssize_t mo_burst_take(struct mo_burst *b, unsigned long **ids);
/* Unlock; true when the lock is ours again for another pass. */
bool mo_burst_again(struct mo_burst *b);
void mo_burst_close(struct mo_burst *b);

/* ---- What memonline doctor judges -------------------------------------- */

/*
 * Every fact the doctor's checks read, gathered in one pass so that the
 * checks are judgements only (and status --format prometheus judges the
 * same facts).
 */
struct mo_doctor_facts {
	struct mo_ctx *ctx;              /* a reference: where, for messages */
	const struct mo_policy *policy;  /* the caller's, judged against */
	struct mo_memory *mem;           /* NULL when the scan failed */
	int scan_err;                    /* of mo_memory_scan(MO_SCAN_SOURCE) */
	bool sys_read_only;
	bool unprivileged;               /* the running system, and not root */
	int auto_online_access;          /* writing auto_online_blocks: 0 or -errno */
	struct mo_xen_view balloon;      /* settled (mo_xen_observe) */
	struct mo_driver_info drivers[MO_DRIVER__MAX];
	struct mo_udev_rules_file *rules; /* that online memory */
	size_t n_rules;
	int rules_err;                   /* of mo_udev_memory_rules() */
	const struct mo_udev_rules_file *our_rule; /* memonline's, or NULL */
	struct mo_owner_info owner;      /* who onlines: the kernel's setting, the daemon */
	bool daemon_enabled;             /* memonline.service starts at boot */
	int hotadd;                      /* something can hot-add memory: 1, 0, -1 unknown */
	struct mo_refused refused;       /* files below the root left unread */
};

/* Gather them; only -ENOMEM fails.  The balloon settles on clock. */
int mo_doctor_facts_gather(struct mo_ctx *ctx, const struct mo_policy *p,
			   const struct mo_clock *clock, struct mo_doctor_facts **ret);
struct mo_doctor_facts *mo_doctor_facts_free(struct mo_doctor_facts *f);

/* ---- The onlining engine ---------------------------------------------- */

/*
 * One engine drives every onliner (watch, online, online --udev, target
 * --wait): it knows a set of blocks and brings each to the policy's state,
 * retrying what the kernel refuses for a moment on one schedule:
 *
 * - a block not linked to its node yet (-EAGAIN) is looked at again after
 *   1, 2, 4 ... 1024 ms (11 tries, 2 s in all: the kernel links it moments
 *   after the add event);
 * - -EBUSY, -ENOMEM, -EAGAIN, -EINTR from writing its state are retried
 *   after 100, 200, 400, 800, 1600 ms (5 retries, 3.1 s in all).
 *
 * A block waits behind a lower one still settling or retrying: the kernel
 * onlines a device's blocks in address order, and where the budget runs out
 * that order decides which are movable.  The engine prints nothing: each
 * result is an outcome handed to the caller's function.  It sleeps only in
 * mo_engine_drain(); a daemon waits in its own loop until mo_engine_next_due().
 */
struct mo_engine;

enum mo_outcome_kind {
	MO_OUTCOME_ONLINE,        /* onlined now (a dry run: would be); .type, .b */
	MO_OUTCOME_ALREADY,       /* found online */
	MO_OUTCOME_RACED,         /* onlined meanwhile by another agent */
	MO_OUTCOME_SKIPPED,       /* left offline by a rule of the policy: .reason */
	MO_OUTCOME_IMPOSSIBLE,    /* left offline: the zone cannot be had (a dry run:
				     or the block is not settled): .reason */
	MO_OUTCOME_GOING_OFFLINE, /* someone is taking it away: left alone */
	MO_OUTCOME_RETRY,         /* refused for now: .err, retry .tries of .max_tries */
	MO_OUTCOME_FAILED,        /* refused: .err, after .tries tries; left offline */
	MO_OUTCOME_UNREADABLE,    /* .b->bad_attr could not be read: .err */
	MO_OUTCOME_REMOVED,       /* gone before it was handled (.err 0) or onlined */
	MO_OUTCOME_UNTRACKED,     /* no memory to track it */
	MO_OUTCOME_LEFT_TO_KERNEL, /* the kernel onlines it (auto_online_blocks) */
	MO_OUTCOME_KEPT,          /* correction: the kernel's .from_zone is the policy's */
	MO_OUTCOME_MOVED,         /* correction: from .from_zone to .b's zone */
	MO_OUTCOME_NOT_MOVED,     /* correction: offlining it failed (.err; -ETIME) */
	MO_OUTCOME_MOVE_FAILED,   /* correction: offlined, but onlining failed: .back */
	MO_OUTCOME_OWNER,         /* who onlines changed: .owner, .auto_online */
};

struct mo_outcome {
	enum mo_outcome_kind kind;
	unsigned long block;
	const struct mo_block *b;  /* as read back; NULL for OWNER, REMOVED, UNTRACKED */
	enum mo_online_type type;  /* what was written; MO_ONLINE_TYPE__MAX: nothing */
	int err;                   /* -errno, or 0 */
	unsigned tries, max_tries; /* RETRY: this retry of max; else tries made */
	uint64_t delay_ns;         /* RETRY: after this long */
	uint64_t elapsed_ns;       /* since it became the engine's job (MOVED: the move) */
	const char *reason;        /* the decision's reason, or the errno's meaning */
	int from_zone;             /* correction: where the kernel put it */
	bool want_movable;         /* NOT_MOVED: the policy wants ZONE_MOVABLE */
	bool back;                 /* MOVE_FAILED: back online where it was */
	enum mo_owner owner;                    /* OWNER (mo_owner_read) */
	enum mo_auto_online auto_online;        /* OWNER */
};

/* Called inside the engine's calls: it must not call the engine back. */
typedef void (*mo_outcome_fn)(void *data, const struct mo_outcome *o);

struct mo_engine_options {
	enum mo_choice forced; /* a zone given on the command line; MO_CHOICE__MAX: none */
	bool force;            /* forced also over the policy's skip rules */
	bool dry_run;          /* decide, write nothing, retry nothing */
	/*
	 * By hand (online, target --wait): every block given is onlined,
	 * whoever else would; usage is counted once and kept, as a dry run
	 * needs.  Otherwise (the daemon) auto_online_blocks and the policy say
	 * who onlines, and usage is counted afresh for each batch.
	 */
	bool by_hand;
	size_t blocks;         /* the blocks there are now: sizes the table */
};

int mo_engine_new(struct mo_ctx *ctx, const struct mo_policy *p, const struct mo_clock *clock,
		  const struct mo_engine_options *opts, mo_outcome_fn fn, void *data,
		  struct mo_engine **ret);
struct mo_engine *mo_engine_free(struct mo_engine *e);
/* A reloaded policy, from the next decision on; the caller frees the old one. */
void mo_engine_set_policy(struct mo_engine *e, const struct mo_policy *p);

enum {
	/* The first scan: offline blocks are onlined, none counts as hot-added. */
	MO_ENGINE_COLDPLUG = 1 << 0,
	/* Learn the blocks, act on none: the caller adds those to online. */
	MO_ENGINE_LEARN = 1 << 1,
};
/*
 * Reconcile the table with a scan: a block it does not know, or knows
 * under another inode (removed and added again), is new and handled; a
 * known block that is offline was offlined on purpose, or left offline, and
 * stays so; blocks the scan did not see are forgotten.  mo_engine_scan()
 * scans first; mo_engine_reconcile() takes the caller's scan (of
 * MO_SCAN_SOURCE).
 */
int mo_engine_scan(struct mo_engine *e, unsigned flags);
void mo_engine_reconcile(struct mo_engine *e, const struct mo_memory *mem, unsigned flags);
/* Events lost: the next mo_engine_run() rescans.  1 when none was pending. */
int mo_engine_lost(struct mo_engine *e);
/* A block added (an event, or named by the caller): queued. -ENOMEM: untracked. */
int mo_engine_add(struct mo_engine *e, unsigned long id);
void mo_engine_remove(struct mo_engine *e, unsigned long id);
/*
 * A block's online or offline event.  One of a block never seen added means
 * events were lost: 1 when that made a rescan pending, else 0.
 */
int mo_engine_state_event(struct mo_engine *e, unsigned long id, bool online);
/* Handle the queue, a pending rescan and the retries due: -errno of a failed rescan. */
int mo_engine_run(struct mo_engine *e);
/* When the next retry is due on the clock; 0: none. */
uint64_t mo_engine_next_due(const struct mo_engine *e);
/*
 * Run until idle, sleeping on the engine's clock until each retry is due:
 * a one-shot driver's whole wait (online, online --udev).
 */
void mo_engine_drain(struct mo_engine *e);
/* Nothing queued, no retry pending, no rescan. */
bool mo_engine_idle(const struct mo_engine *e);
size_t mo_engine_n_blocks(const struct mo_engine *e);
/* Blocks known to be offline now (left offline, failed, or still retrying). */
size_t mo_engine_n_offline(const struct mo_engine *e);

#ifdef __cplusplus
}
#endif
#endif
