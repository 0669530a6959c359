// SPDX-License-Identifier: GPL-2.0-or-later
/* The zone policy is a pure function of facts: test it without any files. */
#include <stdlib.h>

#include "internal.h"
#include "policy.h"
#include "tap.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define BS (128 * MiB)
#define NONE MO_CHOICE__MAX

#define NM (MO_ZONE_BIT(MO_ZONE_NORMAL) | MO_ZONE_BIT(MO_ZONE_MOVABLE))

static struct mo_block offline_block(enum mo_source src, int node)
{
	return (struct mo_block){ .id = 32, .state = MO_STATE_OFFLINE, .have_zones = true,
				  .zones = NM, .zone = MO_ZONE_NORMAL, .node = node,
				  .source = src };
}

static struct mo_usage usage(uint64_t kernel, uint64_t movable)
{
	struct mo_usage u = { 0 };

	mo_usage_add(&u, 0, false, kernel);
	mo_usage_add(&u, 0, true, movable);
	return u;
}

static struct mo_policy *policy(void)
{
	struct mo_policy *p;

	if (mo_policy_new_default(&p) < 0)
		abort();
	return p;
}

static void add_rule(struct mo_policy *p, int source, int node, enum mo_choice c)
{
	struct mo_rule r = { .source = source, .node = node, .choice = c, .file = "test.conf",
			     .line = 7 };

	if (mo_policy_add_rule(p, &r) < 0)
		abort();
}

static void test_ratio_budget(void)
{
	static const struct {
		uint64_t kernel, movable;
		unsigned ratio;
		enum mo_online_type want;
		const char *name;
	} cases[] = {
		{ 1 * GiB, 0, 301, MO_ONLINE_MOVABLE, "empty movable, big budget" },
		{ 1 * GiB, 3 * GiB - BS, 301, MO_ONLINE_MOVABLE, "last block that fits 301%" },
		{ 1 * GiB, 3 * GiB, 300, MO_ONLINE_KERNEL, "exactly at 300%: next block over" },
		{ 1 * GiB, 3 * GiB - BS, 300, MO_ONLINE_MOVABLE, "ends exactly at 300%" },
		{ 1 * GiB, 0, 0, MO_ONLINE_KERNEL, "ratio 0: never movable" },
		{ 0, 0, 301, MO_ONLINE_KERNEL, "no kernel memory: nothing may be movable" },
		{ 512 * MiB, 0, 25, MO_ONLINE_MOVABLE, "25% of 512M is one block" },
		{ 512 * MiB, BS, 25, MO_ONLINE_KERNEL, "a second block is over 25%" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct mo_policy *p = policy();
		struct mo_block b = offline_block(MO_SOURCE_DIMM, 0);
		struct mo_usage u = usage(cases[i].kernel, cases[i].movable);
		struct mo_decision d;

		p->ratio = cases[i].ratio;
		mo_policy_decide(p, &b, BS, &u, NONE, &d);
		ok(!d.skip, "%s: not skipped", cases[i].name);
		is_int(d.type, cases[i].want, "%s", cases[i].name);
		ok(d.reason[0], "%s: has a reason (%s)", cases[i].name, d.reason);
		mo_policy_free(p);
	}
}

static void test_ratio_per_node(void)
{
	struct mo_policy *p = policy();
	struct mo_block b = offline_block(MO_SOURCE_DIMM, 1);
	struct mo_usage u = { 0 };
	struct mo_decision d;

	/* Plenty of budget overall, none on node 1, which has no kernel memory. */
	mo_usage_add(&u, 0, false, 4 * GiB);
	mo_usage_add(&u, 1, true, 0);
	mo_policy_decide(p, &b, BS, &u, NONE, &d);
	is_int(d.type, MO_ONLINE_KERNEL, "NUMA-aware: node 1 has no kernel memory");
	ok(strstr(d.reason, "node 1") != NULL, "reason names the node: %s", d.reason);

	p->numa_aware = false;
	mo_policy_decide(p, &b, BS, &u, NONE, &d);
	is_int(d.type, MO_ONLINE_MOVABLE, "not NUMA-aware: only the total counts");

	p->numa_aware = true;
	b.node = -1; /* no node link yet: the total decides */
	mo_policy_decide(p, &b, BS, &u, NONE, &d);
	is_int(d.type, MO_ONLINE_MOVABLE, "block without a node: the total decides");
	mo_policy_free(p);
}

static void test_budget_evolves(void)
{
	struct mo_policy *p = policy();
	struct mo_usage u = usage(1 * GiB, 0);
	unsigned movable = 0, kernel = 0;

	/* 32 blocks (4 GiB) against 1 GiB of kernel memory at 100%. */
	p->ratio = 100;
	for (int i = 0; i < 32; i++) {
		struct mo_block b = offline_block(MO_SOURCE_DIMM, 0);
		struct mo_decision d;

		mo_policy_decide(p, &b, BS, &u, NONE, &d);
		mo_usage_add(&u, 0, d.type == MO_ONLINE_MOVABLE, BS);
		d.type == MO_ONLINE_MOVABLE ? movable++ : kernel++;
	}
	/* 8 kernel blocks to start with: they end 20 movable to 20 kernel. */
	ok(u.movable <= u.kernel, "movable stays within 100%% of kernel");
	is_int(movable, 20, "20 blocks movable");
	is_int(kernel, 12, "12 blocks kernel");
	mo_policy_free(p);
}

static void test_rules(void)
{
	struct mo_policy *p = policy();
	struct mo_usage u = usage(1 * GiB, 0);
	struct mo_decision d;
	struct mo_block b;

	b = offline_block(MO_SOURCE_KMEM, 0);
	mo_policy_decide(p, &b, BS, &u, NONE, &d);
	ok(d.skip, "built-in: dax kmem is daxctl's: skip (%s)", d.reason);

	b = offline_block(MO_SOURCE_XEN, 0);
	mo_policy_decide(p, &b, BS, &u, NONE, &d);
	is_int(d.type, MO_ONLINE_KERNEL, "built-in: Xen balloon memory goes to a kernel zone");

	b = offline_block(MO_SOURCE_HYPERV, 0);
	mo_policy_decide(p, &b, BS, &u, NONE, &d);
	is_int(d.type, MO_ONLINE_KERNEL, "built-in: Hyper-V memory goes to a kernel zone");

	add_rule(p, MO_SOURCE_VIRTIO_MEM, -1, MO_CHOICE_KERNEL);
	add_rule(p, MO_SOURCE_DIMM, -1, MO_CHOICE_MOVABLE);
	add_rule(p, -1, 1, MO_CHOICE_DEFAULT);

	b = offline_block(MO_SOURCE_VIRTIO_MEM, 0);
	mo_policy_decide(p, &b, BS, &u, NONE, &d);
	is_int(d.type, MO_ONLINE_KERNEL, "rule: virtio-mem -> kernel");
	is_str(d.reason, "rule test.conf:7", "reason names the rule's file and line");

	b = offline_block(MO_SOURCE_DIMM, 0);
	mo_policy_decide(p, &b, BS, &u, NONE, &d);
	is_int(d.type, MO_ONLINE_MOVABLE, "rule: DIMM -> movable");

	b = offline_block(MO_SOURCE_DIMM, 1);
	mo_policy_decide(p, &b, BS, &u, NONE, &d);
	is_int(d.type, MO_ONLINE_DEFAULT, "the last matching rule wins (node 1 -> default)");

	b = offline_block(MO_SOURCE_UNKNOWN, 0);
	mo_policy_decide(p, &b, BS, &u, NONE, &d);
	is_int(d.type, MO_ONLINE_MOVABLE, "no rule: the default zone (auto) decides");

	add_rule(p, MO_SOURCE_KMEM, -1, MO_CHOICE_MOVABLE);
	b = offline_block(MO_SOURCE_KMEM, 0);
	mo_policy_decide(p, &b, BS, &u, NONE, &d);
	ok(!d.skip && d.type == MO_ONLINE_MOVABLE, "a configured rule overrides a built-in");
	mo_policy_free(p);
}

static void test_valid_zones_respected(void)
{
	struct mo_policy *p = policy();
	struct mo_usage u = usage(1 * GiB, 0);
	struct mo_decision d;
	struct mo_block b = offline_block(MO_SOURCE_DIMM, 0);

	b.zones = MO_ZONE_BIT(MO_ZONE_NORMAL); /* cannot be movable */
	mo_policy_decide(p, &b, BS, &u, NONE, &d);
	is_int(d.type, MO_ONLINE_KERNEL, "auto: Movable not valid -> kernel");

	mo_policy_decide(p, &b, BS, &u, MO_CHOICE_MOVABLE, &d);
	ok(d.skip && d.impossible, "forced movable where Movable is not valid: refused");

	p->zone = MO_CHOICE_MOVABLE;
	mo_policy_decide(p, &b, BS, &u, NONE, &d);
	ok(!d.skip && d.type == MO_ONLINE_DEFAULT,
	   "policy movable where not valid: the kernel's choice (%s)", d.reason);

	b.zones = MO_ZONE_BIT(MO_ZONE_MOVABLE); /* inside ZONE_MOVABLE (movablecore) */
	p->zone = MO_CHOICE_KERNEL;
	mo_policy_decide(p, &b, BS, &u, NONE, &d);
	is_int(d.type, MO_ONLINE_DEFAULT, "policy kernel where only Movable is valid");

	b.have_zones = false; /* no valid_zones: nothing to check against */
	b.zones = 0;
	p->zone = MO_CHOICE_MOVABLE;
	mo_policy_decide(p, &b, BS, &u, NONE, &d);
	is_int(d.type, MO_ONLINE_MOVABLE, "no valid_zones: write what the policy says");
	mo_policy_free(p);
}

static void test_forced(void)
{
	struct mo_policy *p = policy();
	struct mo_usage u = usage(1 * GiB, 0);
	struct mo_decision d;
	struct mo_block b = offline_block(MO_SOURCE_KMEM, 0);

	mo_policy_decide(p, &b, BS, &u, MO_CHOICE_KERNEL, &d);
	ok(!d.skip && d.type == MO_ONLINE_KERNEL, "--zone overrides every rule");
	is_str(d.reason, "--zone kernel", "reason says it was forced");
	mo_policy_decide(p, &b, BS, &u, MO_CHOICE_DEFAULT, &d);
	is_int(d.type, MO_ONLINE_DEFAULT, "--zone default writes plain online");
	mo_policy_free(p);
}

static void test_usage(void)
{
	struct mo_block blocks[] = {
		{ .id = 0, .state = MO_STATE_ONLINE, .have_zones = true, .zone = -1, .node = 0 },
		{ .id = 1, .state = MO_STATE_ONLINE, .have_zones = true, .zone = MO_ZONE_DMA32,
		  .node = 0 },
		{ .id = 2, .state = MO_STATE_ONLINE, .have_zones = true, .zone = MO_ZONE_MOVABLE,
		  .node = 1 },
		{ .id = 3, .state = MO_STATE_OFFLINE, .have_zones = true, .zone = MO_ZONE_NORMAL,
		  .node = 1 },
		{ .id = 4, .state = MO_STATE_GOING_OFFLINE, .have_zones = true,
		  .zone = MO_ZONE_MOVABLE, .node = 1 },
		{ .id = 5, .state = MO_STATE_ONLINE, .have_zones = false, .zone = -1, .node = -1 },
	};
	struct mo_memory mem = { .block_size = BS, .n_blocks = ARRAY_SIZE(blocks),
				 .blocks = blocks };
	struct mo_usage u;

	mo_usage_from_memory(&mem, &u);
	is_u64(u.kernel, 3 * BS, "kernel: spanning, DMA32 and no-valid_zones blocks");
	is_u64(u.movable, 2 * BS, "movable: online and going-offline Movable blocks");
	is_u64(u.node_movable[1], 2 * BS, "node 1 movable");
	is_u64(u.node_kernel[0], 2 * BS, "node 0 kernel");
	is_u64(u.node_kernel[1], 0, "offline blocks count nowhere");
}

int main(void)
{
	test_ratio_budget();
	test_ratio_per_node();
	test_budget_evolves();
	test_rules();
	test_valid_zones_respected();
	test_forced();
	test_usage();
	return tap_done();
}
