// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The onlining engine: the blocks it knows, a queue of added ones, and one
 * retry and settle schedule for all of them.
 *
 * Every action starts from the state read back from sysfs, never from an
 * event, so a block seen by a scan and by its event is onlined once.  The
 * blocks of a batch are classified with one read of /proc/iomem.  Time is
 * the caller's clock; results go to the caller's function as outcomes.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blocktable.h"
#include "internal.h"

#define BATCH		   512 /* blocks handled per batch */
#define RETRY_FIRST_MS	   100 /* then 200, 400, 800, 1600: 3.1 s in all */
#define RETRY_MAX	   5   /* retries after the first try */
#define SETTLE_TRIES	   11  /* 1, 2, 4 ... 1024 ms: 2 s for the node link */
#define CORRECT_OFFLINE_NS (5 * 1000000000ull) /* to offline a block being moved */
#define MS		   1000000ull

#define OWNER_UNSET -1

struct mo_engine {
	struct mo_ctx *ctx;
	const struct mo_policy *policy;
	struct mo_clock clock;
	struct mo_engine_options opts;
	mo_outcome_fn fn;
	void *data;
	uint64_t block_size;
	struct mo_blocktable t;
	int owner; /* enum mo_owner, or OWNER_UNSET */
	uint8_t gen;
	bool rescan;
	bool have_usage;
	struct mo_usage u; /* what the next decision is counted on */

	unsigned long queue[BATCH];
	size_t n_queue;
	struct mo_block batch[BATCH];
	size_t n_retry;
};

static uint64_t now(const struct mo_engine *e)
{
	return e->clock.now(e->clock.data);
}

/* ---- Outcomes ---- */

static struct mo_outcome outcome(const struct mo_engine *e, enum mo_outcome_kind kind,
				 const struct mo_slot *s, unsigned long id,
				 const struct mo_block *b)
{
	return (struct mo_outcome){
		.kind = kind,
		.block = id,
		.b = b,
		.type = MO_ONLINE_TYPE__MAX,
		.tries = s ? s->tries + 1u : 1,
		.elapsed_ns = s ? now(e) - s->since : 0,
		.from_zone = -1,
	};
}

static void emit(const struct mo_engine *e, const struct mo_outcome *o)
{
	e->fn(e->data, o);
}

static void say(const struct mo_engine *e, enum mo_outcome_kind kind,
		const struct mo_slot *s, unsigned long id, const struct mo_block *b,
		const char *reason)
{
	struct mo_outcome o = outcome(e, kind, s, id, b);

	o.reason = reason;
	emit(e, &o);
}

/* ---- Slots ---- */

static void forget(struct mo_engine *e, struct mo_slot *s)
{
	if (s->flags & MO_SLOT_RETRY)
		e->n_retry--;
	mo_blocktable_erase(&e->t, s);
}

static void set_state_flags(struct mo_slot *s, const struct mo_block *b)
{
	s->flags &= ~(MO_SLOT_ONLINE | MO_SLOT_MOVABLE);
	if (b->state == MO_STATE_ONLINE || b->state == MO_STATE_GOING_OFFLINE) {
		s->flags |= MO_SLOT_ONLINE;
		if (b->have_zones && b->zone == MO_ZONE_MOVABLE)
			s->flags |= MO_SLOT_MOVABLE;
	}
	if (b->node >= 0)
		s->node = b->node;
}

/* Where its memory came from, once a scan or a batch has classified it. */
static void set_source_flags(struct mo_slot *s, const struct mo_block *b)
{
	s->flags &= ~(MO_SLOT_BOOT | MO_SLOT_STATIC | MO_SLOT_DYNAMIC);
	if (b->source == MO_SOURCE_BOOT)
		s->flags |= MO_SLOT_BOOT;
	if (b->group == MO_GROUP_STATIC)
		s->flags |= MO_SLOT_STATIC;
	else if (b->group == MO_GROUP_DYNAMIC)
		s->flags |= MO_SLOT_DYNAMIC;
	s->group = b->group_id;
}

static void stop_retrying(struct mo_engine *e, struct mo_slot *s)
{
	if (s->flags & MO_SLOT_RETRY)
		e->n_retry--;
	s->flags &= ~MO_SLOT_RETRY;
	s->tries = 0;
}

static void schedule(struct mo_engine *e, struct mo_slot *s, uint64_t due)
{
	if (!(s->flags & MO_SLOT_RETRY))
		e->n_retry++;
	s->flags |= MO_SLOT_RETRY;
	s->due = due;
}

/* ---- Usage: what the ratio is counted on ---- */

/* What a scan would count, from the table, refined by /proc/zoneinfo. */
static void usage_from_table(struct mo_engine *e)
{
	struct mo_usage *u = &e->u;

	memset(u, 0, sizeof(*u));
	for (size_t i = 0; i < e->t.cap; i++) {
		const struct mo_slot *s = &e->t.slots[i];
		struct mo_block b = {
			.id = s->id,
			.node = s->node,
			.state = s->flags & MO_SLOT_ONLINE ? MO_STATE_ONLINE
							   : MO_STATE_OFFLINE,
			.source = s->flags & MO_SLOT_BOOT ? MO_SOURCE_BOOT
							  : MO_SOURCE_UNKNOWN,
			.group = s->flags & MO_SLOT_STATIC    ? MO_GROUP_STATIC
				 : s->flags & MO_SLOT_DYNAMIC ? MO_GROUP_DYNAMIC
							      : MO_GROUP_NONE,
			.group_id = s->group,
		};

		if (!(s->flags & MO_SLOT_USED))
			continue;
		u->numa |= s->node >= 0;
		mo_usage_add_member(u, &b, e->block_size);
		if (s->flags & MO_SLOT_ONLINE)
			mo_usage_add_block(u, &b, s->flags & MO_SLOT_MOVABLE,
					   e->block_size);
	}
	mo_usage_refine(e->ctx, u);
}

static int usage_from_scan(struct mo_engine *e)
{
	struct mo_memory *mem;
	int r = mo_memory_scan(e->ctx, MO_SCAN_SOURCE, &mem);

	if (r < 0)
		return r;
	mo_usage_read(e->ctx, mem, &e->u);
	mo_memory_free(mem);
	e->have_usage = true;
	return 0;
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

static void check_owner(struct mo_engine *e)
{
	struct mo_owner_info info = {.owner = MO_OWNER_US};
	int was = e->owner;
	struct mo_outcome o;

	/* By hand, the caller onlines whatever else would; else the one answer. */
	if (!e->opts.by_hand)
		mo_owner_read(e->ctx, e->policy, MO_OWNER_AS_DAEMON, &info);
	if ((int)info.owner == was)
		return;
	e->owner = info.owner;
	if (was == OWNER_UNSET && info.owner == MO_OWNER_US)
		return;
	o = outcome(e, MO_OUTCOME_OWNER, NULL, 0, NULL);
	o.owner = info.owner;
	o.auto_online = info.auto_online;
	emit(e, &o);
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

static void failed(struct mo_engine *e, struct mo_slot *s, const struct mo_block *b,
		   enum mo_online_type type, int err)
{
	/*
	 * EAGAIN: the block is not linked to its node yet, which the kernel
	 * does moments after the add event: look again soon, not in 100 ms.
	 */
	bool settling = err == -EAGAIN;
	unsigned max = settling ? SETTLE_TRIES : RETRY_MAX;
	struct mo_outcome o;

	if (transient(err) && s->tries < max && !e->opts.dry_run) {
		uint64_t delay = (settling ? 1ull : RETRY_FIRST_MS) << s->tries;

		s->tries++;
		schedule(e, s, now(e) + delay * MS);
		o = outcome(e, MO_OUTCOME_RETRY, s, s->id, b);
		o.type = type;
		o.err = err;
		o.tries = s->tries;
		o.max_tries = max;
		o.delay_ns = delay * MS;
		emit(e, &o);
		return;
	}
	/* Reported once: it stays offline until it is added again. */
	o = outcome(e, MO_OUTCOME_FAILED, s, s->id, b);
	o.type = type;
	o.err = err;
	o.reason = mo_block_error_reason(err, false);
	emit(e, &o);
	stop_retrying(e, s);
	s->flags |= MO_SLOT_GAVE_UP;
}

/*
 * --zone replaces the policy's zone, not its skip rules: memory someone else
 * owns (dax kmem, s390 standby) stays theirs unless --force says otherwise.
 */
static bool skip_rule_holds(const struct mo_engine *e, const struct mo_block *b,
			    struct mo_decision *d)
{
	size_t len;

	if (e->opts.forced >= MO_CHOICE__MAX || e->opts.force)
		return false;
	mo_policy_decide(e->policy, b, e->block_size, &e->u, MO_CHOICE__MAX, d);
	/* A skip rule; not a zone that cannot be had, nor a block not settled. */
	if (!d->skip || d->impossible || d->unsettled)
		return false;
	len = strlen(d->reason);
	snprintf(d->reason + len, sizeof(d->reason) - len,
		 "; --zone does not override it without --force");
	return true;
}

static void online_block(struct mo_engine *e, struct mo_slot *s, struct mo_block *b)
{
	unsigned tries = s->tries;
	struct mo_decision d;
	struct mo_outcome o;
	int r;

	if (b->state == MO_STATE_ONLINE) {
		say(e, MO_OUTCOME_ALREADY, s, b->id, b, NULL);
		stop_retrying(e, s);
		return;
	}
	if (b->state != MO_STATE_OFFLINE) {
		say(e, MO_OUTCOME_GOING_OFFLINE, s, b->id, b, NULL);
		stop_retrying(e, s);
		return;
	}
	if (skip_rule_holds(e, b, &d)) {
		say(e, MO_OUTCOME_SKIPPED, s, b->id, b, d.reason);
		stop_retrying(e, s);
		return;
	}
	r = mo_block_online_by_policy(e->ctx, e->policy, e->block_size, &e->u,
				      e->opts.forced, e->opts.dry_run, b, &d);
	set_state_flags(s, b);
	if (r == -EAGAIN && !e->opts.dry_run) {
		failed(e, s, b, MO_ONLINE_DEFAULT, r);
		return;
	}
	if (d.skip) {
		say(e,
		    d.impossible || d.unsettled ? MO_OUTCOME_IMPOSSIBLE
						: MO_OUTCOME_SKIPPED,
		    s, b->id, b, d.reason);
		stop_retrying(e, s);
		return;
	}
	if (r == 0 || r == -EALREADY) {
		o = outcome(e, r ? MO_OUTCOME_RACED : MO_OUTCOME_ONLINE, s, b->id, b);
		o.type = d.type;
		o.tries = tries + 1;
		o.reason = d.reason;
		emit(e, &o);
		stop_retrying(e, s);
		return;
	}
	if (r == -ENOENT) {
		o = outcome(e, MO_OUTCOME_REMOVED, s, b->id, NULL);
		o.err = r;
		emit(e, &o);
		forget(e, s);
		return;
	}
	failed(e, s, b, d.type, r);
}

/*
 * auto-online correct: the kernel onlined a block it had just added; if the
 * policy would have put it in the other kind of zone, offline it and online
 * it by policy, once.  Only a block that can be moved: in one zone (not
 * "none"), and not Hyper-V's, whose holes make offlining impossible.
 */
static void correct_block(struct mo_engine *e, struct mo_slot *s, struct mo_block *b)
{
	struct mo_block as_offline = *b;
	struct mo_decision d;
	struct mo_outcome o;
	bool was_movable;
	uint64_t t0;
	int r, back;

	if (!(s->flags & MO_SLOT_ADDED) || (s->flags & MO_SLOT_SETTLED))
		return;
	if (b->state == MO_STATE_OFFLINE) {
		s->flags |= MO_SLOT_AWAIT_ONLINE; /* its online event brings it back */
		return;
	}
	s->flags &= ~MO_SLOT_AWAIT_ONLINE;
	if (b->state != MO_STATE_ONLINE)
		return;
	s->flags |= MO_SLOT_SETTLED;
	/*
	 * Judged as the block that came in offline: an online block without
	 * a mark of its own would read as boot memory, where offline it reads
	 * as the hypervisor's (Xen, Hyper-V).
	 */
	as_offline.state = MO_STATE_OFFLINE;
	mo_block_read_source(e->ctx, e->block_size, &as_offline);
	if (!b->have_zones || b->zone < 0 || as_offline.source == MO_SOURCE_HYPERV)
		return;

	/* The policy's choice had the block come to us offline: count it out. */
	was_movable = b->zone == MO_ZONE_MOVABLE;
	o = outcome(e, MO_OUTCOME_KEPT, s, b->id, b);
	o.from_zone = b->zone;
	usage_remove(&e->u, b->node, was_movable, e->block_size);
	/* What a hot-added block offers offline; valid_zones says for sure later. */
	as_offline.zones = MO_ZONE_BIT(b->zone) | MO_ZONE_BIT(MO_ZONE_NORMAL) |
			   MO_ZONE_BIT(MO_ZONE_MOVABLE);
	mo_policy_decide(e->policy, &as_offline, e->block_size, &e->u, MO_CHOICE__MAX,
			 &d);
	if (d.skip || d.type == MO_ONLINE_DEFAULT ||
	    (d.type == MO_ONLINE_MOVABLE) == was_movable) {
		mo_usage_add(&e->u, b->node, was_movable, e->block_size);
		emit(e, &o);
		return;
	}

	t0 = now(e);
	r = mo_block_offline_within(e->ctx, b, CORRECT_OFFLINE_NS);
	if (r < 0 && r != -EALREADY) {
		mo_usage_add(&e->u, b->node, was_movable, e->block_size);
		if (r == -ENOENT)
			return;
		o.kind = MO_OUTCOME_NOT_MOVED;
		o.err = r;
		o.want_movable = d.type == MO_ONLINE_MOVABLE;
		emit(e, &o);
		return;
	}
	b->source = as_offline.source;
	r = mo_block_online_by_policy(e->ctx, e->policy, e->block_size, &e->u,
				      MO_CHOICE__MAX, false, b, &d);
	if (d.skip || (r < 0 && r != -EALREADY)) {
		/* Offline memory helps nobody: back where the kernel had put it. */
		back = mo_block_set_state(
			e->ctx, b, was_movable ? MO_ONLINE_MOVABLE : MO_ONLINE_KERNEL);
		o.kind = MO_OUTCOME_MOVE_FAILED;
		o.err = d.skip ? 0 : r;
		o.reason = d.skip ? "the policy skips it" : NULL;
		o.back = back == 0 || back == -EALREADY;
		emit(e, &o);
		set_state_flags(s, b);
		if (back == 0)
			mo_usage_add(&e->u, b->node, was_movable, e->block_size);
		return;
	}
	set_state_flags(s, b);
	o.kind = MO_OUTCOME_MOVED;
	o.type = d.type;
	o.elapsed_ns = now(e) - t0;
	emit(e, &o);
}

static void handle_block(struct mo_engine *e, struct mo_block *b)
{
	struct mo_slot *s = mo_blocktable_find(&e->t, b->id);

	if (!s)
		return;
	set_state_flags(s, b);
	switch (e->owner) {
	case MO_OWNER_KERNEL:
		stop_retrying(e, s);
		return;
	case MO_OWNER_KERNEL_CORRECTED:
		stop_retrying(e, s);
		correct_block(e, s, b);
		return;
	default:
		online_block(e, s, b);
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

static void note_waiting(struct mo_engine *e, unsigned long id, struct waiting *wt)
{
	const struct mo_slot *s = mo_blocktable_find(&e->t, id);

	if (s && (s->flags & MO_SLOT_RETRY) && id < wt->lowest) {
		wt->lowest = id;
		wt->due = s->due;
	}
}

static bool wait_behind(struct mo_engine *e, const struct mo_block *b,
			const struct waiting *wt)
{
	struct mo_slot *s = mo_blocktable_find(&e->t, b->id);

	if (!s || e->owner != MO_OWNER_US || b->state != MO_STATE_OFFLINE ||
	    b->id <= wt->lowest)
		return false;
	schedule(e, s, wt->due);
	return true;
}

static int cmp_block_id(const void *a, const void *b)
{
	const struct mo_block *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/* Read the queued blocks back from sysfs into the batch; how many are left to act on. */
static size_t refresh_queue(struct mo_engine *e, struct waiting *wt)
{
	size_t n = 0;

	for (size_t i = 0; i < e->n_queue; i++) {
		struct mo_slot *s = mo_blocktable_find(&e->t, e->queue[i]);
		struct mo_block *b = &e->batch[n];
		int r;

		if (!s)
			continue; /* removed while queued */
		s->flags &= ~MO_SLOT_QUEUED;
		if (e->owner == MO_OWNER_KERNEL) {
			say(e, MO_OUTCOME_LEFT_TO_KERNEL, s, s->id, NULL, NULL);
			stop_retrying(e, s);
			continue;
		}
		*b = (struct mo_block){.id = s->id, .node = -1, .zone = -1};
		r = mo_block_refresh(e->ctx, b);
		if (r == -EAGAIN && e->opts.dry_run) {
			/* A dry run waits for nothing: judged as a scan reads it. */
			b->state = MO_STATE_OFFLINE;
			b->error = r;
		} else if (r == -EAGAIN) {
			failed(e, s, b, MO_ONLINE_DEFAULT,
			       r); /* not linked to its node yet */
			note_waiting(e, s->id, wt);
			continue;
		}
		if (r == -ENOENT) {
			say(e, MO_OUTCOME_REMOVED, s, s->id, NULL, NULL);
			forget(e, s);
			continue;
		}
		if (r < 0 && r != -EAGAIN) {
			struct mo_outcome o =
				outcome(e, MO_OUTCOME_UNREADABLE, s, s->id, b);

			if (!b->bad_attr)
				b->bad_attr = "state";
			o.err = r;
			emit(e, &o);
			stop_retrying(e, s);
			s->flags |= MO_SLOT_GAVE_UP;
			continue;
		}
		/* The refresh read the node link where it had to wait for it. */
		if (b->node < 0) {
			r = mo_block_read_node(e->ctx, s->id);
			b->node = r >= 0 ? r : s->node;
		}
		n++;
	}
	e->n_queue = 0;
	return n;
}

static void process_queue(struct mo_engine *e)
{
	struct waiting wt = {.lowest = ULONG_MAX};
	bool dimm = false;
	size_t n;

	if (!e->n_queue)
		return;
	check_owner(e);
	n = refresh_queue(e, &wt);
	if (!n)
		return;
	mo_blocks_read_source(e->ctx, e->block_size, e->batch, n);
	for (size_t i = 0; i < n; i++) {
		struct mo_slot *s = mo_blocktable_find(&e->t, e->batch[i].id);

		if (s) {
			set_source_flags(s, &e->batch[i]);
			set_state_flags(s, &e->batch[i]);
		}
		dimm |= e->batch[i].group == MO_GROUP_STATIC;
	}
	/*
	 * A DIMM is decided as a whole: its blocks not in this batch may not
	 * be classified in the table yet, a scan knows them all.  DIMMs are
	 * a few blocks; the storms of virtio-mem and Xen stay on the table.
	 * By hand, usage is counted once and kept (a dry run's decisions
	 * build on each other), unless a DIMM needs a scan's view.
	 */
	if (e->opts.by_hand) {
		if ((!e->have_usage || (dimm && !e->opts.dry_run)) &&
		    usage_from_scan(e) < 0)
			usage_from_table(e);
	} else if (!dimm || usage_from_scan(e) < 0) {
		usage_from_table(e);
	}
	/* Retries come back in the table's order: lowest first, as the kernel. */
	qsort(e->batch, n, sizeof(*e->batch), cmp_block_id);
	for (size_t i = 0; i < n; i++) {
		if (wait_behind(e, &e->batch[i], &wt))
			continue;
		handle_block(e, &e->batch[i]);
		note_waiting(e, e->batch[i].id, &wt);
	}
}

static void enqueue(struct mo_engine *e, unsigned long id)
{
	struct mo_slot *s;

	if (e->n_queue == BATCH)
		process_queue(e);
	s = mo_blocktable_find(&e->t, id);
	if (!s || (s->flags & MO_SLOT_QUEUED))
		return;
	s->flags |= MO_SLOT_QUEUED;
	e->queue[e->n_queue++] = id;
}

static void queue_due_retries(struct mo_engine *e)
{
	uint64_t t = now(e);

	for (size_t i = 0; e->n_retry && i < e->t.cap && e->n_queue < BATCH; i++) {
		struct mo_slot *s = &e->t.slots[i];

		if ((s->flags & MO_SLOT_RETRY) && !(s->flags & MO_SLOT_QUEUED) &&
		    s->due <= t) {
			s->flags |= MO_SLOT_QUEUED;
			e->queue[e->n_queue++] = s->id;
		}
	}
}

/* ---- Scans: at start, and whenever events may have been lost ---- */

static void sweep(struct mo_engine *e)
{
	for (size_t i = 0; i < e->t.cap;) {
		struct mo_slot *s = &e->t.slots[i];

		/* Deleting pulls a later slot into i: look at i again. */
		if ((s->flags & MO_SLOT_USED) && s->gen != e->gen)
			forget(e, s);
		else
			i++;
	}
}

void mo_engine_reconcile(struct mo_engine *e, const struct mo_memory *mem, unsigned flags)
{
	struct waiting wt = {.lowest = ULONG_MAX};

	e->rescan = false;
	e->block_size = mem->block_size;
	check_owner(e);
	e->gen++;
	if (!e->opts.by_hand || !e->opts.dry_run || !e->have_usage) {
		mo_usage_read(e->ctx, mem, &e->u);
		e->have_usage = true;
	}
	for (size_t i = 0; i < mem->n_blocks; i++) {
		struct mo_block *b = &mem->blocks[i];
		uint64_t ino = 0;
		bool fresh = false;
		struct mo_slot *s;

		/* Learning, the caller's scan stands; mo_engine_add() reads the inode. */
		if (!(flags & MO_ENGINE_LEARN) && mo_block_read_ino(e->ctx, b->id, &ino) == -ENOENT)
			continue; /* gone since the scan */
		s = mo_blocktable_find(&e->t, b->id);
		if (s && s->ino && ino && s->ino != ino) {
			forget(e, s);
			s = NULL;
		}
		if (!s) {
			s = mo_blocktable_insert(&e->t, b->id);
			if (!s) {
				say(e, MO_OUTCOME_UNTRACKED, NULL, b->id, NULL, NULL);
				continue;
			}
			fresh = true;
			s->since = now(e);
			if (!(flags & MO_ENGINE_COLDPLUG))
				s->flags |= MO_SLOT_ADDED;
		}
		if (ino)
			s->ino = ino;
		s->gen = e->gen;
		set_state_flags(s, b);
		set_source_flags(s, b);
		if (!fresh || (flags & MO_ENGINE_LEARN))
			continue;
		if (b->error == -EAGAIN && !e->opts.dry_run) {
			failed(e, s, b, MO_ONLINE_DEFAULT,
			       b->error); /* its node link comes soon */
			note_waiting(e, b->id, &wt);
			continue;
		}
		if (b->error && b->error != -EAGAIN) {
			struct mo_outcome o =
				outcome(e, MO_OUTCOME_UNREADABLE, s, b->id, b);

			o.err = b->error;
			emit(e, &o);
			s->flags |= MO_SLOT_GAVE_UP;
			continue;
		}
		/* Lowest first, as online --all: kernel zones grow up from boot memory.
		 */
		if (wait_behind(e, b, &wt))
			continue;
		if (b->state == MO_STATE_OFFLINE || (s->flags & MO_SLOT_ADDED)) {
			handle_block(e, b);
			note_waiting(e, b->id, &wt);
		}
	}
	sweep(e);
}

int mo_engine_scan(struct mo_engine *e, unsigned flags)
{
	struct mo_memory *mem;
	int r;

	e->rescan = false;
	r = mo_memory_scan(e->ctx, MO_SCAN_SOURCE, &mem);
	if (r < 0)
		return r;
	mo_engine_reconcile(e, mem, flags);
	mo_memory_free(mem);
	return 0;
}

/* ---- Events ---- */

int mo_engine_lost(struct mo_engine *e)
{
	bool was = e->rescan;

	e->rescan = true;
	return !was;
}

int mo_engine_add(struct mo_engine *e, unsigned long id)
{
	uint64_t ino = 0;
	struct mo_slot *s;

	if (mo_block_read_ino(e->ctx, id, &ino) == -ENOENT) {
		s = mo_blocktable_find(&e->t, id);
		if (s)
			forget(e, s);
		say(e, MO_OUTCOME_REMOVED, NULL, id, NULL, NULL);
		return 0;
	}
	s = mo_blocktable_find(&e->t, id);
	if (s && s->ino && ino && s->ino != ino) {
		forget(e, s); /* another block under the same number */
		s = NULL;
	}
	if (!s) {
		s = mo_blocktable_insert(&e->t, id);
		if (!s)
			return -ENOMEM;
	}
	s->ino = ino;
	s->gen = e->gen;
	s->flags |= MO_SLOT_ADDED;
	/* udevadm trigger replays add for every block: never a second report. */
	if (s->flags & (MO_SLOT_QUEUED | MO_SLOT_RETRY | MO_SLOT_GAVE_UP))
		return 0;
	s->since = now(e);
	enqueue(e, id);
	return 0;
}

void mo_engine_remove(struct mo_engine *e, unsigned long id)
{
	struct mo_slot *s = mo_blocktable_find(&e->t, id);

	if (s)
		forget(e, s);
}

int mo_engine_state_event(struct mo_engine *e, unsigned long id, bool online)
{
	struct mo_slot *s = mo_blocktable_find(&e->t, id);
	struct mo_block b;

	if (!s)
		return mo_engine_lost(e);
	/* Events trail the writes that caused them: only a disagreement is news. */
	if (!!(s->flags & MO_SLOT_ONLINE) == online && !(s->flags & MO_SLOT_AWAIT_ONLINE))
		return 0;
	b = (struct mo_block){.id = s->id, .node = s->node, .zone = -1};
	if (mo_block_refresh(e->ctx, &b) < 0)
		return 0;
	set_state_flags(s, &b);
	if ((s->flags & MO_SLOT_AWAIT_ONLINE) && b.state == MO_STATE_ONLINE)
		enqueue(e, s->id);
	return 0;
}

/* ---- Running ---- */

int mo_engine_run(struct mo_engine *e)
{
	int r = 0;

	process_queue(e);
	if (e->rescan)
		r = mo_engine_scan(e, 0);
	queue_due_retries(e);
	process_queue(e);
	return r;
}

uint64_t mo_engine_next_due(const struct mo_engine *e)
{
	uint64_t next = 0;

	for (size_t i = 0; e->n_retry && i < e->t.cap; i++) {
		const struct mo_slot *s = &e->t.slots[i];

		if ((s->flags & MO_SLOT_RETRY) && !(s->flags & MO_SLOT_QUEUED) &&
		    (!next || s->due < next))
			next = s->due;
	}
	return next;
}

void mo_engine_drain(struct mo_engine *e)
{
	mo_engine_run(e);
	while (!mo_engine_idle(e)) {
		uint64_t due = mo_engine_next_due(e), t = now(e);

		if (due > t)
			e->clock.sleep(e->clock.data, due - t);
		mo_engine_run(e);
	}
}

bool mo_engine_idle(const struct mo_engine *e)
{
	return !e->n_queue && !e->n_retry && !e->rescan;
}

size_t mo_engine_n_blocks(const struct mo_engine *e)
{
	return e->t.n;
}

size_t mo_engine_n_offline(const struct mo_engine *e)
{
	size_t n = 0;

	for (size_t i = 0; i < e->t.cap; i++)
		n += (e->t.slots[i].flags & (MO_SLOT_USED | MO_SLOT_ONLINE)) ==
		     MO_SLOT_USED;
	return n;
}

/* ---- Life ---- */

int mo_engine_new(struct mo_ctx *ctx, const struct mo_policy *p,
		  const struct mo_clock *clock, const struct mo_engine_options *opts,
		  mo_outcome_fn fn, void *data, struct mo_engine **ret)
{
	struct mo_engine *e = calloc(1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	/* Everything that could fail for want of memory, now rather than later. */
	if (mo_blocktable_init(&e->t, opts->blocks) < 0) {
		free(e);
		return -ENOMEM;
	}
	e->ctx = mo_ref(ctx);
	e->policy = p;
	e->clock = *clock;
	e->opts = *opts;
	e->fn = fn;
	e->data = data;
	e->owner = OWNER_UNSET;
	*ret = e;
	return 0;
}

struct mo_engine *mo_engine_free(struct mo_engine *e)
{
	if (!e)
		return NULL;
	mo_blocktable_fini(&e->t);
	mo_unref(e->ctx);
	free(e);
	return NULL;
}

void mo_engine_set_policy(struct mo_engine *e, const struct mo_policy *p)
{
	e->policy = p;
	check_owner(e);
}
