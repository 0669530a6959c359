// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fakesys: an LD_PRELOAD shim that makes a fixture tree answer writes to
 * memoryN/state the way drivers/base/memory.c does, which plain files cannot:
 *
 * - an unknown word, or the state the block is already in: EINVAL;
 * - a block going offline: EINVAL;
 * - online_movable / online_kernel / online read back as "online", and the
 *   zone shows in valid_zones only;
 * - offline restores the offline valid_zones.
 *
 * A file memoryN/.fakesys-fault scripts what the kernel does instead:
 *   EBUSY | EPERM | EHWPOISON | ENOMEM | EINVAL | EINTR | ENOENT | EROFS [COUNT]
 *       fail with that errno (COUNT times, then behave; forever without COUNT)
 *   race      someone else onlines the block just before our write lands
 *   vanish    the block is removed just before our write lands
 *   hang      the write blocks until a signal arrives, then fails with EINTR
 *             (what offlining does when it cannot migrate pages)
 * $FAKESYS_OPENAT2=ENOSYS or EPERM fails every openat2 so, as a kernel
 * before 5.6 does, or a container's seccomp filter written before it.
 * Every accepted write is appended to $FAKESYS_LOG as "memoryN WORD".
 * $FAKESYS_INPLACE rewrites values in place (one writer only: see put()).
 * $FAKESYS_CHANGE_US makes each accepted state change take that many
 * microseconds with the block locked, as initialising or migrating a block's
 * pages takes time in the kernel; races then overlap on any machine.
 *
 * Writes to xen_memory0/target_kb and xen_memory0/target are stored as
 * drivers/xen/xen-balloon.c stores them: target_kb through
 * simple_strtoull(buf, NULL, 0) (so "01000" is octal and garbage is 0),
 * target through memparse (K, M, G suffixes), both rounded down to 4 KiB
 * pages, and both files then show the new target (target_kb in KiB, target
 * in bytes).  They are logged as "target_kb VALUE" or "target VALUE", and
 * xen_memory0/.fakesys-fault scripts errors there as for a block.
 * Concurrent writers to one block are serialised with flock, as the kernel
 * serialises them with the device hotplug lock.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/openat2.h>
#include <unistd.h>

#define MAX_FD 4096

static char *tracked[MAX_FD]; /* block directory of an fd open for writing state */
static char *balloon[MAX_FD]; /* xen_memory0/target_kb or /target open for writing */

static int (*real_openat)(int, const char *, int, ...);
static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_close)(int);
static long (*real_syscall)(long, ...);

static void init(void)
{
	if (real_openat)
		return;
	real_openat = dlsym(RTLD_NEXT, "openat");
	real_write = dlsym(RTLD_NEXT, "write");
	real_close = dlsym(RTLD_NEXT, "close");
	real_syscall = dlsym(RTLD_NEXT, "syscall");
}

/* Is path ".../memoryN/state"?  Then return ".../memoryN". */
static char *block_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/'), *name;
	size_t len;

	if (!slash || strcmp(slash, "/state") != 0)
		return NULL;
	for (name = slash; name > path && name[-1] != '/'; name--)
		;
	len = slash - name;
	if (len < 7 || strncmp(name, "memory", 6) != 0 ||
	    strspn(name + 6, "0123456789") != len - 6)
		return NULL;
	return strndup(path, slash - path);
}

static void track(int fd, int flags)
{
	char link[64], path[PATH_MAX];
	ssize_t n;

	if (fd < 0 || fd >= MAX_FD || (flags & O_ACCMODE) == O_RDONLY)
		return;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n <= 0)
		return;
	path[n] = '\0';
	/* Replaced by put() since it was opened: it is still that block's state. */
	if (n > 10 && strcmp(path + n - 10, " (deleted)") == 0)
		path[n - 10] = '\0';
	free(tracked[fd]);
	tracked[fd] = block_dir_of(path);
	free(balloon[fd]);
	balloon[fd] = NULL;
	if (strstr(path, "/xen_memory0/target"))
		balloon[fd] = strdup(path);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;
	int fd;

	init();
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	fd = real_openat(dirfd, path, flags, mode);
	track(fd, flags);
	return fd;
}

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return openat(AT_FDCWD, path, flags, mode);
}

int open64(const char *path, int flags, ...) __attribute__((alias("open")));

/*
 * _FORTIFY_SOURCE (the packages' hardening) turns an open() or openat()
 * whose flags are not constant into these: lib/beneath.c's fallback for a
 * kernel without openat2, which valgrind 3.19 also lacks.
 */
int __openat_2(int dirfd, const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags)
{
	return openat(dirfd, path, flags);
}

int __open_2(const char *path, int flags);
int __open_2(const char *path, int flags)
{
	return openat(AT_FDCWD, path, flags);
}

int __openat64_2(int dirfd, const char *path, int flags) __attribute__((alias("__openat_2")));
int __open64_2(const char *path, int flags) __attribute__((alias("__open_2")));

/* glibc has no openat2() wrapper: memonline calls it through syscall(). */
long syscall(long nr, ...)
{
	const char *refuse;
	long a[6];
	va_list ap;
	long r;

	init();
	if (nr == SYS_openat2 && (refuse = getenv("FAKESYS_OPENAT2")) && *refuse) {
		errno = !strcmp(refuse, "EPERM") ? EPERM : ENOSYS;
		return -1;
	}
	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	r = real_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (nr == SYS_openat2 && r >= 0)
		track(r, ((const struct open_how *)a[2])->flags);
	return r;
}
int openat64(int dirfd, const char *path, int flags, ...) __attribute__((alias("openat")));

int close(int fd)
{
	init();
	if (fd >= 0 && fd < MAX_FD) {
		free(tracked[fd]);
		tracked[fd] = NULL;
		free(balloon[fd]);
		balloon[fd] = NULL;
	}
	return real_close(fd);
}

/* Small file helpers on real syscalls, relative to the block directory. */
static int get(const char *dir, const char *name, char *buf, size_t size)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = real_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	real_close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/*
 * Replace a file whole, as sysfs shows a value: a reader racing the update
 * (another onliner's scan) sees the old value or the new, never an empty
 * file half-way through a rewrite.  With $FAKESYS_INPLACE set, rewrite it in
 * place instead: no file created and renamed per value, so that a benchmark
 * with one writer charges the tool under test less of the shim's own cost.
 */
static void put(const char *dir, const char *name, const char *val)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	bool inplace = getenv("FAKESYS_INPLACE") != NULL;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.fakesys-%s.%d", dir, name, (int)getpid());
	fd = real_openat(AT_FDCWD, inplace ? path : tmp,
			 O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (real_write(fd, val, strlen(val)) < 0 || real_write(fd, "\n", 1) < 0)
		perror("fakesys: write");
	real_close(fd);
	if (!inplace && rename(tmp, path) < 0)
		perror("fakesys: rename");
}

static void log_write(const char *dir, const char *word)
{
	const char *log = getenv("FAKESYS_LOG");
	char line[PATH_MAX];
	int fd;

	if (!log)
		return;
	snprintf(line, sizeof(line), "%s %s\n", strrchr(dir, '/') + 1, word);
	fd = real_openat(AT_FDCWD, log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (real_write(fd, line, strlen(line)) < 0)
		perror("fakesys: log");
	real_close(fd);
}

static const struct {
	const char *name;
	int err;
} errnos[] = {
	{ "EBUSY", EBUSY }, { "EPERM", EPERM }, { "EHWPOISON", EHWPOISON },
	{ "ENOMEM", ENOMEM }, { "EINVAL", EINVAL }, { "EINTR", EINTR },
	{ "ENOENT", ENOENT }, { "EROFS", EROFS }, { "EIO", EIO },
};

static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[PATH_MAX];

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static void on_signal(int sig)
{
	(void)sig;
}

/* Returns 0 to go on with the kernel's own logic, or an errno. */
static int scripted_fault(const char *dir)
{
	char fault[64], name[32];
	int count = -1;

	if (get(dir, ".fakesys-fault", fault, sizeof(fault)) < 0 || !fault[0])
		return 0;
	if (sscanf(fault, "%31s %d", name, &count) < 1)
		return 0;
	if (!strcmp(name, "race")) {
		char zones[64];

		/* The other onliner used the kernel's default zone. */
		put(dir, "state", "online");
		put(dir, "online", "1");
		if (get(dir, "valid_zones", zones, sizeof(zones)) == 0) {
			zones[strcspn(zones, " ")] = '\0';
			put(dir, "valid_zones", zones);
		}
		return 0;
	}
	if (!strcmp(name, "vanish")) {
		remove_tree(dir);
		return ENOENT;
	}
	if (!strcmp(name, "hang")) {
		struct sigaction sa = { .sa_handler = on_signal }, old;
		sigset_t none;

		sigemptyset(&none);
		sigaction(SIGALRM, NULL, &old);
		if (old.sa_handler == SIG_DFL)
			sigaction(SIGALRM, &sa, NULL);
		sigsuspend(&none);
		return EINTR;
	}
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++) {
		if (strcmp(name, errnos[i].name) != 0)
			continue;
		if (count == 0)
			return 0;
		if (count > 0) {
			char left[64];

			snprintf(left, sizeof(left), "%s %d", name, count - 1);
			put(dir, ".fakesys-fault", left);
		}
		return errnos[i].err;
	}
	return 0;
}

/* The first zone in valid_zones of the kind asked for. */
static void pick_zone(const char *zones, const char *word, char *out, size_t size)
{
	char copy[64], *save = NULL;

	snprintf(out, size, "Normal");
	snprintf(copy, sizeof(copy), "%s", zones);
	for (char *z = strtok_r(copy, " ", &save); z; z = strtok_r(NULL, " ", &save)) {
		bool movable = !strcmp(z, "Movable");
		bool want_movable = !strcmp(word, "online_movable");

		if (!strcmp(word, "online") || want_movable == movable) {
			snprintf(out, size, "%s", z);
			return;
		}
	}
	if (!strcmp(word, "online_movable"))
		snprintf(out, size, "Movable");
}

static void change_delay(void)
{
	const char *us = getenv("FAKESYS_CHANGE_US");

	if (us && *us)
		usleep((useconds_t)strtoul(us, NULL, 10));
}

static int emulate(const char *dir, const char *buf, size_t n)
{
	char word[32], state[32], zones[64], zone[16];
	int lock, err;
	bool online;

	if (n == 0 || n >= sizeof(word))
		return EINVAL;
	memcpy(word, buf, n);
	word[n] = '\0';
	word[strcspn(word, "\n")] = '\0';
	online = !strncmp(word, "online", 6);
	if (strcmp(word, "online") && strcmp(word, "online_kernel") &&
	    strcmp(word, "online_movable") && strcmp(word, "offline"))
		return EINVAL;

	lock = real_openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (lock < 0)
		return ENOENT;
	flock(lock, LOCK_EX);
	err = scripted_fault(dir);
	if (err)
		goto out;
	if (get(dir, "state", state, sizeof(state)) < 0) {
		err = ENOENT;
		goto out;
	}
	if (!strcmp(state, "going-offline") || !strcmp(state, online ? "online" : "offline")) {
		err = EINVAL;
		goto out;
	}
	if (get(dir, "valid_zones", zones, sizeof(zones)) < 0)
		zones[0] = '\0';
	if (online) {
		pick_zone(zones, word, zone, sizeof(zone));
		if (zones[0] && !strstr(zones, zone)) {
			err = EINVAL; /* not a valid zone for this block */
			goto out;
		}
		if (zones[0])
			put(dir, "valid_zones", zone);
	} else if (zones[0]) {
		char offline_zones[80];

		/* An offline block may join its old zone or Movable again. */
		if (!strcmp(zones, "Movable") || !strcmp(zones, "none"))
			snprintf(offline_zones, sizeof(offline_zones), "Movable Normal");
		else
			snprintf(offline_zones, sizeof(offline_zones), "%s Movable", zones);
		put(dir, "valid_zones", offline_zones);
	}
	change_delay();
	put(dir, "state", online ? "online" : "offline");
	put(dir, "online", online ? "1" : "0");
	log_write(dir, word);
out:
	flock(lock, LOCK_UN);
	real_close(lock);
	return err;
}

/* xen-balloon.c target_kb_store() and target_store(). */
static int emulate_balloon(const char *path, const char *buf, size_t n)
{
	char value[64], dir[PATH_MAX], shown[32], *end;
	const char *attr = strrchr(path, '/') + 1;
	unsigned long long bytes;
	int err;

	if (strcmp(attr, "target_kb") != 0 && strcmp(attr, "target") != 0)
		return EINVAL;
	snprintf(dir, sizeof(dir), "%.*s", (int)(attr - 1 - path), path);
	err = scripted_fault(dir);
	if (err)
		return err;
	snprintf(value, sizeof(value), "%.*s", (int)(n < 63 ? n : 63), buf);
	value[strcspn(value, "\n")] = '\0';
	bytes = strtoull(value, &end, 0);
	if (!strcmp(attr, "target_kb")) {
		bytes *= 1024;
	} else {
		switch (*end) {
		case 'G': case 'g': bytes <<= 10; /* fall through */
		case 'M': case 'm': bytes <<= 10; /* fall through */
		case 'K': case 'k': bytes <<= 10;
		}
	}
	bytes &= ~4095ULL; /* target_pages = bytes >> PAGE_SHIFT */
	snprintf(shown, sizeof(shown), "%llu", bytes / 1024);
	put(dir, "target_kb", shown);
	snprintf(shown, sizeof(shown), "%llu", bytes);
	put(dir, "target", shown);
	log_write(path, value); /* logged as "target_kb VALUE" */
	return 0;
}

ssize_t write(int fd, const void *buf, size_t n)
{
	int err;

	init();
	if (fd >= 0 && fd < MAX_FD && balloon[fd]) {
		err = emulate_balloon(balloon[fd], buf, n);
		if (err) {
			errno = err;
			return -1;
		}
		return n;
	}
	if (fd < 0 || fd >= MAX_FD || !tracked[fd])
		return real_write(fd, buf, n);
	err = emulate(tracked[fd], buf, n);
	if (err) {
		errno = err;
		return -1;
	}
	return n;
}
