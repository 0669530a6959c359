// SPDX-License-Identifier: LGPL-2.1-or-later
/* Applying a decision: one write to memoryN/state, then read it back. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

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

/* The one table of what an errno of a state write means for a block. */
const char *mo_block_error_reason(int err, bool offline)
{
	switch (err) {
	case -EBUSY:
		return offline ? "unmovable pages in the block, typical of kernel zones; only "
				 "ZONE_MOVABLE memory can be offlined reliably"
			       : "the driver that added the block is being removed";
	case -EPERM:
		return "refused by the driver that owns the block (virtio-mem onlines only "
		       "what it manages), or no CAP_SYS_ADMIN";
	case -EHWPOISON:
		return "the block has poisoned pages";
	case -ENOMEM:
		return "the kernel could not allocate what onlining needs";
	case -EINVAL:
		return offline ? "holes in the block, or it spans zones"
			       : "the kernel refused this zone for the block";
	case -EINTR:
		return offline ? "timed out: the kernel was still migrating pages away"
			       : "interrupted by a signal";
	case -ENOENT:
		return "the block vanished (removed meanwhile)";
	case -EROFS:
		return "sysfs is read-only";
	case -EACCES:
		return "permission denied: run as root";
	case -EAGAIN:
		return "the kernel has not finished adding it: no link to its node yet";
	case -EXDEV:
		return "a symlink in the tree leads outside it: refused";
	default:
		return NULL;
	}
}

static void on_alarm(int sig)
{
	(void)sig; /* only there to interrupt the write with EINTR */
}

/*
 * Offlining migrates every page away and the kernel retries for as long as
 * it takes; a pending signal stops it with EINTR (mm/memory_hotplug.c).
 * The timer is that signal.
 */
int mo_block_offline_within(struct mo_ctx *ctx, struct mo_block *b, uint64_t timeout_ns)
{
	struct sigaction sa = { .sa_handler = on_alarm }; /* no SA_RESTART */
	struct itimerval it = { 0 };
	int e;

	if (!timeout_ns)
		return -ETIME;
	sigaction(SIGALRM, &sa, NULL);
	it.it_value.tv_sec = timeout_ns / 1000000000ull;
	it.it_value.tv_usec = timeout_ns % 1000000000ull / 1000;
	if (!it.it_value.tv_sec && !it.it_value.tv_usec)
		it.it_value.tv_usec = 1; /* zero would disarm the timer */
	setitimer(ITIMER_REAL, &it, NULL);
	e = mo_block_set_state(ctx, b, MO_OFFLINE);
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	return e;
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
		mo_usage_add_block(u, b, mo_block_movable(b), block_size);
	return r;
}
