// SPDX-License-Identifier: GPL-2.0-or-later
/* memonline list: memory blocks merged into ranges, as lsmem merges them. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "scols.h"

/* lsmem's columns, in its order and with its flags, then memonline's own. */
enum {
	COL_RANGE, COL_SIZE, COL_STATE, COL_REMOVABLE, COL_BLOCK, COL_NODE, COL_ZONES,
	COL_SOURCE,
};

static const struct column {
	const char *name;
	double whint;
	int flags;
	const char *help;
} columns[] = {
	[COL_RANGE] = { "RANGE", 0, 0, "address range" },
	[COL_SIZE] = { "SIZE", 5, SCOLS_FL_RIGHT, "size of the range" },
	[COL_STATE] = { "STATE", 0, SCOLS_FL_RIGHT, "online, offline or on->off" },
	[COL_REMOVABLE] = { "REMOVABLE", 0, SCOLS_FL_RIGHT,
			    "the kernel's removable file (always yes since 5.10)" },
	[COL_BLOCK] = { "BLOCK", 0, SCOLS_FL_RIGHT, "memory block numbers" },
	[COL_NODE] = { "NODE", 0, SCOLS_FL_RIGHT, "NUMA node" },
	[COL_ZONES] = { "ZONES", 0, SCOLS_FL_RIGHT,
			"zone of online memory, valid zones of offline" },
	[COL_SOURCE] = { "SOURCE", 0, 0, "where the memory came from" },
};

/* memonline's default columns: lsmem's, with NODE, ZONES and SOURCE for REMOVABLE. */
static const int default_cols[] = {
	COL_RANGE, COL_SIZE, COL_STATE, COL_BLOCK, COL_NODE, COL_ZONES, COL_SOURCE,
};

enum summary { SUMMARY_DEFAULT, SUMMARY_NEVER, SUMMARY_ALWAYS, SUMMARY_ONLY };

struct list {
	int cols[ARRAY_SIZE(columns) * 2];
	size_t ncols;
	bool want[ARRAY_SIZE(columns)];
	bool split[ARRAY_SIZE(columns)]; /* STATE, REMOVABLE, NODE, ZONES */
	bool blocks; /* one row per block */
	bool bytes;
	bool raw, noheadings, pairs;
	bool have_nodes, have_zones;
	signed char *removable; /* per block, when REMOVABLE is shown or split on */
	enum summary summary;
};

static int column_id(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(columns); i++)
		if (strlen(columns[i].name) == len && strncasecmp(name, columns[i].name, len) == 0)
			return i;
	return -1;
}

/* -o LIST, or -o +LIST to add to the columns so far (util-linux's form). */
static void parse_columns(struct list *l, int *cols, size_t *ncols, const char *arg,
			  void (*usage)(FILE *))
{
	if (*arg == '+')
		arg++;
	else
		*ncols = 0;
	while (*arg) {
		size_t len = strcspn(arg, ",");
		int id = column_id(arg, len);

		if (id < 0)
			usage_error(usage, "list: unknown column '%.*s'", (int)len, arg);
		if (*ncols == ARRAY_SIZE(l->cols))
			usage_error(usage, "list: too many columns");
		cols[(*ncols)++] = id;
		arg += len;
		if (*arg == ',')
			arg++;
	}
	if (!*ncols)
		usage_error(usage, "list: no columns given");
}

/* As lsmem words it: going-offline is "on->off". */
static const char *state_word(enum mo_state s)
{
	if (s == MO_STATE_GOING_OFFLINE)
		return "on->off";
	return s == MO_STATE_UNKNOWN ? "?" : mo_state_name(s);
}

/* lsmem's zone names: the kernel's, but "Highmem" (lsmem's zone_names[]). */
static const char *zone_word(int z)
{
	return z == MO_ZONE_HIGHMEM ? "Highmem" : mo_zone_name(z);
}

/* valid_zones as lsmem shows it: the default (or current) zone first. */
static void zones_string(const struct mo_block *b, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	if (!b->have_zones)
		return;
	if (b->zones == MO_ZONES_NONE) {
		snprintf(buf, size, "None");
		return;
	}
	len = snprintf(buf, size, "%s", zone_word(b->zone));
	for (int z = 0; z < MO_ZONE__MAX && len < size; z++)
		if (z != b->zone && (b->zones & MO_ZONE_BIT(z)))
			len += snprintf(buf + len, size - len, "/%s", zone_word(z));
}

/* As lsmem's is_mergeable(): split on the --split columns (default: those shown). */
static bool mergeable(const struct list *l, const struct mo_memory *mem, size_t i)
{
	const struct mo_block *a = &mem->blocks[i - 1], *b = &mem->blocks[i];

	if (l->blocks || a->id + 1 != b->id)
		return false;
	if (l->split[COL_STATE] && a->state != b->state)
		return false;
	if (l->split[COL_REMOVABLE] && l->removable[i - 1] != l->removable[i])
		return false;
	if (l->split[COL_NODE] && l->have_nodes && a->node != b->node)
		return false;
	if (l->split[COL_ZONES] && l->have_zones &&
	    (a->have_zones != b->have_zones || a->zones != b->zones || a->zone != b->zone))
		return false;
	if (l->want[COL_SOURCE] && a->source != b->source)
		return false;
	return true;
}

static void add_row(const struct list *l, struct libscols_table *tb, uint64_t bs,
		    const struct mo_block *first, const struct mo_block *last, size_t first_i)
{
	struct libscols_line *ln = scols_table_new_line(tb, NULL);
	uint64_t start = (uint64_t)first->id * bs, size = (last->id - first->id + 1) * bs;
	char buf[96];

	if (!ln)
		errx(EXIT_FAIL, "out of memory");
	for (size_t i = 0; i < l->ncols; i++) {
		buf[0] = '\0';
		switch (l->cols[i]) {
		case COL_RANGE:
			snprintf(buf, sizeof(buf), "0x%016" PRIx64 "-0x%016" PRIx64, start,
				 start + size - 1);
			break;
		case COL_SIZE:
			if (l->bytes)
				snprintf(buf, sizeof(buf), "%" PRIu64, size);
			else
				mo_size_human(size, buf, sizeof(buf));
			break;
		case COL_STATE:
			snprintf(buf, sizeof(buf), "%s", state_word(first->state));
			break;
		case COL_REMOVABLE:
			if (first->state == MO_STATE_ONLINE)
				snprintf(buf, sizeof(buf), "%s",
					 l->removable[first_i] > 0 ? "yes" : "no");
			break;
		case COL_BLOCK:
			if (first == last)
				snprintf(buf, sizeof(buf), "%lu", first->id);
			else
				snprintf(buf, sizeof(buf), "%lu-%lu", first->id, last->id);
			break;
		case COL_NODE:
			if (l->have_nodes)
				snprintf(buf, sizeof(buf), "%d", first->node);
			break;
		case COL_ZONES:
			if (l->have_zones)
				zones_string(first, buf, sizeof(buf));
			break;
		case COL_SOURCE:
			snprintf(buf, sizeof(buf), "%s", mo_source_name(first->source));
			break;
		}
		if (buf[0] && scols_line_set_data(ln, i, buf) != 0)
			errx(EXIT_FAIL, "out of memory");
	}
}

static void __attribute__((noreturn)) usage(FILE *out)
{
	fputs("Usage:\n"
	      " memonline list [options]\n"
	      "\n"
	      "List memory blocks, merged into ranges as lsmem merges them.\n"
	      "\n"
	      "Options:\n"
	      " -a, --all, --blocks  one row per block\n"
	      " -b, --bytes          sizes in bytes\n"
	      " -J, --json           JSON output\n"
	      " -n, --noheadings     no header line\n"
	      " -o, --output <list>  columns to show; +<list> adds to the default\n"
	      "     --output-all     every column\n"
	      " -P, --pairs          KEY=\"value\" output\n"
	      " -r, --raw            raw output\n"
	      " -S, --split <list>   split ranges on these of STATE, REMOVABLE, NODE,\n"
	      "                      ZONES, or none (default: the columns shown)\n"
	      "     --summary[=when] block size and totals: never, always or only\n"
	      "                      (default: after a table, as lsmem)\n"
	      "\n"
	      "Columns:\n",
	      out);
	for (size_t i = 0; i < ARRAY_SIZE(columns); i++)
		fprintf(out, " %9s  %s\n", columns[i].name, columns[i].help);
	exit(out == stderr ? EXIT_USAGE : EXIT_OK);
}

/* lsmem's summary: block size, then online and the rest (its "offline"). */
static void print_summary(const struct list *l, const struct mo_memory *mem)
{
	uint64_t online = 0, offline = 0;
	char a[32];

	for (size_t i = 0; i < mem->n_blocks; i++) {
		if (mem->blocks[i].state == MO_STATE_ONLINE)
			online += mem->block_size;
		else
			offline += mem->block_size;
	}
	if (l->bytes) {
		printf("%-23s %15" PRIu64 "\n", "Memory block size:", mem->block_size);
		printf("%-23s %15" PRIu64 "\n", "Total online memory:", online);
		printf("%-23s %15" PRIu64 "\n", "Total offline memory:", offline);
		return;
	}
	mo_size_human(mem->block_size, a, sizeof(a));
	printf("%-23s %5s\n", "Memory block size:", a);
	mo_size_human(online, a, sizeof(a));
	printf("%-23s %5s\n", "Total online memory:", a);
	mo_size_human(offline, a, sizeof(a));
	printf("%-23s %5s\n", "Total offline memory:", a);
}

/*
 * What lsmem reads beyond the scan: a node from each block's own nodeN link
 * when the tree has no node directory (lsmem's have_nodes: the first block
 * has one), and the removable files.
 */
static void read_lsmem_facts(struct control *ctl, struct list *l, struct mo_memory *mem)
{
	if (l->want[COL_NODE] || l->split[COL_NODE])
		mo_memory_read_nodes(ctl->ctx, mem);
	l->have_nodes = mem->n_blocks && mem->blocks[0].node >= 0;
	for (size_t i = 0; i < mem->n_blocks; i++)
		l->have_zones |= mem->blocks[i].have_zones;
	if (!l->want[COL_REMOVABLE] && !l->split[COL_REMOVABLE])
		return;
	l->removable = calloc(mem->n_blocks + 1, 1);
	if (!l->removable)
		errx(EXIT_FAIL, "out of memory");
	for (size_t i = 0; i < mem->n_blocks; i++)
		l->removable[i] = mo_block_read_removable(ctl->ctx, mem->blocks[i].id) > 0;
}

enum { OPT_OUTPUT_ALL = OPT_COMMON__END + 1, OPT_SUMMARY };

int cmd_list(struct control *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "all", no_argument, NULL, 'a' },
		{ "blocks", no_argument, NULL, 'a' },
		{ "bytes", no_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'J' },
		{ "noheadings", no_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "output-all", no_argument, NULL, OPT_OUTPUT_ALL },
		{ "pairs", no_argument, NULL, 'P' },
		{ "raw", no_argument, NULL, 'r' },
		{ "split", required_argument, NULL, 'S' },
		{ "summary", optional_argument, NULL, OPT_SUMMARY },
		{ NULL, 0, NULL, 0 },
	};
	struct list l = { .ncols = ARRAY_SIZE(default_cols) };
	int split[ARRAY_SIZE(l.cols)];
	size_t nsplit = 0;
	const char *split_arg = NULL;
	bool table;
	struct libscols_table *tb;
	struct mo_memory *mem;
	size_t first = 0;
	int c;

	memcpy(l.cols, default_cols, sizeof(default_cols));
	while ((c = getopt_long(argc, argv, COMMON_SHORTOPTS "abJno:PrS:", longopts, NULL)) !=
	       -1) {
		if (common_option(ctl, c, optarg, usage))
			continue;
		switch (c) {
		case 'a':
			l.blocks = true;
			break;
		case 'b':
			l.bytes = true;
			break;
		case 'J':
			ctl->json = true;
			break;
		case 'n':
			l.noheadings = true;
			break;
		case 'o':
			parse_columns(&l, l.cols, &l.ncols, optarg, usage);
			break;
		case OPT_OUTPUT_ALL:
			for (l.ncols = 0; l.ncols < ARRAY_SIZE(columns); l.ncols++)
				l.cols[l.ncols] = l.ncols;
			break;
		case 'P':
			l.pairs = true;
			break;
		case 'r':
			l.raw = true;
			break;
		case 'S':
			split_arg = optarg;
			break;
		case OPT_SUMMARY:
			if (!optarg || !strcmp(optarg, "only"))
				l.summary = SUMMARY_ONLY;
			else if (!strcmp(optarg, "never"))
				l.summary = SUMMARY_NEVER;
			else if (!strcmp(optarg, "always"))
				l.summary = SUMMARY_ALWAYS;
			else
				usage_error(usage, "--summary: '%s' is not never, always or only",
					    optarg);
			break;
		default:
			usage(stderr);
		}
	}
	if (optind < argc)
		usage_error(usage, "list: unexpected argument '%s'", argv[optind]);
	/* As lsmem: one output format; --split and --all exclude each other. */
	if (ctl->json + l.pairs + l.raw > 1)
		usage_error(usage, "list: --json, --pairs and --raw exclude each other");
	if (split_arg && l.blocks)
		usage_error(usage, "list: --split and --all exclude each other");
	table = l.summary != SUMMARY_ONLY;
	if (!table && (ctl->json || l.pairs || l.raw))
		usage_error(usage, "list: --json, --pairs or --raw and --summary=only "
			    "exclude each other");
	/* lsmem prints the summary after a plain table unless told otherwise. */
	if (l.summary == SUMMARY_DEFAULT)
		l.summary = ctl->json || l.pairs || l.raw ? SUMMARY_NEVER : SUMMARY_ALWAYS;
	for (size_t i = 0; i < l.ncols; i++)
		l.want[l.cols[i]] = true;
	if (split_arg && strcasecmp(split_arg, "none") != 0)
		parse_columns(&l, split, &nsplit, split_arg, usage);
	for (size_t i = 0; i < (split_arg ? nsplit : l.ncols); i++)
		l.split[split_arg ? split[i] : l.cols[i]] = true;

	mem = scan_memory(ctl, l.want[COL_SOURCE] ? MO_SCAN_SOURCE : 0);
	read_lsmem_facts(ctl, &l, mem);
	if (!table) {
		print_summary(&l, mem);
		goto out;
	}
	tb = scols_new_table();
	if (!tb)
		errx(EXIT_FAIL, "out of memory");
	scols_table_enable_json(tb, ctl->json);
	scols_table_enable_raw(tb, l.raw);
	scols_table_enable_export(tb, l.pairs);
	scols_table_enable_noheadings(tb, l.noheadings);
	scols_table_set_name(tb, "memory");
	for (size_t i = 0; i < l.ncols; i++) {
		const struct column *col = &columns[l.cols[i]];
		struct libscols_column *cl =
			scols_table_new_column(tb, col->name, col->whint, col->flags);

		if (!cl)
			errx(EXIT_FAIL, "out of memory");
		if (l.cols[i] == COL_NODE || (l.cols[i] == COL_SIZE && l.bytes))
			scols_column_set_json_type(cl, SCOLS_JSON_NUMBER);
		if (l.cols[i] == COL_REMOVABLE)
			scols_column_set_json_type(cl, SCOLS_JSON_BOOLEAN);
	}
	for (size_t i = 1; i <= mem->n_blocks; i++) {
		if (i < mem->n_blocks && mergeable(&l, mem, i))
			continue;
		add_row(&l, tb, mem->block_size, &mem->blocks[first], &mem->blocks[i - 1],
			first);
		first = i;
	}
	scols_print_table(tb);
	scols_unref_table(tb);
	if (l.summary == SUMMARY_ALWAYS) {
		putchar('\n');
		print_summary(&l, mem);
	}
out:
	free(l.removable);
	mo_memory_free(mem);
	return EXIT_OK;
}
