// SPDX-License-Identifier: LGPL-2.1-or-later
/* Blocks counted by state, zone and node, and the ratio of what is counted. */
#include <string.h>

#include "internal.h"

static void add(struct mo_count *c, uint64_t bytes)
{
	c->n++;
	c->bytes += bytes;
}

void mo_memory_tally(const struct mo_memory *mem, struct mo_tally *t)
{
	uint64_t bs = mem->block_size;

	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < mem->n_blocks; i++) {
		const struct mo_block *b = &mem->blocks[i];
		int node = b->node >= 0 && b->node < MO_MAX_NODES ? b->node : MO_MAX_NODES;

		if (b->node >= 0)
			t->have_nodes = true;
		switch (b->state) {
		case MO_STATE_ONLINE:
		case MO_STATE_GOING_OFFLINE:
			add(b->state == MO_STATE_ONLINE ? &t->online : &t->going_offline, bs);
			add(&t->zone[mo_block_zone_row(b)], bs);
			add(mo_block_movable(b) ? &t->node[node].movable : &t->node[node].kernel,
			    bs);
			break;
		case MO_STATE_OFFLINE:
			add(&t->offline, bs);
			add(&t->node[node].offline, bs);
			break;
		default:
			add(&t->unreadable, bs);
			break;
		}
	}
}

long long mo_ratio_percent(uint64_t movable, uint64_t kernel)
{
	if (!kernel)
		return -1;
	return (long long)(((unsigned __int128)movable * 100 + kernel / 2) / kernel);
}
