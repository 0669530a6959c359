// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The onlining engine: the blocks it knows, a queue of added ones, and the
 * batches they are handled in.  The retry and settle schedule is in
 * lib/retry.c, scans in lib/reconcile.c, the auto-online correction in
 * lib/correct.c.
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

#include "engine.h"

/* ---- Slots ---- */

void mo_eng_forget(struct mo_engine *e, struct mo_slot *s)
{
	mo_eng_stop_retrying(e, s);
	mo_blocktable_erase(&e->t, s);
}

struct mo_slot *mo_eng_track(struct mo_engine *e, unsigned long id, uint64_t ino, bool *fresh)
{
	struct mo_slot *s = mo_blocktable_find(&e->t, id);

	*fresh = false;
	if (s && s->ino && ino && s->ino != ino) {
		mo_eng_forget(e, s); /* another block under the same number */
		s = NULL;
	}
	if (!s) {
		s = mo_blocktable_insert(&e->t, id);
		*fresh = s != NULL;
	}
	return s;
}

void mo_eng_set_state_flags(struct mo_slot *s, const struct mo_block *b)
{
	s->flags &= ~(MO_SLOT_ONLINE | MO_SLOT_MOVABLE);
	if (b->state == MO_STATE_ONLINE || b->state == MO_STATE_GOING_OFFLINE) {
		s->flags |= MO_SLOT_ONLINE;
		if (mo_block_movable(b))
			s->flags |= MO_SLOT_MOVABLE;
	}
	if (b->node >= 0)
		s->node = b->node;
}

/* Where its memory came from, once a scan or a batch has classified it. */
void mo_eng_set_source_flags(struct mo_slot *s, const struct mo_block *b)
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

/* ---- Who onlines ---- */

void mo_eng_check_owner(struct mo_engine *e)
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
	o = mo_eng_outcome(e, MO_OUTCOME_OWNER, NULL, 0, NULL);
	o.owner = info.owner;
	o.auto_online = info.auto_online;
	mo_eng_emit(e, &o);
}

/* ---- Acting on one block ---- */

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
		mo_eng_say(e, MO_OUTCOME_ALREADY, s, b->id, b, NULL);
		mo_eng_stop_retrying(e, s);
		return;
	}
	if (b->state != MO_STATE_OFFLINE) {
		mo_eng_say(e, MO_OUTCOME_GOING_OFFLINE, s, b->id, b, NULL);
		mo_eng_stop_retrying(e, s);
		return;
	}
	if (skip_rule_holds(e, b, &d)) {
		mo_eng_say(e, MO_OUTCOME_SKIPPED, s, b->id, b, d.reason);
		mo_eng_stop_retrying(e, s);
		return;
	}
	r = mo_block_online_by_policy(e->ctx, e->policy, e->block_size, &e->u,
				      e->opts.forced, e->opts.dry_run, b, &d);
	mo_eng_set_state_flags(s, b);
	if (r == -EAGAIN && !e->opts.dry_run) {
		mo_eng_failed(e, s, b, MO_ONLINE_DEFAULT, r);
		return;
	}
	if (d.skip) {
		mo_eng_say(e,
			   d.impossible || d.unsettled ? MO_OUTCOME_IMPOSSIBLE
						       : MO_OUTCOME_SKIPPED,
			   s, b->id, b, d.reason);
		mo_eng_stop_retrying(e, s);
		return;
	}
	if (r == 0 || r == -EALREADY) {
		o = mo_eng_outcome(e, r ? MO_OUTCOME_RACED : MO_OUTCOME_ONLINE, s, b->id,
				   b);
		o.type = d.type;
		o.tries = tries + 1;
		o.reason = d.reason;
		mo_eng_emit(e, &o);
		mo_eng_stop_retrying(e, s);
		return;
	}
	if (r == -ENOENT) {
		o = mo_eng_outcome(e, MO_OUTCOME_REMOVED, s, b->id, NULL);
		o.err = r;
		mo_eng_emit(e, &o);
		mo_eng_forget(e, s);
		return;
	}
	mo_eng_failed(e, s, b, d.type, r);
}

void mo_eng_handle_block(struct mo_engine *e, struct mo_block *b)
{
	struct mo_slot *s = mo_blocktable_find(&e->t, b->id);

	if (!s)
		return;
	mo_eng_set_state_flags(s, b);
	switch (e->owner) {
	case MO_OWNER_KERNEL:
		mo_eng_stop_retrying(e, s);
		return;
	case MO_OWNER_KERNEL_CORRECTED:
		mo_eng_stop_retrying(e, s);
		mo_eng_correct(e, s, b);
		return;
	default:
		online_block(e, s, b);
	}
}

/* ---- Batches ---- */

void mo_eng_note_waiting(struct mo_engine *e, unsigned long id, struct waiting *wt)
{
	const struct mo_slot *s = mo_blocktable_find(&e->t, id);

	if (s && (s->flags & MO_SLOT_RETRY) && id < wt->lowest) {
		wt->lowest = id;
		wt->due = s->due;
	}
}

bool mo_eng_wait_behind(struct mo_engine *e, const struct mo_block *b,
			const struct waiting *wt)
{
	struct mo_slot *s = mo_blocktable_find(&e->t, b->id);

	if (!s || e->owner != MO_OWNER_US || b->state != MO_STATE_OFFLINE ||
	    b->id <= wt->lowest)
		return false;
	mo_eng_schedule(e, s, wt->due);
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
			mo_eng_say(e, MO_OUTCOME_LEFT_TO_KERNEL, s, s->id, NULL, NULL);
			mo_eng_stop_retrying(e, s);
			continue;
		}
		*b = (struct mo_block){.id = s->id, .node = -1, .zone = -1};
		r = mo_block_refresh(e->ctx, b);
		if (r == -EAGAIN && e->opts.dry_run) {
			/* A dry run waits for nothing: judged as a scan reads it. */
			b->state = MO_STATE_OFFLINE;
			b->error = r;
		} else if (r == -EAGAIN) {
			mo_eng_failed(e, s, b, MO_ONLINE_DEFAULT,
				      r); /* not linked to its node yet */
			mo_eng_note_waiting(e, s->id, wt);
			continue;
		}
		if (r == -ENOENT) {
			mo_eng_say(e, MO_OUTCOME_REMOVED, s, s->id, NULL, NULL);
			mo_eng_forget(e, s);
			continue;
		}
		if (r < 0 && r != -EAGAIN) {
			struct mo_outcome o =
				mo_eng_outcome(e, MO_OUTCOME_UNREADABLE, s, s->id, b);

			if (!b->bad_attr)
				b->bad_attr = "state";
			o.err = r;
			mo_eng_emit(e, &o);
			mo_eng_stop_retrying(e, s);
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
	mo_eng_check_owner(e);
	n = refresh_queue(e, &wt);
	if (!n)
		return;
	mo_blocks_read_source(e->ctx, e->block_size, e->batch, n);
	for (size_t i = 0; i < n; i++) {
		struct mo_slot *s = mo_blocktable_find(&e->t, e->batch[i].id);

		if (s) {
			mo_eng_set_source_flags(s, &e->batch[i]);
			mo_eng_set_state_flags(s, &e->batch[i]);
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
		if (mo_eng_wait_behind(e, &e->batch[i], &wt))
			continue;
		mo_eng_handle_block(e, &e->batch[i]);
		mo_eng_note_waiting(e, e->batch[i].id, &wt);
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
	bool fresh;

	if (mo_block_read_ino(e->ctx, id, &ino) == -ENOENT) {
		s = mo_blocktable_find(&e->t, id);
		if (s)
			mo_eng_forget(e, s);
		mo_eng_say(e, MO_OUTCOME_REMOVED, NULL, id, NULL, NULL);
		return 0;
	}
	s = mo_eng_track(e, id, ino, &fresh);
	if (!s)
		return -ENOMEM;
	s->ino = ino;
	s->gen = e->gen;
	s->flags |= MO_SLOT_ADDED;
	/* udevadm trigger replays add for every block: never a second report. */
	if (s->flags & (MO_SLOT_QUEUED | MO_SLOT_RETRY | MO_SLOT_GAVE_UP))
		return 0;
	s->since = mo_eng_now(e);
	enqueue(e, id);
	return 0;
}

void mo_engine_remove(struct mo_engine *e, unsigned long id)
{
	struct mo_slot *s = mo_blocktable_find(&e->t, id);

	if (s)
		mo_eng_forget(e, s);
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
	mo_eng_set_state_flags(s, &b);
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
	mo_eng_queue_due_retries(e);
	process_queue(e);
	return r;
}

void mo_engine_drain(struct mo_engine *e)
{
	mo_engine_run(e);
	while (!mo_engine_idle(e)) {
		uint64_t due = mo_engine_next_due(e), t = mo_eng_now(e);

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
	mo_eng_check_owner(e);
}
