// SPDX-License-Identifier: GPL-2.0-or-later
/* memonline online / offline: change block states by hand. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* REFUSED: a block of a SIZE that failed, and that another block may stand in for. */
enum outcome { DONE, ALREADY, SKIPPED, REFUSED, FAILED, OUTCOME__MAX };

static const char *const outcome_names[] = {
	[DONE] = "done", [ALREADY] = "already", [SKIPPED] = "skipped",
	[REFUSED] = "refused", [FAILED] = "failed",
};

/* A SIZE on the command line: filled after the blocks named one by one. */
struct size_target {
	const char *arg;
	uint64_t blocks;
};

struct run {
	struct control *ctl;
	struct mo_memory *mem;
	bool *selected;       /* named, or already taken for a SIZE */
	struct size_target *sizes;
	size_t n_sizes;
	bool dry_run;
	bool offline;
	bool force;           /* online: --zone overrides a skip rule */
	int zone;             /* offline --zone: MO_CHOICE_MOVABLE or _KERNEL; else -1 */
	bool in_size;         /* filling a SIZE: a failure is REFUSED */
	struct mo_engine *engine; /* online: what onlines the blocks */
	enum outcome last;    /* of the block the engine handled last */
	unsigned short_sizes; /* SIZEs that could not be met */
	unsigned counts[OUTCOME__MAX];
	struct json json;
};

/* A dry run did nothing: its blocks "would" be done. */
static const char *outcome_name(const struct run *r, enum outcome o)
{
	return o == DONE && r->dry_run ? "would" : outcome_names[o];
}

/* One line (or JSON object) per block: what was done and why. */
static void report(struct run *r, const struct mo_block *b, enum outcome o, const char *action,
		   int err, const char *detail)
{
	if (o == FAILED && r->in_size)
		o = REFUSED;
	r->counts[o]++;
	if (r->ctl->json) {
		char id[24];

		/* A string, as list -J and lsmem print BLOCK. */
		snprintf(id, sizeof(id), "%lu", b->id);
		json_object(&r->json, NULL);
		json_str(&r->json, "block", id);
		json_str(&r->json, "result", outcome_name(r, o));
		if (action)
			json_str(&r->json, "action", action);
		if (b->state == MO_STATE_ONLINE)
			json_str(&r->json, "zone", mo_block_zone_name(b));
		if (err)
			json_str(&r->json, "error", strerror(-err));
		if (detail)
			json_str(&r->json, "detail", detail);
		json_close(&r->json, '}');
		return;
	}
	switch (o) {
	case DONE:
		if (r->dry_run)
			printf("memory%lu: would %s", b->id, action);
		else if (r->offline)
			printf("memory%lu: offline", b->id);
		else
			printf("memory%lu: online %s", b->id, mo_block_zone_name(b));
		break;
	case ALREADY:
		if (r->offline)
			printf("memory%lu: already offline", b->id);
		else
			printf("memory%lu: already online %s", b->id, mo_block_zone_name(b));
		break;
	case SKIPPED:
		printf("memory%lu: skipped", b->id);
		break;
	case REFUSED:
	case FAILED:
		printf("memory%lu: %s", b->id, outcome_names[o]);
		if (err)
			printf(": %s", strerror(-err));
		break;
	default:
		break;
	}
	if (detail && (o >= SKIPPED || r->ctl->verbose))
		printf(" (%s)", detail);
	putchar('\n');
}

/* Blocks named one by one are selected now; SIZEs are kept for later. */
static void select_targets(struct run *r, int argc, char **argv, void (*usage)(FILE *))
{
	struct mo_memory *mem = r->mem;

	r->sizes = calloc(argc + 1, sizeof(*r->sizes));
	if (!r->sizes)
		errx(EXIT_FAIL, "out of memory");
	for (int i = 0; i < argc; i++) {
		struct target t;
		int e = parse_target(argv[i], mem->block_size, &t);
		size_t hits = 0;

		if (e == -ERANGE)
			usage_error(usage, "'%s' is not a whole number of %llu-byte blocks",
				    argv[i], (unsigned long long)mem->block_size);
		if (e < 0)
			usage_error(usage, "'%s' is not a block, range or size", argv[i]);
		if (t.kind == TARGET_SIZE) {
			r->sizes[r->n_sizes++] = (struct size_target){
				.arg = argv[i], .blocks = t.size / mem->block_size,
			};
			continue;
		}
		for (size_t j = 0; j < mem->n_blocks; j++) {
			if (mem->blocks[j].id < t.first || mem->blocks[j].id > t.last)
				continue;
			r->selected[j] = true;
			hits++;
		}
		if (!hits)
			errx(EXIT_FAIL, "%s: no such memory block in %s/devices/system/memory",
			     argv[i], mo_sys_dir(r->ctl->ctx));
	}
}

/*
 * As chmem: a SIZE takes what there is.  Blocks that refused were stood in
 * for by others; when there were not enough, say how much was done and let
 * the exit code say partial (64) or nothing (1).
 */
static void size_done(struct run *r, const struct size_target *st, uint64_t got)
{
	char want_h[32], got_h[32];

	if (got >= st->blocks)
		return;
	r->short_sizes++;
	mo_size_human(st->blocks * r->mem->block_size, want_h, sizeof(want_h));
	mo_size_human(got * r->mem->block_size, got_h, sizeof(got_h));
	warnx("%s: %s %s of %s: no more %s blocks to %s", st->arg,
	      r->dry_run ? "would only" : "only", got_h, want_h,
	      r->offline ? "online" : "offline", r->offline ? "take" : "choose from");
}

/* Blocks reported on, whatever their outcome. */
static unsigned reported(const struct run *r)
{
	unsigned n = 0;

	for (int o = 0; o < OUTCOME__MAX; o++)
		n += r->counts[o];
	return n;
}

static int exit_code(const struct run *r)
{
	if (!r->counts[FAILED] && !r->short_sizes)
		return EXIT_OK;
	return r->counts[DONE] + r->counts[ALREADY] ? EXIT_PARTIAL : EXIT_FAIL;
}

static void refuse_read_only(const struct run *r)
{
	if (!r->dry_run && mo_sys_read_only(r->ctl->ctx))
		errx(EXIT_FAIL, "%s is mounted read-only: block states cannot change here "
		     "(a container?)", mo_sys_dir(r->ctl->ctx));
}

static void begin_output(struct run *r)
{
	if (r->ctl->json) {
		json_begin(&r->json, stdout);
		json_array(&r->json, "blocks");
	}
}

static void end_output(struct run *r)
{
	if (!r->ctl->json)
		return;
	json_close(&r->json, ']');
	json_object(&r->json, "summary");
	for (int o = 0; o < OUTCOME__MAX; o++)
		json_u64(&r->json, outcome_name(r, o), r->counts[o]);
	json_close(&r->json, '}');
	json_bool(&r->json, "dry_run", r->dry_run);
	json_u64(&r->json, "sizes_short", r->short_sizes);
	json_end(&r->json);
}

/* ---- online ---- */

/* The engine's outcome, in online's words; a SIZE's block that failed is refused. */
static void on_outcome(void *data, const struct mo_outcome *o)
{
	struct run *r = data;
	const struct mo_block *b = o->b ? o->b : &(struct mo_block){ .id = o->block };
	const char *action = o->type < MO_ONLINE_TYPE__MAX ? mo_online_type_word(o->type) : NULL;

	switch (o->kind) {
	case MO_OUTCOME_ONLINE:
		r->last = DONE;
		report(r, b, DONE, action, 0, o->reason);
		break;
	case MO_OUTCOME_ALREADY:
		r->last = ALREADY;
		report(r, b, ALREADY, NULL, 0, NULL);
		break;
	case MO_OUTCOME_RACED:
		r->last = ALREADY;
		report(r, b, ALREADY, action, 0, "onlined meanwhile by another agent");
		break;
	case MO_OUTCOME_SKIPPED:
		/* A SIZE counts only blocks the command acts on: the next stands in. */
		r->last = SKIPPED;
		if (!r->in_size)
			report(r, b, SKIPPED, NULL, 0, o->reason);
		break;
	case MO_OUTCOME_IMPOSSIBLE:
		r->last = SKIPPED;
		if (!r->in_size)
			report(r, b, FAILED, NULL, 0, o->reason);
		break;
	case MO_OUTCOME_GOING_OFFLINE:
		r->last = FAILED;
		report(r, b, FAILED, NULL, 0, "it is going offline");
		break;
	case MO_OUTCOME_FAILED:
		r->last = FAILED;
		/* Not linked to its node in time: nothing was written. */
		report(r, b, FAILED, o->err == -EAGAIN ? NULL : action, o->err, o->reason);
		break;
	case MO_OUTCOME_UNREADABLE:
		r->last = FAILED;
		report(r, b, FAILED, NULL, o->err, "its state could not be read");
		break;
	case MO_OUTCOME_REMOVED:
		r->last = FAILED;
		report(r, b, FAILED, action, -ENOENT, mo_block_error_reason(-ENOENT, false));
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
		report(r, &(struct mo_block){ .id = id }, FAILED, NULL, -ENOMEM, NULL);
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
	size_done(r, st, got);
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

/* Online one block of a burst, by id, as its own event would have. */
static void online_udev_block(struct run *r, const struct mo_policy *p, unsigned long id)
{
	r->mem = read_one_for_udev(r->ctl, p, id);
	if (!r->mem)
		r->mem = scan_memory(r->ctl, MO_SCAN_SOURCE);
	if (mo_memory_find(r->mem, id)) {
		mo_engine_reconcile(r->engine, r->mem, MO_ENGINE_LEARN);
		online_one(r, id);
	} else {
		warnx("memory%lu: no such memory block in %s/devices/system/memory", id,
		      mo_sys_dir(r->ctl->ctx));
		r->counts[FAILED]++;
	}
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
	refuse_read_only(r);
	begin_output(r);
	new_engine(r, p, forced, 0);
	if (b.lock < 0) {
		online_udev_block(r, p, id);
	} else {
		do {
			unsigned long *ids;
			size_t n = burst_take(&b, ctl->ctx, &ids);

			/* A daemon that started meanwhile onlines what it finds. */
			for (size_t i = 0; i < n && !udev_steps_aside(ctl); i++)
				online_udev_block(r, p, ids[i]);
			free(ids);
		} while (mo_burst_again(&b));
		mo_burst_close(&b);
	}
	end_output(r);
	mo_engine_free(r->engine);
	mo_policy_free(p);
	return exit_code(r);
}

enum { OPT_UDEV = OPT_COMMON__END + 1 };

/*
 * --zone: memonline's words, or a zone as valid_zones and chmem -z spell it,
 * in any case; a kernel zone (DMA, DMA32, Normal, HighMem) means "kernel".
 */
static int parse_zone(const char *arg)
{
	for (int c = 0; c < MO_CHOICE__MAX; c++)
		if (c != MO_CHOICE_AUTO && c != MO_CHOICE_SKIP &&
		    strcasecmp(arg, mo_choice_name(c)) == 0)
			return c;
	for (int z = 0; z < MO_ZONE_DEVICE; z++)
		if (strcasecmp(arg, mo_zone_name(z)) == 0)
			return z == MO_ZONE_MOVABLE ? MO_CHOICE_MOVABLE : MO_CHOICE_KERNEL;
	return -EINVAL;
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
		select_targets(&r, argc - optind, argv + optind, online_usage);
	}
	refuse_read_only(&r);
	if (ctl->verbose) {
		struct mo_owner_info o;

		mo_owner_read(ctl->ctx, p, 0, &o);
		if (mo_owner_kernel(o.owner))
			warnx("note: the kernel onlines new memory itself "
			      "(auto_online_blocks=%s)", mo_auto_online_name(o.auto_online));
	}

	begin_output(&r);
	new_engine(&r, p, forced, r.mem->n_blocks);
	mo_engine_reconcile(r.engine, r.mem, MO_ENGINE_LEARN);
	/* Lowest first, in one pass: kernel zones grow upwards from boot memory. */
	for (size_t i = 0; i < r.mem->n_blocks; i++)
		if (r.selected[i] && mo_engine_add(r.engine, r.mem->blocks[i].id) < 0)
			report(&r, &r.mem->blocks[i], FAILED, NULL, -ENOMEM, NULL);
	mo_engine_drain(r.engine);
	for (size_t i = 0; i < r.n_sizes; i++)
		online_size(&r, &r.sizes[i]);
	end_output(&r);
	mo_engine_free(r.engine);
	if (!ctl->json && all && reported(&r) == 0)
		printf("nothing to online: no offline blocks\n");

	free(r.selected);
	free(r.sizes);
	mo_memory_free(r.mem);
	mo_policy_free(p);
	return exit_code(&r);
}

/* ---- offline ---- */

/* Time left until the deadline on the clock; 0 when it has passed. */
static uint64_t left(uint64_t deadline)
{
	uint64_t t = mo_clock_monotonic.now(mo_clock_monotonic.data);

	return t < deadline ? deadline - t : 0;
}

/* offline --zone: a block in that zone (movable, or a kernel zone). */
static bool in_zone(const struct run *r, const struct mo_block *b)
{
	bool movable = b->have_zones && b->zone == MO_ZONE_MOVABLE;

	if (r->zone < 0)
		return true;
	if (!b->have_zones || b->zone < 0)
		return false; /* unknown, or spans zones: in neither */
	return r->zone == MO_CHOICE_MOVABLE ? movable : !movable;
}

static enum outcome offline_one(struct run *r, struct mo_block *b, uint64_t deadline)
{
	int e;

	if (b->error) {
		report(r, b, FAILED, NULL, b->error, "its state could not be read");
		return FAILED;
	}
	if (b->state == MO_STATE_OFFLINE) {
		report(r, b, ALREADY, NULL, 0, NULL);
		return ALREADY;
	}
	if (!in_zone(r, b)) {
		report(r, b, SKIPPED, NULL, 0, r->zone == MO_CHOICE_MOVABLE ?
			"not in ZONE_MOVABLE (--zone movable)" : "not in a kernel zone (--zone kernel)");
		return SKIPPED;
	}
	if (r->dry_run) {
		report(r, b, DONE, "offline", 0, NULL);
		return DONE;
	}
	e = mo_block_offline_within(r->ctl->ctx, b, left(deadline));
	if (e == -ETIME) {
		report(r, b, FAILED, "offline", 0, "not tried: --timeout reached");
		return FAILED;
	}
	if (e == 0 || e == -EALREADY) {
		report(r, b, e ? ALREADY : DONE, "offline", 0, NULL);
		return e ? ALREADY : DONE;
	}
	/* The kernel's answer to a block another offline is working on. */
	if (e == -EINVAL && b->state == MO_STATE_GOING_OFFLINE)
		report(r, b, FAILED, "offline", e, "it is going offline already: another "
		       "offline of it is under way");
	else
		report(r, b, FAILED, "offline", e, mo_block_error_reason(e, true));
	return FAILED;
}

/*
 * As chmem -d: the highest online blocks (of --zone) until SIZE is met; a
 * block that refuses is named and the next one tried, until --timeout.
 */
static void offline_size(struct run *r, const struct size_target *st, uint64_t deadline)
{
	uint64_t got = 0;

	for (size_t i = r->mem->n_blocks; i-- > 0 && got < st->blocks && left(deadline);) {
		struct mo_block *b = &r->mem->blocks[i];
		enum outcome o;

		if (r->selected[i] || b->error || b->state != MO_STATE_ONLINE || !in_zone(r, b))
			continue;
		r->selected[i] = true;
		r->in_size = true;
		o = offline_one(r, b, deadline);
		r->in_size = false;
		got += o == DONE || o == ALREADY;
	}
	size_done(r, st, got);
}

static void __attribute__((noreturn)) offline_usage(FILE *out)
{
	fputs("Usage:\n"
	      " memonline offline [options] <memoryN|N|N-M|0xSTART-0xEND|SIZE>...\n"
	      "\n"
	      "Offline memory blocks, highest first, to prepare an unplug.\n"
	      "A bare N is block memoryN, not N MiB as in chmem: a size has a unit.\n"
	      "\n"
	      "Options:\n"
	      " -t, --timeout <time> give up after this long: 90, 90s, 2m (default 120 s)\n"
	      " -z, --zone <zone>    only blocks of this zone: movable (Movable) or kernel\n"
	      " -n, --dry-run        say what would be done, change nothing\n"
	      " -J, --json           JSON output\n",
	      out);
	exit(out == stderr ? EXIT_USAGE : EXIT_OK);
}

int cmd_offline(struct control *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'J' },
		{ "timeout", required_argument, NULL, 't' },
		{ "zone", required_argument, NULL, 'z' },
		{ NULL, 0, NULL, 0 },
	};
	struct run r = { .ctl = ctl, .offline = true, .zone = -1 };
	uint64_t timeout = 120, deadline;
	int c;

	while ((c = getopt_long(argc, argv, COMMON_SHORTOPTS "nJt:z:", longopts, NULL)) != -1) {
		if (common_option(ctl, c, optarg, offline_usage))
			continue;
		switch (c) {
		case 'n':
			r.dry_run = true;
			break;
		case 'J':
			ctl->json = true;
			break;
		case 't':
			if (mo_parse_duration(optarg, 86400, &timeout) < 0 || !timeout)
				usage_error(offline_usage,
					    "--timeout: '%s' is not a time from 1 s to 24 h (s, m "
					    "or h suffix)", optarg);
			break;
		case 'z':
			r.zone = parse_zone(optarg);
			if (r.zone != MO_CHOICE_MOVABLE && r.zone != MO_CHOICE_KERNEL)
				usage_error(offline_usage,
					    "--zone: '%s' is not movable, kernel or a zone name",
					    optarg);
			break;
		default:
			offline_usage(stderr);
		}
	}
	if (optind >= argc)
		usage_error(offline_usage, "offline: give blocks, a range or a size");

	r.mem = scan_memory(ctl, 0);
	r.selected = calloc(r.mem->n_blocks + 1, sizeof(bool));
	if (!r.selected)
		errx(EXIT_FAIL, "out of memory");
	select_targets(&r, argc - optind, argv + optind, offline_usage);
	refuse_read_only(&r);

	deadline = mo_clock_monotonic.now(mo_clock_monotonic.data) + timeout * 1000000000ull;
	begin_output(&r);
	/* Highest first: the top of memory is where ZONE_MOVABLE lives. */
	for (size_t i = r.mem->n_blocks; i-- > 0;)
		if (r.selected[i])
			offline_one(&r, &r.mem->blocks[i], deadline);
	for (size_t i = 0; i < r.n_sizes; i++)
		offline_size(&r, &r.sizes[i], deadline);
	end_output(&r);
	free(r.selected);
	free(r.sizes);
	mo_memory_free(r.mem);
	return exit_code(&r);
}
