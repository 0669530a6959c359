// SPDX-License-Identifier: LGPL-2.1-or-later
/* The engine's table of blocks: linear probing by block id. */
#include <errno.h>
#include <stdlib.h>

#include "blocktable.h"

static size_t home(const struct mo_blocktable *t, unsigned long id)
{
	return (size_t)(((uint64_t)id * 0x9e3779b97f4a7c15ull) >> 32) & (t->cap - 1);
}

struct mo_slot *mo_blocktable_find(const struct mo_blocktable *t, unsigned long id)
{
	for (size_t i = home(t, id);; i = (i + 1) & (t->cap - 1)) {
		struct mo_slot *s = &t->slots[i];

		if (!(s->flags & MO_SLOT_USED))
			return NULL;
		if (s->id == id)
			return s;
	}
}

static int alloc(struct mo_blocktable *t, size_t cap)
{
	t->slots = calloc(cap, sizeof(*t->slots));
	if (!t->slots)
		return -ENOMEM;
	t->cap = cap;
	t->n = 0;
	return 0;
}

int mo_blocktable_init(struct mo_blocktable *t, size_t n)
{
	size_t cap = 4096;

	/* Four times the blocks there are: room for memory to grow without a rehash. */
	while (cap < 4 * n)
		cap *= 2;
	return alloc(t, cap);
}

void mo_blocktable_fini(struct mo_blocktable *t)
{
	free(t->slots);
	t->slots = NULL;
	t->cap = t->n = 0;
}

static void place(struct mo_blocktable *t, const struct mo_slot *s)
{
	size_t i = home(t, s->id);

	while (t->slots[i].flags & MO_SLOT_USED)
		i = (i + 1) & (t->cap - 1);
	t->slots[i] = *s;
	t->n++;
}

struct mo_slot *mo_blocktable_insert(struct mo_blocktable *t, unsigned long id)
{
	struct mo_slot *s = mo_blocktable_find(t, id);

	if (s)
		return s;
	/* Kept at most 3/4 full; growing allocates, but only when memory grew. */
	if ((t->n + 1) * 4 > t->cap * 3) {
		struct mo_blocktable bigger;

		if (alloc(&bigger, t->cap * 2) < 0)
			return NULL;
		for (size_t i = 0; i < t->cap; i++)
			if (t->slots[i].flags & MO_SLOT_USED)
				place(&bigger, &t->slots[i]);
		free(t->slots);
		*t = bigger;
	}
	place(t, &(struct mo_slot){.id = id, .node = -1, .flags = MO_SLOT_USED});
	return mo_blocktable_find(t, id);
}

/* Linear probing deletes by moving later members of the cluster back. */
void mo_blocktable_erase(struct mo_blocktable *t, struct mo_slot *s)
{
	size_t hole = s - t->slots, i = hole;

	for (;;) {
		size_t h;

		i = (i + 1) & (t->cap - 1);
		if (!(t->slots[i].flags & MO_SLOT_USED))
			break;
		h = home(t, t->slots[i].id);
		/* Movable into the hole unless its home lies cyclically in (hole, i]. */
		if ((i > hole && (h <= hole || h > i)) ||
		    (i < hole && h <= hole && h > i)) {
			t->slots[hole] = t->slots[i];
			hole = i;
		}
	}
	t->slots[hole] = (struct mo_slot){0};
	t->n--;
}
