// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memonline watch: a daemon that onlines hot-added memory as it arrives.
 *
 * One thread, one epoll loop over three descriptors: the event source (a
 * libudev monitor, or a replay for tests), a signalfd (SIGHUP reloads the
 * policy, SIGTERM and SIGINT stop) and a timerfd armed for the engine's next
 * retry.  Receiving is enabled before the first scan, so a block added
 * meanwhile is seen by the scan or by its event; the engine (lib/engine.c)
 * onlines it once, and its outcomes become the log lines here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "cli.h"

#define RECEIVE_MAX	   2048 /* events per turn of the loop: four of the engine's batches */
#define RECEIVE_ERRORS_MAX 8   /* in a row: the source is broken, not busy */
#define NSEC		   1000000000ull

struct watch {
	struct control *ctl;
	struct mo_ctx *ctx;
	struct mo_policy *policy;
	struct mo_monitor *mon;
	struct mo_engine *engine;
	uint64_t timer_due; /* what the timerfd is armed for; 0: disarmed */

	int ep, sfd, tfd;
	struct mo_daemon_lock marker;
	bool source_polls; /* false: a regular file, always readable */
	bool replay;	   /* events from --replay, not from the kernel or udevd */
	bool ended, quit;
	unsigned receive_errors;
	struct watch_log log;
};

/* sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET. */
static void notify(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@'))
		return;
	len = strlen(path);
	if (len >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract namespace */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	(void)sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa,
		     offsetof(struct sockaddr_un, sun_path) + len);
	close(fd);
}

static void arm_timer(struct watch *w)
{
	struct itimerspec its = { 0 };
	uint64_t next = mo_engine_next_due(w->engine);

	if (next == w->timer_due)
		return;
	/* Absolute: a due time already past fires at once. */
	its.it_value.tv_sec = next / NSEC;
	its.it_value.tv_nsec = next % NSEC;
	if (timerfd_settime(w->tfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		w->timer_due = next;
}

/* ---- Events ---- */

static void lost_events(struct watch *w, const char *why)
{
	if (mo_engine_lost(w->engine))
		watch_say(&w->log, LOG_WARNING, "%s: rescanning", why);
}

static void on_event(struct watch *w, const struct mo_event *ev)
{
	bool online = ev->action == MO_EVENT_ONLINE;

	switch (ev->action) {
	case MO_EVENT_ADD:
		if (mo_engine_add(w->engine, ev->block) < 0)
			watch_say(&w->log, LOG_ERR, "memory%lu: no memory to track it, ignoring its add event",
			    ev->block);
		break;
	case MO_EVENT_REMOVE:
		mo_engine_remove(w->engine, ev->block);
		break;
	case MO_EVENT_ONLINE:
	case MO_EVENT_OFFLINE:
		if (mo_engine_state_event(w->engine, ev->block, online))
			watch_say(&w->log, LOG_WARNING, "an %s event for memory%lu, never seen added: "
			    "rescanning", online ? "online" : "offline", ev->block);
		break;
	}
}

static void receive_events(struct watch *w)
{
	struct mo_event ev;
	char why[96];
	int r;

	/* A bounded drain, so retries and signals get their turn in a storm. */
	for (unsigned n = 0; n < RECEIVE_MAX; n++) {
		r = mo_monitor_receive(w->mon, &ev);
		if (r == 0)
			return;
		if (r == -EPIPE) {
			w->ended = true;
			if (w->source_polls)
				epoll_ctl(w->ep, EPOLL_CTL_DEL, mo_monitor_fd(w->mon),
					  NULL);
			return;
		}
		if (r == -ENOBUFS) {
			lost_events(w, "events were lost (receive buffer overflow)");
			continue;
		}
		if (r == -EBADMSG && w->replay) {
			watch_say(&w->log, LOG_WARNING,
			    "%s: a line that is not 'ACTION DEVPATH', ignoring",
			    mo_monitor_name(w->mon));
			continue;
		}
		if (r == -EBADMSG) {
			/*
			 * Not a broken source: the message is gone, the next
			 * one may be fine.  It passed the monitor's filter on
			 * subsystem memory, so it may have been a block's event.
			 */
			w->receive_errors = 0;
			snprintf(why, sizeof(why),
				 "%s monitor: an event libudev could not parse",
				 mo_monitor_name(w->mon));
			lost_events(w, why);
			continue;
		}
		if (r < 0) {
			if (++w->receive_errors >= RECEIVE_ERRORS_MAX) {
				watch_say(&w->log, LOG_ERR,
				    "receiving %s events: %s, %u times in a row: exiting",
				    mo_monitor_name(w->mon), strerror(-r),
				    w->receive_errors);
				w->quit = true;
				return;
			}
			snprintf(why, sizeof(why), "receiving %s events: %s",
				 mo_monitor_name(w->mon), strerror(-r));
			lost_events(w, why);
			return;
		}
		w->receive_errors = 0;
		on_event(w, &ev);
	}
}

/* ---- Signals ---- */

static void reload(struct watch *w)
{
	struct mo_config_error err;
	struct mo_policy *p;
	int r;

	notify("RELOADING=1");
	r = mo_policy_load(w->ctl->config, w->ctl->config_flags, &p, &err);
	if (r < 0 && err.file[0] && err.line)
		watch_say(&w->log, LOG_ERR, "%s:%u: %s; keeping the previous configuration", err.file,
		    err.line, err.msg);
	else if (r < 0 && err.file[0])
		watch_say(&w->log, LOG_ERR, "%s: %s; keeping the previous configuration", err.file,
		    err.msg);
	else if (r < 0)
		watch_say(&w->log, LOG_ERR, "%s: %s; keeping the previous configuration",
		    w->ctl->config, strerror(-r));
	if (r == 0) {
		mo_policy_free(w->policy);
		w->policy = p;
		watch_say(&w->log, LOG_NOTICE, "configuration reloaded from %s", w->ctl->config);
		mo_engine_set_policy(w->engine, p);
	}
	notify("READY=1");
}

static void read_signals(struct watch *w)
{
	struct signalfd_siginfo si;

	while (read(w->sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reload(w);
		} else {
			watch_say(&w->log, LOG_DEBUG, "%s: exiting", strsignal(si.ssi_signo));
			w->quit = true;
		}
	}
}

/* ---- Set-up ---- */

/*
 * Memory is short exactly when memory is being added: pages of the daemon
 * paged out then would have to come back from disk first.
 */
static void lock_memory(struct watch *w)
{
	uint64_t limit = 0;
	int r = mo_lock_memory(&limit);

	if (r == -EOPNOTSUPP)
		watch_say(&w->log, LOG_DEBUG, "memory not locked: AddressSanitizer build");
	else if (r == -EDQUOT)
		watch_say(&w->log, LOG_WARNING,
		    "memory not locked: no CAP_IPC_LOCK and RLIMIT_MEMLOCK is "
		    "%llu KiB, ignoring",
		    (unsigned long long)limit / 1024);
	else if (r < 0)
		watch_say(&w->log, LOG_WARNING, "cannot lock memory, ignoring: %s", strerror(-r));
}

/* RUN/memonline/watch: the udev rule steps aside, a second daemon refuses to start. */
static void take_marker(struct watch *w)
{
	char path[PATH_MAX];
	pid_t holder = 0;
	int r;

	if (mo_daemon_marker_path(w->ctx, path, sizeof(path)) < 0)
		errx(EXIT_FAIL, "%s: path too long", mo_run_dir(w->ctx));
	r = mo_daemon_lock(w->ctx, &w->marker, &holder);
	if (r == -EWOULDBLOCK) {
		char pid[32] = "?";

		if (holder > 0)
			snprintf(pid, sizeof(pid), "%d", (int)holder);
		errx(EXIT_FAIL, "memonline watch already runs (pid %s, %s)", pid, path);
	}
	if (r < 0)
		errx(EXIT_FAIL, "%s: %s", path, strerror(-r));
	if (w->marker.pid_err < 0)
		watch_say(&w->log, LOG_WARNING, "%s: cannot write the pid, ignoring: %s", path,
		    strerror(-w->marker.pid_err));
}

static void open_source(struct watch *w, const char *replay, enum mo_monitor_kind kind)
{
	int r, fd;

	w->replay = replay != NULL;
	if (replay) {
		fd = strcmp(replay, "-") == 0 ? dup(STDIN_FILENO)
					      : open(replay, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			errx(EXIT_FAIL, "%s: %s", replay, strerror(errno));
		r = mo_monitor_new_replay(fd, &w->mon);
		if (r < 0) {
			close(fd);
			errx(EXIT_FAIL, "%s: %s", replay, strerror(-r));
		}
	} else {
		r = mo_monitor_new_uevent(w->ctx, kind, &w->mon);
		if (r == -ENOPKG)
			errx(EXIT_FAIL, "udevd's events need libudev.so.1, which cannot be "
					"loaded; --events kernel does without");
		if (r < 0)
			errx(EXIT_FAIL, "cannot listen to uevents: %s", strerror(-r));
	}
	r = mo_monitor_enable(w->mon);
	if (r < 0)
		errx(EXIT_FAIL, "cannot listen to %s events: %s", mo_monitor_name(w->mon),
		     strerror(-r));
	if (!replay && mo_monitor_rcvbuf(w->mon) < MO_MONITOR_RCVBUF)
		watch_say(&w->log, LOG_WARNING,
		    "receive buffer %zu KiB, not %u MiB (no CAP_NET_ADMIN?): "
		    "a storm may overflow it and cost a rescan, ignoring",
		    mo_monitor_rcvbuf(w->mon) / 1024, MO_MONITOR_RCVBUF >> 20);
}

static void setup_loop(struct watch *w)
{
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		errx(EXIT_FAIL, "sigprocmask: %s", strerror(errno));
	w->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	w->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	w->ep = epoll_create1(EPOLL_CLOEXEC);
	if (w->sfd < 0 || w->tfd < 0 || w->ep < 0)
		errx(EXIT_FAIL, "cannot set up the event loop: %s", strerror(errno));
	ev.data.fd = w->sfd;
	epoll_ctl(w->ep, EPOLL_CTL_ADD, w->sfd, &ev);
	ev.data.fd = w->tfd;
	epoll_ctl(w->ep, EPOLL_CTL_ADD, w->tfd, &ev);
	ev.data.fd = mo_monitor_fd(w->mon);
	w->source_polls = true;
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0) {
		if (errno != EPERM)
			errx(EXIT_FAIL, "epoll: %s", strerror(errno));
		w->source_polls = false; /* a regular file: always readable */
	}
}

static void run_loop(struct watch *w)
{
	while (!w->quit) {
		struct epoll_event evs[4];
		bool busy = !w->source_polls && !w->ended;
		int n = epoll_wait(w->ep, evs, ARRAY_SIZE(evs), busy ? 0 : -1), r;

		if (n < 0 && errno != EINTR) {
			watch_say(&w->log, LOG_ERR, "epoll_wait: %s", strerror(errno));
			return;
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == w->sfd) {
				read_signals(w);
			} else if (evs[i].data.fd == w->tfd) {
				uint64_t expirations;

				if (read(w->tfd, &expirations, sizeof(expirations)) > 0)
					w->timer_due = 0;
			}
		}
		if (w->quit)
			break;
		if (busy || n > 0)
			receive_events(w);
		r = mo_engine_run(w->engine);
		if (r < 0)
			watch_say(&w->log, LOG_ERR, "%s/devices/system/memory: %s", mo_sys_dir(w->ctx),
			    strerror(-r));
		arm_timer(w);
		/* A replay that ended: done once nothing is left to retry. */
		if (w->ended && mo_engine_idle(w->engine)) {
			watch_say(&w->log, LOG_DEBUG, "the replay has ended");
			break;
		}
	}
}

static void __attribute__((noreturn)) watch_usage(FILE *out)
{
	fputs("Usage:\n"
	      " memonline watch [options]\n"
	      "\n"
	      "Online every offline block now, then each block as it is hot-added,\n"
	      "into the zone the policy chooses.  SIGHUP reloads the configuration.\n"
	      "\n"
	      "Options:\n"
	      " -e, --events <group>  uevents from: auto (udev when udevd runs, else\n"
	      "                       kernel), udev, or kernel\n"
	      "     --replay <file>   events from lines 'ACTION DEVPATH' in <file> "
	      "('-':\n"
	      "                       stdin) instead, until it ends; for tests\n",
	      out);
	exit(out == stderr ? EXIT_USAGE : EXIT_OK);
}

enum { OPT_REPLAY = OPT_COMMON__END + 1 };

int cmd_watch(struct control *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{"events", required_argument, NULL, 'e'},
		{"replay", required_argument, NULL, OPT_REPLAY},
		{NULL, 0, NULL, 0},
	};
	struct watch w = { .ctl = ctl, .marker = { .dir = -1, .fd = -1 }, .ep = -1, .sfd = -1,
			   .tfd = -1 };
	struct mo_engine_options opts = { .forced = MO_CHOICE__MAX };
	enum mo_monitor_kind kind = MO_MONITOR_AUTO;
	const char *replay = NULL;
	struct mo_memory *mem;
	int c, r;

	while ((c = getopt_long(argc, argv, COMMON_SHORTOPTS "e:", longopts, NULL)) !=
	       -1) {
		if (common_option(ctl, c, optarg, watch_usage))
			continue;
		switch (c) {
		case 'e':
			if (strcmp(optarg, "auto") == 0)
				kind = MO_MONITOR_AUTO;
			else if (strcmp(optarg, "udev") == 0)
				kind = MO_MONITOR_UDEV;
			else if (strcmp(optarg, "kernel") == 0)
				kind = MO_MONITOR_KERNEL;
			else
				usage_error(watch_usage,
					    "--events: '%s' is not auto, udev or kernel",
					    optarg);
			break;
		case OPT_REPLAY:
			replay = optarg;
			break;
		default:
			watch_usage(stderr);
		}
	}
	if (optind < argc)
		usage_error(watch_usage, "watch: unexpected argument '%s'", argv[optind]);

	watch_log_init(&w.log, ctl);
	w.policy = load_policy(ctl);
	open_context(ctl);
	w.ctx = ctl->ctx;
	w.log.sys_dir = mo_sys_dir(w.ctx);
	if (mo_sys_read_only(w.ctx))
		errx(EXIT_FAIL,
		     "%s is mounted read-only: block states cannot change here "
		     "(a container?)",
		     mo_sys_dir(w.ctx));

	/* Everything that could fail for want of memory, now rather than later. */
	mem = scan_memory(ctl, 0); /* exits, saying why, without memory blocks */
	opts.blocks = mem->n_blocks;
	mo_memory_free(mem);
	if (mo_engine_new(w.ctx, w.policy, &mo_clock_monotonic, &opts, watch_outcome, &w.log,
			  &w.engine) < 0)
		errx(EXIT_FAIL, "out of memory");
	open_source(&w, replay, kind);
	setup_loop(&w);
	take_marker(&w);
	lock_memory(&w);

	/* Receiving is on: a block added from now on is seen by the scan or its event. */
	r = mo_engine_scan(w.engine, MO_ENGINE_COLDPLUG);
	if (r < 0) {
		watch_say(&w.log, LOG_ERR, "%s/devices/system/memory: %s", mo_sys_dir(w.ctx), strerror(-r));
		mo_daemon_unlock(&w.marker);
		return EXIT_FAIL;
	}
	watch_say(&w.log, LOG_INFO, "watching for hot-added memory (%s events, %zu blocks known)",
	    mo_monitor_name(w.mon), mo_engine_n_blocks(w.engine));
	notify("READY=1");

	run_loop(&w);

	notify("STOPPING=1");
	mo_daemon_unlock(&w.marker);
	watch_say(&w.log, LOG_DEBUG, "%lu blocks onlined, %lu moved", w.log.onlined, w.log.moved);
	close(w.ep);
	close(w.sfd);
	close(w.tfd);
	mo_monitor_free(w.mon);
	mo_engine_free(w.engine);
	mo_policy_free(w.policy);
	return EXIT_OK;
}
