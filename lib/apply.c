// SPDX-License-Identifier: LGPL-2.1-or-later
/* Applying a decision: one write to memoryN/state, then read it back. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

int mo_block_set_state(struct mo_ctx *ctx, struct mo_block *b, enum mo_online_type type)
{
	enum mo_state want = type == MO_OFFLINE ? MO_STATE_OFFLINE : MO_STATE_ONLINE;
	int memfd = mo_memory_fd(ctx);
	char path[MO_BLOCK_PATH_MAX];
	int r, rr;

	if (memfd < 0)
		return memfd;
	if (type >= MO_ONLINE_TYPE__MAX)
		return -EINVAL;
	/* Never write a block the kernel has not finished adding: mo_block_check_settled(). */
	if (type != MO_OFFLINE && b->state == MO_STATE_OFFLINE) {
		r = mo_block_check_settled(ctx, b);
		if (r < 0)
			return r;
	}
	mo_block_path(path, b->id, "state");
	r = mo_write_attr(memfd, path, mo_online_type_word(type));
	if (r == -ENOENT)
		return r; /* the block is gone */

	/*
	 * Writing the state a block is already in fails with EINVAL
	 * (drivers/base/memory.c): the kernel's auto-online or another onliner
	 * got there first.  Only the read-back tells that from a real EINVAL.
	 */
	rr = mo_block_refresh(ctx, b);
	if (r == -EINVAL && rr == 0 && b->state == want)
		return -EALREADY;
	if (r < 0)
		return r;
	return rr == -ENOENT ? -ENOENT : 0;
}

int mo_block_online_by_policy(struct mo_ctx *ctx, const struct mo_policy *p,
			      uint64_t block_size, struct mo_usage *u, enum mo_choice forced,
			      bool dry_run, struct mo_block *b, struct mo_decision *d)
{
	int r;

	/*
	 * Its node first: node rules and the node's budget need it, and the
	 * kernel links a block to its node after the add event.
	 */
	if (!dry_run && b->state == MO_STATE_OFFLINE && mo_block_check_settled(ctx, b) < 0) {
		*d = (struct mo_decision){ .skip = true, .unsettled = true };
		snprintf(d->reason, sizeof(d->reason), "not linked to its node or bound to its DIMM yet");
		return -EAGAIN;
	}
	mo_policy_decide(p, b, block_size, u, forced, d);
	if (d->unsettled)
		return -EAGAIN;
	if (d->skip)
		return 0;
	if (dry_run) {
		/* Count it as if done, so the ratio evolves as it would for real. */
		mo_usage_add_block(u, b, d->type == MO_ONLINE_MOVABLE ||
			     (d->type == MO_ONLINE_DEFAULT && b->zone == MO_ZONE_MOVABLE),
			     block_size);
		return 0;
	}
	r = mo_block_set_state(ctx, b, d->type);
	/* Online, it would look like boot memory: keep where it came from. */
	if (r == 0)
		(void)mo_source_remember(ctx, b);
	/* Count the zone the kernel really chose, read back from valid_zones. */
	if (r == 0 || r == -EALREADY)
		mo_usage_add_block(u, b, b->have_zones && b->zone == MO_ZONE_MOVABLE, block_size);
	return r;
}
