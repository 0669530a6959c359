// SPDX-License-Identifier: GPL-2.0-or-later
/* Facts read from a block's own directory, on a tree built here. */
#include "internal.h"
#include "fixture.h"
#include "tap.h"

#define MEMORY "sys/devices/system/memory/"

/* A tree without devices/system/node: the nodes are in the blocks' own links. */
static void test_read_nodes(void)
{
	struct mo_block blocks[] = {
		{ .id = 0, .node = -1 }, { .id = 1, .node = -1 }, { .id = 2, .node = -1 },
	};
	struct mo_memory mem = { .n_blocks = ARRAY_SIZE(blocks), .blocks = blocks };
	struct mo_ctx *ctx;
	struct tree t;

	tree_new(&t);
	tree_link(&t, MEMORY "memory0/node0", "../../node/node0");
	tree_link(&t, MEMORY "memory1/node3", "../../node/node3");
	tree_put(&t, MEMORY "memory2/state", "offline\n");
	if (mo_new(t.dir, &ctx) < 0)
		abort();
	mo_memory_read_nodes(ctx, &mem);
	is_int(blocks[0].node, 0, "memory0: node0, from its link");
	is_int(blocks[1].node, 3, "memory1: node3, from its link");
	is_int(blocks[2].node, -1, "memory2: no link, no node");

	blocks[0].node = 5;
	blocks[1].node = -1;
	mo_memory_read_nodes(ctx, &mem);
	is_int(blocks[1].node, -1, "a block with a node already: the scan found them, no reads");
	mo_unref(ctx);
	tree_free(&t);
}

int main(void)
{
	test_read_nodes();
	return tap_done();
}
