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

static bool counts_as_movable(const struct mo_block *b)
{
	return b->have_zones && b->zone == MO_ZONE_MOVABLE;
}

void mo_usage_add(struct mo_usage *u, int node, bool movable, uint64_t size)
{
	uint64_t *total = movable ? &u->movable : &u->kernel;

	*total += size;
	if (node >= 0 && node < MO_MAX_NODES)
		(movable ? u->node_movable : u->node_kernel)[node] += size;
}

void mo_usage_from_memory(const struct mo_memory *mem, struct mo_usage *u)
{
	memset(u, 0, sizeof(*u));
	for (size_t i = 0; i < mem->n_blocks; i++) {
		const struct mo_block *b = &mem->blocks[i];

		/* going-offline memory is still in its zone until it is gone. */
		if (b->state == MO_STATE_ONLINE || b->state == MO_STATE_GOING_OFFLINE)
			mo_usage_add(u, b->node, counts_as_movable(b), mem->block_size);
	}
}

/* ---- The decision ---- */

/* movable + size <= ratio% of kernel, without overflow. */
static bool within_ratio(uint64_t movable, uint64_t kernel, uint64_t size, unsigned ratio)
{
	unsigned __int128 lhs = ((unsigned __int128)movable + size) * 100;

	return lhs <= (unsigned __int128)kernel * ratio;
}

/*
 * Like the kernel's auto-movable policy (mm/memory_hotplug.c): movable while
 * movable memory stays within ratio% of kernel memory, in the whole system
 * and, when NUMA-aware, on the block's node too.
 */
static void decide_auto(const struct mo_policy *p, const struct mo_block *b,
			uint64_t size, const struct mo_usage *u, const char *why,
			struct mo_decision *d)
{
	bool by_node = p->numa_aware && b->node >= 0 && b->node < MO_MAX_NODES;
	uint64_t movable = u->movable, kernel = u->kernel;
	bool fits = within_ratio(movable, kernel, size, p->ratio);
	char m[24], k[24], where[24] = "";

	if (fits && by_node) {
		movable = u->node_movable[b->node];
		kernel = u->node_kernel[b->node];
		fits = within_ratio(movable, kernel, size, p->ratio);
		snprintf(where, sizeof(where), "node %d ", b->node);
	}
	mo_size_human(movable, m, sizeof(m));
	mo_size_human(kernel, k, sizeof(k));
	d->type = fits ? MO_ONLINE_MOVABLE : MO_ONLINE_KERNEL;
	snprintf(d->reason, sizeof(d->reason), "%s: %smovable %s + block %s %u%% of kernel %s",
		 why, where, m, fits ? "<=" : ">", p->ratio, k);
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

void mo_policy_decide(const struct mo_policy *p, const struct mo_block *b,
		      uint64_t block_size, const struct mo_usage *u, enum mo_choice forced,
		      struct mo_decision *d)
{
	const struct mo_rule *rule = NULL;
	enum mo_choice choice;
	unsigned want = 0;
	char why[96];

	memset(d, 0, sizeof(*d));
	if (forced < MO_CHOICE__MAX) {
		choice = forced;
		snprintf(why, sizeof(why), "--zone %s", mo_choice_name(forced));
	} else {
		rule = match_rule(p, b);
		choice = rule ? rule->choice : p->zone;
		if (rule)
			describe_rule(rule, why, sizeof(why));
		else
			snprintf(why, sizeof(why), "zone %s", mo_choice_name(choice));
	}

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
		 !(b->zones & MO_ZONE_BIT(MO_ZONE_MOVABLE)))
		choice = MO_CHOICE_KERNEL; /* the budget has nothing to decide */

	/* The kernel says which zones this block may join (valid_zones). */
	if (want && b->have_zones && !(b->zones & want)) {
		if (forced < MO_CHOICE__MAX) {
			d->skip = true;
			d->impossible = true;
			snprintf(d->reason, sizeof(d->reason), "%s: not a valid zone for this block",
				 why);
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
		decide_auto(p, b, block_size, u, why, d);
		return;
	}
	snprintf(d->reason, sizeof(d->reason), "%s", why);
}
