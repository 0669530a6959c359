// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * auto-online correct: the kernel onlines what it adds, and the engine moves
 * a block it put in another kind of zone than the policy's, once.
 */
#include <errno.h>

#include "engine.h"

#define CORRECT_OFFLINE_NS (5 * 1000000000ull) /* to offline a block being moved */

static void usage_remove(struct mo_usage *u, int node, bool movable, uint64_t size)
{
	uint64_t *total = movable ? &u->movable : &u->kernel;

	*total -= size < *total ? size : *total;
	if (node >= 0 && node < MO_MAX_NODES) {
		uint64_t *n = movable ? &u->node_movable[node] : &u->node_kernel[node];

		*n -= size < *n ? size : *n;
	}
}

/*
 * auto-online correct: the kernel onlined a block it had just added; if the
 * policy would have put it in the other kind of zone, offline it and online
 * it by policy, once.  Only a block that can be moved: in one zone (not
 * "none"), and not Hyper-V's, whose holes make offlining impossible.
 */
void mo_eng_correct(struct mo_engine *e, struct mo_slot *s, struct mo_block *b)
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
	o = mo_eng_outcome(e, MO_OUTCOME_KEPT, s, b->id, b);
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
		mo_eng_emit(e, &o);
		return;
	}

	t0 = mo_eng_now(e);
	r = mo_block_offline_within(e->ctx, b, CORRECT_OFFLINE_NS);
	if (r < 0 && r != -EALREADY) {
		mo_usage_add(&e->u, b->node, was_movable, e->block_size);
		if (r == -ENOENT)
			return;
		o.kind = MO_OUTCOME_NOT_MOVED;
		o.err = r;
		o.want_movable = d.type == MO_ONLINE_MOVABLE;
		mo_eng_emit(e, &o);
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
		mo_eng_emit(e, &o);
		mo_eng_set_state_flags(s, b);
		if (back == 0)
			mo_usage_add(&e->u, b->node, was_movable, e->block_size);
		return;
	}
	mo_eng_set_state_flags(s, b);
	o.kind = MO_OUTCOME_MOVED;
	o.type = d.type;
	o.elapsed_ns = mo_eng_now(e) - t0;
	mo_eng_emit(e, &o);
}
