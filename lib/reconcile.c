// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The engine's scans, at start and whenever events may have been lost: the
 * table reconciled with what sysfs shows now.
 */
#include <errno.h>
#include <limits.h>

#include "engine.h"

static void sweep(struct mo_engine *e)
{
	for (size_t i = 0; i < e->t.cap;) {
		struct mo_slot *s = &e->t.slots[i];

		/* Deleting pulls a later slot into i: look at i again. */
		if ((s->flags & MO_SLOT_USED) && s->gen != e->gen)
			mo_eng_forget(e, s);
		else
			i++;
	}
}

void mo_engine_reconcile(struct mo_engine *e, const struct mo_memory *mem, unsigned flags)
{
	struct waiting wt = {.lowest = ULONG_MAX};

	e->rescan = false;
	e->block_size = mem->block_size;
	mo_eng_check_owner(e);
	e->gen++;
	if (!e->opts.by_hand || !e->opts.dry_run || !e->have_usage) {
		mo_usage_read(e->ctx, mem, &e->u);
		e->have_usage = true;
	}
	for (size_t i = 0; i < mem->n_blocks; i++) {
		struct mo_block *b = &mem->blocks[i];
		uint64_t ino = 0;
		struct mo_slot *s;
		bool fresh;

		/* Learning, the caller's scan stands; mo_engine_add() reads the inode. */
		if (!(flags & MO_ENGINE_LEARN) &&
		    mo_block_read_ino(e->ctx, b->id, &ino) == -ENOENT)
			continue; /* gone since the scan */
		s = mo_eng_track(e, b->id, ino, &fresh);
		if (!s) {
			mo_eng_say(e, MO_OUTCOME_UNTRACKED, NULL, b->id, NULL, NULL);
			continue;
		}
		if (fresh) {
			s->since = mo_eng_now(e);
			if (!(flags & MO_ENGINE_COLDPLUG))
				s->flags |= MO_SLOT_ADDED;
		}
		if (ino)
			s->ino = ino;
		s->gen = e->gen;
		mo_eng_set_state_flags(s, b);
		mo_eng_set_source_flags(s, b);
		if (!fresh || (flags & MO_ENGINE_LEARN))
			continue;
		if (b->error == -EAGAIN && !e->opts.dry_run) {
			mo_eng_failed(e, s, b, MO_ONLINE_DEFAULT,
				      b->error); /* its node link comes soon */
			mo_eng_note_waiting(e, b->id, &wt);
			continue;
		}
		if (b->error && b->error != -EAGAIN) {
			struct mo_outcome o =
				mo_eng_outcome(e, MO_OUTCOME_UNREADABLE, s, b->id, b);

			o.err = b->error;
			mo_eng_emit(e, &o);
			s->flags |= MO_SLOT_GAVE_UP;
			continue;
		}
		/* Lowest first, as online --all: kernel zones grow up from boot memory.
		 */
		if (mo_eng_wait_behind(e, b, &wt))
			continue;
		if (b->state == MO_STATE_OFFLINE || (s->flags & MO_SLOT_ADDED)) {
			mo_eng_handle_block(e, b);
			mo_eng_note_waiting(e, b->id, &wt);
		}
	}
	sweep(e);
}

int mo_engine_scan(struct mo_engine *e, unsigned flags)
{
	struct mo_memory *mem;
	int r;

	e->rescan = false;
	r = mo_memory_scan(e->ctx, MO_SCAN_SOURCE, &mem);
	if (r < 0)
		return r;
	mo_engine_reconcile(e, mem, flags);
	mo_memory_free(mem);
	return 0;
}
