/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine's table of blocks: an open-addressing hash table by block id,
 * kept at most 3/4 full, so that a storm of 10,000 blocks costs no search.
 */
#ifndef MEMONLINE_BLOCKTABLE_H
#define MEMONLINE_BLOCKTABLE_H

#include <stddef.h>
#include <stdint.h>

/* What a slot knows about its block. */
enum {
	MO_SLOT_USED = 1 << 0,
	MO_SLOT_ONLINE = 1 << 1,  /* online or going offline: counts in the ratio */
	MO_SLOT_MOVABLE = 1 << 2, /* ... in ZONE_MOVABLE */
	MO_SLOT_QUEUED = 1 << 3,  /* waiting in the batch queue */
	MO_SLOT_RETRY = 1 << 4,   /* a retry is due at .due */
	MO_SLOT_GAVE_UP = 1 << 5, /* reported once; left alone until added again */
	MO_SLOT_ADDED = 1 << 6,   /* hot-added while the engine ran: not boot memory */
	MO_SLOT_AWAIT_ONLINE = 1 << 7, /* auto-online correct: the kernel is to online it */
	MO_SLOT_SETTLED = 1 << 8, /* auto-online correct: checked, moved at most once */
	MO_SLOT_BOOT = 1 << 9,    /* boot memory: counts as early kernel memory */
	MO_SLOT_STATIC = 1 << 10, /* in a static memory group (a DIMM): .group */
	MO_SLOT_DYNAMIC = 1 << 11, /* in a dynamic memory group (virtio-mem): .group */
};

struct mo_slot {
	unsigned long id;
	uint64_t ino;	/* of memoryN/: a block added again gets a new one */
	uint64_t since; /* when onlining it became the engine's job */
	uint64_t due;	/* next try */
	uint64_t group; /* its memory group's id, with MO_SLOT_STATIC or _DYNAMIC */
	int32_t node;
	uint16_t flags;
	uint8_t tries;
	uint8_t gen; /* the scan that last saw it */
};

struct mo_blocktable {
	struct mo_slot *slots;
	size_t cap, n; /* cap: a power of two */
};

/* Room for at least n blocks without growing. */
int mo_blocktable_init(struct mo_blocktable *t, size_t n);
void mo_blocktable_fini(struct mo_blocktable *t);
struct mo_slot *mo_blocktable_find(const struct mo_blocktable *t, unsigned long id);
/* The slot of id, added when new; NULL without memory to grow. */
struct mo_slot *mo_blocktable_insert(struct mo_blocktable *t, unsigned long id);
/* Pointers into the table are good until the next insert or erase. */
void mo_blocktable_erase(struct mo_blocktable *t, struct mo_slot *s);

#endif
