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

/* A kernel before openat2 (Linux 5.6), when asked: the fallback's turn. */
static bool no_openat2;

long syscall(long nr, ...)
{
	static long (*real)(long, ...);
	va_list ap;
	long a[6];

	if (nr == SYS_openat2 && no_openat2) {
		errno = ENOSYS;
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
	no_openat2 = true;
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
	no_openat2 = false;
	tree_free(&t);
}

int main(void)
{
	test_blocks_and_balloon();
	test_onliners();
	test_links_in_root();
	test_run_in_root();
	test_links_without_openat2();
	return tap_done();
}
