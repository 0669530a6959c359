// SPDX-License-Identifier: GPL-2.0-or-later
/* Who onlines new memory, the daemon's marker and the udev rule's burst. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "tap.h"

static char dir[] = "/tmp/memonline-owner-XXXXXX";

static const char *path_of(const char *name)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static void write_file(const char *name, const char *text)
{
	FILE *f = fopen(path_of(name), "w");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
}

static void make_dir(const char *name)
{
	if (mkdir(path_of(name), 0755) < 0 && errno != EEXIST)
		abort();
}

static off_t size_of(const char *name)
{
	struct stat st;

	return stat(path_of(name), &st) < 0 ? -1 : st.st_size;
}

static void test_decide(void)
{
	struct mo_config_error err;
	struct mo_policy *aside, *correct;

	write_file("correct.conf", "auto-online correct\n");
	if (mo_policy_new_default(&aside) < 0 ||
	    mo_policy_load(path_of("correct.conf"), MO_CONFIG_REQUIRED, &correct, &err) < 0)
		abort();
	is_int(mo_owner_decide(MO_AUTO_OFFLINE, false, aside), MO_OWNER_US,
	       "offline, no daemon: the caller onlines");
	is_int(mo_owner_decide(MO_AUTO_OFFLINE, true, aside), MO_OWNER_DAEMON,
	       "offline, a daemon: the daemon onlines");
	is_int(mo_owner_decide(MO_AUTO_UNKNOWN, false, correct), MO_OWNER_US,
	       "unreadable (old kernels): nobody else onlines");
	is_int(mo_owner_decide(MO_AUTO_UNKNOWN, true, aside), MO_OWNER_DAEMON,
	       "unreadable, a daemon: the daemon onlines");
	for (enum mo_auto_online a = MO_AUTO_ONLINE; a <= MO_AUTO_ONLINE_MOVABLE; a++) {
		const char *name = mo_auto_online_name(a);

		is_int(mo_owner_decide(a, false, aside), MO_OWNER_KERNEL,
		       "%s, step-aside: the kernel", name);
		is_int(mo_owner_decide(a, true, aside), MO_OWNER_KERNEL,
		       "%s, a daemon: the kernel still comes first", name);
		is_int(mo_owner_decide(a, false, NULL), MO_OWNER_KERNEL,
		       "%s, no policy: the built-in steps aside", name);
		is_int(mo_owner_decide(a, true, correct), MO_OWNER_KERNEL_CORRECTED,
		       "%s, auto-online correct: the kernel, corrected", name);
	}
	ok(!mo_owner_kernel(MO_OWNER_US) && !mo_owner_kernel(MO_OWNER_DAEMON) &&
	   mo_owner_kernel(MO_OWNER_KERNEL) && mo_owner_kernel(MO_OWNER_KERNEL_CORRECTED),
	   "mo_owner_kernel: the two kernel owners");
	mo_policy_free(aside);
	mo_policy_free(correct);
}

static void test_read(struct mo_ctx *ctx)
{
	static const struct {
		const char *value; /* NULL: no file */
		enum mo_auto_online a;
		enum mo_owner aside, correct;
	} cases[] = {
		{ "offline", MO_AUTO_OFFLINE, MO_OWNER_US, MO_OWNER_US },
		{ "online", MO_AUTO_ONLINE, MO_OWNER_KERNEL, MO_OWNER_KERNEL_CORRECTED },
		{ "online_kernel", MO_AUTO_ONLINE_KERNEL, MO_OWNER_KERNEL,
		  MO_OWNER_KERNEL_CORRECTED },
		{ "online_movable", MO_AUTO_ONLINE_MOVABLE, MO_OWNER_KERNEL,
		  MO_OWNER_KERNEL_CORRECTED },
		{ "sideways", MO_AUTO_UNKNOWN, MO_OWNER_US, MO_OWNER_US },
		{ NULL, MO_AUTO_UNKNOWN, MO_OWNER_US, MO_OWNER_US },
	};
	const char *file = "sys/devices/system/memory/auto_online_blocks";
	struct mo_config_error err;
	struct mo_policy *correct;

	if (mo_policy_load(path_of("correct.conf"), MO_CONFIG_REQUIRED, &correct, &err) < 0)
		abort();
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *v = cases[i].value ? cases[i].value : "no auto_online_blocks";
		struct mo_owner_info o;

		if (cases[i].value) {
			char text[64];

			snprintf(text, sizeof(text), "%s\n", cases[i].value);
			write_file(file, text);
		} else {
			unlink(path_of(file));
		}
		mo_owner_read(ctx, NULL, 0, &o);
		is_int(o.owner, cases[i].aside, "%s, step-aside: owner", v);
		is_int(o.auto_online, cases[i].a, "%s: the value read", v);
		ok(!o.daemon_running, "%s: no daemon", v);
		mo_owner_read(ctx, correct, 0, &o);
		is_int(o.owner, cases[i].correct, "%s, correct: owner", v);
	}
	write_file(file, "offline\n");
	mo_policy_free(correct);
}

static void test_daemon(struct mo_ctx *ctx)
{
	struct mo_daemon_lock lock = { .dir = -1, .fd = -1 }, second;
	struct mo_owner_info o;
	char path[512], want[512], buf[32] = "";
	pid_t holder = -1;
	int fd;

	is_int(mo_daemon_marker_path(ctx, path, sizeof(path)), 0, "the marker's path");
	snprintf(want, sizeof(want), "%s/run/memonline/watch", dir);
	is_str(path, want, "is RUN/memonline/watch");
	is_int(mo_daemon_marker_path(ctx, path, 8), -ENAMETOOLONG, "a short buffer: refused");

	ok(!mo_daemon_running(ctx), "no run/ at all: no daemon");
	is_int(mo_daemon_lock(ctx, &lock, &holder), 0, "the lock is taken, run/ made");
	is_int(lock.pid_err, 0, "and our pid written");
	fd = open(path_of("run/memonline/watch"), O_RDONLY);
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);

		buf[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	snprintf(want, sizeof(want), "%d\n", (int)getpid());
	is_str(buf, want, "the marker holds the daemon's pid");

	/* flock is per open file: this process's probe sees its own lock as another's. */
	ok(mo_daemon_running(ctx), "held: a daemon runs");
	mo_owner_read(ctx, NULL, 0, &o);
	ok(o.daemon_running, "mo_owner_read sees it");
	is_int(o.owner, MO_OWNER_DAEMON, "auto_online_blocks offline: the daemon onlines");
	mo_owner_read(ctx, NULL, MO_OWNER_AS_DAEMON, &o);
	ok(!o.daemon_running, "the daemon itself does not count its own marker");
	is_int(o.owner, MO_OWNER_US, "... and onlines");
	write_file("sys/devices/system/memory/auto_online_blocks", "online_movable\n");
	mo_owner_read(ctx, NULL, 0, &o);
	is_int(o.owner, MO_OWNER_KERNEL, "the kernel comes before the daemon");
	ok(o.daemon_running, "... which is still seen running");
	write_file("sys/devices/system/memory/auto_online_blocks", "offline\n");

	is_int(mo_daemon_lock(ctx, &second, &holder), -EWOULDBLOCK, "a second daemon: refused");
	is_int(holder, getpid(), "and told the holder's pid");

	mo_daemon_unlock(&lock);
	is_int(lock.fd, -1, "unlocked");
	ok(access(path_of("run/memonline/watch"), F_OK) < 0, "the marker is removed");
	ok(!mo_daemon_running(ctx), "unheld: no daemon");
	mo_daemon_unlock(&lock); /* twice: nothing */

	write_file("run/memonline/watch", "4242\n");
	ok(!mo_daemon_running(ctx), "stale (left by a dead daemon): no daemon");
	mo_owner_read(ctx, NULL, 0, &o);
	is_int(o.owner, MO_OWNER_US, "stale: the caller onlines");
	is_int(mo_daemon_lock(ctx, &lock, &holder), 0, "a stale marker is taken over");
	fd = open(path_of("run/memonline/watch"), O_RDONLY);
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);

		buf[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	is_str(buf, want, "and holds our pid, not the dead one's");

	/* A holder whose pid cannot be read is still a holder. */
	if (ftruncate(lock.fd, 0) < 0 || pwrite(lock.fd, "who?\n", 5, 0) != 5)
		abort();
	holder = -1;
	is_int(mo_daemon_lock(ctx, &second, &holder), -EWOULDBLOCK, "no pid: refused still");
	is_int(holder, 0, "holder 0: unknown");
	mo_daemon_unlock(&lock);

	/* A captured tree is data: its marker must not lead out of it. */
	if (symlink("/etc/passwd", path_of("run/memonline/watch")) < 0)
		abort();
	ok(!mo_daemon_running(ctx), "a symlinked marker is no daemon");
	ok(mo_daemon_lock(ctx, &lock, &holder) < 0, "nor followed to be locked");
	unlink(path_of("run/memonline/watch"));
}

static void test_burst(struct mo_ctx *ctx)
{
	struct mo_burst holder, other, late;
	unsigned long *ids = NULL;
	ssize_t n;

	is_int(mo_burst_open(ctx, &holder), 0, "the burst's files are opened");
	is_int(mo_burst_join(&holder, 7), 1, "the first process holds the burst");
	is_int(mo_burst_open(ctx, &other), 0, "a second process opens them too");
	is_int(mo_burst_join(&other, 5), 0, "and leaves its block to the holder");
	mo_burst_close(&other);
	is_int(mo_burst_open(ctx, &other), 0, "a third");
	is_int(mo_burst_join(&other, 7), 0, "queues a block already queued");
	mo_burst_close(&other);
	/* A line that is no block is skipped, not taken for one. */
	write_file("run/memonline/udev-queue", "7\n5\n7\nmemory9\n");

	n = mo_burst_take(&holder, &ids);
	is_int(n, 2, "the holder takes two blocks");
	if (n == 2) {
		is_int(ids[0], 5, "lowest first");
		is_int(ids[1], 7, "once each");
	}
	free(ids);
	is_int(holder.empty_err, 0, "the queue is emptied");
	is_int(size_of("run/memonline/udev-queue"), 0, "... to nothing");

	/* An event that comes during the pass. */
	is_int(mo_burst_open(ctx, &late), 0, "an event during the pass");
	is_int(mo_burst_join(&late, 9), 0, "a block queued during the pass waits");
	mo_burst_close(&late);
	ok(mo_burst_again(&holder), "the holder locks again for it");
	n = mo_burst_take(&holder, &ids);
	is_int(n, 1, "and takes it");
	if (n == 1)
		is_int(ids[0], 9, "memory9");
	free(ids);
	ok(!mo_burst_again(&holder), "an empty queue: the burst ends");
	n = mo_burst_take(&holder, &ids);
	is_int(n, 0, "nothing is left");
	ok(!ids, "and nothing allocated");

	is_int(mo_burst_open(ctx, &other), 0, "the next burst");
	is_int(mo_burst_join(&other, 11), 1, "finds the lock free and holds it");
	mo_burst_close(&other);
	mo_burst_close(&holder);
	mo_burst_close(&holder); /* twice: nothing */
}

int main(void)
{
	struct mo_ctx *ctx;
	char cmd[128];

	if (!mkdtemp(dir))
		return 1;
	make_dir("sys");
	make_dir("sys/devices");
	make_dir("sys/devices/system");
	make_dir("sys/devices/system/memory");
	write_file("sys/devices/system/memory/auto_online_blocks", "offline\n");
	if (mo_new(dir, &ctx) < 0)
		return 1;
	test_decide();
	test_read(ctx);
	test_daemon(ctx);
	test_burst(ctx);
	mo_unref(ctx);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		ok(0, "remove %s", dir);
	return tap_done();
}
