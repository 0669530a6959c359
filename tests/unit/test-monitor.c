// SPDX-License-Identifier: GPL-2.0-or-later
/* Event sources: the replay a daemon test is driven by, and the live one's set-up. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "tap.h"

static struct mo_monitor *replay_of(int *wfd)
{
	struct mo_monitor *m;
	int p[2];

	if (pipe(p) < 0 || mo_monitor_new_replay(p[0], &m) < 0)
		abort();
	*wfd = p[1];
	return m;
}

static void put(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		abort();
}

static void test_replay_events(void)
{
	struct mo_event ev;
	int wfd;
	struct mo_monitor *m = replay_of(&wfd);

	is_str(mo_monitor_name(m), "replay", "a replay says what it is");
	is_int(mo_monitor_rcvbuf(m), 0, "a replay has no socket buffer");
	is_int(mo_monitor_enable(m), 0, "enabling a replay succeeds");
	is_int(mo_monitor_receive(m, &ev), 0, "nothing written: nothing pending, no blocking");

	put(wfd, "# a comment\n\nadd /devices/system/memory/memory32\n"
		 "online /devices/system/memory/memory32  # trailing comment\n"
		 "offline /devices/system/memory/memory7\n"
		 "remove /devices/system/memory/memory7\n");
	is_int(mo_monitor_receive(m, &ev), 1, "add: an event");
	is_int(ev.action, MO_EVENT_ADD, "add: action");
	is_u64(ev.block, 32, "add: the block number from DEVPATH");
	is_int(mo_monitor_receive(m, &ev), 1, "online: an event");
	is_int(ev.action, MO_EVENT_ONLINE, "online: action");
	is_int(mo_monitor_receive(m, &ev), 1, "offline: an event");
	ok(ev.action == MO_EVENT_OFFLINE && ev.block == 7, "offline memory7");
	is_int(mo_monitor_receive(m, &ev), 1, "remove: an event");
	ok(ev.action == MO_EVENT_REMOVE && ev.block == 7, "remove memory7");
	is_int(mo_monitor_receive(m, &ev), 0, "all taken: nothing pending");

	/* What the subsystem filter would not let through is not an event. */
	put(wfd, "add /devices/system/cpu/cpu3\nchange /devices/system/memory/memory8\n"
		 "add /devices/system/memory/memory_tier1\nadd /devices/system/memory/memory9\n");
	is_int(mo_monitor_receive(m, &ev), 1, "other devices and actions are skipped");
	is_u64(ev.block, 9, "... up to the next block event");

	put(wfd, "ENOBUFS\n");
	is_int(mo_monitor_receive(m, &ev), -ENOBUFS, "ENOBUFS reads as lost events");
	put(wfd, "add\nadd /devices/system/memory/memory1 extra\n");
	is_int(mo_monitor_receive(m, &ev), -EBADMSG, "an action without DEVPATH is malformed");
	is_int(mo_monitor_receive(m, &ev), -EBADMSG, "a third word is malformed");

	/* A line split across writes is one event, once complete. */
	put(wfd, "add /devices/system/mem");
	is_int(mo_monitor_receive(m, &ev), 0, "half a line: nothing yet");
	put(wfd, "ory/memory10\n");
	is_int(mo_monitor_receive(m, &ev), 1, "the line completed: the event");
	is_u64(ev.block, 10, "... of memory10");

	put(wfd, "add /devices/system/memory/memory11"); /* no newline: then EOF */
	close(wfd);
	is_int(mo_monitor_receive(m, &ev), 1, "a last line without newline still counts");
	is_u64(ev.block, 11, "... memory11");
	is_int(mo_monitor_receive(m, &ev), -EPIPE, "then the replay has ended");
	is_int(mo_monitor_receive(m, &ev), -EPIPE, "and stays ended");
	mo_monitor_free(m);
}

static void test_replay_long_line(void)
{
	struct mo_event ev;
	int wfd;
	struct mo_monitor *m = replay_of(&wfd);
	char junk[6000];

	memset(junk, 'x', sizeof(junk));
	junk[sizeof(junk) - 1] = '\0';
	put(wfd, junk);
	put(wfd, "\nadd /devices/system/memory/memory5\n");
	close(wfd);
	is_int(mo_monitor_receive(m, &ev), -EBADMSG, "an overlong line is refused once");
	is_int(mo_monitor_receive(m, &ev), 1, "and the next line is read whole");
	is_u64(ev.block, 5, "... memory5");
	is_int(mo_monitor_receive(m, &ev), -EPIPE, "then the end");
	mo_monitor_free(m);
}

static void test_uevent_group(void)
{
	char dir[] = "/tmp/test-monitor.XXXXXX", path[128];
	struct mo_monitor *m;
	struct mo_ctx *ctx;
	int r;

	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/sys", dir);
	mkdir(path, 0755);
	if (mo_new(dir, &ctx) < 0)
		abort();

	r = mo_monitor_new_uevent(ctx, MO_MONITOR_AUTO, &m);
	if (r == -EPERM || r == -EAFNOSUPPORT || r == -EPROTONOSUPPORT) {
		printf("ok %d - # SKIP no uevent netlink sockets here\n", ++tap_count);
	} else {
		is_int(r, 0, "a uevent monitor can be made");
		is_str(mo_monitor_name(m), "kernel", "no udevd: the kernel's group");
		is_int(mo_monitor_enable(m), 0, "and enabled");
		ok(mo_monitor_fd(m) >= 0, "it has a descriptor to poll");
		ok(mo_monitor_rcvbuf(m) > 0, "and a receive buffer (%zu bytes)",
		   mo_monitor_rcvbuf(m));
		mo_monitor_free(m);

		snprintf(path, sizeof(path), "%s/run", dir);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/run/udev", dir);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/run/udev/control", dir);
		close(open(path, O_CREAT | O_WRONLY, 0644));
		is_int(mo_monitor_new_uevent(ctx, MO_MONITOR_AUTO, &m), 0, "again, with udevd");
		is_str(mo_monitor_name(m), "udev", "udevd runs: udev's group");
		mo_monitor_free(m);
		is_int(mo_monitor_new_uevent(ctx, MO_MONITOR_KERNEL, &m), 0, "asked for kernel");
		is_str(mo_monitor_name(m), "kernel", "the kernel's group, udevd or not");
		mo_monitor_free(m);
		unlink(path);
		snprintf(path, sizeof(path), "%s/run/udev", dir);
		rmdir(path);
		snprintf(path, sizeof(path), "%s/run", dir);
		rmdir(path);
	}
	mo_unref(ctx);
	snprintf(path, sizeof(path), "%s/sys", dir);
	rmdir(path);
	rmdir(dir);
}

/* A message as the kernel sends it on its group: NULs inside, so with its length. */
#define UEVENT(s) s, sizeof(s)

static void test_kernel_uevent(void)
{
	struct mo_event ev = {};

	is_int(mo_parse_kernel_uevent(UEVENT("add@/devices/system/memory/memory8\0"
					     "ACTION=add\0DEVPATH=/devices/system/memory/memory8\0"
					     "SUBSYSTEM=memory\0SEQNUM=4711\0"), &ev),
	       1, "a block's add from the kernel's group");
	ok(ev.action == MO_EVENT_ADD && ev.block == 8 && ev.seqnum == 4711,
	   "... memory8, add, its SEQNUM");
	is_int(mo_parse_kernel_uevent(UEVENT("offline@/devices/system/memory/memory9\0"
					     "ACTION=offline\0SEQNUM=5\0SUBSYSTEM=memory\0"
					     "DEVPATH=/devices/system/memory/memory9\0"), &ev),
	       1, "keys in any order");
	ok(ev.action == MO_EVENT_OFFLINE && ev.block == 9, "... memory9, offline");
	is_int(mo_parse_kernel_uevent(UEVENT("add@/devices/virtual/net/lo\0ACTION=add\0"
					     "DEVPATH=/devices/virtual/net/lo\0"
					     "SUBSYSTEM=net\0SEQNUM=6\0"), &ev),
	       0, "another subsystem's event: filtered out, as libudev filters");
	is_int(mo_parse_kernel_uevent(UEVENT("change@/devices/system/memory/memory8\0"
					     "ACTION=change\0DEVPATH=/devices/system/memory/memory8\0"
					     "SUBSYSTEM=memory\0SEQNUM=7\0"), &ev),
	       0, "an action no state depends on");
	is_int(mo_parse_kernel_uevent(UEVENT("add@/devices/system/memory/memory8\0"
					     "ACTION=add\0SUBSYSTEM=memory\0SEQNUM=8\0"), &ev),
	       -EBADMSG, "no DEVPATH: not a uevent");
	is_int(mo_parse_kernel_uevent(UEVENT("add@/devices/system/memory/memory8\0"
					     "ACTION=add\0DEVPATH=/devices/system/memory/memory8\0"
					     "SUBSYSTEM=memory\0SEQNUM=x\0"), &ev),
	       -EBADMSG, "a SEQNUM that is no number");
	is_int(mo_parse_kernel_uevent(UEVENT("libudev\0SUBSYSTEM=memory\0"), &ev), -EBADMSG,
	       "udevd's format is not the kernel's");
	is_int(mo_parse_kernel_uevent("add@/x\0SUBSYSTEM=memory", 23, &ev), -EBADMSG,
	       "a message cut short of its NUL");
	is_int(mo_parse_kernel_uevent("", 0, &ev), -EBADMSG, "an empty message");
}

int main(void)
{
	test_replay_events();
	test_replay_long_line();
	test_uevent_group();
	test_kernel_uevent();
	return tap_done();
}
