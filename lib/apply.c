// SPDX-License-Identifier: LGPL-2.1-or-later
/* Applying a decision: one write to memoryN/state, then read it back. */
#include <errno.h>
#include <stdio.h>

#include "internal.h"

int mo_block_set_state(struct mo_ctx *ctx, struct mo_block *b, enum mo_online_type type)
{
	enum mo_state want = type == MO_OFFLINE ? MO_STATE_OFFLINE : MO_STATE_ONLINE;
	int memfd = mo_memory_fd(ctx);
	char path[64];
	int r, rr;

	if (memfd < 0)
		return memfd;
	if (type >= MO_ONLINE_TYPE__MAX)
		return -EINVAL;
	snprintf(path, sizeof(path), "memory%lu/state", b->id);
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
