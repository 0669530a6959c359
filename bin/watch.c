// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memonline watch: a daemon that onlines hot-added memory as it arrives.
 *
 * One thread, one epoll loop over three descriptors: the event source (a
 * libudev monitor, or a replay for tests), a signalfd (SIGHUP reloads the
 * policy, SIGTERM and SIGINT stop) and a timerfd for retries.  Receiving is
 * enabled before the first scan, so a block added meanwhile is seen by the
 * scan or by its event, and a block seen by both is onlined once: every
 * action starts from the state read back from sysfs, never from the event.
 *
 * Each block the daemon knows has a slot in an open-addressing table, sized
 * at start for four times the blocks there are; slots carry what the ratio
 * is counted on (online, movable, node) and what must not repeat (a retry
 * pending, a failure reported).  Events are taken in batches: the sources of
 * a batch are classified with one read of /proc/iomem.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <link.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#if defined(__SANITIZE_ADDRESS__)
#define MO_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MO_ASAN 1
#endif
#endif

#define BATCH		   512 /* blocks handled per turn of the loop */
#define RETRY_FIRST_MS	   100 /* then 200, 400, 800, 1600: 3.1 s in all */
#define RETRY_MAX	   5   /* retries after the first try */
#define SETTLE_TRIES	   11  /* 1, 2, 4 ... 1024 ms: 2 s for the node link */
#define CORRECT_OFFLINE_S  5   /* how long moving a block may spend offlining it */
#define RECEIVE_ERRORS_MAX 8   /* in a row: the source is broken, not busy */
#define NSEC		   1000000000ull

/* What a slot knows about its block. */
enum {
	S_USED = 1 << 0,
	S_ONLINE = 1 << 1,  /* online or going offline: counts in the ratio */
	S_MOVABLE = 1 << 2, /* ... in ZONE_MOVABLE */
	S_QUEUED = 1 << 3,  /* waiting in the batch queue */
	S_RETRY = 1 << 4,   /* a retry is due at .due */
	S_GAVE_UP = 1 << 5, /* reported once; left alone until added again */
	S_ADDED = 1 << 6,   /* hot-added while we watched: not boot memory */
	S_AWAIT_ONLINE = 1 << 7, /* auto-online correct: the kernel is to online it */
	S_SETTLED = 1 << 8, /* auto-online correct: checked, moved at most once */
	S_BOOT = 1 << 9,    /* boot memory: counts as early kernel memory */
	S_STATIC = 1 << 10, /* in a static memory group (a DIMM): .group */
	S_DYNAMIC = 1 << 11, /* in a dynamic memory group (virtio-mem): .group */
};

struct slot {
	unsigned long id;
	uint64_t ino;	/* of memoryN/: a block added again gets a new one */
	uint64_t since; /* when onlining it became our job, for the time taken */
	uint64_t due;	/* next try */
	uint64_t group; /* its memory group's id, with S_STATIC or S_DYNAMIC */
	int32_t node;
	uint16_t flags;
	uint8_t tries;
	uint8_t gen; /* the scan that last saw it */
};

struct table {
	struct slot *slots;
	size_t cap, n; /* cap: a power of two */
};

struct watch {
	struct control *ctl;
	struct mo_ctx *ctx;
	struct mo_policy *policy;
	struct mo_monitor *mon;
	uint64_t block_size;
	struct table t;
	int owner; /* enum mo_owner, or -1 before the first check */
	uint8_t gen;

	unsigned long queue[BATCH];
	size_t n_queue;
	struct mo_block batch[BATCH];
	size_t n_retry;
	uint64_t timer_due; /* what the timerfd is armed for; 0: disarmed */

	int ep, sfd, tfd;
	struct mo_daemon_lock marker;
	bool journal;	   /* stderr goes to the journal: levels as <N> prefixes */
	bool source_polls; /* false: a regular file, always readable */
	bool replay;	   /* events from --replay, not from the kernel or udevd */
	bool rescan, ended, quit;
	unsigned receive_errors;
	unsigned long onlined, moved;
};

/* ---- Words ---- */

__attribute__((format(printf, 3, 4)))
static void say(const struct watch *w, int level, const char *fmt, ...)
{
	char buf[640];
	va_list ap;
	int n;

	if (level >= LOG_DEBUG && !w->ctl->verbose)
		return;
	/* One write(2) a line: a storm's lines stay whole, and nothing is allocated. */
	if (w->journal)
		n = snprintf(buf, sizeof(buf), "<%d>", level);
	else
		n = snprintf(buf, sizeof(buf), "%s: ", w->ctl->prog);
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, n) < 0)
		return; /* nowhere left to say it */
}

/* systemd connects stderr to the journal and says so in JOURNAL_STREAM. */
static bool stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return env && sscanf(env, "%llu:%llu", &dev, &ino) == 2 &&
	       fstat(STDERR_FILENO, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

/* sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET. */
static void notify(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@'))
		return;
	len = strlen(path);
	if (len >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract namespace */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	(void)sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa,
		     offsetof(struct sockaddr_un, sun_path) + len);
	close(fd);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

static double ms_since(uint64_t t)
{
	return (now_ns() - t) / 1e6;
}

/* ---- The table of blocks ---- */

static size_t home(const struct table *t, unsigned long id)
{
	return (size_t)(((uint64_t)id * 0x9e3779b97f4a7c15ull) >> 32) & (t->cap - 1);
}

static struct slot *find(const struct table *t, unsigned long id)
{
	for (size_t i = home(t, id);; i = (i + 1) & (t->cap - 1)) {
		struct slot *s = &t->slots[i];

		if (!(s->flags & S_USED))
			return NULL;
		if (s->id == id)
			return s;
	}
}

static int table_init(struct table *t, size_t cap)
{
	t->slots = calloc(cap, sizeof(*t->slots));
	if (!t->slots)
		return -ENOMEM;
	t->cap = cap;
	t->n = 0;
	return 0;
}

static void place(struct table *t, const struct slot *s)
{
	size_t i = home(t, s->id);

	while (t->slots[i].flags & S_USED)
		i = (i + 1) & (t->cap - 1);
	t->slots[i] = *s;
	t->n++;
}

/* Pointers into the table are good until the next insert or delete. */
static struct slot *insert(struct table *t, unsigned long id)
{
	struct slot *s = find(t, id);

	if (s)
		return s;
	/* Kept at most 3/4 full; growing allocates, but only when memory grew. */
	if ((t->n + 1) * 4 > t->cap * 3) {
		struct table bigger;

		if (table_init(&bigger, t->cap * 2) < 0)
			return NULL;
		for (size_t i = 0; i < t->cap; i++)
			if (t->slots[i].flags & S_USED)
				place(&bigger, &t->slots[i]);
		free(t->slots);
		*t = bigger;
	}
	place(t, &(struct slot){ .id = id, .node = -1, .flags = S_USED });
	return find(t, id);
}

/* Linear probing deletes by moving later members of the cluster back. */
static void erase(struct table *t, struct slot *s)
{
	size_t hole = s - t->slots, i = hole;

	for (;;) {
		size_t h;

		i = (i + 1) & (t->cap - 1);
		if (!(t->slots[i].flags & S_USED))
			break;
		h = home(t, t->slots[i].id);
		/* Movable into the hole unless its home lies cyclically in (hole, i]. */
		if ((i > hole && (h <= hole || h > i)) ||
		    (i < hole && h <= hole && h > i)) {
			t->slots[hole] = t->slots[i];
			hole = i;
		}
	}
	t->slots[hole] = (struct slot){ 0 };
	t->n--;
}

static void forget(struct watch *w, struct slot *s)
{
	if (s->flags & S_RETRY)
		w->n_retry--;
	erase(&w->t, s);
}

static void set_state_flags(struct slot *s, const struct mo_block *b)
{
	s->flags &= ~(S_ONLINE | S_MOVABLE);
	if (b->state == MO_STATE_ONLINE || b->state == MO_STATE_GOING_OFFLINE) {
		s->flags |= S_ONLINE;
		if (b->have_zones && b->zone == MO_ZONE_MOVABLE)
			s->flags |= S_MOVABLE;
	}
	if (b->node >= 0)
		s->node = b->node;
}

/* Where its memory came from, once a scan or a batch has classified it. */
static void set_source_flags(struct slot *s, const struct mo_block *b)
{
	s->flags &= ~(S_BOOT | S_STATIC | S_DYNAMIC);
	if (b->source == MO_SOURCE_BOOT)
		s->flags |= S_BOOT;
	if (b->group == MO_GROUP_STATIC)
		s->flags |= S_STATIC;
	else if (b->group == MO_GROUP_DYNAMIC)
		s->flags |= S_DYNAMIC;
	s->group = b->group_id;
}

static void stop_retrying(struct watch *w, struct slot *s)
{
	if (s->flags & S_RETRY)
		w->n_retry--;
	s->flags &= ~S_RETRY;
	s->tries = 0;
}

/* What a scan would count, from the table, refined by /proc/zoneinfo. */
static void usage_from_table(const struct watch *w, struct mo_usage *u)
{
	memset(u, 0, sizeof(*u));
	for (size_t i = 0; i < w->t.cap; i++) {
		const struct slot *s = &w->t.slots[i];
		struct mo_block b = {
			.id = s->id, .node = s->node,
			.state = s->flags & S_ONLINE ? MO_STATE_ONLINE : MO_STATE_OFFLINE,
			.source = s->flags & S_BOOT ? MO_SOURCE_BOOT : MO_SOURCE_UNKNOWN,
			.group = s->flags & S_STATIC	? MO_GROUP_STATIC
				 : s->flags & S_DYNAMIC ? MO_GROUP_DYNAMIC
							: MO_GROUP_NONE,
			.group_id = s->group,
		};

		if (!(s->flags & S_USED))
			continue;
		u->numa |= s->node >= 0;
		mo_usage_add_member(u, &b, w->block_size);
		if (s->flags & S_ONLINE)
			mo_usage_add_block(u, &b, s->flags & S_MOVABLE, w->block_size);
	}
	mo_usage_refine(w->ctx, u);
}

static void usage_remove(struct mo_usage *u, int node, bool movable, uint64_t size)
{
	uint64_t *total = movable ? &u->movable : &u->kernel;

	*total -= size < *total ? size : *total;
	if (node >= 0 && node < MO_MAX_NODES) {
		uint64_t *n = movable ? &u->node_movable[node] : &u->node_kernel[node];

		*n -= size < *n ? size : *n;
	}
}

/* ---- Who onlines ---- */

static void check_owner(struct watch *w)
{
	struct mo_owner_info o;

	mo_owner_read(w->ctx, w->policy, MO_OWNER_AS_DAEMON, &o);
	if ((int)o.owner == w->owner)
		return;
	if (o.owner == MO_OWNER_KERNEL)
		say(w, LOG_NOTICE,
		    "the kernel onlines new memory itself "
		    "(auto_online_blocks=%s): stepping aside",
		    mo_auto_online_name(o.auto_online));
	else if (o.owner == MO_OWNER_KERNEL_CORRECTED)
		say(w, LOG_NOTICE,
		    "the kernel onlines new memory itself "
		    "(auto_online_blocks=%s): moving only the blocks it puts in "
		    "another zone than the policy's (auto-online correct)",
		    mo_auto_online_name(o.auto_online));
	else if (w->owner != -1)
		say(w, LOG_NOTICE,
		    "auto_online_blocks=offline: onlining new memory again");
	w->owner = o.owner;
}

/* ---- Acting on one block ---- */

static bool transient(int err)
{
	/*
	 * ENOMEM: memory is short right now, which is why it is being added.
	 * EBUSY: virtio-mem refuses while its device is busy or going away.
	 */
	return err == -EBUSY || err == -ENOMEM || err == -EAGAIN || err == -EINTR;
}

static void failed(struct watch *w, struct slot *s, const char *action, int err)
{
	const char *why = explain_state_error(err, false);
	unsigned long id = s->id;
	char tries[64] = "";

	/*
	 * EAGAIN: the block is not linked to its node yet, which the kernel
	 * does moments after the add event: look again soon, not in 100 ms.
	 */
	bool settling = err == -EAGAIN;
	unsigned max = settling ? SETTLE_TRIES : RETRY_MAX;

	if (transient(err) && s->tries < max) {
		uint64_t delay = settling ? 1ull << s->tries : (uint64_t)RETRY_FIRST_MS << s->tries;

		s->tries++;
		s->due = now_ns() + delay * 1000000;
		if (!(s->flags & S_RETRY))
			w->n_retry++;
		s->flags |= S_RETRY;
		say(w, LOG_DEBUG, "memory%lu: %s: %s; retry %u of %u in %" PRIu64 " ms",
		    id, action, strerror(-err), s->tries, max, delay);
		return;
	}
	/* Reported once, in one line: it stays offline until it is added again. */
	if (s->tries)
		snprintf(tries, sizeof(tries), "; gave up after %u tries in %.0f ms",
			 s->tries + 1, ms_since(s->since));
	say(w, LOG_ERR, "memory%lu: %s failed: %s%s%s%s%s", id, action, strerror(-err),
	    why ? " (" : "", why ? why : "", why ? ")" : "", tries);
	stop_retrying(w, s);
	s->flags |= S_GAVE_UP;
}

static void online_block(struct watch *w, struct slot *s, struct mo_block *b,
			 struct mo_usage *u)
{
	struct mo_decision d;
	unsigned tries = s->tries;
	int r;

	if (b->state == MO_STATE_ONLINE) {
		say(w, LOG_DEBUG, "memory%lu: already online %s", b->id,
		    block_zone_name(b));
		stop_retrying(w, s);
		return;
	}
	if (b->state != MO_STATE_OFFLINE) {
		stop_retrying(w, s); /* going offline: someone is taking it away */
		return;
	}
	r = mo_block_online_by_policy(w->ctx, w->policy, w->block_size, u, MO_CHOICE__MAX,
				      false, b, &d);
	set_state_flags(s, b);
	if (r == -EAGAIN) {
		failed(w, s, "online", r);
		return;
	}
	if (d.skip) {
		say(w, LOG_INFO, "memory%lu: left offline (%s)", b->id, d.reason);
		stop_retrying(w, s);
		return;
	}
	if (r == 0) {
		w->onlined++;
		/* The one line per block: which, where, how long since it arrived. */
		if (tries)
			say(w, LOG_INFO, "memory%lu: online %s in %.1f ms, at try %u",
			    b->id, block_zone_name(b), ms_since(s->since), tries + 1);
		else
			say(w, LOG_INFO, "memory%lu: online %s in %.1f ms", b->id,
			    block_zone_name(b), ms_since(s->since));
		say(w, LOG_DEBUG, "memory%lu: %s", b->id, d.reason);
		stop_retrying(w, s);
		return;
	}
	if (r == -EALREADY) {
		say(w, LOG_DEBUG, "memory%lu: onlined meanwhile by another agent, %s",
		    b->id, block_zone_name(b));
		stop_retrying(w, s);
		return;
	}
	if (r == -ENOENT) {
		say(w, LOG_DEBUG, "memory%lu: removed before it was onlined", b->id);
		forget(w, s);
		return;
	}
	failed(w, s, mo_online_type_word(d.type), r);
}

/*
 * auto-online correct: the kernel onlined a block it had just added; if the
 * policy would have put it in the other kind of zone, offline it and online
 * it by policy, once.  Only a block that can be moved: in one zone (not
 * "none"), and not Hyper-V's, whose holes make offlining impossible.
 */
static void correct_block(struct watch *w, struct slot *s, struct mo_block *b,
			  struct mo_usage *u)
{
	struct mo_block as_offline = *b;
	struct mo_decision d;
	bool was_movable;
	const char *was;
	uint64_t t0;
	int r;

	if (!(s->flags & S_ADDED) || (s->flags & S_SETTLED))
		return;
	if (b->state == MO_STATE_OFFLINE) {
		s->flags |= S_AWAIT_ONLINE; /* its online event brings it back */
		return;
	}
	s->flags &= ~S_AWAIT_ONLINE;
	if (b->state != MO_STATE_ONLINE)
		return;
	s->flags |= S_SETTLED;
	/*
	 * Judged as the block that came in offline: an online block without
	 * a mark of its own would read as boot memory, where offline it reads
	 * as the hypervisor's (Xen, Hyper-V).
	 */
	as_offline.state = MO_STATE_OFFLINE;
	mo_block_read_source(w->ctx, w->block_size, &as_offline);
	if (!b->have_zones || b->zone < 0 || as_offline.source == MO_SOURCE_HYPERV)
		return;

	/* The policy's choice had the block come to us offline: count it out. */
	was_movable = b->zone == MO_ZONE_MOVABLE;
	was = mo_zone_name(b->zone);
	usage_remove(u, b->node, was_movable, w->block_size);
	/* What a hot-added block offers offline; valid_zones says for sure later. */
	as_offline.zones = MO_ZONE_BIT(b->zone) | MO_ZONE_BIT(MO_ZONE_NORMAL) |
			   MO_ZONE_BIT(MO_ZONE_MOVABLE);
	mo_policy_decide(w->policy, &as_offline, w->block_size, u, MO_CHOICE__MAX, &d);
	if (d.skip || d.type == MO_ONLINE_DEFAULT ||
	    (d.type == MO_ONLINE_MOVABLE) == was_movable) {
		mo_usage_add(u, b->node, was_movable, w->block_size);
		say(w, LOG_DEBUG,
		    "memory%lu: the kernel put it in %s, which the policy keeps", b->id,
		    was);
		return;
	}

	t0 = now_ns();
	r = offline_within(w->ctx, b, CORRECT_OFFLINE_S);
	if (r < 0 && r != -EALREADY) {
		mo_usage_add(u, b->node, was_movable, w->block_size);
		if (r == -ENOENT)
			return;
		say(w, LOG_WARNING,
		    "memory%lu: the kernel put it in %s, the policy wants %s; "
		    "left there: offlining it failed: %s",
		    b->id, was, d.type == MO_ONLINE_MOVABLE ? "Movable" : "a kernel zone",
		    r == -ETIME ? "took too long" : strerror(-r));
		return;
	}
	b->source = as_offline.source;
	r = mo_block_online_by_policy(w->ctx, w->policy, w->block_size, u, MO_CHOICE__MAX,
				      false, b, &d);
	if (d.skip || (r < 0 && r != -EALREADY)) {
		/* Offline memory helps nobody: back where the kernel had put it. */
		int back = mo_block_set_state(
			w->ctx, b, was_movable ? MO_ONLINE_MOVABLE : MO_ONLINE_KERNEL);

		say(w, LOG_WARNING, "memory%lu: moving it out of %s failed: %s; %s",
		    b->id, was, d.skip ? "the policy skips it" : strerror(-r),
		    back == 0 || back == -EALREADY ? "back online where it was"
						   : "and it is now offline");
		set_state_flags(s, b);
		if (back == 0)
			mo_usage_add(u, b->node, was_movable, w->block_size);
		return;
	}
	set_state_flags(s, b);
	w->moved++;
	say(w, LOG_INFO, "memory%lu: moved from %s to %s in %.1f ms", b->id, was,
	    block_zone_name(b), ms_since(t0));
}

static void handle_block(struct watch *w, struct mo_block *b, struct mo_usage *u)
{
	struct slot *s = find(&w->t, b->id);

	if (!s)
		return;
	set_state_flags(s, b);
	switch (w->owner) {
	case MO_OWNER_KERNEL:
		stop_retrying(w, s);
		return;
	case MO_OWNER_KERNEL_CORRECTED:
		stop_retrying(w, s);
		correct_block(w, s, b, u);
		return;
	default:
		online_block(w, s, b, u);
	}
}

/* ---- Batches ---- */

/*
 * The kernel onlines a device's blocks in address order as it adds them, and
 * where the budget runs out that order decides which block is movable: a
 * block waits behind a lower one still settling (or retrying), due when it is.
 */
struct waiting {
	unsigned long lowest; /* ULONG_MAX: none */
	uint64_t due;
};

static void note_waiting(struct watch *w, unsigned long id, struct waiting *wt)
{
	const struct slot *s = find(&w->t, id);

	if (s && (s->flags & S_RETRY) && id < wt->lowest) {
		wt->lowest = id;
		wt->due = s->due;
	}
}

static bool wait_behind(struct watch *w, const struct mo_block *b, const struct waiting *wt)
{
	struct slot *s = find(&w->t, b->id);

	if (!s || w->owner != MO_OWNER_US || b->state != MO_STATE_OFFLINE ||
	    b->id <= wt->lowest)
		return false;
	if (!(s->flags & S_RETRY))
		w->n_retry++;
	s->flags |= S_RETRY;
	s->due = wt->due;
	return true;
}

static int cmp_block_id(const void *a, const void *b)
{
	const struct mo_block *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static int usage_from_scan(struct watch *w, struct mo_usage *u)
{
	struct mo_memory *mem;
	int r = mo_memory_scan(w->ctx, MO_SCAN_SOURCE, &mem);

	if (r < 0)
		return r;
	mo_usage_read(w->ctx, mem, u);
	mo_memory_free(mem);
	return 0;
}

static void process_queue(struct watch *w)
{
	struct waiting wt = { .lowest = ULONG_MAX };
	struct mo_usage u;
	bool dimm = false;
	size_t n = 0;

	if (!w->n_queue)
		return;
	check_owner(w);
	for (size_t i = 0; i < w->n_queue; i++) {
		struct slot *s = find(&w->t, w->queue[i]);
		struct mo_block *b = &w->batch[n];
		int r;

		if (!s)
			continue; /* removed while queued */
		s->flags &= ~S_QUEUED;
		if (w->owner == MO_OWNER_KERNEL) {
			say(w, LOG_DEBUG, "memory%lu: left to the kernel", s->id);
			stop_retrying(w, s);
			continue;
		}
		*b = (struct mo_block){ .id = s->id, .node = -1, .zone = -1 };
		r = mo_block_refresh(w->ctx, b);
		if (r == -EAGAIN) {
			failed(w, s, "online", r); /* not linked to its node yet */
			note_waiting(w, s->id, &wt);
			continue;
		}
		if (r == -ENOENT) {
			say(w, LOG_DEBUG, "memory%lu: removed before it was handled",
			    s->id);
			forget(w, s);
			continue;
		}
		if (r < 0) {
			say(w, LOG_ERR,
			    "%s/devices/system/memory/memory%lu/%s: %s, ignoring block",
			    mo_sys_dir(w->ctx), s->id,
			    b->bad_attr ? b->bad_attr : "state",
			    r == -EINVAL ? "unexpected value" : strerror(-r));
			stop_retrying(w, s);
			s->flags |= S_GAVE_UP;
			continue;
		}
		/* The refresh read the node link where it had to wait for it. */
		if (b->node < 0) {
			r = mo_block_read_node(w->ctx, s->id);
			b->node = r >= 0 ? r : s->node;
		}
		n++;
	}
	w->n_queue = 0;
	if (!n)
		return;
	mo_blocks_read_source(w->ctx, w->block_size, w->batch, n);
	for (size_t i = 0; i < n; i++) {
		struct slot *s = find(&w->t, w->batch[i].id);

		if (s) {
			set_source_flags(s, &w->batch[i]);
			set_state_flags(s, &w->batch[i]);
		}
		dimm |= w->batch[i].group == MO_GROUP_STATIC;
	}
	/*
	 * A DIMM is decided as a whole: its blocks not in this batch may not
	 * be classified in the table yet, a scan knows them all.  DIMMs are
	 * a few blocks; the storms of virtio-mem and Xen stay on the table.
	 */
	if (!dimm || usage_from_scan(w, &u) < 0)
		usage_from_table(w, &u);
	/* Retries come back in the table's order: lowest first, as the kernel. */
	qsort(w->batch, n, sizeof(*w->batch), cmp_block_id);
	for (size_t i = 0; i < n; i++) {
		if (wait_behind(w, &w->batch[i], &wt))
			continue;
		handle_block(w, &w->batch[i], &u);
		note_waiting(w, w->batch[i].id, &wt);
	}
}

static void enqueue(struct watch *w, unsigned long id)
{
	struct slot *s;

	if (w->n_queue == BATCH)
		process_queue(w);
	s = find(&w->t, id);
	if (!s || (s->flags & S_QUEUED))
		return;
	s->flags |= S_QUEUED;
	w->queue[w->n_queue++] = id;
}

static void queue_due_retries(struct watch *w)
{
	uint64_t now = now_ns();

	if (!w->n_retry)
		return;
	for (size_t i = 0; i < w->t.cap; i++) {
		struct slot *s = &w->t.slots[i];

		if ((s->flags & S_RETRY) && !(s->flags & S_QUEUED) && s->due <= now &&
		    w->n_queue < BATCH) {
			s->flags |= S_QUEUED;
			w->queue[w->n_queue++] = s->id;
		}
	}
}

static void arm_timer(struct watch *w)
{
	struct itimerspec its = { 0 };
	uint64_t next = 0;

	for (size_t i = 0; w->n_retry && i < w->t.cap; i++) {
		const struct slot *s = &w->t.slots[i];

		if ((s->flags & S_RETRY) && !(s->flags & S_QUEUED) &&
		    (!next || s->due < next))
			next = s->due;
	}
	if (next == w->timer_due)
		return;
	/* Absolute: a due time already past fires at once. */
	its.it_value.tv_sec = next / NSEC;
	its.it_value.tv_nsec = next % NSEC;
	if (timerfd_settime(w->tfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		w->timer_due = next;
}

/* ---- Scans: at start, and whenever events may have been lost ---- */

static void sweep(struct watch *w)
{
	for (size_t i = 0; i < w->t.cap;) {
		struct slot *s = &w->t.slots[i];

		/* Deleting pulls a later slot into i: look at i again. */
		if ((s->flags & S_USED) && s->gen != w->gen)
			forget(w, s);
		else
			i++;
	}
}

/*
 * A block is new when the table does not know it, or knows another block
 * under its number (a new inode).  New offline blocks are onlined; a known
 * block that is offline was offlined on purpose, or left offline by policy
 * or after a failure, and stays so.
 */
static int rescan(struct watch *w, bool coldplug)
{
	struct waiting wt = { .lowest = ULONG_MAX };
	struct mo_memory *mem;
	struct mo_usage u;
	int r;

	w->rescan = false;
	r = mo_memory_scan(w->ctx, MO_SCAN_SOURCE, &mem);
	if (r < 0) {
		say(w, LOG_ERR, "%s/devices/system/memory: %s", mo_sys_dir(w->ctx),
		    strerror(-r));
		return r;
	}
	w->block_size = mem->block_size;
	check_owner(w);
	w->gen++;
	mo_usage_read(w->ctx, mem, &u);
	for (size_t i = 0; i < mem->n_blocks; i++) {
		struct mo_block *b = &mem->blocks[i];
		uint64_t ino = 0;
		bool fresh = false;
		struct slot *s;

		if (mo_block_read_ino(w->ctx, b->id, &ino) == -ENOENT)
			continue; /* gone since the scan */
		s = find(&w->t, b->id);
		if (s && s->ino && ino && s->ino != ino) {
			forget(w, s);
			s = NULL;
		}
		if (!s) {
			s = insert(&w->t, b->id);
			if (!s) {
				say(w, LOG_ERR, "memory%lu: no memory to track it, "
				    "ignoring block", b->id);
				continue;
			}
			fresh = true;
			s->since = now_ns();
			if (!coldplug)
				s->flags |= S_ADDED;
		}
		s->ino = ino;
		s->gen = w->gen;
		set_state_flags(s, b);
		set_source_flags(s, b);
		if (!fresh)
			continue;
		if (b->error == -EAGAIN) {
			failed(w, s, "online", b->error); /* its node link comes soon */
			note_waiting(w, b->id, &wt);
			continue;
		}
		if (b->error) {
			say(w, LOG_ERR,
			    "%s/devices/system/memory/memory%lu/%s: %s, ignoring block",
			    mo_sys_dir(w->ctx), b->id, b->bad_attr,
			    b->error == -EINVAL ? "unexpected value"
						: strerror(-b->error));
			s->flags |= S_GAVE_UP;
			continue;
		}
		/* Lowest first, as online --all: kernel zones grow up from boot memory */
		if (wait_behind(w, b, &wt))
			continue;
		if (b->state == MO_STATE_OFFLINE || (s->flags & S_ADDED)) {
			handle_block(w, b, &u);
			note_waiting(w, b->id, &wt);
		}
	}
	mo_memory_free(mem);
	sweep(w);
	return 0;
}

/* ---- Events ---- */

static void lost_events(struct watch *w, const char *why)
{
	if (!w->rescan)
		say(w, LOG_WARNING, "%s: rescanning", why);
	w->rescan = true;
}

static void on_add(struct watch *w, unsigned long id)
{
	uint64_t ino = 0;
	struct slot *s;

	if (mo_block_read_ino(w->ctx, id, &ino) == -ENOENT) {
		s = find(&w->t, id);
		if (s)
			forget(w, s);
		say(w, LOG_DEBUG, "memory%lu: removed before it was handled", id);
		return;
	}
	s = find(&w->t, id);
	if (s && s->ino && ino && s->ino != ino) {
		forget(w, s); /* another block under the same number */
		s = NULL;
	}
	if (!s) {
		s = insert(&w->t, id);
		if (!s) {
			say(w, LOG_ERR, "memory%lu: no memory to track it, ignoring "
			    "its add event", id);
			return;
		}
	}
	s->ino = ino;
	s->gen = w->gen;
	s->flags |= S_ADDED;
	/* udevadm trigger replays add for every block: never a second report. */
	if (s->flags & (S_QUEUED | S_RETRY | S_GAVE_UP))
		return;
	s->since = now_ns();
	enqueue(w, id);
}

static void on_state_event(struct watch *w, const struct mo_event *ev)
{
	bool online = ev->action == MO_EVENT_ONLINE;
	struct slot *s = find(&w->t, ev->block);
	struct mo_block b;

	if (!s) {
		char why[96];

		snprintf(why, sizeof(why), "an %s event for memory%lu, never seen added",
			 online ? "online" : "offline", ev->block);
		lost_events(w, why);
		return;
	}
	/* Events trail the writes that caused them: only a disagreement is news. */
	if (!!(s->flags & S_ONLINE) == online && !(s->flags & S_AWAIT_ONLINE))
		return;
	b = (struct mo_block){ .id = s->id, .node = s->node, .zone = -1 };
	if (mo_block_refresh(w->ctx, &b) < 0)
		return;
	set_state_flags(s, &b);
	if ((s->flags & S_AWAIT_ONLINE) && b.state == MO_STATE_ONLINE)
		enqueue(w, s->id);
}

static void receive_events(struct watch *w)
{
	struct mo_event ev;
	char why[96];
	int r;

	/* A bounded drain, so retries and signals get their turn in a storm. */
	for (unsigned n = 0; n < 4 * BATCH; n++) {
		r = mo_monitor_receive(w->mon, &ev);
		if (r == 0)
			return;
		if (r == -EPIPE) {
			w->ended = true;
			if (w->source_polls)
				epoll_ctl(w->ep, EPOLL_CTL_DEL, mo_monitor_fd(w->mon),
					  NULL);
			return;
		}
		if (r == -ENOBUFS) {
			lost_events(w, "events were lost (receive buffer overflow)");
			continue;
		}
		if (r == -EBADMSG && w->replay) {
			say(w, LOG_WARNING,
			    "%s: a line that is not 'ACTION DEVPATH', ignoring",
			    mo_monitor_name(w->mon));
			continue;
		}
		if (r == -EBADMSG) {
			/*
			 * Not a broken source: the message is gone, the next
			 * one may be fine.  It passed the monitor's filter on
			 * subsystem memory, so it may have been a block's event.
			 */
			w->receive_errors = 0;
			snprintf(why, sizeof(why),
				 "%s monitor: an event libudev could not parse",
				 mo_monitor_name(w->mon));
			lost_events(w, why);
			continue;
		}
		if (r < 0) {
			if (++w->receive_errors >= RECEIVE_ERRORS_MAX) {
				say(w, LOG_ERR,
				    "receiving %s events: %s, %u times in a row: exiting",
				    mo_monitor_name(w->mon), strerror(-r),
				    w->receive_errors);
				w->quit = true;
				return;
			}
			snprintf(why, sizeof(why), "receiving %s events: %s",
				 mo_monitor_name(w->mon), strerror(-r));
			lost_events(w, why);
			return;
		}
		w->receive_errors = 0;
		switch (ev.action) {
		case MO_EVENT_ADD:
			on_add(w, ev.block);
			break;
		case MO_EVENT_REMOVE: {
			struct slot *s = find(&w->t, ev.block);

			if (s)
				forget(w, s);
			break;
		}
		case MO_EVENT_ONLINE:
		case MO_EVENT_OFFLINE:
			on_state_event(w, &ev);
			break;
		}
	}
}

/* ---- Signals ---- */

static void reload(struct watch *w)
{
	struct mo_config_error err;
	struct mo_policy *p;
	int r;

	notify("RELOADING=1");
	r = mo_policy_load(w->ctl->config, w->ctl->config_flags, &p, &err);
	if (r < 0 && err.file[0] && err.line)
		say(w, LOG_ERR, "%s:%u: %s; keeping the previous configuration", err.file,
		    err.line, err.msg);
	else if (r < 0 && err.file[0])
		say(w, LOG_ERR, "%s: %s; keeping the previous configuration", err.file,
		    err.msg);
	else if (r < 0)
		say(w, LOG_ERR, "%s: %s; keeping the previous configuration",
		    w->ctl->config, strerror(-r));
	if (r == 0) {
		mo_policy_free(w->policy);
		w->policy = p;
		say(w, LOG_NOTICE, "configuration reloaded from %s", w->ctl->config);
		check_owner(w);
	}
	notify("READY=1");
}

static void read_signals(struct watch *w)
{
	struct signalfd_siginfo si;

	while (read(w->sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reload(w);
		} else {
			say(w, LOG_DEBUG, "%s: exiting", strsignal(si.ssi_signo));
			w->quit = true;
		}
	}
}

/* ---- Set-up ---- */

/*
 * Memory is short exactly when memory is being added: pages of the daemon
 * paged out then would have to come back from disk first.
 */
#ifdef MO_ASAN
static void lock_memory(struct watch *w)
{
	/* ASan reserves terabytes of shadow memory: not something to lock. */
	say(w, LOG_DEBUG, "memory not locked: AddressSanitizer build");
}
#else
static bool have_cap(int cap)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	return syscall(SYS_capget, &h, d) == 0 &&
	       (d[cap / 32].effective & (1u << (cap % 32)));
}

/*
 * mlock every loaded segment of every object dl_iterate_phdr names: the
 * program and its shared libraries, code and data.  Locking what coldplug
 * touched was not enough: run from a disk with its unlocked pages evicted
 * (tests/qemu/starved daemon-disk), the daemon took a major fault during a
 * storm in libc's read-only data and, with that locked, in libc's code.
 */
static int lock_objects(struct dl_phdr_info *info, size_t size, void *data)
{
	long page = sysconf(_SC_PAGESIZE);

	(void)size;
	(void)data;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start, end;

		if (ph->p_type != PT_LOAD)
			continue;
		start = (info->dlpi_addr + ph->p_vaddr) & ~(uintptr_t)(page - 1);
		end = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
		mlock((void *)start, end - start);
	}
	return 0;
}

/* Stack that the deepest path an event takes may use, with room to spare. */
#define STACK_PREFAULT (64 * 1024)

static void __attribute__((noinline)) prefault_stack(void)
{
	volatile char pad[STACK_PREFAULT];

	memset((char *)pad, 0, sizeof(pad));
}

/*
 * MCL_ONFAULT keeps what coldplug touched, but an event's path (receiving,
 * the decision, the write and its check) may not have run yet: a block
 * found online at start takes none of it.  Faulted in on the first event,
 * those pages would come from disk while the guest thrashes.  So the
 * program and its libraries, code and data (2.6 MiB, libc's 1.9 MiB of
 * it), and a stack deep enough, are made resident now: 3.0 MiB of RSS
 * after start, 3.7 MiB after a storm, under the 4 MiB target
 * (docs/benchmarks.md).  Later mappings are still locked only as used.
 */
static void prefault_hot_add_path(void)
{
	dl_iterate_phdr(lock_objects, NULL);
	prefault_stack();
}

static void lock_memory(struct watch *w)
{
	struct rlimit rl;

	/*
	 * Past RLIMIT_MEMLOCK, MCL_FUTURE makes later allocations fail: better
	 * unlocked than unable to grow.
	 */
	if (!have_cap(CAP_IPC_LOCK) && getrlimit(RLIMIT_MEMLOCK, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY) {
		say(w, LOG_WARNING,
		    "memory not locked: no CAP_IPC_LOCK and RLIMIT_MEMLOCK is "
		    "%llu KiB, ignoring",
		    (unsigned long long)rl.rlim_cur / 1024);
		return;
	}
	/*
	 * MCL_ONFAULT (Linux 4.4): lock each page once it is used, not every
	 * page of every library mapped, most of which the daemon never runs:
	 * 4.7 MiB mapped, 2.7 MiB resident after start on a small tree.  What
	 * start-up and coldplug touched, the paths an event takes, stays
	 * locked.  Older kernels refuse the flag: lock everything then.
	 */
	if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) < 0 &&
	    (errno != EINVAL || mlockall(MCL_CURRENT | MCL_FUTURE) < 0)) {
		say(w, LOG_WARNING, "cannot lock memory, ignoring: %s", strerror(errno));
		return;
	}
	prefault_hot_add_path();
}
#endif

/* RUN/memonline/watch: the udev rule steps aside, a second daemon refuses to start. */
static void take_marker(struct watch *w)
{
	char path[PATH_MAX];
	pid_t holder = 0;
	int r;

	if (mo_daemon_marker_path(w->ctx, path, sizeof(path)) < 0)
		errx(EXIT_FAIL, "%s: path too long", mo_run_dir(w->ctx));
	r = mo_daemon_lock(w->ctx, &w->marker, &holder);
	if (r == -EWOULDBLOCK) {
		char pid[32] = "?";

		if (holder > 0)
			snprintf(pid, sizeof(pid), "%d", (int)holder);
		errx(EXIT_FAIL, "memonline watch already runs (pid %s, %s)", pid, path);
	}
	if (r < 0)
		errx(EXIT_FAIL, "%s: %s", path, strerror(-r));
	if (w->marker.pid_err < 0)
		say(w, LOG_WARNING, "%s: cannot write the pid, ignoring: %s", path,
		    strerror(-w->marker.pid_err));
}

static void open_source(struct watch *w, const char *replay, enum mo_monitor_kind kind)
{
	int r, fd;

	w->replay = replay != NULL;
	if (replay) {
		fd = strcmp(replay, "-") == 0 ? dup(STDIN_FILENO)
					      : open(replay, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			errx(EXIT_FAIL, "%s: %s", replay, strerror(errno));
		r = mo_monitor_new_replay(fd, &w->mon);
		if (r < 0) {
			close(fd);
			errx(EXIT_FAIL, "%s: %s", replay, strerror(-r));
		}
	} else {
		r = mo_monitor_new_uevent(w->ctx, kind, &w->mon);
		if (r == -ENOPKG)
			errx(EXIT_FAIL, "udevd's events need libudev.so.1, which cannot be "
					"loaded; --events kernel does without");
		if (r < 0)
			errx(EXIT_FAIL, "cannot listen to uevents: %s", strerror(-r));
	}
	r = mo_monitor_enable(w->mon);
	if (r < 0)
		errx(EXIT_FAIL, "cannot listen to %s events: %s", mo_monitor_name(w->mon),
		     strerror(-r));
	if (!replay && mo_monitor_rcvbuf(w->mon) < MO_MONITOR_RCVBUF)
		say(w, LOG_WARNING,
		    "receive buffer %zu KiB, not %u MiB (no CAP_NET_ADMIN?): "
		    "a storm may overflow it and cost a rescan, ignoring",
		    mo_monitor_rcvbuf(w->mon) / 1024, MO_MONITOR_RCVBUF >> 20);
}

static void setup_loop(struct watch *w)
{
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		errx(EXIT_FAIL, "sigprocmask: %s", strerror(errno));
	w->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	w->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	w->ep = epoll_create1(EPOLL_CLOEXEC);
	if (w->sfd < 0 || w->tfd < 0 || w->ep < 0)
		errx(EXIT_FAIL, "cannot set up the event loop: %s", strerror(errno));
	ev.data.fd = w->sfd;
	epoll_ctl(w->ep, EPOLL_CTL_ADD, w->sfd, &ev);
	ev.data.fd = w->tfd;
	epoll_ctl(w->ep, EPOLL_CTL_ADD, w->tfd, &ev);
	ev.data.fd = mo_monitor_fd(w->mon);
	w->source_polls = true;
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0) {
		if (errno != EPERM)
			errx(EXIT_FAIL, "epoll: %s", strerror(errno));
		w->source_polls = false; /* a regular file: always readable */
	}
}

static void run_loop(struct watch *w)
{
	while (!w->quit) {
		struct epoll_event evs[4];
		bool busy = !w->source_polls && !w->ended;
		int n = epoll_wait(w->ep, evs, ARRAY_SIZE(evs), busy ? 0 : -1);

		if (n < 0 && errno != EINTR) {
			say(w, LOG_ERR, "epoll_wait: %s", strerror(errno));
			return;
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == w->sfd) {
				read_signals(w);
			} else if (evs[i].data.fd == w->tfd) {
				uint64_t expirations;

				if (read(w->tfd, &expirations, sizeof(expirations)) > 0)
					w->timer_due = 0;
			}
		}
		if (w->quit)
			break;
		if (busy || n > 0)
			receive_events(w);
		process_queue(w);
		if (w->rescan)
			rescan(w, false);
		queue_due_retries(w);
		process_queue(w);
		arm_timer(w);
		/* A replay that ended: done once nothing is left to retry. */
		if (w->ended && !w->n_queue && !w->n_retry && !w->rescan) {
			say(w, LOG_DEBUG, "the replay has ended");
			break;
		}
	}
}

static void __attribute__((noreturn)) watch_usage(FILE *out)
{
	fputs("Usage:\n"
	      " memonline watch [options]\n"
	      "\n"
	      "Online every offline block now, then each block as it is hot-added,\n"
	      "into the zone the policy chooses.  SIGHUP reloads the configuration.\n"
	      "\n"
	      "Options:\n"
	      " -e, --events <group>  uevents from: auto (udev when udevd runs, else\n"
	      "                       kernel), udev, or kernel\n"
	      "     --replay <file>   events from lines 'ACTION DEVPATH' in <file> "
	      "('-':\n"
	      "                       stdin) instead, until it ends; for tests\n",
	      out);
	exit(out == stderr ? EXIT_USAGE : EXIT_OK);
}

enum { OPT_REPLAY = OPT_COMMON__END + 1 };

int cmd_watch(struct control *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{"events", required_argument, NULL, 'e'},
		{"replay", required_argument, NULL, OPT_REPLAY},
		{NULL, 0, NULL, 0},
	};
	struct watch w = { .ctl = ctl, .owner = -1, .marker = { .dir = -1, .fd = -1 },
			   .ep = -1, .sfd = -1, .tfd = -1 };
	enum mo_monitor_kind kind = MO_MONITOR_AUTO;
	const char *replay = NULL;
	struct mo_memory *mem;
	size_t cap = 4096;
	int c;

	while ((c = getopt_long(argc, argv, COMMON_SHORTOPTS "e:", longopts, NULL)) !=
	       -1) {
		if (common_option(ctl, c, optarg, watch_usage))
			continue;
		switch (c) {
		case 'e':
			if (strcmp(optarg, "auto") == 0)
				kind = MO_MONITOR_AUTO;
			else if (strcmp(optarg, "udev") == 0)
				kind = MO_MONITOR_UDEV;
			else if (strcmp(optarg, "kernel") == 0)
				kind = MO_MONITOR_KERNEL;
			else
				usage_error(watch_usage,
					    "--events: '%s' is not auto, udev or kernel",
					    optarg);
			break;
		case OPT_REPLAY:
			replay = optarg;
			break;
		default:
			watch_usage(stderr);
		}
	}
	if (optind < argc)
		usage_error(watch_usage, "watch: unexpected argument '%s'", argv[optind]);

	w.journal = stderr_is_journal();
	w.policy = load_policy(ctl);
	open_context(ctl);
	w.ctx = ctl->ctx;
	if (mo_sys_read_only(w.ctx))
		errx(EXIT_FAIL,
		     "%s is mounted read-only: block states cannot change here "
		     "(a container?)",
		     mo_sys_dir(w.ctx));

	/* Everything that could fail for want of memory, now rather than later. */
	mem = scan_memory(ctl, 0); /* exits, saying why, without memory blocks */
	while (cap < 4 * mem->n_blocks)
		cap *= 2;
	mo_memory_free(mem);
	if (table_init(&w.t, cap) < 0)
		errx(EXIT_FAIL, "out of memory");
	open_source(&w, replay, kind);
	setup_loop(&w);
	take_marker(&w);
	lock_memory(&w);

	/* Receiving is on: a block added from now on is seen by the scan or its event. */
	if (rescan(&w, true) < 0) {
		mo_daemon_unlock(&w.marker);
		return EXIT_FAIL;
	}
	say(&w, LOG_INFO, "watching for hot-added memory (%s events, %zu blocks known)",
	    mo_monitor_name(w.mon), w.t.n);
	notify("READY=1");

	run_loop(&w);

	notify("STOPPING=1");
	mo_daemon_unlock(&w.marker);
	say(&w, LOG_DEBUG, "%lu blocks onlined, %lu moved", w.onlined, w.moved);
	close(w.ep);
	close(w.sfd);
	close(w.tfd);
	mo_monitor_free(w.mon);
	mo_policy_free(w.policy);
	free(w.t.slots);
	return EXIT_OK;
}
