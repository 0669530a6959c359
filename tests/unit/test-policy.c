// SPDX-License-Identifier: GPL-2.0-or-later
/* The zone policy is a pure function of facts: test it without any files. */
#include <stdlib.h>
#include <string.h>

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

/* Memory online since boot on node: kernel zones count as early memory. */
static void add_boot(struct mo_usage *u, int node, bool movable, uint64_t size)
{
	struct mo_block b = { .state = MO_STATE_ONLINE, .node = node,
			      .source = MO_SOURCE_BOOT };

	u->numa |= node >= 0;
	mo_usage_add_block(u, &b, movable, size);
}

static struct mo_usage usage(uint64_t kernel, uint64_t movable)
{
	struct mo_usage u = { 0 };

	add_boot(&u, 0, false, kernel);
	add_boot(&u, 0, true, movable);
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
	add_boot(&u, 0, false, 4 * GiB);
	add_boot(&u, 1, true, 0);
	mo_policy_decide(p, &b, BS, &u, NONE, &d);
	is_int(d.type, MO_ONLINE_KERNEL, "NUMA-aware: node 1 has no kernel memory");
	ok(strstr(d.reason, "node 1") != NULL, "reason names the node: %s", d.reason);

	p->numa_aware = false;
	mo_policy_decide(p, &b, BS, &u, NONE, &d);
	is_int(d.type, MO_ONLINE_MOVABLE, "not NUMA-aware: only the total counts");

	/*
	 * No node link yet (the kernel links it after the add event): judged
	 * by the total alone it went movable over its node's budget (issue 15).
	 */
	p->numa_aware = true;
	b.node = -1;
	mo_policy_decide(p, &b, BS, &u, NONE, &d);
	ok(d.skip && d.unsettled, "block without a node: not judged (%s)", d.reason);
	p->numa_aware = false;
	mo_policy_decide(p, &b, BS, &u, NONE, &d);
	ok(!d.skip && d.type == MO_ONLINE_MOVABLE, "... unless not NUMA-aware");
	mo_policy_free(p);
}

static void test_budget_evolves(void)
{
	struct mo_policy *p = policy();
	struct mo_usage u = usage(1 * GiB, 0);
	unsigned movable = 0, kernel = 0;

	/* 32 blocks (4 GiB) without a group against 1 GiB of boot memory at 100%. */
	p->ratio = 100;
	add_rule(p, MO_SOURCE_XEN, -1, MO_CHOICE_AUTO);
	for (int i = 0; i < 32; i++) {
		struct mo_block b = offline_block(MO_SOURCE_XEN, 0);
		struct mo_decision d;

		mo_policy_decide(p, &b, BS, &u, NONE, &d);
		mo_usage_add_block(&u, &b, d.type == MO_ONLINE_MOVABLE, BS);
		d.type == MO_ONLINE_MOVABLE ? movable++ : kernel++;
	}
	/* Hot-added kernel memory buys no movable memory: only boot memory does. */
	is_int(movable, 8, "8 blocks movable: 100%% of the 1 GiB there at boot");
	is_int(kernel, 24, "24 blocks kernel");
	is_u64(u.early_kernel, 1 * GiB, "early kernel memory is boot memory alone");
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

/*
 * A guest replayed as the kernel sees it: boot memory, then devices added
 * and onlined block by block in order, as online --all and watch do.  The
 * expected zones are the kernel's (mm/memory_hotplug.c, Linux 6.1), worked
 * out by hand and seen in QEMU (issue 15, tests/qemu/run-differential).
 */
struct sim {
	struct mo_policy *p;
	struct mo_memory mem;
	struct mo_block blocks[256];
};

static void sim_init(struct sim *s, unsigned ratio, bool numa_aware)
{
	memset(s, 0, sizeof(*s));
	s->p = policy();
	s->p->ratio = ratio;
	s->p->numa_aware = numa_aware;
	s->mem = (struct mo_memory){ .block_size = BS, .blocks = s->blocks };
}

static void sim_blocks(struct sim *s, unsigned n, int node, enum mo_source src,
		       enum mo_group g, uint64_t group_id)
{
	for (unsigned i = 0; i < n; i++) {
		struct mo_block *b = &s->blocks[s->mem.n_blocks];

		*b = offline_block(src, node);
		b->id = s->mem.n_blocks++;
		b->group = g;
		b->group_id = group_id;
		if (src == MO_SOURCE_BOOT) {
			b->state = MO_STATE_ONLINE;
			b->zones = MO_ZONE_BIT(MO_ZONE_NORMAL);
		}
	}
}

#define sim_boot(s, n, node) sim_blocks(s, n, node, MO_SOURCE_BOOT, MO_GROUP_NONE, 0)
#define sim_dimm(s, n, node) \
	sim_blocks(s, n, node, MO_SOURCE_DIMM, MO_GROUP_STATIC, (s)->mem.n_blocks + 1)
#define sim_vmem(s, n, node, dev) \
	sim_blocks(s, n, node, MO_SOURCE_VIRTIO_MEM, MO_GROUP_DYNAMIC, dev)

/* Online every offline block, lowest first; the zones of from.. as M and K. */
static const char *sim_online(struct sim *s, size_t from)
{
	static char zones[257];
	struct mo_usage u;
	size_t n = 0;

	mo_usage_from_memory(&s->mem, &u);
	for (size_t i = 0; i < s->mem.n_blocks; i++) {
		struct mo_block *b = &s->blocks[i];
		struct mo_decision d;

		if (b->state == MO_STATE_OFFLINE) {
			mo_policy_decide(s->p, b, BS, &u, NONE, &d);
			if (d.skip)
				continue;
			b->state = MO_STATE_ONLINE;
			b->zone = d.type == MO_ONLINE_MOVABLE ? MO_ZONE_MOVABLE : MO_ZONE_NORMAL;
			b->zones = MO_ZONE_BIT(b->zone);
			mo_usage_add_block(&u, b, b->zone == MO_ZONE_MOVABLE, BS);
		}
		if (i >= from)
			zones[n++] = b->state != MO_STATE_ONLINE ? '-'
				     : b->zone == MO_ZONE_MOVABLE ? 'M' : 'K';
	}
	zones[n] = 0;
	return zones;
}

static void test_dimms_whole(void)
{
	struct sim s;

	/* 1 GiB boot; DIMMs of 512M, 1G, 2G: the last does not fit, whole. */
	sim_init(&s, 301, true);
	sim_boot(&s, 8, 0);
	sim_dimm(&s, 4, 0);
	is_str(sim_online(&s, 8), "MMMM", "DIMM 512M: movable");
	sim_dimm(&s, 8, 0);
	is_str(sim_online(&s, 8), "MMMMMMMMMMMM", "DIMM 1G: movable");
	sim_dimm(&s, 16, 0);
	is_str(sim_online(&s, 20), "KKKKKKKKKKKKKKKK",
	       "DIMM 2G over the budget: all of it Normal, not split");
	mo_policy_free(s.p);
}

static void test_dimm_partly_kernel(void)
{
	struct sim s;
	struct mo_usage u;
	struct mo_decision d;

	sim_init(&s, 301, true);
	sim_boot(&s, 8, 0);
	sim_dimm(&s, 4, 0);
	s.blocks[8].state = MO_STATE_ONLINE; /* someone put one block in Normal */
	s.blocks[8].zone = MO_ZONE_NORMAL;
	is_str(sim_online(&s, 8), "KKKK", "a DIMM partly in a kernel zone: the rest follows");

	sim_dimm(&s, 4, 0);
	s.blocks[12].state = MO_STATE_ONLINE;
	s.blocks[12].zone = MO_ZONE_MOVABLE;
	mo_usage_from_memory(&s.mem, &u);
	mo_policy_decide(s.p, &s.blocks[13], BS, &u, MO_CHOICE_KERNEL, &d);
	ok(d.skip && d.impossible, "--zone kernel on a DIMM partly movable: refused (%s)",
	   d.reason);
	add_rule(s.p, MO_SOURCE_DIMM, -1, MO_CHOICE_KERNEL);
	mo_policy_decide(s.p, &s.blocks[13], BS, &u, NONE, &d);
	ok(d.skip && d.impossible, "a rule kernel on it: refused too");

	s.blocks[14].zones = MO_ZONE_BIT(MO_ZONE_NORMAL);
	mo_usage_from_memory(&s.mem, &u);
	mo_policy_decide(s.p, &s.blocks[15], BS, &u, MO_CHOICE_MOVABLE, &d);
	ok(d.skip && d.impossible && strstr(d.reason, "every block"),
	   "--zone movable where one block of the DIMM cannot be: refused (%s)", d.reason);
	mo_policy_free(s.p);
}

static void test_two_nodes(void)
{
	struct sim s;

	/* 512M boot per node; DIMMs 1G@1, 1G@1, 512M@0. */
	sim_init(&s, 301, true);
	sim_boot(&s, 4, 0);
	sim_boot(&s, 4, 1);
	sim_dimm(&s, 8, 1);
	is_str(sim_online(&s, 8), "MMMMMMMM", "1G on node 1: within node 1's 301%%");
	sim_dimm(&s, 8, 1);
	is_str(sim_online(&s, 16), "KKKKKKKK", "second 1G on node 1: over node 1's, whole");
	sim_dimm(&s, 4, 0);
	is_str(sim_online(&s, 24), "MMMM", "512M on node 0: node 0's budget");

	mo_policy_free(s.p);

	/* numa-aware off: the system's budget alone. */
	sim_init(&s, 301, false);
	sim_boot(&s, 4, 0);
	sim_boot(&s, 4, 1);
	sim_dimm(&s, 8, 1);
	sim_dimm(&s, 8, 1);
	is_str(sim_online(&s, 8), "MMMMMMMMMMMMMMMM",
	       "numa-aware off: node 1 holds 2G movable, over 301%% of its 512M");
	sim_dimm(&s, 8, 1);
	sim_dimm(&s, 4, 0);
	is_str(sim_online(&s, 24), "MMMMMMMMKKKK", "numa-aware off: 3G <= 301%% of 1G, then full");
	mo_policy_free(s.p);
}

static void test_virtio_mem(void)
{
	struct sim s;

	/* virtio-mem grown to 1G, 3G, 4G: its own kernel blocks buy it room. */
	sim_init(&s, 301, true);
	sim_boot(&s, 8, 0);
	sim_vmem(&s, 8, 0, 1);
	is_str(sim_online(&s, 8), "MMMMMMMM", "virtio-mem 1G");
	sim_vmem(&s, 16, 0, 1);
	is_str(sim_online(&s, 16), "MMMMMMMMMMMMMMMM", "virtio-mem 3G: 3G <= 301%% of 1G");
	sim_vmem(&s, 8, 0, 1);
	is_str(sim_online(&s, 32), "KMMMKMMM", "virtio-mem 4G: each kernel block, 3 movable");
	mo_policy_free(s.p);

	/* DIMMs 2G, 2G, then virtio-mem 2G (the third sequence). */
	sim_init(&s, 301, true);
	sim_boot(&s, 8, 0);
	sim_dimm(&s, 16, 0);
	sim_dimm(&s, 16, 0);
	is_str(sim_online(&s, 24), "KKKKKKKKKKKKKKKK", "second 2G DIMM: all Normal");
	sim_vmem(&s, 16, 0, 1);
	is_str(sim_online(&s, 40), "MMMMMMMMKMMMKMMM",
	       "virtio-mem after them: the DIMM's Normal memory is not early memory");
	mo_policy_free(s.p);

	/* Another device's kernel blocks count for it, not for this one. */
	sim_init(&s, 301, true);
	sim_boot(&s, 8, 0);
	sim_vmem(&s, 16, 0, 1);
	sim_vmem(&s, 1, 0, 1);
	s.p->zone = MO_CHOICE_MOVABLE;
	sim_online(&s, 8);
	s.blocks[24].zone = MO_ZONE_NORMAL; /* 2G movable and 128M kernel in device 1 */
	s.p->zone = MO_CHOICE_AUTO;
	sim_vmem(&s, 16, 0, 2);
	is_str(sim_online(&s, 25), "MMMMMMMMMMMKMMMK",
	       "device 2: room left by device 1's needs, in pages as the kernel rounds");
	mo_policy_free(s.p);

	/* Device 1 needs more early memory than there is: device 2 gets none. */
	sim_init(&s, 301, true);
	sim_boot(&s, 8, 0);
	sim_vmem(&s, 32, 0, 1);
	s.p->zone = MO_CHOICE_MOVABLE;
	sim_online(&s, 8);
	s.p->zone = MO_CHOICE_AUTO;
	sim_vmem(&s, 4, 0, 2);
	is_str(sim_online(&s, 40), "KKKK",
	       "device 2 starved: not even its own kernel blocks buy it room");
	mo_policy_free(s.p);
}

static void test_ratio_other(void)
{
	struct sim s;
	struct mo_usage u;
	struct mo_budget b;

	sim_init(&s, 150, true);
	sim_boot(&s, 8, 0);
	sim_dimm(&s, 8, 0);
	sim_dimm(&s, 4, 0);
	sim_dimm(&s, 4, 0);
	is_str(sim_online(&s, 8), "MMMMMMMMMMMMKKKK", "ratio 150: 1.5G of DIMMs movable");
	mo_usage_from_memory(&s.mem, &u);
	is_int(mo_policy_budget(s.p, &u, -1, &b), 0, "budget of the system");
	is_u64(b.limit, 1536 * MiB, "limit: 150%% of 1G");
	is_u64(b.movable, 1536 * MiB, "movable counted: 1.5G");
	is_int(mo_policy_budget(s.p, &u, 0, &b), 0, "budget of node 0");
	is_u64(b.limit, 1536 * MiB, "node 0: the same");
	is_u64(b.left, 0, "node 0: nothing left");
	memset(&u, 0, sizeof(u));
	add_boot(&u, 0, false, GiB);
	mo_policy_budget(s.p, &u, -1, &b);
	is_u64(b.left, 1536 * MiB, "1G of kernel memory alone: 1.5G left");
	add_boot(&u, 0, true, 2 * GiB);
	mo_policy_budget(s.p, &u, -1, &b);
	is_u64(b.left, 0, "2G movable, over the limit: none left, not a wrap-around");
	mo_policy_free(s.p);
}

static void test_early_from_zoneinfo(void)
{
	/* Holes: boot memory has a little less present than its blocks. */
	struct mo_usage u = usage(1 * GiB - 400 * 1024, 0);
	struct mo_block b = offline_block(MO_SOURCE_UNKNOWN, 0);
	struct mo_policy *p = policy();
	struct mo_decision d;

	p->ratio = 300;
	add_boot(&u, 0, true, 3 * GiB - BS);
	mo_policy_decide(p, &b, BS, &u, NONE, &d);
	is_int(d.type, MO_ONLINE_KERNEL, "present pages, not whole blocks: 3G > 300%% of 1G less holes");
	mo_policy_free(p);
}

/* offline --zone: which blocks are in the zones a choice names. */
static void test_in_choice(void)
{
	struct mo_block movable = { .state = MO_STATE_ONLINE, .have_zones = true,
				    .zone = MO_ZONE_MOVABLE };
	struct mo_block normal = movable, spans = movable, unknown = movable;

	normal.zone = MO_ZONE_NORMAL;
	spans.zone = -1;
	unknown.have_zones = false;
	ok(mo_block_movable(&movable) && !mo_block_movable(&normal), "Movable is movable");
	ok(!mo_block_movable(&unknown), "without valid_zones, never movable");
	ok(mo_block_in_choice(&movable, MO_CHOICE_MOVABLE), "Movable: in --zone movable");
	ok(!mo_block_in_choice(&movable, MO_CHOICE_KERNEL), "Movable: not in --zone kernel");
	ok(mo_block_in_choice(&normal, MO_CHOICE_KERNEL), "Normal: in --zone kernel");
	ok(!mo_block_in_choice(&normal, MO_CHOICE_MOVABLE), "Normal: not in --zone movable");
	ok(!mo_block_in_choice(&spans, MO_CHOICE_KERNEL) &&
	   !mo_block_in_choice(&spans, MO_CHOICE_MOVABLE), "spanning zones: in neither");
	ok(!mo_block_in_choice(&unknown, MO_CHOICE_KERNEL) &&
	   !mo_block_in_choice(&unknown, MO_CHOICE_MOVABLE), "unknown zone: in neither");
	ok(mo_block_in_choice(&spans, -1) && mo_block_in_choice(&unknown, -1),
	   "no --zone: every block");
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
	test_dimms_whole();
	test_dimm_partly_kernel();
	test_two_nodes();
	test_virtio_mem();
	test_ratio_other();
	test_early_from_zoneinfo();
	test_in_choice();
	return tap_done();
}
