// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Event sources for a daemon: the kernel's uevents of subsystem "memory"
 * through libudev, or synthetic ones replayed from a file descriptor, so the
 * daemon's loop can be driven by tests.  Both are a descriptor to poll and a
 * receive call that never blocks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libudev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

/* A replay line is "ACTION DEVPATH"; DEVPATH of a block is under 64 bytes. */
#define REPLAY_BUF 4096

struct mo_monitor {
	const char *name;        /* "udev", "kernel" or "replay" */
	struct udev *udev;
	struct udev_monitor *um;
	int fd;
	/* replay */
	bool eof, skipping;      /* skipping: the rest of an overlong line */
	size_t len;
	char buf[REPLAY_BUF];
};

static const struct {
	const char *word;
	enum mo_event_action action;
} actions[] = {
	{ "add", MO_EVENT_ADD },
	{ "remove", MO_EVENT_REMOVE },
	{ "online", MO_EVENT_ONLINE },
	{ "offline", MO_EVENT_OFFLINE },
};

/* 1: an event of a memory block; 0: an event nobody here cares about. */
static int make_event(const char *action, const char *devpath, uint64_t seqnum,
		      struct mo_event *ev)
{
	unsigned long id;

	if (!action || !devpath || mo_parse_devpath(devpath, &id) < 0)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++) {
		if (strcmp(actions[i].word, action) != 0)
			continue;
		*ev = (struct mo_event){ .action = actions[i].action, .block = id,
					 .seqnum = seqnum };
		return 1;
	}
	return 0; /* change, move, bind, unbind: nothing a block's state depends on */
}

static bool udevd_running(const struct mo_ctx *ctx)
{
	char path[512];

	/* What libudev's udev_queue_get_udev_is_active() looks at. */
	snprintf(path, sizeof(path), "%s/udev/control", mo_run_dir(ctx));
	return access(path, F_OK) == 0;
}

int mo_monitor_new_uevent(struct mo_ctx *ctx, enum mo_monitor_kind kind,
			  struct mo_monitor **ret)
{
	struct mo_monitor *m;
	int r;

	if (kind == MO_MONITOR_AUTO)
		kind = udevd_running(ctx) ? MO_MONITOR_UDEV : MO_MONITOR_KERNEL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->fd = -1;
	m->name = kind == MO_MONITOR_UDEV ? "udev" : "kernel";
	m->udev = udev_new();
	if (!m->udev) {
		r = -ENOMEM;
		goto fail;
	}
	m->um = udev_monitor_new_from_netlink(m->udev, m->name);
	if (!m->um) {
		r = errno ? -errno : -EIO;
		goto fail;
	}
	/*
	 * Only the udev group is filtered in the kernel (a BPF filter on the
	 * subsystem hash); on the kernel group libudev filters in user space.
	 */
	r = udev_monitor_filter_add_match_subsystem_devtype(m->um, "memory", NULL);
	if (r < 0)
		goto fail;
	/*
	 * Without CAP_NET_ADMIN the kernel caps this at net.core.rmem_max;
	 * the caller can tell from mo_monitor_rcvbuf() and say so.
	 */
	(void)udev_monitor_set_receive_buffer_size(m->um, MO_MONITOR_RCVBUF);
	m->fd = udev_monitor_get_fd(m->um);
	*ret = m;
	return 0;
fail:
	mo_monitor_free(m);
	return r;
}

int mo_monitor_new_replay(int fd, struct mo_monitor **ret)
{
	struct mo_monitor *m;
	int flags = fcntl(fd, F_GETFL);

	/* A pipe must not block the loop; a regular file never does anyway. */
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->name = "replay";
	m->fd = fd;
	*ret = m;
	return 0;
}

struct mo_monitor *mo_monitor_free(struct mo_monitor *m)
{
	if (!m)
		return NULL;
	if (m->um)
		udev_monitor_unref(m->um); /* closes m->fd */
	else if (m->fd >= 0)
		close(m->fd);
	udev_unref(m->udev);
	free(m);
	return NULL;
}

int mo_monitor_enable(struct mo_monitor *m)
{
	if (!m->um)
		return 0; /* a replay is readable from the start */
	return udev_monitor_enable_receiving(m->um);
}

int mo_monitor_fd(const struct mo_monitor *m)
{
	return m->fd;
}

const char *mo_monitor_name(const struct mo_monitor *m)
{
	return m->name;
}

size_t mo_monitor_rcvbuf(const struct mo_monitor *m)
{
	socklen_t len = sizeof(int);
	int size;

	if (!m->um || getsockopt(m->fd, SOL_SOCKET, SO_RCVBUF, &size, &len) < 0)
		return 0;
	return size / 2; /* the kernel doubles it for its bookkeeping: socket(7) */
}

static int receive_uevent(struct mo_monitor *m, struct mo_event *ev)
{
	for (;;) {
		struct udev_device *d;
		int r;

		errno = 0;
		d = udev_monitor_receive_device(m->um);
		if (!d) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == 0)
				return 0;
			/*
			 * One message sd-device could not make a device of
			 * (device_new_from_nulstr): EINVAL for a missing
			 * DEVPATH, SUBSYSTEM, ACTION or SEQNUM, an unknown
			 * ACTION or no '='; ERANGE or ENXIO for a number out
			 * of range (SEQNUM, DEVUID).  The message is gone and
			 * the socket still works, unlike after recvmsg() errors.
			 */
			if (errno == EINVAL || errno == ERANGE || errno == ENXIO)
				return -EBADMSG;
			/* ENOBUFS: the kernel dropped events for this socket. */
			return -errno;
		}
		r = make_event(udev_device_get_action(d), udev_device_get_devpath(d),
			       udev_device_get_seqnum(d), ev);
		udev_device_unref(d);
		if (r)
			return 1;
	}
}

/* One complete line of the replay, NUL-terminated in place. */
static int replay_line(char *line, struct mo_event *ev)
{
	char *action, *devpath, *end, *save = NULL;

	line[strcspn(line, "#")] = '\0';
	action = strtok_r(line, " \t\r", &save);
	if (!action)
		return 0;
	if (strcmp(action, "ENOBUFS") == 0)
		return -ENOBUFS;
	devpath = strtok_r(NULL, " \t\r", &save);
	end = strtok_r(NULL, " \t\r", &save);
	if (!devpath || end)
		return -EBADMSG;
	return make_event(action, devpath, 0, ev);
}

static int receive_replay(struct mo_monitor *m, struct mo_event *ev)
{
	for (;;) {
		char *nl = memchr(m->buf, '\n', m->len);
		ssize_t n;

		if (nl || (m->eof && m->len)) {
			size_t used = nl ? (size_t)(nl - m->buf) + 1 : m->len;
			bool skip = m->skipping;
			int r = 0;

			if (nl)
				*nl = '\0';
			else
				m->buf[m->len] = '\0'; /* the last line had no newline */
			if (!skip)
				r = replay_line(m->buf, ev);
			m->skipping = false;
			memmove(m->buf, m->buf + used, m->len - used);
			m->len -= used;
			if (r != 0)
				return r;
			continue;
		}
		if (m->eof)
			return -EPIPE;
		if (m->len == sizeof(m->buf) - 1) {
			/* No event is this long: drop the line, say so once. */
			m->len = 0;
			if (!m->skipping) {
				m->skipping = true;
				return -EBADMSG;
			}
		}
		n = read(m->fd, m->buf + m->len, sizeof(m->buf) - 1 - m->len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -errno;
		}
		if (n == 0)
			m->eof = true;
		m->len += n;
	}
}

int mo_monitor_receive(struct mo_monitor *m, struct mo_event *ev)
{
	return m->um ? receive_uevent(m, ev) : receive_replay(m, ev);
}
