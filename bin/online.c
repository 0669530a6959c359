// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memonline online: online blocks by hand, and the udev rule's burst
 * (--udev), through the engine (lib/engine.c), in online's words.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_UDEV = OPT_COMMON__END + 1 };

/* The engine's outcome, in online's words; a SIZE's block that failed is refused. */
static void on_outcome(void *data, const struct mo_outcome *o)
{
	struct run *r = data;
	const struct mo_block *b = o->b ? o->b : &(struct mo_block){ .id = o->block };
	const char *action = o->type < MO_ONLINE_TYPE__MAX ? mo_online_type_word(o->type) : NULL;

	switch (o->kind) {
	case MO_OUTCOME_ONLINE:
		r->last = DONE;
		run_report(r, b, DONE, action, 0, o->reason);
		break;
	case MO_OUTCOME_ALREADY:
		r->last = ALREADY;
		run_report(r, b, ALREADY, NULL, 0, NULL);
		break;
	case MO_OUTCOME_RACED:
		r->last = ALREADY;
		run_report(r, b, ALREADY, action, 0, "onlined meanwhile by another agent");
		break;
	case MO_OUTCOME_SKIPPED:
		/* A SIZE counts only blocks the command acts on: the next stands in. */
		r->last = SKIPPED;
		if (!r->in_size)
			run_report(r, b, SKIPPED, NULL, 0, o->reason);
		break;
	case MO_OUTCOME_IMPOSSIBLE:
		r->last = SKIPPED;
		if (!r->in_size)
			run_report(r, b, FAILED, NULL, 0, o->reason);
		break;
	case MO_OUTCOME_GOING_OFFLINE:
		r->last = FAILED;
		run_report(r, b, FAILED, NULL, 0, "it is going offline");
		break;
	case MO_OUTCOME_FAILED:
		r->last = FAILED;
		/* Not linked to its node in time: nothing was written. */
		run_report(r, b, FAILED, o->err == -EAGAIN ? NULL : action, o->err, o->reason);
		break;
	case MO_OUTCOME_UNREADABLE:
		r->last = FAILED;
		run_report(r, b, FAILED, NULL, o->err, "its state could not be read");
		break;
	case MO_OUTCOME_REMOVED:
		r->last = FAILED;
		run_report(r, b, FAILED, action, -ENOENT, mo_block_error_reason(-ENOENT, false));
		break;
	default:
		break; /* retries say nothing; by hand, no owner and no correction */
	}
}

/* Online one block through the engine, waiting as long as its schedule says. */
static enum outcome online_one(struct run *r, unsigned long id)
{
	r->last = FAILED;
	if (mo_engine_add(r->engine, id) < 0) {
		run_report(r, &(struct mo_block){ .id = id }, FAILED, NULL, -ENOMEM, NULL);
		return FAILED;
	}
	mo_engine_drain(r->engine);
	return r->last;
}

/*
 * SIZE counts only blocks the command acts on: the lowest offline ones that
 * the policy does not skip and that can join the --zone.  One that fails is
 * refused, and the next one stands in for it.
 */
static void online_size(struct run *r, const struct size_target *st)
{
	uint64_t got = 0;

	for (size_t i = 0; i < r->mem->n_blocks && got < st->blocks; i++) {
		const struct mo_block *b = &r->mem->blocks[i];
		enum outcome o;

		if (r->selected[i] || b->error || b->state != MO_STATE_OFFLINE)
			continue;
		r->selected[i] = true;
		r->in_size = true;
		o = online_one(r, b->id);
		r->in_size = false;
		got += o == DONE || o == ALREADY;
	}
	run_size_done(r, st, got);
}

/* By hand: every block named is onlined, whoever else would. */
static void new_engine(struct run *r, const struct mo_policy *p, enum mo_choice forced,
		       size_t blocks)
{
	struct mo_engine_options opts = { .forced = forced, .force = r->force,
					  .dry_run = r->dry_run, .by_hand = true,
					  .blocks = blocks };

	if (mo_engine_new(r->ctl->ctx, p, &mo_clock_monotonic, &opts, on_outcome, r,
			  &r->engine) < 0)
		errx(EXIT_FAIL, "out of memory");
}

static void __attribute__((noreturn)) online_usage(FILE *out)
{
	fputs("Usage:\n"
	      " memonline online [options] <memoryN|N|N-M|0xSTART-0xEND|SIZE>...\n"
	      " memonline online [options] --all\n"
	      "\n"
	      "Online offline memory blocks into the zone the policy chooses.\n"
	      "A bare N is block memoryN, not N MiB as in chmem: a size has a unit.\n"
	      "\n"
	      "Options:\n"
	      " -a, --all            every offline block\n"
	      " -z, --zone <zone>    movable, kernel or default instead of the policy;\n"
	      "                      Movable, Normal, DMA32... as chmem spells them\n"
	      " -f, --force          --zone also for blocks a rule skips (dax kmem)\n"
	      " -n, --dry-run        say what would be done, change nothing\n"
	      " -J, --json           JSON output\n"
	      "     --udev           as the udev rule runs it: do nothing while\n"
	      "                      memonline watch runs or the kernel auto-onlines\n",
	      out);
	exit(out == stderr ? EXIT_USAGE : EXIT_OK);
}

/*
 * One block for the rule, instead of a scan of every block, when its zone
 * needs no budget (a rule or --zone says which).  zone auto needs what only
 * a scan tells: the block's group, and which kernel memory was there at
 * boot.  NULL when a scan is needed (or no zoneinfo, as in most fixture
 * trees): the caller scans.
 */
static struct mo_memory *read_one_for_udev(struct control *ctl, const struct mo_policy *p,
					   unsigned long id)
{
	struct mo_memory *mem;
	struct mo_usage u;

	if (mo_usage_from_zoneinfo(ctl->ctx, &u) < 0)
		return NULL;
	if (mo_memory_read_one(ctl->ctx, id, &mem) < 0)
		return NULL; /* the scan says what is wrong, in its words */
	/* A DIMM's block: the rest of its DIMM says whether a zone would split it. */
	if (mo_policy_needs_budget(p, &mem->blocks[0], MO_CHOICE__MAX) ||
	    mem->blocks[0].group == MO_GROUP_STATIC) {
		mo_memory_free(mem);
		return NULL;
	}
	report_bad_blocks(ctl, mem);
	return mem;
}

/*
 * One pass over the blocks of a burst: one look at sysfs for all of them,
 * each added to the engine, one drain.  The engine then decides them as
 * the daemon decides a batch: a DIMM whole, lowest first, one read of
 * /proc/iomem.  A scan per block made a burst of n blocks cost n scans,
 * the rule's 3 to 5x kernel auto-online (docs/benchmarks.md).
 */
static void online_udev_pass(struct run *r, const struct mo_policy *p,
			     const unsigned long *ids, size_t n)
{
	r->mem = n == 1 ? read_one_for_udev(r->ctl, p, ids[0]) : NULL;
	if (!r->mem)
		r->mem = scan_memory(r->ctl, MO_SCAN_SOURCE);
	mo_engine_reconcile(r->engine, r->mem, MO_ENGINE_LEARN);
	for (size_t i = 0; i < n; i++) {
		if (!mo_memory_find(r->mem, ids[i])) {
			warnx("memory%lu: no such memory block in %s/devices/system/memory",
			      ids[i], mo_sys_dir(r->ctl->ctx));
			r->counts[FAILED]++;
		} else if (mo_engine_add(r->engine, ids[i]) < 0) {
			run_report(r, &(struct mo_block){ .id = ids[i] }, FAILED, NULL, -ENOMEM,
				   NULL);
		}
	}
	mo_engine_drain(r->engine);
	mo_memory_free(r->mem);
	r->mem = NULL;
}

/*
 * The udev rule's checks, before any scan: the rule runs once per added
 * block, and whoever owns onlining now, the daemon or the kernel, must not
 * be raced for the zone.
 */
static bool udev_steps_aside(struct control *ctl)
{
	struct mo_owner_info o;

	open_context(ctl);
	/* Before the policy is loaded: correcting is the daemon's job, not the rule's. */
	mo_owner_read(ctl->ctx, NULL, 0, &o);
	if (o.owner == MO_OWNER_US)
		return false;
	if (ctl->verbose && o.daemon_running)
		warnx("memonline watch runs: leaving the block to it");
	else if (ctl->verbose)
		warnx("the kernel onlines new memory itself (auto_online_blocks=%s): "
		      "leaving the block to it", mo_auto_online_name(o.auto_online));
	return true;
}

/* The rule's burst (mo_burst_open): false when this process leaves it to the holder. */
static bool burst_join(struct mo_burst *b, struct mo_ctx *ctx, unsigned long id)
{
	int r = mo_burst_open(ctx, b);

	if (r < 0) {
		warnx("%s/memonline: %s: onlining memory%lu alone", mo_run_dir(ctx),
		      strerror(-r), id);
		b->queue = b->lock = -1;
		return true;
	}
	r = mo_burst_join(b, id);
	if (r < 0) {
		warnx("%s/memonline/udev-queue: %s: onlining memory%lu alone",
		      mo_run_dir(ctx), strerror(-r), id);
		mo_burst_close(b);
		return true;
	}
	if (r == 0)
		mo_burst_close(b);
	return r > 0;
}

/* The queued blocks, sorted and once each; the queue is emptied. */
static size_t burst_take(struct mo_burst *b, struct mo_ctx *ctx, unsigned long **ids)
{
	ssize_t n = mo_burst_take(b, ids);

	if (b->empty_err < 0)
		warnx("%s/memonline/udev-queue: cannot empty it: %s", mo_run_dir(ctx),
		      strerror(-b->empty_err));
	if (n < 0) {
		warnx("out of memory: the queued blocks are left to their events");
		*ids = NULL;
		return 0;
	}
	return n;
}

static int online_burst(struct run *r, enum mo_choice forced, unsigned long id)
{
	struct control *ctl = r->ctl;
	struct mo_burst b;
	struct mo_policy *p;

	if (!burst_join(&b, ctl->ctx, id)) {
		if (ctl->verbose)
			warnx("memory%lu: queued for the memonline that onlines this burst", id);
		return EXIT_OK;
	}
	/* The OOM killer must not pick the process that brings memory. */
	if (!r->dry_run && mo_protect_from_oom(ctl->ctx) < 0 && ctl->verbose)
		warnx("cannot set oom_score_adj, ignoring");
	p = load_policy(ctl);
	run_refuse_read_only(r);
	run_begin(r);
	new_engine(r, p, forced, 0);
	if (b.lock < 0) {
		online_udev_pass(r, p, &id, 1);
	} else {
		do {
			unsigned long *ids;
			size_t n = burst_take(&b, ctl->ctx, &ids);

			/* A daemon that started meanwhile onlines what it finds. */
			if (n && !udev_steps_aside(ctl))
				online_udev_pass(r, p, ids, n);
			free(ids);
		} while (mo_burst_again(&b));
		mo_burst_close(&b);
	}
	run_end(r);
	mo_engine_free(r->engine);
	mo_policy_free(p);
	return run_exit_code(r);
}

int cmd_online(struct control *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "all", no_argument, NULL, 'a' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'J' },
		{ "udev", no_argument, NULL, OPT_UDEV },
		{ "zone", required_argument, NULL, 'z' },
		{ NULL, 0, NULL, 0 },
	};
	struct run r = { .ctl = ctl };
	bool udev = false;
	enum mo_choice forced = MO_CHOICE__MAX;
	struct mo_policy *p;
	bool all = false;
	int c;

	while ((c = getopt_long(argc, argv, COMMON_SHORTOPTS "afnJz:", longopts, NULL)) != -1) {
		if (common_option(ctl, c, optarg, online_usage))
			continue;
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'f':
			r.force = true;
			break;
		case 'n':
			r.dry_run = true;
			break;
		case 'J':
			ctl->json = true;
			break;
		case 'z':
			c = parse_zone(optarg);
			if (c < 0)
				usage_error(online_usage,
					    "--zone: '%s' is not movable, kernel, default or a "
					    "zone name (Movable, Normal, DMA32, ...)", optarg);
			forced = c;
			break;
		case OPT_UDEV:
			udev = true;
			break;
		default:
			online_usage(stderr);
		}
	}
	if (all == (optind < argc))
		usage_error(online_usage, "online: give blocks, a range, a size, or --all");
	if (udev) {
		unsigned long id;

		if (all || argc - optind != 1 || mo_parse_block_name(argv[optind], &id) < 0)
			usage_error(online_usage, "--udev: give the block of the event, memoryN");
		if (udev_steps_aside(ctl))
			return EXIT_OK;
		return online_burst(&r, forced, id);
	}

	p = load_policy(ctl);
	r.mem = scan_memory(ctl, MO_SCAN_SOURCE);
	r.selected = calloc(r.mem->n_blocks + 1, sizeof(bool));
	if (!r.selected)
		errx(EXIT_FAIL, "out of memory");
	if (all) {
		/* A block that could not be read may be offline: it counts as failed. */
		for (size_t i = 0; i < r.mem->n_blocks; i++)
			r.selected[i] = r.mem->blocks[i].state == MO_STATE_OFFLINE ||
					r.mem->blocks[i].error;
	} else {
		run_select(&r, argc - optind, argv + optind, online_usage);
	}
	run_refuse_read_only(&r);
	if (ctl->verbose) {
		struct mo_owner_info o;

		mo_owner_read(ctl->ctx, p, 0, &o);
		if (mo_owner_kernel(o.owner))
			warnx("note: the kernel onlines new memory itself "
			      "(auto_online_blocks=%s)", mo_auto_online_name(o.auto_online));
	}

	run_begin(&r);
	new_engine(&r, p, forced, r.mem->n_blocks);
	mo_engine_reconcile(r.engine, r.mem, MO_ENGINE_LEARN);
	/* Lowest first, in one pass: kernel zones grow upwards from boot memory. */
	for (size_t i = 0; i < r.mem->n_blocks; i++)
		if (r.selected[i] && mo_engine_add(r.engine, r.mem->blocks[i].id) < 0)
			run_report(&r, &r.mem->blocks[i], FAILED, NULL, -ENOMEM, NULL);
	mo_engine_drain(r.engine);
	for (size_t i = 0; i < r.n_sizes; i++)
		online_size(&r, &r.sizes[i]);
	run_end(&r);
	mo_engine_free(r.engine);
	if (!ctl->json && all && run_reported(&r) == 0)
		printf("nothing to online: no offline blocks\n");

	free(r.selected);
	free(r.sizes);
	mo_memory_free(r.mem);
	mo_policy_free(p);
	return run_exit_code(&r);
}
