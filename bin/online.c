// SPDX-License-Identifier: GPL-2.0-or-later
/* memonline online / offline: change block states by hand. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "cli.h"

enum outcome { DONE, ALREADY, SKIPPED, FAILED, OUTCOME__MAX };

static const char *const outcome_names[] = {
	[DONE] = "done", [ALREADY] = "already", [SKIPPED] = "skipped", [FAILED] = "failed",
};

struct run {
	struct control *ctl;
	struct mo_memory *mem;
	bool *selected;
	bool dry_run;
	bool offline;
	unsigned counts[OUTCOME__MAX];
	struct json json;
};

const char *block_zone_name(const struct mo_block *b)
{
	if (!b->have_zones)
		return "unknown";
	return b->zone < 0 ? "none" : mo_zone_name(b->zone);
}

/* One line (or JSON object) per block: what was done and why. */
static void report(struct run *r, const struct mo_block *b, enum outcome o, const char *action,
		   int err, const char *detail)
{
	r->counts[o]++;
	if (r->ctl->json) {
		json_object(&r->json, NULL);
		json_u64(&r->json, "block", b->id);
		json_str(&r->json, "result", outcome_names[o]);
		if (action)
			json_str(&r->json, "action", action);
		if (b->state == MO_STATE_ONLINE)
			json_str(&r->json, "zone", block_zone_name(b));
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
			printf("memory%lu: online %s", b->id, block_zone_name(b));
		break;
	case ALREADY:
		if (r->offline)
			printf("memory%lu: already offline", b->id);
		else
			printf("memory%lu: already online %s", b->id, block_zone_name(b));
		break;
	case SKIPPED:
		printf("memory%lu: skipped", b->id);
		break;
	case FAILED:
		if (err)
			printf("memory%lu: failed: %s", b->id, strerror(-err));
		else
			printf("memory%lu: failed", b->id);
		break;
	default:
		break;
	}
	if (detail && (o == FAILED || o == SKIPPED || r->ctl->verbose))
		printf(" (%s)", detail);
	putchar('\n');
}

/* What an errno from writing state means for memory, in words. */
const char *explain_state_error(int err, bool offline)
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

static void select_targets(struct run *r, int argc, char **argv, void (*usage)(FILE *))
{
	struct mo_memory *mem = r->mem;

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
			uint64_t want = t.size / mem->block_size;

			/* Online takes the lowest offline blocks, offline the highest online. */
			for (size_t k = 0; k < mem->n_blocks && hits < want; k++) {
				size_t j = r->offline ? mem->n_blocks - 1 - k : k;
				struct mo_block *b = &mem->blocks[j];

				if (r->selected[j] || b->state != (r->offline ? MO_STATE_ONLINE :
									       MO_STATE_OFFLINE))
					continue;
				r->selected[j] = true;
				hits++;
			}
			if (hits < want)
				errx(EXIT_FAIL, "%s: only %zu %s blocks to choose from", argv[i],
				     hits, r->offline ? "online" : "offline");
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
	if (!r->counts[FAILED])
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
		json_u64(&r->json, outcome_names[o], r->counts[o]);
	json_close(&r->json, '}');
	json_end(&r->json);
}

/* ---- online ---- */

/* How long a just-added block may take to be linked to its node. */
#define SETTLE_MS 2000

static void online_one(struct run *r, const struct mo_policy *p, struct mo_usage *u,
		       enum mo_choice forced, struct mo_block *b)
{
	struct mo_decision d;
	const char *action;
	int e;

	/* Just added: the kernel links it to its node within moments. */
	if (b->error == -EAGAIN && !r->dry_run) {
		e = mo_block_wait_settled(r->ctl->ctx, b, SETTLE_MS);
		if (e < 0) {
			report(r, b, FAILED, NULL, e, explain_state_error(e, false));
			return;
		}
		b->error = 0;
	}
	if (b->error && b->error != -EAGAIN) {
		report(r, b, FAILED, NULL, b->error, "its state could not be read");
		return;
	}
	if (b->state == MO_STATE_ONLINE) {
		report(r, b, ALREADY, NULL, 0, NULL);
		return;
	}
	if (b->state != MO_STATE_OFFLINE) {
		report(r, b, FAILED, NULL, 0, "it is going offline");
		return;
	}
	e = mo_block_online_by_policy(r->ctl->ctx, p, r->mem->block_size, u, forced, r->dry_run,
				      b, &d);
	if (d.skip) {
		report(r, b, d.impossible ? FAILED : SKIPPED, NULL, 0, d.reason);
		return;
	}
	action = mo_online_type_word(d.type);
	if (e == 0 || e == -EALREADY) {
		report(r, b, e ? ALREADY : DONE, action, 0,
		       e ? "onlined meanwhile by another agent" : d.reason);
		return;
	}
	report(r, b, FAILED, action, e, explain_state_error(e, false));
}

static void __attribute__((noreturn)) online_usage(FILE *out)
{
	fputs("Usage:\n"
	      " memonline online [options] <memoryN|N|N-M|0xSTART-0xEND|SIZE>...\n"
	      " memonline online [options] --all\n"
	      "\n"
	      "Online offline memory blocks into the zone the policy chooses.\n"
	      "\n"
	      "Options:\n"
	      " -a, --all            every offline block\n"
	      " -z, --zone <zone>    movable, kernel or default instead of the policy\n"
	      " -n, --dry-run        say what would be done, change nothing\n"
	      " -J, --json           JSON output\n"
	      "     --udev           as the udev rule runs it: do nothing while\n"
	      "                      memonline watch runs or the kernel auto-onlines\n",
	      out);
	exit(out == stderr ? EXIT_USAGE : EXIT_OK);
}

/*
 * The rule's fast path: one block, and the ratio from /proc/zoneinfo, as
 * the kernel counts it, instead of a scan of every block per event.  False
 * when that cannot be done (no zoneinfo, as in most fixture trees): scan.
 */
static bool read_one_for_udev(struct control *ctl, int argc, char **argv,
			      struct mo_memory **mem, struct mo_usage *u)
{
	unsigned long id;
	int r;

	if (argc != 1 || mo_parse_block_name(argv[0], &id) < 0)
		return false;
	open_context(ctl);
	if (mo_usage_from_zoneinfo(ctl->ctx, u) < 0)
		return false;
	r = mo_memory_read_one(ctl->ctx, id, mem);
	if (r == -ENOENT)
		errx(EXIT_FAIL, "%s: no such memory block in %s/devices/system/memory", argv[0],
		     mo_sys_dir(ctl->ctx));
	if (r < 0)
		return false; /* the scan says what is wrong, in its words */
	report_bad_blocks(ctl, *mem);
	return true;
}

/*
 * The udev rule's checks, before any scan: the rule runs once per added
 * block, and whoever owns onlining now, the daemon or the kernel, must not
 * be raced for the zone.
 */
static bool udev_steps_aside(struct control *ctl)
{
	enum mo_auto_online a;

	open_context(ctl);
	if (watch_running(ctl->ctx)) {
		if (ctl->verbose)
			warnx("memonline watch runs: leaving the block to it");
		return true;
	}
	if (mo_read_auto_online(ctl->ctx, &a) == 0 && a != MO_AUTO_OFFLINE &&
	    a != MO_AUTO_UNKNOWN) {
		if (ctl->verbose)
			warnx("the kernel onlines new memory itself (auto_online_blocks=%s): "
			      "leaving the block to it", mo_auto_online_name(a));
		return true;
	}
	return false;
}

enum { OPT_UDEV = OPT_COMMON__END + 1 };

int cmd_online(struct control *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "all", no_argument, NULL, 'a' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'J' },
		{ "udev", no_argument, NULL, OPT_UDEV },
		{ "zone", required_argument, NULL, 'z' },
		{ NULL, 0, NULL, 0 },
	};
	struct run r = { .ctl = ctl };
	bool udev = false;
	enum mo_choice forced = MO_CHOICE__MAX;
	struct mo_policy *p;
	struct mo_usage u;
	bool all = false;
	int c;

	while ((c = getopt_long(argc, argv, COMMON_SHORTOPTS "anJz:", longopts, NULL)) != -1) {
		if (common_option(ctl, c, optarg, online_usage))
			continue;
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'n':
			r.dry_run = true;
			break;
		case 'J':
			ctl->json = true;
			break;
		case 'z':
			forced = mo_choice_from_name(optarg);
			if (forced != MO_CHOICE_MOVABLE && forced != MO_CHOICE_KERNEL &&
			    forced != MO_CHOICE_DEFAULT)
				usage_error(online_usage,
					    "--zone: '%s' is not movable, kernel or default",
					    optarg);
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
	if (udev && all)
		usage_error(online_usage, "--udev: give the block of the event, not --all");
	if (udev && udev_steps_aside(ctl))
		return EXIT_OK;

	p = load_policy(ctl);
	/* The rule's one block: one read, not a scan (read_one_for_udev). */
	if (!udev || !read_one_for_udev(ctl, argc - optind, argv + optind, &r.mem, &u)) {
		r.mem = scan_memory(ctl, MO_SCAN_SOURCE);
		mo_usage_from_memory(r.mem, &u);
	}
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
	if (ctl->verbose && r.mem->auto_online != MO_AUTO_OFFLINE &&
	    r.mem->auto_online != MO_AUTO_UNKNOWN)
		warnx("note: the kernel onlines new memory itself (auto_online_blocks=%s)",
		      mo_auto_online_name(r.mem->auto_online));

	begin_output(&r);
	/* Lowest first: kernel zones grow upwards from boot memory. */
	for (size_t i = 0; i < r.mem->n_blocks; i++)
		if (r.selected[i])
			online_one(&r, p, &u, forced, &r.mem->blocks[i]);
	end_output(&r);
	if (!ctl->json && all && reported(&r) == 0)
		printf("nothing to online: no offline blocks\n");

	free(r.selected);
	mo_memory_free(r.mem);
	mo_policy_free(p);
	return exit_code(&r);
}

/* ---- offline ---- */

static void on_alarm(int sig)
{
	(void)sig; /* only there to interrupt the write with EINTR */
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Offlining migrates every page away and the kernel retries for as long as
 * it takes; a pending signal stops it with EINTR (mm/memory_hotplug.c).
 * The timer is that signal.
 */
int offline_within(struct mo_ctx *ctx, struct mo_block *b, double seconds)
{
	struct sigaction sa = { .sa_handler = on_alarm }; /* no SA_RESTART */
	struct itimerval it = { 0 };
	int e;

	if (seconds <= 0)
		return -ETIME;
	sigaction(SIGALRM, &sa, NULL);
	it.it_value.tv_sec = (time_t)seconds;
	it.it_value.tv_usec = (suseconds_t)((seconds - (time_t)seconds) * 1e6);
	setitimer(ITIMER_REAL, &it, NULL);
	e = mo_block_set_state(ctx, b, MO_OFFLINE);
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	return e;
}

static int offline_bounded(struct run *r, struct mo_block *b, double deadline)
{
	return offline_within(r->ctl->ctx, b, deadline - now());
}

static void __attribute__((noreturn)) offline_usage(FILE *out)
{
	fputs("Usage:\n"
	      " memonline offline [options] <memoryN|N|N-M|0xSTART-0xEND|SIZE>...\n"
	      "\n"
	      "Offline memory blocks, highest first, to prepare an unplug.\n"
	      "\n"
	      "Options:\n"
	      " -t, --timeout <sec>  give up after this long (default 120)\n"
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
		{ NULL, 0, NULL, 0 },
	};
	struct run r = { .ctl = ctl, .offline = true };
	uint64_t timeout = 120;
	double deadline;
	int c;

	while ((c = getopt_long(argc, argv, COMMON_SHORTOPTS "nJt:", longopts, NULL)) != -1) {
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
			if (mo_parse_u64(optarg, 10, &timeout) < 0 || !timeout ||
			    timeout > 86400)
				usage_error(offline_usage,
					    "--timeout: '%s' is not a number of seconds from 1 to "
					    "86400", optarg);
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

	deadline = now() + timeout;
	begin_output(&r);
	/* Highest first: the top of memory is where ZONE_MOVABLE lives. */
	for (size_t i = r.mem->n_blocks; i-- > 0;) {
		struct mo_block *b = &r.mem->blocks[i];
		int e;

		if (!r.selected[i])
			continue;
		if (b->error) {
			report(&r, b, FAILED, NULL, b->error, "its state could not be read");
			continue;
		}
		if (b->state == MO_STATE_OFFLINE) {
			report(&r, b, ALREADY, NULL, 0, NULL);
			continue;
		}
		if (r.dry_run) {
			report(&r, b, DONE, "offline", 0, NULL);
			continue;
		}
		e = offline_bounded(&r, b, deadline);
		if (e == -ETIME)
			report(&r, b, FAILED, "offline", 0, "not tried: --timeout reached");
		else if (e == 0 || e == -EALREADY)
			report(&r, b, e ? ALREADY : DONE, "offline", 0, NULL);
		else
			report(&r, b, FAILED, "offline", e, explain_state_error(e, true));
	}
	end_output(&r);
	free(r.selected);
	mo_memory_free(r.mem);
	return exit_code(&r);
}
