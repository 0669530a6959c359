// SPDX-License-Identifier: LGPL-2.1-or-later
/* The zone policy: which zone an offline block goes to, and why. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "policy.h"

static const char *const choice_names[] = {
	[MO_CHOICE_AUTO] = "auto",
	[MO_CHOICE_MOVABLE] = "movable",
	[MO_CHOICE_KERNEL] = "kernel",
	[MO_CHOICE_DEFAULT] = "default",
	[MO_CHOICE_SKIP] = "skip",
};

#define KERNEL_ZONES (MO_ZONE_BIT(MO_ZONE_DMA) | MO_ZONE_BIT(MO_ZONE_DMA32) | \
		      MO_ZONE_BIT(MO_ZONE_NORMAL) | MO_ZONE_BIT(MO_ZONE_HIGHMEM))

const char *mo_choice_name(enum mo_choice c)
{
	return c < ARRAY_SIZE(choice_names) ? choice_names[c] : "?";
}

int mo_choice_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(choice_names); i++)
		if (strcmp(choice_names[i], name) == 0)
			return i;
	return -EINVAL;
}

/*
 * Hot-added memory that can never be unplugged gains nothing from
 * ZONE_MOVABLE and only narrows what the kernel can allocate:
 * - Hyper-V blocks have holes and cannot be offlined (hv_balloon.c);
 * - the Xen balloon gives memory back by ballooning pages, never by
 *   offlining blocks.
 * dax kmem memory is onlined by daxctl, which owns it.  s390 standby
 * memory is the LPAR's or z/VM's reserve, configured on purpose with
 * chmem -e (RHEL's and SUSE's memory rules skip s390 for that reason).
 */
static const struct mo_rule builtin_rules[] = {
	{ .source = MO_SOURCE_KMEM, .node = -1, .choice = MO_CHOICE_SKIP },
	{ .source = MO_SOURCE_STANDBY, .node = -1, .choice = MO_CHOICE_SKIP },
	{ .source = MO_SOURCE_HYPERV, .node = -1, .choice = MO_CHOICE_KERNEL },
	{ .source = MO_SOURCE_XEN, .node = -1, .choice = MO_CHOICE_KERNEL },
};

int mo_policy_new_default(struct mo_policy **ret)
{
	struct mo_policy *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->zone = MO_CHOICE_AUTO;
	p->ratio = MO_DEFAULT_RATIO;
	p->numa_aware = true;
	p->auto_online = MO_AUTO_STEP_ASIDE;
	for (size_t i = 0; i < ARRAY_SIZE(builtin_rules); i++) {
		int r = mo_policy_add_rule(p, &builtin_rules[i]);

		if (r < 0) {
			mo_policy_free(p);
			return r;
		}
	}
	*ret = p;
	return 0;
}

int mo_policy_add_rule(struct mo_policy *p, const struct mo_rule *rule)
{
	if (p->n_rules == p->cap_rules) {
		size_t cap = p->cap_rules ? p->cap_rules * 2 : 8;
		struct mo_rule *n = realloc(p->rules, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		p->rules = n;
		p->cap_rules = cap;
	}
	p->rules[p->n_rules++] = *rule;
	return 0;
}

void mo_policy_free(struct mo_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_files; i++)
		free(p->files[i]);
	free(p->files);
	free(p->rules);
	free(p);
}

enum mo_choice mo_policy_zone(const struct mo_policy *p)
{
	return p->zone;
}

unsigned mo_policy_ratio(const struct mo_policy *p)
{
	return p->ratio;
}

bool mo_policy_numa_aware(const struct mo_policy *p)
{
	return p->numa_aware;
}

enum mo_auto_online_mode mo_policy_auto_online(const struct mo_policy *p)
{
	return p->auto_online;
}

size_t mo_policy_n_rules(const struct mo_policy *p)
{
	return p->n_rules;
}

const struct mo_rule *mo_policy_rule(const struct mo_policy *p, size_t i)
{
	return i < p->n_rules ? &p->rules[i] : NULL;
}

/* ---- Usage: the facts the ratio is counted on ---- */

bool mo_block_movable(const struct mo_block *b)
{
	return b->have_zones && b->zone == MO_ZONE_MOVABLE;
}

bool mo_block_in_choice(const struct mo_block *b, int choice)
{
	if (choice < 0)
		return true;
	if (!b->have_zones || b->zone < 0)
		return false;
	return choice == MO_CHOICE_MOVABLE ? mo_block_movable(b) : !mo_block_movable(b);
}

void mo_usage_add(struct mo_usage *u, int node, bool movable, uint64_t size)
{
	uint64_t *total = movable ? &u->movable : &u->kernel;

	*total += size;
	if (node >= 0 && node < MO_MAX_NODES)
		(movable ? u->node_movable : u->node_kernel)[node] += size;
}

static struct mo_group_usage *find_group(const struct mo_usage *u, const struct mo_block *b)
{
	if (b->group == MO_GROUP_NONE)
		return NULL;
	for (size_t i = 0; i < u->n_groups; i++)
		if (u->groups[i].kind == b->group && u->groups[i].id == b->group_id)
			return (struct mo_group_usage *)&u->groups[i];
	return NULL;
}

void mo_usage_add_member(struct mo_usage *u, const struct mo_block *b, uint64_t size)
{
	struct mo_group_usage *g = find_group(u, b);

	if (b->group == MO_GROUP_NONE)
		return;
	if (!g) {
		if (u->n_groups == MO_MAX_GROUPS)
			return;
		g = &u->groups[u->n_groups++];
		*g = (struct mo_group_usage){ .kind = b->group, .id = b->group_id, .node = -1,
					      .offline_zones = ~0u };
	}
	g->size += size;
	if (g->node < 0)
		g->node = b->node;
	/* Without valid_zones (no MEMORY_HOTREMOVE) nothing is known: no limit. */
	if (b->state == MO_STATE_OFFLINE && b->have_zones)
		g->offline_zones &= b->zones;
}

void mo_usage_add_block(struct mo_usage *u, const struct mo_block *b, bool movable,
			uint64_t size)
{
	struct mo_group_usage *g = find_group(u, b);

	mo_usage_add(u, b->node, movable, size);
	if (g)
		*(movable ? &g->movable : &g->kernel) += size;
	/* Boot memory: a block online with no mark of a hot-add (source.c). */
	if (!movable && b->source == MO_SOURCE_BOOT) {
		u->early_kernel += size;
		if (b->node >= 0 && b->node < MO_MAX_NODES)
			u->node_early_kernel[b->node] += size;
	}
}

void mo_usage_from_memory(const struct mo_memory *mem, struct mo_usage *u)
{
	memset(u, 0, sizeof(*u));
	for (size_t i = 0; i < mem->n_blocks; i++) {
		const struct mo_block *b = &mem->blocks[i];

		u->numa |= b->node >= 0;
		mo_usage_add_member(u, b, mem->block_size);
		/* going-offline memory is still in its zone until it is gone. */
		if (b->state == MO_STATE_ONLINE || b->state == MO_STATE_GOING_OFFLINE)
			mo_usage_add_block(u, b, mo_block_movable(b), mem->block_size);
	}
}

/* ---- The decision ---- */

/*
 * auto_movable_can_online_movable() of mm/memory_hotplug.c, on node (-1:
 * every node), in pages as the kernel rounds: may nr more bytes of group
 * g (NULL: none) go movable?  Movable memory of other dynamic groups leaves
 * the count, and with it the early kernel memory it needs; kernel memory
 * inside g's own dynamic group buys movable memory for g.
 */
static bool can_online_movable(const struct mo_usage *u, unsigned ratio, int node,
			       const struct mo_group_usage *g, uint64_t nr,
			       struct mo_budget *budget)
{
	uint64_t ps = u->page_size ? u->page_size : 4096;
	uint64_t movable, early, cma, req = 0, other = 0;
	bool starved;

	if (node < 0) {
		movable = u->movable;
		early = u->early_kernel;
		cma = u->cma;
	} else {
		movable = u->node_movable[node];
		early = u->node_early_kernel[node];
		cma = u->node_cma[node];
	}
	movable = (movable + cma) / ps;
	early = (early > cma ? early - cma : 0) / ps;
	for (size_t i = 0; i < u->n_groups; i++) {
		const struct mo_group_usage *h = &u->groups[i];
		uint64_t need;

		if (h->kind != MO_GROUP_DYNAMIC || h == g || (node >= 0 && h->node != node))
			continue;
		need = ratio ? h->movable / ps * 100 / ratio : 0;
		if (need > h->kernel / ps)
			req += need - h->kernel / ps;
		other += h->movable / ps;
	}
	/* Other groups need all early memory: not even g's own kernel blocks help. */
	starved = early <= req;

	early = starved ? 0 : early - req;
	movable = movable > other ? movable - other : 0;
	if (g && g->kind == MO_GROUP_DYNAMIC && !starved)
		early += g->kernel / ps;
	budget->movable = movable * ps;
	budget->limit = (uint64_t)((unsigned __int128)ratio * early / 100) * ps;
	budget->left = budget->limit > budget->movable ? budget->limit - budget->movable : 0;
	if (starved || !ratio)
		return false;
	return (unsigned __int128)(movable + nr / ps) * 100 <= (unsigned __int128)ratio * early;
}

int mo_policy_budget(const struct mo_policy *p, const struct mo_usage *u, int node,
		     struct mo_budget *ret)
{
	struct mo_budget b;

	if (node >= MO_MAX_NODES)
		return -ENOENT;
	can_online_movable(u, p->ratio, node, NULL, 0, &b);
	*ret = b;
	return 0;
}

static const char *group_word(const struct mo_block *b)
{
	if (b->group == MO_GROUP_STATIC)
		return b->source == MO_SOURCE_KMEM ? "its dax device" : "its DIMM";
	return b->group == MO_GROUP_DYNAMIC ? "its virtio-mem device" : "the block";
}

/*
 * The kernel's auto-movable policy (auto_movable_zone_for_pfn): movable if
 * all that is left of the block's unit fits the budget of the whole system
 * and, when NUMA-aware, of its node.  The unit is a static group (what is
 * not movable yet of the DIMM; anything of it in a kernel zone keeps the
 * rest there), else the block.  Dynamic groups are taken to have units of
 * one block (virtio-mem's device blocks up to the memory block size).
 */
static void decide_auto(const struct mo_policy *p, const struct mo_block *b,
			uint64_t size, const struct mo_usage *u, const char *why,
			struct mo_decision *d)
{
	const struct mo_group_usage *g = find_group(u, b);
	uint64_t nr = size;
	struct mo_budget bud;
	char m[24], n[24], l[24], where[24] = "";
	bool fits;

	if (g && g->kind == MO_GROUP_STATIC) {
		if (g->kernel) {
			d->type = MO_ONLINE_KERNEL;
			snprintf(d->reason, sizeof(d->reason),
				 "%s: %s is partly in a kernel zone already", why, group_word(b));
			return;
		}
		nr = g->size > g->movable ? g->size - g->movable : size;
	}
	fits = can_online_movable(u, p->ratio, -1, g, nr, &bud);
	if (fits && p->numa_aware && b->node >= 0 && b->node < MO_MAX_NODES) {
		fits = can_online_movable(u, p->ratio, b->node, g, nr, &bud);
		snprintf(where, sizeof(where), "node %d ", b->node);
	}
	mo_size_human(bud.movable, m, sizeof(m));
	mo_size_human(nr, n, sizeof(n));
	mo_size_human(bud.limit, l, sizeof(l));
	d->type = fits ? MO_ONLINE_MOVABLE : MO_ONLINE_KERNEL;
	snprintf(d->reason, sizeof(d->reason),
		 "%s: %smovable %s + %s %s %s %s (%u%% of early kernel)", why, where, m,
		 b->group == MO_GROUP_STATIC ? "DIMM" : "block", n, fits ? "<=" : ">", l,
		 p->ratio);
}

static const struct mo_rule *match_rule(const struct mo_policy *p, const struct mo_block *b)
{
	/* The last matching rule wins, so drop-ins override what came before. */
	for (size_t i = p->n_rules; i-- > 0;) {
		const struct mo_rule *r = &p->rules[i];

		if ((r->source < 0 || r->source == (int)b->source) &&
		    (r->node < 0 || r->node == b->node))
			return r;
	}
	return NULL;
}

static int describe_rule(const struct mo_rule *r, char *buf, size_t size)
{
	if (r->file)
		return snprintf(buf, size, "rule %s:%u", r->file, r->line);
	return snprintf(buf, size, "built-in rule source=%s", mo_source_name(r->source));
}

static enum mo_choice choose(const struct mo_policy *p, const struct mo_block *b,
			     enum mo_choice forced, char *why, size_t size)
{
	const struct mo_rule *rule;

	if (forced < MO_CHOICE__MAX) {
		snprintf(why, size, "--zone %s", mo_choice_name(forced));
		return forced;
	}
	rule = match_rule(p, b);
	if (rule) {
		describe_rule(rule, why, size);
		return rule->choice;
	}
	snprintf(why, size, "zone %s", mo_choice_name(p->zone));
	return p->zone;
}

bool mo_policy_needs_budget(const struct mo_policy *p, const struct mo_block *b,
			    enum mo_choice forced)
{
	char why[96];

	return choose(p, b, forced, why, sizeof(why)) == MO_CHOICE_AUTO;
}

void mo_policy_decide(const struct mo_policy *p, const struct mo_block *b,
		      uint64_t block_size, const struct mo_usage *u, enum mo_choice forced,
		      struct mo_decision *d)
{
	const struct mo_group_usage *g = find_group(u, b);
	bool whole = g && g->kind == MO_GROUP_STATIC;
	unsigned zones = whole ? g->offline_zones & b->zones : b->zones;
	enum mo_choice choice;
	unsigned want = 0;
	char why[96];

	memset(d, 0, sizeof(*d));
	choice = choose(p, b, forced, why, sizeof(why));
	if (choice == MO_CHOICE_SKIP) {
		d->skip = true;
		snprintf(d->reason, sizeof(d->reason), "%s: skip", why);
		return;
	}
	if (choice == MO_CHOICE_MOVABLE)
		want = MO_ZONE_BIT(MO_ZONE_MOVABLE);
	else if (choice == MO_CHOICE_KERNEL)
		want = KERNEL_ZONES;
	else if (choice == MO_CHOICE_AUTO && b->have_zones &&
		 !(zones & MO_ZONE_BIT(MO_ZONE_MOVABLE)))
		choice = MO_CHOICE_KERNEL; /* the budget has nothing to decide */

	/*
	 * A DIMM in two zones can never be unplugged: what is online of it
	 * already says where the rest goes.
	 */
	if (whole && ((want & KERNEL_ZONES && g->movable) ||
		      (want & MO_ZONE_BIT(MO_ZONE_MOVABLE) && g->kernel))) {
		d->skip = true;
		d->impossible = true;
		snprintf(d->reason, sizeof(d->reason),
			 "%s: %s is partly in %s already, and a DIMM is never split", why,
			 group_word(b), g->movable ? "Movable" : "a kernel zone");
		return;
	}
	/* The kernel says which zones this block may join (valid_zones). */
	if (want && b->have_zones && !(zones & want)) {
		if (forced < MO_CHOICE__MAX || whole) {
			d->skip = true;
			d->impossible = true;
			snprintf(d->reason, sizeof(d->reason), "%s: not a valid zone for %s", why,
				 whole ? "every block of its DIMM" : "this block");
			return;
		}
		d->type = MO_ONLINE_DEFAULT;
		snprintf(d->reason, sizeof(d->reason),
			 "%s: %s not valid for this block, kernel's choice", why,
			 mo_choice_name(choice));
		return;
	}

	switch (choice) {
	case MO_CHOICE_MOVABLE:
		d->type = MO_ONLINE_MOVABLE;
		break;
	case MO_CHOICE_KERNEL:
		d->type = MO_ONLINE_KERNEL;
		break;
	case MO_CHOICE_DEFAULT:
		d->type = MO_ONLINE_DEFAULT;
		break;
	default:
		/* Never judged without its node's budget: it is linked moments later. */
		if (p->numa_aware && u->numa && b->node < 0) {
			d->skip = true;
			d->unsettled = true;
			snprintf(d->reason, sizeof(d->reason),
				 "%s: not linked to its node yet", why);
			return;
		}
		decide_auto(p, b, block_size, u, why, d);
		return;
	}
	snprintf(d->reason, sizeof(d->reason), "%s", why);
}
