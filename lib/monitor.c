// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Event sources for a daemon: the kernel's uevents of subsystem "memory"
 * through libudev (or, without it, the kernel's group from a socket of our
 * own), or synthetic ones replayed from a file descriptor, so the daemon's
 * loop can be driven by tests.  Each is a descriptor to poll and a receive
 * call that never blocks.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libudev.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

/* A replay line is "ACTION DEVPATH"; DEVPATH of a block is under 64 bytes. */
#define REPLAY_BUF 4096

/*
 * libudev, loaded by a daemon that listens, never by the udev rule's
 * onliner.  "required": udevd's group, which watch listens to while udevd
 * runs, is in libudev's own format; without it, only the kernel's group.
 */
#define UDEV_SONAME "libudev.so.1"
MO_NOTE_DLOPEN(note_dlopen_udev,
	       MO_DLOPEN_JSON("udev", "The events udevd re-broadcasts, for memonline watch",
			      "required", UDEV_SONAME));

struct libudev {
	void *dl;
	typeof(udev_new) *udev_new;
	typeof(udev_unref) *udev_unref;
	typeof(udev_monitor_new_from_netlink) *udev_monitor_new_from_netlink;
	typeof(udev_monitor_filter_add_match_subsystem_devtype)
		*udev_monitor_filter_add_match_subsystem_devtype;
	typeof(udev_monitor_set_receive_buffer_size) *udev_monitor_set_receive_buffer_size;
	typeof(udev_monitor_get_fd) *udev_monitor_get_fd;
	typeof(udev_monitor_enable_receiving) *udev_monitor_enable_receiving;
	typeof(udev_monitor_receive_device) *udev_monitor_receive_device;
	typeof(udev_monitor_unref) *udev_monitor_unref;
	typeof(udev_device_get_action) *udev_device_get_action;
	typeof(udev_device_get_devpath) *udev_device_get_devpath;
	typeof(udev_device_get_seqnum) *udev_device_get_seqnum;
	typeof(udev_device_unref) *udev_device_unref;
};

static int libudev_open(struct libudev *ret)
{
	struct libudev u = {};
	const struct mo_dlsym syms[] = {
		MO_DLSYM(&u, udev_new),
		MO_DLSYM(&u, udev_unref),
		MO_DLSYM(&u, udev_monitor_new_from_netlink),
		MO_DLSYM(&u, udev_monitor_filter_add_match_subsystem_devtype),
		MO_DLSYM(&u, udev_monitor_set_receive_buffer_size),
		MO_DLSYM(&u, udev_monitor_get_fd),
		MO_DLSYM(&u, udev_monitor_enable_receiving),
		MO_DLSYM(&u, udev_monitor_receive_device),
		MO_DLSYM(&u, udev_monitor_unref),
		MO_DLSYM(&u, udev_device_get_action),
		MO_DLSYM(&u, udev_device_get_devpath),
		MO_DLSYM(&u, udev_device_get_seqnum),
		MO_DLSYM(&u, udev_device_unref),
	};

	u.dl = mo_dlopen(UDEV_SONAME, syms, ARRAY_SIZE(syms));
	if (!u.dl)
		return -ENOPKG;
	*ret = u;
	return 0;
}

/* The kernel's uevent group (lib/kobject_uevent.c), and libudev's name for it. */
#define KERNEL_GROUP 1

struct mo_monitor {
	const char *name;        /* "udev", "kernel" or "replay" */
	struct libudev lu;
	struct udev *udev;
	struct udev_monitor *um;
	bool raw;                /* the kernel's group on our own socket */
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

/*
 * Without libudev: a socket on the kernel's group, its receive buffer set as
 * libudev sets it (past net.core.rmem_max with CAP_NET_ADMIN, else up to it).
 */
static int kernel_socket(struct mo_monitor *m)
{
	int size = MO_MONITOR_RCVBUF;

	m->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
		       NETLINK_KOBJECT_UEVENT);
	if (m->fd < 0)
		return -errno;
	m->raw = true;
	if (setsockopt(m->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(m->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	return 0;
}

static int udev_socket(struct mo_monitor *m)
{
	int r;

	m->udev = m->lu.udev_new();
	if (!m->udev)
		return -ENOMEM;
	m->um = m->lu.udev_monitor_new_from_netlink(m->udev, m->name);
	if (!m->um)
		return errno ? -errno : -EIO;
	/*
	 * Only the udev group is filtered in the kernel (a BPF filter on the
	 * subsystem hash); on the kernel group libudev filters in user space.
	 */
	r = m->lu.udev_monitor_filter_add_match_subsystem_devtype(m->um, "memory", NULL);
	if (r < 0)
		return r;
	/*
	 * Without CAP_NET_ADMIN the kernel caps this at net.core.rmem_max;
	 * the caller can tell from mo_monitor_rcvbuf() and say so.
	 */
	(void)m->lu.udev_monitor_set_receive_buffer_size(m->um, MO_MONITOR_RCVBUF);
	m->fd = m->lu.udev_monitor_get_fd(m->um);
	return 0;
}

int mo_monitor_new_uevent(struct mo_ctx *ctx, enum mo_monitor_kind kind,
			  struct mo_monitor **ret)
{
	struct mo_monitor *m;
	bool lib;
	int r;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->fd = -1;
	lib = libudev_open(&m->lu) == 0;
	if (kind == MO_MONITOR_AUTO)
		kind = lib && udevd_running(ctx) ? MO_MONITOR_UDEV : MO_MONITOR_KERNEL;
	m->name = kind == MO_MONITOR_UDEV ? "udev" : "kernel";
	if (lib)
		r = udev_socket(m);
	else if (kind == MO_MONITOR_KERNEL)
		r = kernel_socket(m);
	else
		r = -ENOPKG; /* udevd's group is in libudev's format */
	if (r < 0) {
		mo_monitor_free(m);
		return r;
	}
	*ret = m;
	return 0;
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
		m->lu.udev_monitor_unref(m->um); /* closes m->fd */
	else if (m->fd >= 0)
		close(m->fd);
	if (m->udev)
		m->lu.udev_unref(m->udev);
	if (m->lu.dl)
		dlclose(m->lu.dl);
	free(m);
	return NULL;
}

int mo_monitor_enable(struct mo_monitor *m)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = KERNEL_GROUP };

	if (m->raw)
		return bind(m->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	if (!m->um)
		return 0; /* a replay is readable from the start */
	return m->lu.udev_monitor_enable_receiving(m->um);
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

	if ((!m->um && !m->raw) || getsockopt(m->fd, SOL_SOCKET, SO_RCVBUF, &size, &len) < 0)
		return 0;
	return size / 2; /* the kernel doubles it for its bookkeeping: socket(7) */
}

static int receive_uevent(struct mo_monitor *m, struct mo_event *ev)
{
	for (;;) {
		struct udev_device *d;
		int r;

		errno = 0;
		d = m->lu.udev_monitor_receive_device(m->um);
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
		r = make_event(m->lu.udev_device_get_action(d), m->lu.udev_device_get_devpath(d),
			       m->lu.udev_device_get_seqnum(d), ev);
		m->lu.udev_device_unref(d);
		if (r)
			return 1;
	}
}

int mo_parse_kernel_uevent(const char *msg, size_t len, struct mo_event *ev)
{
	const char *action = NULL, *devpath = NULL, *subsystem = NULL, *seqnum = NULL;
	uint64_t seq;

	/* "ACTION@DEVPATH", then KEY=VALUE: lib/kobject_uevent.c, each NUL-terminated. */
	if (!len || msg[len - 1] != '\0' || !strchr(msg, '@'))
		return -EBADMSG;
	for (const char *p = msg + strlen(msg) + 1; p < msg + len; p += strlen(p) + 1) {
		if (!strncmp(p, "ACTION=", 7))
			action = p + 7;
		else if (!strncmp(p, "DEVPATH=", 8))
			devpath = p + 8;
		else if (!strncmp(p, "SUBSYSTEM=", 10))
			subsystem = p + 10;
		else if (!strncmp(p, "SEQNUM=", 7))
			seqnum = p + 7;
	}
	if (!subsystem || strcmp(subsystem, "memory") != 0)
		return 0; /* libudev's filter, on this group in user space too */
	if (!action || !devpath || !seqnum || mo_parse_u64(seqnum, 10, &seq) < 0)
		return -EBADMSG;
	return make_event(action, devpath, seq, ev);
}

static int receive_kernel(struct mo_monitor *m, struct mo_event *ev)
{
	/* The kernel's uevent is at most UEVENT_BUFFER_SIZE (2 KiB) and its header. */
	char buf[8192];

	for (;;) {
		struct sockaddr_nl sa;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr msg = { .msg_name = &sa, .msg_namelen = sizeof(sa),
				      .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n = recvmsg(m->fd, &msg, MSG_DONTWAIT);
		int r;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* ENOBUFS: the kernel dropped events for this socket. */
			return errno == EAGAIN ? 0 : -errno;
		}
		/* Port 0 is the kernel's: as libudev, nothing else is a uevent. */
		if (msg.msg_namelen != sizeof(sa) || sa.nl_pid != 0)
			continue;
		r = msg.msg_flags & MSG_TRUNC ? -EBADMSG : mo_parse_kernel_uevent(buf, n, ev);
		if (r)
			return r;
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
	if (m->raw)
		return receive_kernel(m, ev);
	return m->um ? receive_uevent(m, ev) : receive_replay(m, ev);
}
