// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memonline watch's words: the engine's outcomes as log lines, one write(2)
 * each, to stderr or, under systemd, to the journal with its levels.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "cli.h"

void watch_say(const struct watch_log *l, int level, const char *fmt, ...)
{
	char buf[640];
	va_list ap;
	int n;

	if (level >= LOG_DEBUG && !l->verbose)
		return;
	/* One write(2) a line: a storm's lines stay whole, and nothing is allocated. */
	if (l->journal)
		n = snprintf(buf, sizeof(buf), "<%d>", level);
	else
		n = snprintf(buf, sizeof(buf), "%s: ", l->prog);
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, n) < 0)
		return; /* nowhere left to say it */
}

/* systemd connects stderr to the journal and says so in JOURNAL_STREAM. */
static bool stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return env && sscanf(env, "%llu:%llu", &dev, &ino) == 2 &&
	       fstat(STDERR_FILENO, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

void watch_log_init(struct watch_log *l, const struct control *ctl)
{
	*l = (struct watch_log){.prog = ctl->prog,
				.verbose = ctl->verbose,
				.journal = stderr_is_journal()};
}

static double ms(uint64_t ns)
{
	return ns / 1e6;
}

static void say_owner(struct watch_log *l, const struct mo_outcome *o)
{
	if (o->owner == MO_OWNER_KERNEL)
		watch_say(l, LOG_NOTICE,
			  "the kernel onlines new memory itself "
			  "(auto_online_blocks=%s): stepping aside",
			  mo_auto_online_name(o->auto_online));
	else if (o->owner == MO_OWNER_KERNEL_CORRECTED)
		watch_say(l, LOG_NOTICE,
			  "the kernel onlines new memory itself "
			  "(auto_online_blocks=%s): moving only the blocks it puts in "
			  "another zone than the policy's (auto-online correct)",
			  mo_auto_online_name(o->auto_online));
	else
		watch_say(l, LOG_NOTICE,
			  "auto_online_blocks=offline: onlining new memory again");
}

static void say_failed(struct watch_log *l, const struct mo_outcome *o)
{
	char tries[64] = "";

	/* Reported once, in one line: it stays offline until it is added again. */
	if (o->tries > 1)
		snprintf(tries, sizeof(tries), "; gave up after %u tries in %.0f ms",
			 o->tries, ms(o->elapsed_ns));
	watch_say(l, LOG_ERR, "memory%lu: %s failed: %s%s%s%s%s", o->block,
		  mo_online_type_word(o->type), strerror(-o->err), o->reason ? " (" : "",
		  o->reason ? o->reason : "", o->reason ? ")" : "", tries);
}

static void say_correction(struct watch_log *l, const struct mo_outcome *o)
{
	const char *was = mo_zone_name(o->from_zone);

	switch (o->kind) {
	case MO_OUTCOME_KEPT:
		watch_say(l, LOG_DEBUG,
			  "memory%lu: the kernel put it in %s, which the policy keeps",
			  o->block, was);
		break;
	case MO_OUTCOME_MOVED:
		l->moved++;
		watch_say(l, LOG_INFO, "memory%lu: moved from %s to %s in %.1f ms",
			  o->block, was, mo_block_zone_name(o->b), ms(o->elapsed_ns));
		break;
	case MO_OUTCOME_NOT_MOVED:
		watch_say(l, LOG_WARNING,
			  "memory%lu: the kernel put it in %s, the policy wants %s; "
			  "left there: offlining it failed: %s",
			  o->block, was, o->want_movable ? "Movable" : "a kernel zone",
			  o->err == -ETIME ? "took too long" : strerror(-o->err));
		break;
	default: /* MO_OUTCOME_MOVE_FAILED */
		watch_say(l, LOG_WARNING, "memory%lu: moving it out of %s failed: %s; %s",
			  o->block, was, o->reason ? o->reason : strerror(-o->err),
			  o->back ? "back online where it was" : "and it is now offline");
	}
}

void watch_outcome(void *data, const struct mo_outcome *o)
{
	struct watch_log *l = data;

	switch (o->kind) {
	case MO_OUTCOME_ONLINE:
		l->onlined++;
		/* The one line per block: which, where, how long since it arrived. */
		if (o->tries > 1)
			watch_say(l, LOG_INFO,
				  "memory%lu: online %s in %.1f ms, at try %u", o->block,
				  mo_block_zone_name(o->b), ms(o->elapsed_ns), o->tries);
		else
			watch_say(l, LOG_INFO, "memory%lu: online %s in %.1f ms",
				  o->block, mo_block_zone_name(o->b), ms(o->elapsed_ns));
		watch_say(l, LOG_DEBUG, "memory%lu: %s", o->block, o->reason);
		break;
	case MO_OUTCOME_ALREADY:
		watch_say(l, LOG_DEBUG, "memory%lu: already online %s", o->block,
			  mo_block_zone_name(o->b));
		break;
	case MO_OUTCOME_RACED:
		watch_say(l, LOG_DEBUG,
			  "memory%lu: onlined meanwhile by another agent, %s", o->block,
			  mo_block_zone_name(o->b));
		break;
	case MO_OUTCOME_SKIPPED:
	case MO_OUTCOME_IMPOSSIBLE:
		watch_say(l, LOG_INFO, "memory%lu: left offline (%s)", o->block,
			  o->reason);
		break;
	case MO_OUTCOME_GOING_OFFLINE:
		break; /* someone is taking it away */
	case MO_OUTCOME_RETRY:
		watch_say(l, LOG_DEBUG,
			  "memory%lu: %s: %s; retry %u of %u in %" PRIu64 " ms", o->block,
			  mo_online_type_word(o->type), strerror(-o->err), o->tries,
			  o->max_tries, o->delay_ns / 1000000);
		break;
	case MO_OUTCOME_FAILED:
		say_failed(l, o);
		break;
	case MO_OUTCOME_UNREADABLE:
		watch_say(l, LOG_ERR,
			  "%s/devices/system/memory/memory%lu/%s: %s, ignoring block",
			  l->sys_dir, o->block, o->b->bad_attr,
			  o->err == -EINVAL ? "unexpected value" : strerror(-o->err));
		break;
	case MO_OUTCOME_REMOVED:
		watch_say(l, LOG_DEBUG, "memory%lu: removed before it was %s", o->block,
			  o->err ? "onlined" : "handled");
		break;
	case MO_OUTCOME_UNTRACKED:
		watch_say(l, LOG_ERR, "memory%lu: no memory to track it, ignoring block",
			  o->block);
		break;
	case MO_OUTCOME_LEFT_TO_KERNEL:
		watch_say(l, LOG_DEBUG, "memory%lu: left to the kernel", o->block);
		break;
	case MO_OUTCOME_OWNER:
		say_owner(l, o);
		break;
	default:
		say_correction(l, o);
	}
}
