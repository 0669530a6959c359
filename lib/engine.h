/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The onlining engine's insides, shared by its files: lib/engine.c (the
 * queue, batches and events), lib/retry.c (the retry and settle schedule),
 * lib/reconcile.c (scans) and lib/correct.c (the auto-online correction).
 */
#ifndef MEMONLINE_ENGINE_H
#define MEMONLINE_ENGINE_H

#include "blocktable.h"
#include "internal.h"

#define BATCH 512 /* blocks handled per batch */

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

/*
 * The kernel onlines a device's blocks in address order as it adds them, and
 * where the budget runs out that order decides which block is movable: a
 * block waits behind a lower one still settling (or retrying), due when it is.
 */
struct waiting {
	unsigned long lowest; /* ULONG_MAX: none */
	uint64_t due;
};

/* Outcomes: a block's, with the time since it became the engine's job. */
static inline uint64_t mo_eng_now(const struct mo_engine *e)
{
	return e->clock.now(e->clock.data);
}

static inline struct mo_outcome mo_eng_outcome(const struct mo_engine *e,
					       enum mo_outcome_kind kind,
					       const struct mo_slot *s, unsigned long id,
					       const struct mo_block *b)
{
	return (struct mo_outcome){
		.kind = kind,
		.block = id,
		.b = b,
		.type = MO_ONLINE_TYPE__MAX,
		.tries = s ? s->tries + 1u : 1,
		.elapsed_ns = s ? mo_eng_now(e) - s->since : 0,
		.from_zone = -1,
	};
}

static inline void mo_eng_emit(const struct mo_engine *e, const struct mo_outcome *o)
{
	e->fn(e->data, o);
}

static inline void mo_eng_say(const struct mo_engine *e, enum mo_outcome_kind kind,
			      const struct mo_slot *s, unsigned long id,
			      const struct mo_block *b, const char *reason)
{
	struct mo_outcome o = mo_eng_outcome(e, kind, s, id, b);

	o.reason = reason;
	mo_eng_emit(e, &o);
}

/* Slots (lib/engine.c). */
void mo_eng_forget(struct mo_engine *e, struct mo_slot *s);
/*
 * The slot of block id, new (*fresh) when the table knew none, or knew
 * another block under its number: ino, when read (not 0), differs.
 * NULL when the table cannot grow.
 */
struct mo_slot *mo_eng_track(struct mo_engine *e, unsigned long id, uint64_t ino, bool *fresh);
void mo_eng_set_state_flags(struct mo_slot *s, const struct mo_block *b);
void mo_eng_set_source_flags(struct mo_slot *s, const struct mo_block *b);
void mo_eng_check_owner(struct mo_engine *e);
/* Online it by policy, or leave it to the kernel, or correct the kernel's zone. */
void mo_eng_handle_block(struct mo_engine *e, struct mo_block *b);
void mo_eng_note_waiting(struct mo_engine *e, unsigned long id, struct waiting *wt);
bool mo_eng_wait_behind(struct mo_engine *e, const struct mo_block *b,
			const struct waiting *wt);

/* The schedule (lib/retry.c). */
void mo_eng_stop_retrying(struct mo_engine *e, struct mo_slot *s);
void mo_eng_schedule(struct mo_engine *e, struct mo_slot *s, uint64_t due);
/* A try failed with err: scheduled again while transient, else reported once. */
void mo_eng_failed(struct mo_engine *e, struct mo_slot *s, const struct mo_block *b,
		   enum mo_online_type type, int err);
void mo_eng_queue_due_retries(struct mo_engine *e);

/* auto-online correct (lib/correct.c). */
void mo_eng_correct(struct mo_engine *e, struct mo_slot *s, struct mo_block *b);

#endif
