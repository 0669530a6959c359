// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What online and offline share: the blocks, ranges and sizes named on the
 * command line, one line or JSON object per block, and the exit code.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

static const char *const outcome_names[] = {
	[DONE] = "done", [ALREADY] = "already", [SKIPPED] = "skipped",
	[REFUSED] = "refused", [FAILED] = "failed",
};

/* A dry run did nothing: its blocks "would" be done. */
static const char *outcome_name(const struct run *r, enum outcome o)
{
	return o == DONE && r->dry_run ? "would" : outcome_names[o];
}

/* One line (or JSON object) per block: what was done and why. */
void run_report(struct run *r, const struct mo_block *b, enum outcome o, const char *action,
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
void run_select(struct run *r, int argc, char **argv, void (*usage)(FILE *))
{
	struct mo_memory *mem = r->mem;

	r->sizes = calloc(argc + 1, sizeof(*r->sizes));
	if (!r->sizes)
		errx(EXIT_FAIL, "out of memory");
	for (int i = 0; i < argc; i++) {
		struct mo_which t;
		int e = mo_parse_which(argv[i], mem->block_size, &t);
		size_t hits = 0;

		if (e == -ERANGE)
			usage_error(usage, "'%s' is not a whole number of %llu-byte blocks",
				    argv[i], (unsigned long long)mem->block_size);
		if (e < 0)
			usage_error(usage, "'%s' is not a block, range or size", argv[i]);
		if (t.kind == MO_WHICH_SIZE) {
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
void run_size_done(struct run *r, const struct size_target *st, uint64_t got)
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
unsigned run_reported(const struct run *r)
{
	unsigned n = 0;

	for (int o = 0; o < OUTCOME__MAX; o++)
		n += r->counts[o];
	return n;
}

int run_exit_code(const struct run *r)
{
	if (!r->counts[FAILED] && !r->short_sizes)
		return EXIT_OK;
	return r->counts[DONE] + r->counts[ALREADY] ? EXIT_PARTIAL : EXIT_FAIL;
}

void run_refuse_read_only(const struct run *r)
{
	if (!r->dry_run && mo_sys_read_only(r->ctl->ctx))
		errx(EXIT_FAIL, "%s is mounted read-only: block states cannot change here "
		     "(a container?)", mo_sys_dir(r->ctl->ctx));
}

void run_begin(struct run *r)
{
	if (r->ctl->json) {
		json_begin(&r->json, stdout);
		json_array(&r->json, "blocks");
	}
}

void run_end(struct run *r)
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

/*
 * --zone: memonline's words, or a zone as valid_zones and chmem -z spell it,
 * in any case; a kernel zone (DMA, DMA32, Normal, HighMem) means "kernel".
 */
int parse_zone(const char *arg)
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
