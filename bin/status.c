// SPDX-License-Identifier: GPL-2.0-or-later
/* memonline status: the kernel's settings, the blocks, zones and ratio. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "scols.h"

/* The tally, and the usage the ratio and zone auto are counted on. */
struct summary {
	struct mo_tally t;
	struct mo_usage usage;
	struct mo_usage budget; /* what zone auto decides on (mo_usage_read) */
};

static void summarize(struct mo_ctx *ctx, const struct mo_memory *mem, struct summary *s)
{
	mo_memory_tally(mem, &s->t);
	mo_usage_from_memory(mem, &s->usage);
	mo_usage_read(ctx, mem, &s->budget);
}

/* Who onlines memory the kernel adds from now on, in words. */
static const char *new_memory_owner(const struct mo_owner_info *o)
{
	if (!mo_owner_kernel(o->owner))
		return o->auto_online == MO_AUTO_OFFLINE
			       ? "left offline by the kernel: a udev rule or memonline watch "
				 "must online it"
			       : "unknown (auto_online_blocks is missing or unreadable)";
	switch (o->auto_online) {
	case MO_AUTO_ONLINE_KERNEL:
		return "onlined by the kernel itself, into a kernel zone";
	case MO_AUTO_ONLINE_MOVABLE:
		return "onlined by the kernel itself, into ZONE_MOVABLE";
	default:
		return "onlined by the kernel itself, into its default zone";
	}
}

/*
 * zone auto is the kernel's auto-movable policy, computed by memonline: the
 * budget of memory outside any group, for the system (node -1) and each node.
 */
#define SEMANTICS "kernel-auto-movable"

static bool budget_of(const struct summary *s, const struct mo_policy *p, int node,
		      struct mo_budget *b)
{
	if (node >= 0 && (node >= MO_MAX_NODES || (!s->t.node[node].kernel.n &&
						  !s->t.node[node].movable.n)))
		return false;
	return mo_policy_budget(p, &s->budget, node, b) == 0;
}

static void budget_json(struct json *j, const struct summary *s, const struct mo_policy *p)
{
	json_array(j, "budget");
	for (int n = -1; n < MO_MAX_NODES; n++) {
		struct mo_budget b;

		if (!budget_of(s, p, n, &b))
			continue;
		json_object(j, NULL);
		if (n >= 0)
			json_int(j, "node", n);
		else
			json_null(j, "node");
		json_u64(j, "movable", b.movable);
		json_u64(j, "limit", b.limit);
		json_u64(j, "left", b.left);
		json_close(j, '}');
	}
	json_close(j, ']');
}

static void budget_text(const struct summary *s, const struct mo_policy *p)
{
	printf("Zone auto:           the kernel's auto-movable policy, computed by memonline\n");
	for (int n = -1; n < MO_MAX_NODES; n++) {
		char m[32], l[32], f[32], who[32] = "Movable budget:";
		struct mo_budget b;

		if (!budget_of(s, p, n, &b) || (n >= 0 && !mo_policy_numa_aware(p)))
			continue;
		if (n >= 0)
			snprintf(who, sizeof(who), "  node %d:", n);
		mo_size_human(b.movable, m, sizeof(m));
		mo_size_human(b.limit, l, sizeof(l));
		mo_size_human(b.left, f, sizeof(f));
		printf("%-21s%s left (movable %s of %s, %u%% of early kernel memory)\n", who,
		       f, m, l, mo_policy_ratio(p));
	}
}

/* What status shows beyond the blocks: the hypervisor, its balloon, the drivers. */
struct extras {
	struct mo_virt virt;
	struct mo_xen_view balloon;
	struct mo_driver_info drivers[MO_DRIVER__MAX];
	struct mo_owner_info owner;
};

static void drivers_json(struct json *j, const struct mo_driver_info *drv)
{
	json_array(j, "hotadd_drivers");
	for (int d = 0; d < MO_DRIVER__MAX; d++) {
		const char *param = mo_driver_param_name(d);

		json_object(j, NULL);
		json_str(j, "driver", mo_driver_name(d));
		json_str(j, "state", mo_driver_state_name(drv[d].state));
		if (param && drv[d].param >= 0)
			json_bool(j, param, drv[d].param);
		else if (param)
			json_null(j, param);
		json_close(j, '}');
	}
	json_close(j, ']');
}

static void drivers_text(const struct mo_driver_info *drv)
{
	printf("Hot-add drivers:     ");
	for (int d = 0; d < MO_DRIVER__MAX; d++) {
		const char *param = mo_driver_param_name(d);

		printf("%s%s %s", d ? ", " : "", mo_driver_name(d),
		       mo_driver_state_name(drv[d].state));
		if (param && drv[d].param >= 0)
			printf(" (%s %s)", param, drv[d].param ? "Y" : "N");
	}
	printf("\n");
}

static void balloon_text(const struct mo_virt *virt, const struct mo_xen_view *v)
{
	char t[32], c[32], l[32], h[32];

	printf("Hypervisor:          %s", virt->vendor[0] ? virt->vendor : "none detected");
	if (v->hv.guest_type[0])
		printf(" %s guest", v->hv.guest_type);
	if (virt->source)
		printf(" (from %s)", virt->source);
	printf("\n");
	if (v->err)
		return;
	mo_size_human(v->b.target_kb * 1024, t, sizeof(t));
	mo_size_human(v->b.current_kb * 1024, c, sizeof(c));
	mo_size_human(v->b.low_kb * 1024, l, sizeof(l));
	mo_size_human(v->b.high_kb * 1024, h, sizeof(h));
	printf("Xen balloon:         target %s, current %s, low %s, high %s, hotplug %s\n", t, c,
	       l, h, v->b.hotplug_unpopulated >= 0 ? "yes" : "no");
	printf("Xen verdict:         %s\n", balloon_verdict_text(v->d.verdict));
}

/* A rule as memonline.conf spells it: source=S node=N zone=Z. */
static void rule_words(const struct mo_rule *r, char *buf, size_t size)
{
	int n = 0;

	if (r->source >= 0)
		n += snprintf(buf + n, size - n, "source=%s ", mo_source_name(r->source));
	if (r->node >= 0 && (size_t)n < size)
		n += snprintf(buf + n, size - n, "node=%d ", r->node);
	if ((size_t)n < size)
		snprintf(buf + n, size - n, "zone=%s", mo_choice_name(r->choice));
}

/* Which files made the policy, and its rules in the order they are tried. */
static void config_json(struct json *j, const struct mo_policy *p)
{
	char buf[96];

	json_array(j, "config_files");
	for (size_t i = 0; i < mo_policy_n_files(p); i++)
		json_str(j, NULL, mo_policy_file(p, i));
	json_close(j, ']');
	json_array(j, "rules");
	for (size_t i = mo_policy_n_rules(p); i-- > 0;) {
		const struct mo_rule *r = mo_policy_rule(p, i);

		rule_words(r, buf, sizeof(buf));
		json_object(j, NULL);
		json_str(j, "rule", buf);
		if (r->file)
			json_str(j, "file", r->file);
		else
			json_null(j, "file");
		if (r->file)
			json_u64(j, "line", r->line);
		else
			json_null(j, "line");
		json_close(j, '}');
	}
	json_close(j, ']');
}

static void config_text(const struct mo_policy *p)
{
	char buf[96];

	printf("Config files:        ");
	for (size_t i = 0; i < mo_policy_n_files(p); i++)
		printf("%s%s", i ? ", " : "", mo_policy_file(p, i));
	printf("%s\n", mo_policy_n_files(p) ? "" : "none read: the built-in policy");
	/* The last matching rule wins: list them in the order they are tried. */
	for (size_t i = mo_policy_n_rules(p); i-- > 0;) {
		const struct mo_rule *r = mo_policy_rule(p, i);

		rule_words(r, buf, sizeof(buf));
		printf("%s%s", i + 1 == mo_policy_n_rules(p) ? "Rules (first wins):  " :
							   "                     ", buf);
		if (r->file)
			printf(" (%s:%u)\n", r->file, r->line);
		else
			printf(" (built-in)\n");
	}
}

static void print_json(const struct mo_memory *mem, const struct summary *s,
		       const struct mo_policy *p, const struct extras *x)
{
	const struct mo_hotplug_params *hp = &mem->params;
	long long ratio = mo_ratio_percent(s->usage.movable, s->usage.kernel);
	struct json j;

	json_begin(&j, stdout);
	json_u64(&j, "block_size", mem->block_size);
	json_str(&j, "auto_online_blocks", mo_auto_online_name(x->owner.auto_online));
	json_bool(&j, "kernel_onlines_new_memory", mo_owner_kernel(x->owner.owner));

	json_object(&j, "kernel_policy");
	if (hp->online_policy[0])
		json_str(&j, "online_policy", hp->online_policy);
	else
		json_null(&j, "online_policy");
	if (hp->auto_movable_ratio >= 0)
		json_int(&j, "auto_movable_ratio", hp->auto_movable_ratio);
	else
		json_null(&j, "auto_movable_ratio");
	if (hp->auto_movable_numa_aware >= 0)
		json_bool(&j, "auto_movable_numa_aware", hp->auto_movable_numa_aware);
	else
		json_null(&j, "auto_movable_numa_aware");
	if (hp->memmap_on_memory[0])
		json_str(&j, "memmap_on_memory", hp->memmap_on_memory);
	else
		json_null(&j, "memmap_on_memory");
	json_close(&j, '}');

	json_object(&j, "policy");
	json_str(&j, "zone", mo_choice_name(mo_policy_zone(p)));
	json_u64(&j, "ratio", mo_policy_ratio(p));
	json_bool(&j, "numa_aware", mo_policy_numa_aware(p));
	json_str(&j, "auto_online", mo_policy_auto_online(p) == MO_AUTO_CORRECT ?
					    "correct" : "step-aside");
	config_json(&j, p);
	json_str(&j, "semantics", SEMANTICS);
	json_close(&j, '}');
	budget_json(&j, s, p);

	json_object(&j, "blocks");
	json_u64(&j, "total", mem->n_blocks);
	json_u64(&j, "online", s->t.online.n);
	json_u64(&j, "offline", s->t.offline.n);
	json_u64(&j, "going_offline", s->t.going_offline.n);
	json_u64(&j, "unreadable", s->t.unreadable.n);
	json_close(&j, '}');
	json_object(&j, "bytes");
	json_u64(&j, "online", s->t.online.bytes);
	json_u64(&j, "offline", s->t.offline.bytes);
	json_u64(&j, "going_offline", s->t.going_offline.bytes);
	json_u64(&j, "kernel", s->usage.kernel);
	json_u64(&j, "movable", s->usage.movable);
	json_close(&j, '}');
	if (ratio >= 0)
		json_int(&j, "movable_ratio_percent", ratio);
	else
		json_null(&j, "movable_ratio_percent");

	json_array(&j, "zones");
	for (int z = 0; z < MO_ZONE_ROWS; z++) {
		if (!s->t.zone[z].n)
			continue;
		json_object(&j, NULL);
		json_str(&j, "zone", mo_zone_row_name(z));
		json_u64(&j, "blocks", s->t.zone[z].n);
		json_u64(&j, "bytes", s->t.zone[z].bytes);
		json_close(&j, '}');
	}
	json_close(&j, ']');

	json_array(&j, "nodes");
	for (int n = 0; n <= MO_MAX_NODES; n++) {
		const struct mo_node_count *nt = &s->t.node[n];

		if (!nt->kernel.n && !nt->movable.n && !nt->offline.n)
			continue;
		json_object(&j, NULL);
		if (n < MO_MAX_NODES)
			json_int(&j, "node", n);
		else
			json_null(&j, "node");
		json_u64(&j, "kernel", nt->kernel.bytes);
		json_u64(&j, "movable", nt->movable.bytes);
		json_u64(&j, "offline", nt->offline.bytes);
		ratio = mo_ratio_percent(nt->movable.bytes, nt->kernel.bytes);
		if (ratio >= 0)
			json_int(&j, "movable_ratio_percent", ratio);
		else
			json_null(&j, "movable_ratio_percent");
		json_close(&j, '}');
	}
	json_close(&j, ']');
	json_object(&j, "virtualization");
	if (x->virt.source) {
		json_str(&j, "vendor", x->virt.vendor);
		json_str(&j, "detected_by", x->virt.source);
	} else {
		json_null(&j, "vendor");
		json_null(&j, "detected_by");
	}
	json_close(&j, '}');
	balloon_print_json(&j, &x->balloon);
	drivers_json(&j, x->drivers);
	json_end(&j);
}

static void cell(struct libscols_line *ln, size_t col, const char *s)
{
	if (scols_line_set_data(ln, col, s) != 0)
		errx(EXIT_FAIL, "out of memory");
}

static void cell_size(struct libscols_line *ln, size_t col, uint64_t bytes)
{
	char buf[32];

	mo_size_human(bytes, buf, sizeof(buf));
	cell(ln, col, buf);
}

static struct libscols_table *new_table(const char *const *cols, size_t n)
{
	struct libscols_table *tb = scols_new_table();

	if (!tb)
		errx(EXIT_FAIL, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (!scols_table_new_column(tb, cols[i], 0, i ? SCOLS_FL_RIGHT : 0))
			errx(EXIT_FAIL, "out of memory");
	return tb;
}

static void print_zone_table(const struct summary *s)
{
	static const char *const cols[] = { "ZONE", "BLOCKS", "SIZE" };
	struct libscols_table *tb = new_table(cols, ARRAY_SIZE(cols));
	char buf[32];

	for (int z = 0; z < MO_ZONE_ROWS; z++) {
		struct libscols_line *ln;

		if (!s->t.zone[z].n)
			continue;
		ln = scols_table_new_line(tb, NULL);
		if (!ln)
			errx(EXIT_FAIL, "out of memory");
		cell(ln, 0, mo_zone_row_name(z));
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)s->t.zone[z].n);
		cell(ln, 1, buf);
		cell_size(ln, 2, s->t.zone[z].bytes);
	}
	scols_print_table(tb);
	scols_unref_table(tb);
}

static void print_node_table(const struct summary *s)
{
	static const char *const cols[] = { "NODE", "KERNEL", "MOVABLE", "OFFLINE", "RATIO" };
	struct libscols_table *tb = new_table(cols, ARRAY_SIZE(cols));
	char buf[32];

	for (int n = 0; n <= MO_MAX_NODES; n++) {
		const struct mo_node_count *nt = &s->t.node[n];
		struct libscols_line *ln;
		long long ratio;

		if (!nt->kernel.n && !nt->movable.n && !nt->offline.n)
			continue;
		ln = scols_table_new_line(tb, NULL);
		if (!ln)
			errx(EXIT_FAIL, "out of memory");
		snprintf(buf, sizeof(buf), "%d", n);
		cell(ln, 0, n < MO_MAX_NODES ? buf : "-");
		cell_size(ln, 1, nt->kernel.bytes);
		cell_size(ln, 2, nt->movable.bytes);
		cell_size(ln, 3, nt->offline.bytes);
		ratio = mo_ratio_percent(nt->movable.bytes, nt->kernel.bytes);
		snprintf(buf, sizeof(buf), "%lld%%", ratio);
		cell(ln, 4, ratio >= 0 ? buf : "-");
	}
	scols_print_table(tb);
	scols_unref_table(tb);
}

static void print_text(const struct mo_memory *mem, const struct summary *s,
		       const struct mo_policy *p, const struct extras *x)
{
	const struct mo_hotplug_params *hp = &mem->params;
	long long ratio = mo_ratio_percent(s->usage.movable, s->usage.kernel);
	char a[32], b[32], c[32];

	libscols(); /* the tables end the text: fail, if it must, before its first line */
	mo_size_human(mem->block_size, a, sizeof(a));
	printf("Block size:          %s\n", a);
	printf("Blocks:              %zu (%llu online, %llu offline", mem->n_blocks,
	       (unsigned long long)s->t.online.n, (unsigned long long)s->t.offline.n);
	if (s->t.going_offline.n)
		printf(", %llu going offline", (unsigned long long)s->t.going_offline.n);
	if (s->t.unreadable.n)
		printf(", %llu unreadable", (unsigned long long)s->t.unreadable.n);
	printf(")\n");
	/* Going-offline memory is in its zone until it is gone: kernel + movable. */
	mo_size_human(s->t.online.bytes + s->t.going_offline.bytes, a, sizeof(a));
	mo_size_human(s->usage.kernel, b, sizeof(b));
	mo_size_human(s->usage.movable, c, sizeof(c));
	printf("Online memory:       %s (kernel %s, movable %s", a, b, c);
	if (s->t.going_offline.n) {
		mo_size_human(s->t.going_offline.bytes, a, sizeof(a));
		printf("; %s of it going offline", a);
	}
	printf(")\n");
	mo_size_human(s->t.offline.bytes, a, sizeof(a));
	printf("Offline memory:      %s\n", a);
	if (ratio >= 0)
		printf("Movable:kernel:      %lld%% (memonline's budget %u%%)\n", ratio,
		       mo_policy_ratio(p));
	else
		printf("Movable:kernel:      - (no kernel memory online)\n");
	printf("auto_online_blocks:  %s\n", mo_auto_online_name(x->owner.auto_online));
	printf("New memory:          %s\n", new_memory_owner(&x->owner));
	if (hp->online_policy[0]) {
		printf("Kernel policy:       %s", hp->online_policy);
		if (hp->auto_movable_ratio >= 0)
			printf(", auto_movable_ratio %d%%", hp->auto_movable_ratio);
		if (hp->auto_movable_numa_aware >= 0)
			printf(", numa-aware %s", hp->auto_movable_numa_aware ? "yes" : "no");
		if (hp->memmap_on_memory[0])
			printf(", memmap_on_memory %s", hp->memmap_on_memory);
		printf("\n");
	}
	printf("memonline policy:    zone %s, ratio %u%%, numa-aware %s, auto-online %s\n",
	       mo_choice_name(mo_policy_zone(p)), mo_policy_ratio(p),
	       mo_policy_numa_aware(p) ? "yes" : "no",
	       mo_policy_auto_online(p) == MO_AUTO_CORRECT ? "correct" : "step-aside");
	config_text(p);
	budget_text(s, p);
	balloon_text(&x->virt, &x->balloon);
	drivers_text(x->drivers);
	printf("\n");
	print_zone_table(s);
	if (s->t.have_nodes) {
		printf("\n");
		print_node_table(s);
	}
}

static void __attribute__((noreturn)) usage(FILE *out)
{
	fputs("Usage:\n"
	      " memonline status [--json]\n"
	      "\n"
	      "Show the kernel's hotplug settings, the blocks by zone and node,\n"
	      "and the movable:kernel ratio.\n"
	      "\n"
	      "Options:\n"
	      " -J, --json            JSON output (--format json)\n"
	      "     --format <fmt>    text, json, or prometheus: node_exporter's\n"
	      "                       textfile format, with doctor's verdicts\n",
	      out);
	exit(out == stderr ? EXIT_USAGE : EXIT_OK);
}

/* Metrics carry doctor's verdicts: gather what doctor gathers, then both. */
static int status_prometheus(struct control *ctl, struct mo_policy *p)
{
	struct doctor *d = malloc(sizeof(*d));
	struct mo_doctor_facts *f;

	if (!d)
		errx(EXIT_FAIL, "out of memory");
	f = gather_facts(ctl, p);
	doctor_run(f, d);
	print_prometheus(f, d);
	free(d);
	mo_doctor_facts_free(f);
	mo_policy_free(p);
	return EXIT_OK;
}

int cmd_status(struct control *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "format", required_argument, NULL, 'F' },
		{ "json", no_argument, NULL, 'J' },
		{ NULL, 0, NULL, 0 },
	};
	bool prometheus = false;
	struct mo_policy *p;
	struct mo_memory *mem;
	struct summary *s;
	struct extras x;
	int c;

	while ((c = getopt_long(argc, argv, COMMON_SHORTOPTS "J", longopts, NULL)) != -1) {
		if (common_option(ctl, c, optarg, usage))
			continue;
		if (c == 'J') {
			ctl->json = true;
		} else if (c == 'F') {
			ctl->json = !strcmp(optarg, "json");
			prometheus = !strcmp(optarg, "prometheus");
			if (!ctl->json && !prometheus && strcmp(optarg, "text"))
				usage_error(usage, "--format: '%s' is not text, json or prometheus",
					    optarg);
		} else {
			usage(stderr);
		}
	}
	if (optind < argc)
		usage_error(usage, "status: unexpected argument '%s'", argv[optind]);

	p = load_policy(ctl);
	if (prometheus)
		return status_prometheus(ctl, p);
	/* A report: offline blocks count by state and group alone. */
	mem = scan_memory(ctl, MO_SCAN_SOURCE | MO_SCAN_ONLINE_ZONES |
				       MO_SCAN_ONLINE_SOURCE);
	s = malloc(sizeof(*s));
	if (!s)
		errx(EXIT_FAIL, "out of memory");
	summarize(ctl->ctx, mem, s);
	mo_xen_observe(ctl->ctx, &mo_clock_monotonic, mem, true, &x.balloon);
	if (x.balloon.err && x.balloon.err != -ENODEV)
		warnx("%s/%s: %s, ignoring the balloon", mo_sys_dir(ctl->ctx),
		      x.balloon.bad_attr ? x.balloon.bad_attr : mo_xen_balloon_dir(),
		      x.balloon.err == -EINVAL ? "unexpected value" : strerror(-x.balloon.err));
	mo_drivers_read(ctl->ctx, x.drivers);
	mo_virt_detect(ctl->ctx, &x.virt);
	mo_owner_read(ctl->ctx, p, 0, &x.owner);
	if (ctl->json)
		print_json(mem, s, p, &x);
	else
		print_text(mem, s, p, &x);
	free(s);
	mo_memory_free(mem);
	mo_policy_free(p);
	return EXIT_OK;
}
