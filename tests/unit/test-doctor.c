// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What doctor judges, gathered from a tree: the blocks, the balloon, the
 * other onliners, and links that would lead the reading out of the tree.
 */
#include <errno.h>
#include <string.h>

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

static void test_links_out(void)
{
	struct fake_clock fc = { 0 };
	struct mo_doctor_facts *f;
	struct tree t, outside;
	char path[512], want[512];

	tree_new(&outside);
	tree_put(&outside, "rules.d/40-redhat.rules",
		 "SUBSYSTEM==\"memory\", ATTR{state}=\"online\"\n");
	tree_link(&outside, "wants/memonline.service", "/usr/lib/systemd/system/memonline.service");
	memory_tree(&t);
	snprintf(path, sizeof(path), "%s/rules.d/40-redhat.rules", outside.dir);
	tree_link(&t, "etc/udev/rules.d/40-redhat.rules", path);
	snprintf(path, sizeof(path), "%s/rules.d", outside.dir);
	tree_link(&t, "run/udev/rules.d", path);
	snprintf(path, sizeof(path), "%s/wants", outside.dir);
	tree_link(&t, "etc/systemd/system/multi-user.target.wants", path);
	f = gather(&t, &fc);
	is_int(f->n_rules, 0, "no rule read from outside the tree");
	is_int(f->daemon_enabled, false, "no unit enabled from outside the tree");
	is_int(f->refused.n, 3, "three links out, noted");
	snprintf(want, sizeof(want), "%s/etc/udev/rules.d/40-redhat.rules", t.dir);
	is_str(f->refused.path[0], want, "a rules file, named below the root");
	snprintf(want, sizeof(want), "%s/run/udev/rules.d", t.dir);
	is_str(f->refused.path[1], want, "a rules directory");
	snprintf(want, sizeof(want), "%s/etc/systemd/system/multi-user.target.wants", t.dir);
	is_str(f->refused.path[2], want, "a unit's .wants");
	mo_doctor_facts_free(f);
	tree_free(&t);
	tree_free(&outside);
}

int main(void)
{
	test_blocks_and_balloon();
	test_onliners();
	test_links_out();
	return tap_done();
}
