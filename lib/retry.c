// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The engine's one retry and settle schedule, for every onliner: a block
 * not linked to its node yet is looked at again after 1, 2, 4 ... 1024 ms;
 * a state write refused for a moment is tried again after 100 ms, doubling,
 * 5 times.  Change a retry here, and "Retries" in memonline(8).
 */
#include <errno.h>

#include "engine.h"

#define RETRY_FIRST_MS 100 /* then 200, 400, 800, 1600: 3.1 s in all */
#define RETRY_MAX      5   /* retries after the first try */
#define SETTLE_TRIES   11  /* 1, 2, 4 ... 1024 ms: 2 s for the node link */
#define MS	       1000000ull

static bool transient(int err)
{
	/*
	 * ENOMEM: memory is short right now, which is why it is being added.
	 * EBUSY: virtio-mem refuses while its device is busy or going away.
	 */
	return err == -EBUSY || err == -ENOMEM || err == -EAGAIN || err == -EINTR;
}

void mo_eng_stop_retrying(struct mo_engine *e, struct mo_slot *s)
{
	if (s->flags & MO_SLOT_RETRY)
		e->n_retry--;
	s->flags &= ~MO_SLOT_RETRY;
	s->tries = 0;
}

void mo_eng_schedule(struct mo_engine *e, struct mo_slot *s, uint64_t due)
{
	if (!(s->flags & MO_SLOT_RETRY))
		e->n_retry++;
	s->flags |= MO_SLOT_RETRY;
	s->due = due;
}

void mo_eng_failed(struct mo_engine *e, struct mo_slot *s, const struct mo_block *b,
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
		mo_eng_schedule(e, s, mo_eng_now(e) + delay * MS);
		o = mo_eng_outcome(e, MO_OUTCOME_RETRY, s, s->id, b);
		o.type = type;
		o.err = err;
		o.tries = s->tries;
		o.max_tries = max;
		o.delay_ns = delay * MS;
		mo_eng_emit(e, &o);
		return;
	}
	/* Reported once: it stays offline until it is added again. */
	o = mo_eng_outcome(e, MO_OUTCOME_FAILED, s, s->id, b);
	o.type = type;
	o.err = err;
	o.reason = mo_block_error_reason(err, false);
	mo_eng_emit(e, &o);
	mo_eng_stop_retrying(e, s);
	s->flags |= MO_SLOT_GAVE_UP;
}

void mo_eng_queue_due_retries(struct mo_engine *e)
{
	uint64_t t = mo_eng_now(e);

	for (size_t i = 0; e->n_retry && i < e->t.cap && e->n_queue < BATCH; i++) {
		struct mo_slot *s = &e->t.slots[i];

		if ((s->flags & MO_SLOT_RETRY) && !(s->flags & MO_SLOT_QUEUED) &&
		    s->due <= t) {
			s->flags |= MO_SLOT_QUEUED;
			e->queue[e->n_queue++] = s->id;
		}
	}
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
