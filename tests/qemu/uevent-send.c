// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * uevent-send: one message to udev's netlink group, as systemd-udevd sends it
 * after processing a uevent, with the properties given on the command line.
 *
 *   uevent-send ACTION=add DEVPATH=/devices/system/memory/memory99 \
 *               SUBSYSTEM=memory SEQNUM=12345
 *
 * Each argument is one NUL-terminated property, sent as is: leave one out,
 * repeat it or give no '=' at all, and a libudev monitor gets exactly that.
 * The header is always that of subsystem "memory", so that a monitor's
 * in-kernel filter lets the message through to libudev's own checks.
 */
#include <endian.h>
#include <errno.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* Where libudev listens to udevd: MONITOR_GROUP_UDEV. */
#define GROUP_UDEV 2
/* The kernel's own uevents stop at 2 KiB (UEVENT_BUFFER_SIZE): room to exceed it. */
#define PROPERTIES_MAX (64 * 1024)

/*
 * struct monitor_netlink_header of systemd's
 * src/libsystemd/sd-device/device-monitor.c: the magic and the hashes in
 * network order, because the monitor's BPF filter loads them that way.
 */
struct udev_header {
	char prefix[8]; /* "libudev" */
	uint32_t magic; /* 0xfeedcafe */
	uint32_t header_size;
	uint32_t properties_off;
	uint32_t properties_len;
	uint32_t filter_subsystem_hash;
	uint32_t filter_devtype_hash;
	uint32_t filter_tag_bloom_hi;
	uint32_t filter_tag_bloom_lo;
};

/*
 * MurmurHash2 by Austin Appleby (public domain), as systemd's
 * src/basic/MurmurHash2.c computes it on a little-endian machine: the filter
 * compares the hash libudev computed for "memory" with the one sent here.
 */
static uint32_t murmur2(const char *key, size_t len, uint32_t seed)
{
	const uint32_t m = 0x5bd1e995;
	const unsigned char *p = (const unsigned char *)key;
	uint32_t h = seed ^ (uint32_t)len;

	for (; len >= 4; len -= 4, p += 4) {
		uint32_t k = p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;

		k *= m;
		k ^= k >> 24;
		k *= m;
		h *= m;
		h ^= k;
	}
	switch (len) {
	case 3:
		h ^= p[2] << 16;
		/* fall through */
	case 2:
		h ^= p[1] << 8;
		/* fall through */
	case 1:
		h ^= p[0];
		h *= m;
	}
	h ^= h >> 13;
	h *= m;
	h ^= h >> 15;
	return h;
}

int main(int argc, char **argv)
{
	static char props[PROPERTIES_MAX];
	struct udev_header hdr = {
		.prefix = "libudev",
		.magic = htobe32(0xfeedcafe),
		.header_size = sizeof(hdr),
		.properties_off = sizeof(hdr),
		.filter_subsystem_hash = htobe32(murmur2("memory", 6, 0)),
	};
	struct sockaddr_nl dest = { .nl_family = AF_NETLINK, .nl_groups = GROUP_UDEV };
	struct iovec iov[2];
	struct msghdr msg = {
		.msg_name = &dest,
		.msg_namelen = sizeof(dest),
		.msg_iov = iov,
		.msg_iovlen = 2,
	};
	size_t len = 0;
	ssize_t n;
	int fd;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: %s [KEY=VALUE...]\n", argv[0]);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		size_t l = strlen(argv[i]) + 1;

		if (l > sizeof(props) - len) {
			fprintf(stderr, "uevent-send: properties over %d bytes\n",
				PROPERTIES_MAX);
			return 2;
		}
		memcpy(props + len, argv[i], l);
		len += l;
	}
	hdr.properties_len = len;
	iov[0] = (struct iovec){ .iov_base = &hdr, .iov_len = sizeof(hdr) };
	iov[1] = (struct iovec){ .iov_base = props, .iov_len = len };

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
	if (fd < 0) {
		perror("uevent-send: socket");
		return 1;
	}
	/*
	 * No SCM_CREDENTIALS needed: netlink_sendmsg() always fills in the
	 * sender's credentials (scm_send(..., true) in net/netlink/af_netlink.c)
	 * and libudev sets SO_PASSCRED to read them, uid 0 here.  Sending to a
	 * group needs CAP_NET_ADMIN; the unicast to the kernel's socket that
	 * follows the broadcast may fail with ECONNREFUSED, as udevd expects.
	 */
	n = sendmsg(fd, &msg, 0);
	if (n < 0 && errno != ECONNREFUSED) {
		perror("uevent-send: sendmsg");
		return 1;
	}
	close(fd);
	return 0;
}
