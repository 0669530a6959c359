// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memonline target: where the Xen balloon stands, and setting its target.
 *
 * With --wait it does what the seed's help text leaves to the admin: it
 * onlines each block the driver hot-adds (by policy, through the same helper
 * as `online`) until current_kb reaches the target.  current_kb changes
 * without any event (a plain attribute, no sysfs_notify), and the driver
 * itself polls once a second while it waits, so this loop polls too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define NSEC 1000000000ull
#define POLL_NS (NSEC / 4)
#define DEFAULT_TIMEOUT_S 300
#define KICK_PAUSE_NS (NSEC / 2)

struct wait {
	struct control *ctl;
	const struct mo_clock *clock;
	struct mo_policy *policy;
	uint64_t requested_kb; /* 0 when we wrote nothing */
	uint64_t start_kb;     /* current_kb when the wait began */
	bool tty, bytes;
	unsigned kicks;
	uint64_t current_at_kick;
	struct mo_engine *engine; /* onlines what the driver adds */
	bool scanned;
	unsigned onlined;
	int last_verdict;
	uint64_t last_current_kb;
	bool bar_shown;
};

static void __attribute__((noreturn)) usage(FILE *out)
{
	fputs("Usage:\n"
	      " memonline target [--bytes] [--json]\n"
	      " memonline target [options] [+|-]SIZE\n"
	      " memonline target --wait[=TIMEOUT]\n"
	      "\n"
	      "Show the Xen balloon's target, current size and a verdict, or set\n"
	      "the target (xen_memory0/target_kb).  SIZE needs a unit: K, M, G or T;\n"
	      "+SIZE and -SIZE change the current target.\n"
	      "\n"
	      "Options:\n"
	      " -b, --bytes            sizes in bytes\n"
	      " -f, --force            allow a target below half of current memory\n"
	      " -J, --json             JSON output\n"
	      " -w, --wait[=TIMEOUT]   online new blocks by policy until current reaches\n"
	      "                        the target; TIMEOUT in seconds (s, m, h suffixes;\n"
	      "                        0: none; default 300)\n"
	      "\n"
	      "Exit status: 0 reached (or set), 1 failure, 2 usage, 67 timeout,\n"
	      "68 the hypervisor refuses, 69 the kernel cannot hot-add memory.\n",
	      out);
	exit(out == stderr ? EXIT_USAGE : EXIT_OK);
}

/*
 * "-512M" is a SIZE, but getopt would take it for the options -5 -1 -2 -M.
 * Take it out of argv before getopt sees it, minding the words that are
 * option arguments (-c FILE, --sysroot DIR).
 */
static const char *take_negative_size(int *argc, char **argv)
{
	const char *size = NULL;
	int out = 1;

	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			while (i < *argc)
				argv[out++] = argv[i++];
			break;
		}
		if ((!strcmp(a, "-c") || !strcmp(a, "--config") || !strcmp(a, "--sysroot")) &&
		    i + 1 < *argc) {
			argv[out++] = argv[i++];
			argv[out++] = argv[i];
			continue;
		}
		if (a[0] == '-' && a[1] >= '0' && a[1] <= '9' && !size) {
			size = a;
			continue;
		}
		argv[out++] = argv[i];
	}
	argv[out] = NULL;
	*argc = out;
	return size;
}

static void read_or_die(struct control *ctl, const struct mo_clock *clock,
			struct mo_xen_view *v)
{
	int r;

	open_context(ctl);
	r = mo_xen_view_read(ctl->ctx, clock, v);

	if (r == -ENODEV && !mo_hypervisor_is_xen(&v->hv))
		errx(EXIT_FAIL, "not a Xen guest (%s/hypervisor/type is not 'xen')",
		     mo_sys_dir(ctl->ctx));
	if (r == -ENODEV)
		errx(EXIT_FAIL, "%s/%s: no such directory: a Xen guest without the balloon "
		     "driver (CONFIG_XEN_BALLOON)", mo_sys_dir(ctl->ctx), mo_xen_balloon_dir());
	if (r < 0)
		errx(EXIT_FAIL, "%s/%s: %s", mo_sys_dir(ctl->ctx),
		     v->bad_attr ? v->bad_attr : mo_xen_balloon_dir(),
		     r == -EINVAL ? "unexpected value" : strerror(-r));
}

static void write_target(struct control *ctl, uint64_t kb)
{
	int r = mo_xen_set_target_kb(ctl->ctx, kb);

	if (r == -EPERM || r == -EACCES)
		errx(EXIT_FAIL, "%s/%s/target_kb: %s (writing the target needs CAP_SYS_ADMIN: "
		     "run as root)", mo_sys_dir(ctl->ctx), mo_xen_balloon_dir(), strerror(-r));
	if (r == -EROFS)
		errx(EXIT_FAIL, "%s/%s/target_kb: sysfs is read-only (a container?)",
		     mo_sys_dir(ctl->ctx), mo_xen_balloon_dir());
	if (r < 0)
		errx(EXIT_FAIL, "%s/%s/target_kb: %s", mo_sys_dir(ctl->ctx),
		     mo_xen_balloon_dir(), strerror(-r));
}

/* ---- --wait ---- */

static void clear_bar(struct wait *w)
{
	if (w->bar_shown) {
		fputs("\r\033[K", stdout);
		w->bar_shown = false;
	}
}

__attribute__((format(printf, 2, 3)))
static void say(struct wait *w, const char *fmt, ...)
{
	va_list ap;

	if (w->ctl->json)
		return;
	clear_bar(w);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* The engine's outcomes: one line for each block onlined, skipped or given up on. */
static void on_outcome(void *data, const struct mo_outcome *o)
{
	struct wait *w = data;

	switch (o->kind) {
	case MO_OUTCOME_ONLINE:
	case MO_OUTCOME_RACED:
		w->onlined++;
		say(w, "memory%lu: online %s%s", o->block,
		    o->b->have_zones && o->b->zone >= 0 ? mo_zone_name(o->b->zone) : "",
		    o->kind == MO_OUTCOME_RACED ? " (by another agent)" : "");
		break;
	case MO_OUTCOME_SKIPPED:
	case MO_OUTCOME_IMPOSSIBLE:
		say(w, "memory%lu: skipped (%s)", o->block, o->reason);
		break;
	case MO_OUTCOME_FAILED:
		say(w, "memory%lu: failed: %s, giving up on it", o->block, strerror(-o->err));
		break;
	default:
		break;
	}
}

/*
 * Online the blocks the driver added, by policy: every offline block at the
 * first scan, then the blocks new since, each retried on the engine's
 * schedule.  Returns how many stay offline.
 */
static uint64_t online_new_blocks(struct wait *w, struct mo_memory *mem)
{
	mo_engine_reconcile(w->engine, mem, w->scanned ? 0 : MO_ENGINE_COLDPLUG);
	w->scanned = true;
	mo_engine_run(w->engine);
	return mo_engine_n_offline(w->engine);
}

static void show_progress(struct wait *w, const struct mo_xen_view *v)
{
	uint64_t target = v->b.target_kb, cur = v->b.current_kb, start = w->start_kb;
	char c[32], t[32];

	balloon_size(w->bytes, cur * 1024, c, sizeof(c));
	balloon_size(w->bytes, target * 1024, t, sizeof(t));
	if (w->ctl->json)
		return;
	if (w->tty) {
		uint64_t span = target > start ? target - start : start - target;
		uint64_t done = target > start ? (cur > start ? cur - start : 0)
					       : (start > cur ? start - cur : 0);
		int width = 30, fill = span ? (int)(done * width / span) : width;
		char bar[64];

		if (fill > width)
			fill = width;
		memset(bar, '#', fill);
		memset(bar + fill, '.', width - fill);
		bar[width] = '\0';
		printf("\r\033[K[%s] %s / %s  %s", bar, c, t, mo_xen_verdict_name(v->d.verdict));
		fflush(stdout);
		w->bar_shown = true;
		return;
	}
	if ((int)v->d.verdict != w->last_verdict || cur != w->last_current_kb)
		say(w, "current %s of %s: %s", c, t, mo_xen_verdict_name(v->d.verdict));
	w->last_verdict = v->d.verdict;
	w->last_current_kb = cur;
}

/*
 * The driver cancelled (balloon.c update_schedule() -> BP_ECANCELED) sleeps
 * until the credit changes, so a raised hypervisor limit goes unnoticed.
 * Writing the target one page lower, then back, changes the credit twice.
 * The thread re-checks the credit when woken, not at the write: with both
 * writes back to back it could see no change at all, hence the pause.
 */
static void kick(struct wait *w, const struct mo_xen_view *v)
{
	uint64_t kb = v->b.target_kb, page_kb = sysconf(_SC_PAGESIZE) / 1024;

	say(w, "the balloon driver gave up; writing the target anew to wake it");
	if (kb > page_kb) {
		write_target(w->ctl, kb - page_kb);
		w->clock->sleep(w->clock->data, KICK_PAUSE_NS);
	}
	write_target(w->ctl, kb);
	w->kicks++;
	w->current_at_kick = v->b.current_kb;
}

static int finish(struct wait *w, const struct mo_xen_view *v, int code, const char *why)
{
	const char *fix = balloon_fix(&v->d);

	clear_bar(w);
	if (w->ctl->json) {
		struct json j;

		json_begin(&j, stdout);
		balloon_print_json(&j, v);
		json_str(&j, "result", why);
		json_u64(&j, "onlined_blocks", w->onlined);
		json_u64(&j, "kicks", w->kicks);
		json_end(&j);
		return code;
	}
	if (code == EXIT_OK)
		printf("%s\n", why);
	else
		printf("%s: %s\n", why, balloon_verdict_text(v->d.verdict));
	if (code != EXIT_OK && fix)
		printf("fix: %s\n", fix);
	return code;
}

static int wait_for_target(struct wait *w, unsigned timeout_s)
{
	const struct mo_clock *clock = w->clock;
	uint64_t deadline = timeout_s ? clock->now(clock->data) + timeout_s * NSEC : 0;
	struct mo_xen_view v = { .requested_kb = w->requested_kb };

	w->last_verdict = -1;
	for (;;) {
		struct mo_memory *mem = scan_memory(w->ctl, MO_SCAN_SOURCE);

		v.offline_blocks = online_new_blocks(w, mem);
		v.block_size = mem->block_size;
		mo_memory_free(mem);
		read_or_die(w->ctl, clock, &v);
		if (v.reads == 1)
			w->start_kb = v.b.current_kb;
		mo_xen_view_diagnose(&v);
		show_progress(w, &v);

		switch (v.d.verdict) {
		case MO_XEN_REACHED:
			return finish(w, &v, EXIT_OK, "target reached");
		case MO_XEN_HOTPLUG_UNSUPPORTED:
			return finish(w, &v, EXIT_UNSUPPORTED, "stopped");
		case MO_XEN_OVERRIDDEN:
			return finish(w, &v, EXIT_FAIL, "stopped");
		case MO_XEN_REFUSED:
		case MO_XEN_STALLED:
			if (!v.d.kick)
				break;
			/* Kicked, and given up again with nothing gained: final. */
			if (w->kicks && v.b.current_kb <= w->current_at_kick)
				return finish(w, &v,
					      v.d.verdict == MO_XEN_REFUSED ? EXIT_REFUSED
									    : EXIT_FAIL,
					      "stopped");
			kick(w, &v);
			/* The driver woken: give it the settle time anew. */
			v.moved_ns = clock->now(clock->data);
			break;
		default:
			break;
		}
		if (deadline && clock->now(clock->data) >= deadline) {
			char why[64];

			snprintf(why, sizeof(why), "timed out after %u s", timeout_s);
			return finish(w, &v, EXIT_TIMEOUT, why);
		}
		clock->sleep(clock->data, POLL_NS);
	}
}

/* ---- the command ---- */

static void print_status(struct control *ctl, bool bytes)
{
	struct mo_memory *mem = NULL;
	struct mo_xen_view v;

	/* The balloon is worth showing even on a kernel without memory blocks. */
	open_context(ctl);
	if (mo_memory_scan(ctl->ctx, 0, &mem) < 0)
		mem = NULL;
	mo_xen_observe(ctl->ctx, &mo_clock_monotonic, mem, true, &v);
	mo_memory_free(mem);
	if (v.err && v.err != -ENODEV)
		read_or_die(ctl, &mo_clock_monotonic, &v); /* names the bad attribute, exits */
	if (ctl->json) {
		struct json j;

		json_begin(&j, stdout);
		balloon_print_json(&j, &v);
		json_end(&j);
	} else {
		balloon_print_text(&v, bytes);
	}
	if (v.err)
		exit(EXIT_FAIL);
}

int cmd_target(struct control *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "bytes", no_argument, NULL, 'b' },
		{ "force", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'J' },
		{ "wait", optional_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	struct mo_engine_options opts = { .forced = MO_CHOICE__MAX, .by_hand = true };
	struct wait w = { .ctl = ctl, .clock = &mo_clock_monotonic };
	const char *size = take_negative_size(&argc, argv);
	uint64_t timeout = DEFAULT_TIMEOUT_S;
	bool wait = false, wait_arg = false, force = false;
	struct mo_xen_view v = { 0 };
	int c;

	while ((c = getopt_long(argc, argv, COMMON_SHORTOPTS "bfJw::", longopts, NULL)) != -1) {
		if (common_option(ctl, c, optarg, usage))
			continue;
		switch (c) {
		case 'b':
			w.bytes = true;
			break;
		case 'f':
			force = true;
			break;
		case 'J':
			ctl->json = true;
			break;
		case 'w':
			wait = true;
			wait_arg = optarg != NULL;
			if (optarg && mo_parse_duration(optarg, 7 * 86400, &timeout) < 0)
				usage_error(usage, "--wait: '%s' is not a timeout in seconds (s, m "
					    "or h suffix, at most a week)", optarg);
			break;
		default:
			usage(stderr);
		}
	}
	if (optind < argc && !size) {
		uint64_t seconds;

		size = argv[optind++];
		/* --wait's timeout is optional, so it must be attached: "--wait 5" is no size. */
		if (wait && !wait_arg && mo_parse_duration(size, UINT64_MAX, &seconds) == 0)
			usage_error(usage, "target: '%s' after --wait is a timeout, not a size: "
				    "write --wait=%s (or a size with a unit)", size, size);
	}
	if (optind < argc)
		usage_error(usage, "target: unexpected argument '%s'", argv[optind]);

	if (!size && !wait) {
		print_status(ctl, w.bytes);
		return EXIT_OK;
	}

	read_or_die(ctl, w.clock, &v);
	if (size) {
		uint64_t kb;
		char from[32], to[32];
		int r = mo_xen_parse_target(size, v.b.target_kb, &kb);

		if (r == -ERANGE)
			usage_error(usage, "target: '%s' leaves no memory (target is %" PRIu64
				    " KiB)", size, v.b.target_kb);
		if (r == -E2BIG)
			usage_error(usage, "target: '%s' is more than Linux can address (4P)", size);
		if (r < 0)
			usage_error(usage, "target: '%s' is not a size with a unit (K, M, G, T), "
				    "optionally after + or -", size);
		if (kb < v.b.current_kb / 2 && !force)
			usage_error(usage, "target: %s would take more than half of the current "
				    "memory away: use --force if that is meant", size);
		write_target(ctl, kb);
		w.requested_kb = kb;
		balloon_size(w.bytes, v.b.target_kb * 1024, from, sizeof(from));
		balloon_size(w.bytes, kb * 1024, to, sizeof(to));
		if (!ctl->json)
			printf("target: %s -> %s\n", from, to);
		/*
		 * drivers/xen/xen-balloon.c watch_target(): outside a PV guest the
		 * driver subtracts static-max less the pages the kernel had at
		 * boot from every xenstore target (388 KiB with Xen 4.17's PVH).
		 */
		if (!ctl->json && mo_hypervisor_is_translated(&v.hv))
			printf("note: in a %s guest the target is xl's figure less a boot offset "
			       "(a few hundred KiB), so %s here asks for a little more than "
			       "xl mem-set DOMAIN %" PRIu64 "; the driver may add one more block "
			       "and leave most of it ballooned\n", v.hv.guest_type, to,
			       kb / 1024);
		if (!wait) {
			if (ctl->json) {
				struct json j;

				json_begin(&j, stdout);
				json_u64(&j, "previous_target", v.b.target_kb * 1024);
				json_u64(&j, "target", kb * 1024);
				json_end(&j);
			}
			return EXIT_OK;
		}
	}
	w.policy = load_policy(ctl);
	w.tty = isatty(STDOUT_FILENO) && !ctl->json;
	if (mo_engine_new(ctl->ctx, w.policy, w.clock, &opts, on_outcome, &w,
			  &w.engine) < 0)
		errx(EXIT_FAIL, "out of memory");
	c = wait_for_target(&w, timeout);
	mo_engine_free(w.engine);
	mo_policy_free(w.policy);
	return c;
}
