// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hog: the starving workload of the starved-guest suite (guest/starved.sh).
 *
 *   hog MIB RATE THRESHOLD BLOCKS REQUEST...
 *
 * Allocates and touches MIB MiB of anonymous memory, one MiB at a time, at
 * most RATE MiB/s.  The first time MemAvailable falls below THRESHOLD MiB it
 * prints "@@MO:REQ REQUEST..." on stdout (the serial console): the host then
 * hot-adds memory.  It exits 0 once all of it is touched: a workload the
 * OOM killer chose dies instead.
 *
 * A second thread follows the kernel's uevents (no udevd in between): at the
 * first "add" of a memory block it writes a marker line to /dev/kmsg, so the
 * kernel log tells an OOM kill before any block existed from one after;
 * when BLOCKS blocks have come "online" it takes the time since that add.
 * At the end: "@@MO:STAT adds=N onlines=N online_s=SECONDS" (-1: not all).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MIB (1UL << 20)
#define KMSG_MARK "memonline-test: first memory block add uevent"

static int want_blocks;
static int adds, onlines;
static double t_first_add, online_s = -1;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* One write per line: the console is shared with the other processes. */
	if (write(STDOUT_FILENO, buf, n) < 0)
		exit(3);
}

static long mem_available_mib(void)
{
	char buf[4096];
	int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	char *p;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, "MemAvailable:");
	return p ? strtol(p + 13, NULL, 10) / 1024 : -1;
}

static bool is_memory_block(const char *devpath)
{
	const char *p = "/devices/system/memory/memory";

	return strncmp(devpath, p, strlen(p)) == 0;
}

static void *follow_uevents(void *arg)
{
	int sock = *(int *)arg;
	char buf[8192];

	for (;;) {
		ssize_t n = recv(sock, buf, sizeof(buf) - 1, 0);
		char *at;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;
		buf[n] = '\0';
		at = strchr(buf, '@');
		if (!at || !is_memory_block(at + 1))
			continue;
		pthread_mutex_lock(&lock);
		if (strncmp(buf, "add@", 4) == 0 && adds++ == 0) {
			int k = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);

			t_first_add = now();
			if (k >= 0) {
				if (write(k, KMSG_MARK "\n", sizeof(KMSG_MARK)) < 0)
					say("@@MO:CHECK fail hog: write /dev/kmsg: %m\n");
				close(k);
			}
		} else if (strncmp(buf, "online@", 7) == 0 && ++onlines == want_blocks && adds) {
			online_s = now() - t_first_add;
		}
		pthread_mutex_unlock(&lock);
	}
}

static int open_uevents(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	int sock = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
	int size = 4 * MIB;

	if (sock < 0 || bind(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("hog: uevent socket");
		exit(2);
	}
	setsockopt(sock, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	return sock;
}

int main(int argc, char **argv)
{
	char request[256] = "";
	long total, rate, threshold;
	bool requested = false;
	pthread_t thread;
	double due;
	int sock;

	if (argc < 6) {
		fprintf(stderr, "usage: hog MIB RATE THRESHOLD BLOCKS REQUEST...\n");
		return 2;
	}
	total = atol(argv[1]);
	rate = atol(argv[2]);
	threshold = atol(argv[3]);
	want_blocks = atoi(argv[4]);
	for (int i = 5; i < argc; i++) {
		strncat(request, " ", sizeof(request) - strlen(request) - 1);
		strncat(request, argv[i], sizeof(request) - strlen(request) - 1);
	}
	if (total <= 0 || rate <= 0 || want_blocks <= 0) {
		fprintf(stderr, "hog: bad arguments\n");
		return 2;
	}
	sock = open_uevents();
	/* The thread's stack is small and touched now: it must not need memory later. */
	if (pthread_create(&thread, NULL, follow_uevents, &sock) != 0) {
		fprintf(stderr, "hog: cannot start the uevent thread\n");
		return 2;
	}
	due = now();
	for (long i = 0; i < total; i++) {
		char *p = mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);
		double left;

		if (p == MAP_FAILED) {
			say("@@MO:CHECK fail hog: mmap failed after %ld MiB\n", i);
			return 1;
		}
		memset(p, 0x5a, MIB);
		if (!requested) {
			long avail = mem_available_mib();

			if (avail >= 0 && avail < threshold) {
				say("@@MO:REQ%s\n", request);
				say("@@MO:OUT hog: MemAvailable %ld MiB after %ld MiB: requested%s\n",
				    avail, i + 1, request);
				requested = true;
			}
		}
		/*
		 * No catching up: when the host is busy and the guest's vCPU
		 * waits, the workload slows with everything else in it, rather
		 * than allocating in a burst the onliner never sees elsewhere.
		 */
		due = (due > now() ? due : now()) + 1.0 / rate;
		left = due - now();
		if (left > 0) {
			struct timespec ts = { .tv_sec = (time_t)left,
					       .tv_nsec = (long)((left - (time_t)left) * 1e9) };

			nanosleep(&ts, NULL);
		}
	}
	/* Blocks may still be coming online once the workload has what it needs. */
	for (int i = 0; i < 6000; i++) {
		struct timespec ts = { .tv_nsec = 10 * 1000 * 1000 };
		bool done;

		pthread_mutex_lock(&lock);
		done = online_s >= 0;
		pthread_mutex_unlock(&lock);
		if (done)
			break;
		nanosleep(&ts, NULL);
	}
	pthread_mutex_lock(&lock);
	say("@@MO:STAT adds=%d onlines=%d online_s=%.3f requested=%d\n", adds, onlines,
	    online_s, requested);
	pthread_mutex_unlock(&lock);
	return 0;
}
