// SPDX-License-Identifier: GPL-2.0-or-later
/* What status counts: blocks by state, zone row and node, and the ratio. */
#include <stdlib.h>

#include "internal.h"
#include "tap.h"

#define MiB (1ull << 20)

static struct mo_block block(enum mo_state state, int zone, int node)
{
	return (struct mo_block){
		.state = state, .have_zones = true, .zone = zone, .node = node,
	};
}

static void test_zone_row(void)
{
	struct mo_block b = block(MO_STATE_ONLINE, MO_ZONE_MOVABLE, 0);

	is_int(mo_block_zone_row(&b), MO_ZONE_MOVABLE, "an online block: its zone");
	b.zone = -1;
	is_int(mo_block_zone_row(&b), MO_ZONE_ROW_SPANS, "valid_zones none: spans zones");
	is_str(mo_block_zone_name(&b), "none", "which reads 'none'");
	b.have_zones = false;
	is_int(mo_block_zone_row(&b), MO_ZONE_ROW_UNKNOWN, "no valid_zones: unknown");
	is_str(mo_zone_row_name(MO_ZONE_ROW_UNKNOWN), "unknown", "which reads 'unknown'");
	is_str(mo_zone_row_name(MO_ZONE_NORMAL), "Normal", "a zone row reads as its zone");
}

static void test_tally(void)
{
	struct mo_block blocks[] = {
		block(MO_STATE_ONLINE, MO_ZONE_NORMAL, 0),
		block(MO_STATE_ONLINE, MO_ZONE_MOVABLE, 1),
		block(MO_STATE_GOING_OFFLINE, MO_ZONE_MOVABLE, 1),
		block(MO_STATE_ONLINE, -1, 0),
		block(MO_STATE_OFFLINE, MO_ZONE_MOVABLE, 1),
		block(MO_STATE_OFFLINE, MO_ZONE_NORMAL, -1),
		block(MO_STATE_UNKNOWN, -1, 0),
	};
	struct mo_memory mem = {
		.block_size = 128 * MiB, .n_blocks = ARRAY_SIZE(blocks), .blocks = blocks,
	};
	struct mo_tally *t = malloc(sizeof(*t));

	if (!t)
		abort();
	mo_memory_tally(&mem, t);
	is_u64(t->online.n, 3, "three blocks online");
	is_u64(t->online.bytes, 3 * 128 * MiB, "of 128M each");
	is_u64(t->going_offline.n, 1, "one going offline");
	is_u64(t->offline.n, 2, "two offline");
	is_u64(t->unreadable.n, 1, "one whose state is unreadable");
	is_u64(t->zone[MO_ZONE_MOVABLE].n, 2, "going offline still counts in its zone");
	is_u64(t->zone[MO_ZONE_NORMAL].n, 1, "one Normal");
	is_u64(t->zone[MO_ZONE_ROW_SPANS].n, 1, "one spans zones");
	is_u64(t->node[0].kernel.n, 2, "node 0: a block spanning zones counts as kernel");
	is_u64(t->node[1].movable.n, 2, "node 1: two movable");
	is_u64(t->node[1].offline.n, 1, "node 1: one offline");
	is_u64(t->node[MO_MAX_NODES].offline.n, 1, "a block without a node: the last row");
	ok(t->have_nodes, "blocks have nodes");

	for (size_t i = 0; i < ARRAY_SIZE(blocks); i++)
		blocks[i].node = -1;
	mo_memory_tally(&mem, t);
	ok(!t->have_nodes, "no block with a node: no node table");
	is_u64(t->node[MO_MAX_NODES].kernel.n, 2, "all in the last row");
	free(t);
}

static void test_ratio(void)
{
	is_int(mo_ratio_percent(0, 0), -1, "no kernel memory: no ratio");
	is_int(mo_ratio_percent(1, 0), -1, "movable alone: no ratio either");
	is_int(mo_ratio_percent(1, 3), 33, "1:3 is 33%%");
	is_int(mo_ratio_percent(2, 3), 67, "2:3 rounds to 67%%");
	is_int(mo_ratio_percent(UINT64_MAX, UINT64_MAX / 4), 400, "no overflow at the top");
}

int main(void)
{
	test_zone_row();
	test_tally();
	test_ratio();
	return tap_done();
}
