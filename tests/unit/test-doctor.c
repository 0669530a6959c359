// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What doctor judges, gathered from a tree: the blocks, the balloon, the
 * other onliners, and links that would lead the reading out of the tree.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fixture.h"
#include "internal.h"
#include "tap.h"

#define MEM "sys/devices/system/memory/"

static void memory_tree(struct tree *t)
{
	tree_new(t);
	tree_put(t, MEM "block_size_bytes", "8000000\n");
	tree_put(t, MEM "auto_online_blocks", "offline\n");
	tree_put(t, MEM "memory0/state", "online\n");
	tree_put(t, MEM "memory0/valid_zones", "Normal\n");
	tree_put(t, MEM "memory1/state", "offline\n");
	tree_put(t, MEM "memory1/valid_zones", "Normal Movable\n");
}

static struct mo_doctor_facts *gather(const struct tree *t, struct fake_clock *fc)
{
	struct mo_clock clock = FAKE_CLOCK(fc);
	struct mo_doctor_facts *f = NULL;
	struct mo_ctx *ctx;

	if (mo_new(t->dir, &ctx) < 0)
		abort();
	is_int(mo_doctor_facts_gather(ctx, NULL, &clock, &f), 0, "facts gathered");
	mo_unref(ctx); /* the facts hold their own reference */
	return f;
}

static void test_blocks_and_balloon(void)
{
	struct fake_clock fc = { 0 };
	struct mo_doctor_facts *f;
	struct tree t;

	memory_tree(&t);
	f = gather(&t, &fc);
	ok(f->mem && f->mem->n_blocks == 2, "both blocks scanned");
	is_int(f->scan_err, 0, "no scan error");
	is_int(f->auto_online_access, 0, "auto_online_blocks is writable");
	is_int(f->balloon.err, -ENODEV, "no balloon");
	is_int(f->balloon.d.verdict, MO_XEN_NOT_XEN, "not a Xen guest");
	is_int(f->hotadd, 1, "an offline block: something added memory");
	is_int(f->n_rules + f->daemon_enabled + f->refused.n, 0, "no other onliner, nothing refused");
	mo_doctor_facts_free(f);
	tree_free(&t);

	tree_new(&t);
	tree_put(&t, "sys/devices/system/.keep", "");
	f = gather(&t, &fc);
	ok(!f->mem, "no memory blocks: no memory");
	is_int(f->scan_err, -ENODEV, "the kernel has no memory hotplug");
	is_int(f->hotadd, 0, "and nothing could add memory");
	mo_doctor_facts_free(f);
	tree_free(&t);
}

static void test_onliners(void)
{
	struct fake_clock fc = { 0 };
	struct mo_doctor_facts *f;
	struct tree t;

	memory_tree(&t);
	tree_put(&t, "usr/lib/udev/rules.d/85-memonline.rules",
		 "SUBSYSTEM==\"memory\", ACTION==\"add\", RUN+=\"/usr/bin/memonline online "
		 "--udev $kernel\"\n");
	tree_put(&t, "usr/share/rules/40-vm-hotadd.rules",
		 "SUBSYSTEM==\"memory\", ACTION==\"add\", ATTR{state}=\"online\"\n");
	/* Relative, inside the tree: fine, though it climbs out of rules.d. */
	tree_link(&t, "etc/udev/rules.d/40-vm-hotadd.rules",
		  "../../../usr/share/rules/40-vm-hotadd.rules");
	tree_link(&t, "etc/systemd/system/sysinit.target.wants/memonline.service",
		  "/usr/lib/systemd/system/memonline.service");
	f = gather(&t, &fc);
	is_int(f->n_rules, 2, "two rules online memory");
	ok(f->our_rule && !strcmp(f->our_rule->name, "85-memonline.rules"), "one is ours");
	is_int(f->daemon_enabled, true, "memonline.service is enabled: a link, never followed");
	is_int(f->refused.n, 0, "nothing leads out");
	mo_doctor_facts_free(f);

	tree_link(&t, "etc/udev/rules.d/85-memonline.rules", "/dev/null");
	tree_link(&t, "etc/systemd/system/memonline.service", "/dev/null");
	f = gather(&t, &fc);
	is_int(f->n_rules, 1, "ours masked by a /dev/null link");
	ok(!f->our_rule, "so it is not ours that runs");
	is_int(f->daemon_enabled, false, "a masked unit is not enabled");
	is_int(f->refused.n, 0, "a /dev/null mask is no way out");
	mo_doctor_facts_free(f);
	tree_free(&t);
}

/*
 * A root filesystem's links resolve as in a chroot: an absolute one, or ".."
 * past the top, stays in the tree.  The host's copy of a linked path is
 * never read, though it onlines memory.
 */
static void test_links_in_root(void)
{
	struct fake_clock fc = { 0 };
	struct mo_doctor_facts *f;
	struct tree t, host;
	char path[512];

	tree_new(&host);
	tree_put(&host, "rules.d/40-redhat.rules",
		 "SUBSYSTEM==\"memory\", ATTR{state}=\"online\"\n");
	tree_link(&host, "wants/memonline.service", "/usr/lib/systemd/system/memonline.service");
	memory_tree(&t);
	snprintf(path, sizeof(path), "%s/rules.d/40-redhat.rules", host.dir);
	tree_link(&t, "etc/udev/rules.d/40-redhat.rules", path);
	snprintf(path, sizeof(path), "../../../../../../../../../..%s/rules.d/41-up.rules",
		 host.dir);
	tree_link(&t, "etc/udev/rules.d/41-up.rules", path);
	tree_link(&host, "rules.d/41-up.rules", "40-redhat.rules");
	snprintf(path, sizeof(path), "%s/rules.d", host.dir);
	tree_link(&t, "run/udev/rules.d", path);
	snprintf(path, sizeof(path), "%s/wants", host.dir);
	tree_link(&t, "etc/systemd/system/multi-user.target.wants", path);
	f = gather(&t, &fc);
	is_int(f->n_rules, 0, "no rule read from the host's copy of a linked path");
	is_int(f->daemon_enabled, false, "no unit enabled by the host's .wants");
	is_int(f->refused.n, 0, "nothing left unfollowed: nothing leads out");
	mo_doctor_facts_free(f);

	tree_put(&t, "usr/share/seed/80-seed.rules",
		 "SUBSYSTEM==\"memory\", ACTION==\"add\", RUN+=\"/bin/sh -c 'echo online > "
		 "/sys$devpath/state'\"\n");
	tree_link(&t, "etc/udev/rules.d/80-seed.rules", "/usr/share/seed/80-seed.rules");
	tree_link(&t, "usr/lib/systemd/wants/memonline.service",
		  "/usr/lib/systemd/system/memonline.service");
	tree_link(&t, "etc/systemd/system/sysinit.target.wants", "/usr/lib/systemd/wants");
	tree_path(&t, "dev/initctl", path, sizeof(path));
	if (mkfifo(path, 0600) < 0)
		abort();
	tree_link(&t, "etc/udev/rules.d/90-fifo.rules", "/dev/initctl");
	f = gather(&t, &fc);
	is_int(f->n_rules, 1, "an absolute link into the tree is read there");
	ok(f->n_rules == 1 && !strcmp(f->rules[0].name, "80-seed.rules"), "the seed's rule");
	is_int(f->daemon_enabled, true, "a .wants linked into the tree enables");
	is_int(f->refused.n, 0, "nothing left unfollowed, and a FIFO read without a hang");
	mo_doctor_facts_free(f);
	tree_free(&t);
	tree_free(&host);
}

/* A tree's run -> /var/run is its own var/run: memonline never writes the host's. */
static void test_run_in_root(void)
{
	struct mo_ctx *ctx;
	char path[512];
	struct stat st;
	struct tree t;
	int fd;

	memory_tree(&t);
	tree_put(&t, "var/run/.keep", "");
	tree_link(&t, "run", "/var/run");
	if (mo_new(t.dir, &ctx) < 0)
		abort();
	fd = mo_run_open(ctx, true);
	ok(fd >= 0, "run/memonline made and opened");
	snprintf(path, sizeof(path), "%s/var/run/" MO_RUN_SUBDIR, t.dir);
	ok(fd >= 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode), "in the tree's var/run");
	if (fd >= 0)
		close(fd);
	mo_unref(ctx);
	tree_free(&t);
}

/*
 * A kernel before openat2 (Linux 5.6) when ENOSYS, a container's seccomp
 * filter written before it when EPERM: the fallback's turn.
 */
static int no_openat2;

long syscall(long nr, ...)
{
	static long (*real)(long, ...);
	va_list ap;
	long a[6];

	if (nr == SYS_openat2 && no_openat2) {
		errno = no_openat2;
		return -1;
	}
	if (!real && !(real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall")))
		abort();
	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* Without openat2 a tree's links cannot be contained: refused, and named. */
static void test_links_without_openat2(void)
{
	struct fake_clock fc = { 0 };
	struct mo_doctor_facts *f;
	char path[512], want[512];
	int root, fd;
	struct tree t;

	memory_tree(&t);
	tree_put(&t, "usr/lib/udev/rules.d/40-redhat.rules",
		 "SUBSYSTEM==\"memory\", ATTR{state}=\"online\"\n");
	tree_put(&t, "usr/share/seed/80-seed.rules",
		 "SUBSYSTEM==\"memory\", ATTR{state}=\"online\"\n");
	tree_link(&t, "etc/udev/rules.d/80-seed.rules", "/usr/share/seed/80-seed.rules");
	tree_link(&t, "lib", "usr/lib");
	tree_link(&t, "etc/udev/rules.d/85-memonline.rules", "/dev/null");
	no_openat2 = ENOSYS;
	f = gather(&t, &fc);
	is_int(f->n_rules, 1, "only the rule in a real directory is read");
	ok(f->n_rules == 1 && !strcmp(f->rules[0].name, "40-redhat.rules"), "that one");
	is_int(f->refused.n, 2, "two links not followed, the mask not among them");
	snprintf(want, sizeof(want), "%s/etc/udev/rules.d/80-seed.rules", t.dir);
	is_str(f->refused.path[0], want, "a rules file, named below the root");
	snprintf(want, sizeof(want), "%s/lib/udev/rules.d", t.dir);
	is_str(f->refused.path[1], want, "a rules directory");
	mo_doctor_facts_free(f);

	/* The process's own root contains its links as openat2 would. */
	root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s/usr/share/seed/80-seed.rules", t.dir);
	tree_link(&t, "etc/abs.rules", path);
	snprintf(path, sizeof(path), "%s/etc/abs.rules", t.dir + 1);
	fd = mo_open_in_root(root, path, O_RDONLY);
	ok(fd >= 0, "below /, an absolute link is followed");
	if (fd >= 0)
		close(fd);
	close(root);
	no_openat2 = 0;
	tree_free(&t);
}

/*
 * Beneath sysfs, with openat2 and without (walked by memonline itself), the
 * same answers: sysfs's own relative links are followed, and nothing leads
 * out of the tree, not even halfway along a path.
 */
static void test_beneath_without_openat2(void)
{
	static const struct {
		const char *path, *value; /* NULL: refused with err */
		int err;
		const char *what;
	} cases[] = {
		{ "devices/system/memory/memory0/state", "online", 0, "a plain path" },
		{ "devices/system/node/node0/memory0/state", "online", 0,
		  "through a node's link to its block" },
		{ "bus/acpi/devices/PNP0C80:00/status", "15", 0,
		  "through an ACPI device's link, three levels up and down" },
		{ "class/dmi/id/sys_vendor", "QEMU", 0, "through a link to a link" },
		{ "devices/../devices/system/memory/memory0/state", "online", 0,
		  "\"..\" that stays beneath" },
		{ "devices/system/memory/memory0/state/", NULL, ENOTDIR,
		  "a file is no directory" },
		{ "class/up/secret", NULL, EXDEV, "a link climbing out, halfway along" },
		{ "class/abs/secret", NULL, EXDEV, "an absolute link, halfway along" },
		{ "class/last", NULL, EXDEV, "a link climbing out, last" },
		{ "../secret", NULL, EXDEV, "\"..\" out of the tree" },
		{ "devices/../../secret", NULL, EXDEV, "\"..\" out, further along" },
		{ "/etc/hostname", NULL, EXDEV, "an absolute path" },
		{ "loop/state", NULL, ELOOP, "a loop of links" },
		{ "devices/system/memory/memory9/state", NULL, ENOENT, "a name not there" },
	};
	static const int refusals[] = { 0, ENOSYS, EPERM };
	char path[512], buf[64];
	struct tree t;
	int sys, fd;

	tree_new(&t);
	tree_put(&t, "secret", "host\n");
	tree_put(&t, MEM "memory0/state", "online\n");
	tree_link(&t, "sys/devices/system/node/node0/memory0", "../../memory/memory0");
	tree_put(&t, "sys/devices/LNXSYSTM:00/PNP0C80:00/status", "15\n");
	tree_link(&t, "sys/bus/acpi/devices/PNP0C80:00",
		  "../../../devices/LNXSYSTM:00/PNP0C80:00");
	tree_put(&t, "sys/devices/virtual/dmi/id/sys_vendor", "QEMU\n");
	tree_link(&t, "sys/class/dmi", "dmi-link");
	tree_link(&t, "sys/class/dmi-link", "../devices/virtual/dmi");
	tree_link(&t, "sys/class/up", "../..");
	tree_link(&t, "sys/class/abs", t.dir);
	tree_link(&t, "sys/class/last", "../../secret");
	tree_link(&t, "sys/loop", "loop");
	snprintf(path, sizeof(path), "%s/sys", t.dir);
	sys = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	for (size_t r = 0; r < ARRAY_SIZE(refusals); r++) {
		const char *how = r ? strerrorname_np(refusals[r]) : "there";

		no_openat2 = refusals[r];
		for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
			ssize_t n = mo_read_attr(sys, cases[i].path, buf, sizeof(buf));

			if (cases[i].value)
				ok(n > 0 && !strcmp(buf, cases[i].value),
				   "%s: %s (openat2: %s)", cases[i].what, cases[i].path, how);
			else
				is_int(n, -cases[i].err, "%s refused: %s (openat2: %s)",
				       cases[i].what, cases[i].path, how);
		}
		/* O_PATH opens a link itself: beneath, it is followed all the same. */
		is_int(mo_access_beneath(sys, "devices/system/node/node0/memory0"), 0,
		       "a node's link to its block is there (openat2: %s)", how);
		is_int(mo_access_beneath(sys, "class/last"), -EXDEV,
		       "a link out is not (openat2: %s)", how);
		fd = mo_open_beneath(sys, "devices/system/node/node0/memory0",
				     O_RDONLY | O_DIRECTORY);
		ok(fd >= 0 && mo_write_attr(fd, "state", "offline") == 0 &&
			   mo_read_attr(sys, "devices/system/memory/memory0/state", buf,
					sizeof(buf)) > 0 && !strcmp(buf, "offline"),
		   "a state written through a node's link (openat2: %s)", how);
		if (fd >= 0)
			close(fd);
		is_int(mo_write_attr(sys, "class/up/secret", "x"), -EXDEV,
		       "no write out of the tree (openat2: %s)", how);
		tree_put(&t, MEM "memory0/state", "online\n");
	}
	no_openat2 = 0;
	snprintf(path, sizeof(path), "%s/secret", t.dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ok(fd >= 0 && read(fd, buf, sizeof(buf)) == 5 && !memcmp(buf, "host\n", 5),
	   "what lies outside is as it was");
	if (fd >= 0)
		close(fd);
	close(sys);
	tree_free(&t);
}

int main(void)
{
	test_blocks_and_balloon();
	test_onliners();
	test_links_in_root();
	test_run_in_root();
	test_links_without_openat2();
	test_beneath_without_openat2();
	return tap_done();
}
