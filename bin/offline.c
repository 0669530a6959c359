// SPDX-License-Identifier: GPL-2.0-or-later
/* memonline offline: offline blocks, highest first, to prepare an unplug. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>

#include "cli.h"

/* Time left until the deadline on the clock; 0 when it has passed. */
static uint64_t left(uint64_t deadline)
{
	uint64_t t = mo_clock_monotonic.now(mo_clock_monotonic.data);

	return t < deadline ? deadline - t : 0;
}

static enum outcome offline_one(struct run *r, struct mo_block *b, uint64_t deadline)
{
	int e;

	if (b->error) {
		run_report(r, b, FAILED, NULL, b->error, "its state could not be read");
		return FAILED;
	}
	if (b->state == MO_STATE_OFFLINE) {
		run_report(r, b, ALREADY, NULL, 0, NULL);
		return ALREADY;
	}
	if (!mo_block_in_choice(b, r->zone)) {
		run_report(r, b, SKIPPED, NULL, 0, r->zone == MO_CHOICE_MOVABLE ?
			"not in ZONE_MOVABLE (--zone movable)" : "not in a kernel zone (--zone kernel)");
		return SKIPPED;
	}
	if (r->dry_run) {
		run_report(r, b, DONE, "offline", 0, NULL);
		return DONE;
	}
	e = mo_block_offline_within(r->ctl->ctx, b, left(deadline));
	if (e == -ETIME) {
		run_report(r, b, FAILED, "offline", 0, "not tried: --timeout reached");
		return FAILED;
	}
	if (e == 0 || e == -EALREADY) {
		run_report(r, b, e ? ALREADY : DONE, "offline", 0, NULL);
		return e ? ALREADY : DONE;
	}
	/* The kernel's answer to a block another offline is working on. */
	if (e == -EINVAL && b->state == MO_STATE_GOING_OFFLINE)
		run_report(r, b, FAILED, "offline", e, "it is going offline already: another "
		       "offline of it is under way");
	else
		run_report(r, b, FAILED, "offline", e, mo_block_error_reason(e, true));
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

		if (r->selected[i] || b->error || b->state != MO_STATE_ONLINE ||
		    !mo_block_in_choice(b, r->zone))
			continue;
		r->selected[i] = true;
		r->in_size = true;
		o = offline_one(r, b, deadline);
		r->in_size = false;
		got += o == DONE || o == ALREADY;
	}
	run_size_done(r, st, got);
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
	run_select(&r, argc - optind, argv + optind, offline_usage);
	run_refuse_read_only(&r);

	deadline = mo_clock_monotonic.now(mo_clock_monotonic.data) + timeout * 1000000000ull;
	run_begin(&r);
	/* Highest first: the top of memory is where ZONE_MOVABLE lives. */
	for (size_t i = r.mem->n_blocks; i-- > 0;)
		if (r.selected[i])
			offline_one(&r, &r.mem->blocks[i], deadline);
	for (size_t i = 0; i < r.n_sizes; i++)
		offline_size(&r, &r.sizes[i], deadline);
	run_end(&r);
	free(r.selected);
	free(r.sizes);
	mo_memory_free(r.mem);
	return run_exit_code(&r);
}
