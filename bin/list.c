// SPDX-License-Identifier: GPL-2.0-or-later
/* memonline list: memory blocks merged into ranges, as lsmem merges them. */
#include <errno.h>
#include <inttypes.h>
#include <libsmartcols.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

enum { COL_RANGE, COL_SIZE, COL_STATE, COL_BLOCK, COL_NODE, COL_ZONES, COL_SOURCE };

static const struct column {
	const char *name;
	int flags;
	const char *help;
} columns[] = {
	[COL_RANGE] = { "RANGE", 0, "address range" },
	[COL_SIZE] = { "SIZE", SCOLS_FL_RIGHT, "size of the range" },
	[COL_STATE] = { "STATE", 0, "online, offline or going-offline" },
	[COL_BLOCK] = { "BLOCK", SCOLS_FL_RIGHT, "memory block numbers" },
	[COL_NODE] = { "NODE", SCOLS_FL_RIGHT, "NUMA node" },
	[COL_ZONES] = { "ZONES", 0, "zone of online memory, valid zones of offline" },
	[COL_SOURCE] = { "SOURCE", 0, "where the memory came from" },
};

struct list {
	int cols[ARRAY_SIZE(columns) * 2];
	size_t ncols;
	bool want[ARRAY_SIZE(columns)];
	bool blocks; /* one row per block */
	bool bytes;
	bool raw, noheadings;
};

static int column_id(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(columns); i++)
		if (strlen(columns[i].name) == len && strncasecmp(name, columns[i].name, len) == 0)
			return i;
	return -1;
}

static void parse_columns(struct list *l, const char *arg, void (*usage)(FILE *))
{
	l->ncols = 0;
	while (*arg) {
		size_t len = strcspn(arg, ",");
		int id = column_id(arg, len);

		if (id < 0)
			usage_error(usage, "list: unknown column '%.*s'", (int)len, arg);
		if (l->ncols == ARRAY_SIZE(l->cols))
			usage_error(usage, "list: too many columns");
		l->cols[l->ncols++] = id;
		arg += len;
		if (*arg == ',')
			arg++;
	}
	if (!l->ncols)
		usage_error(usage, "list: no columns given");
}

static const char *state_word(enum mo_state s)
{
	return s == MO_STATE_UNKNOWN ? "?" : mo_state_name(s);
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
	len = snprintf(buf, size, "%s", mo_zone_name(b->zone));
	for (int z = 0; z < MO_ZONE__MAX && len < size; z++)
		if (z != b->zone && (b->zones & MO_ZONE_BIT(z)))
			len += snprintf(buf + len, size - len, "/%s", mo_zone_name(z));
}

static bool mergeable(const struct list *l, const struct mo_block *a, const struct mo_block *b)
{
	if (l->blocks || a->id + 1 != b->id)
		return false;
	if (l->want[COL_STATE] && a->state != b->state)
		return false;
	if (l->want[COL_NODE] && a->node != b->node)
		return false;
	if (l->want[COL_ZONES] && (a->have_zones != b->have_zones || a->zones != b->zones ||
				   a->zone != b->zone))
		return false;
	if (l->want[COL_SOURCE] && a->source != b->source)
		return false;
	return true;
}

static void add_row(const struct list *l, struct libscols_table *tb, uint64_t bs,
		    const struct mo_block *first, const struct mo_block *last)
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
		case COL_BLOCK:
			if (first == last)
				snprintf(buf, sizeof(buf), "%lu", first->id);
			else
				snprintf(buf, sizeof(buf), "%lu-%lu", first->id, last->id);
			break;
		case COL_NODE:
			if (first->node >= 0)
				snprintf(buf, sizeof(buf), "%d", first->node);
			break;
		case COL_ZONES:
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
	      " -a, --blocks         one row per block\n"
	      " -b, --bytes          sizes in bytes\n"
	      " -J, --json           JSON output\n"
	      " -n, --noheadings     no header line\n"
	      " -o, --output <list>  columns to show\n"
	      " -r, --raw            raw output\n"
	      "\n"
	      "Columns:\n",
	      out);
	for (size_t i = 0; i < ARRAY_SIZE(columns); i++)
		fprintf(out, " %7s  %s\n", columns[i].name, columns[i].help);
	exit(out == stderr ? EXIT_USAGE : EXIT_OK);
}

int cmd_list(struct control *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "blocks", no_argument, NULL, 'a' },
		{ "bytes", no_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'J' },
		{ "noheadings", no_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "raw", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct list l = {
		.cols = { COL_RANGE, COL_SIZE, COL_STATE, COL_BLOCK, COL_NODE, COL_ZONES,
			  COL_SOURCE },
		.ncols = 7,
	};
	struct libscols_table *tb;
	struct mo_memory *mem;
	size_t first = 0;
	int c;

	while ((c = getopt_long(argc, argv, COMMON_SHORTOPTS "abJno:r", longopts, NULL)) !=
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
			parse_columns(&l, optarg, usage);
			break;
		case 'r':
			l.raw = true;
			break;
		default:
			usage(stderr);
		}
	}
	if (optind < argc)
		usage_error(usage, "list: unexpected argument '%s'", argv[optind]);
	for (size_t i = 0; i < l.ncols; i++)
		l.want[l.cols[i]] = true;

	mem = scan_memory(ctl, l.want[COL_SOURCE] ? MO_SCAN_SOURCE : 0);
	tb = scols_new_table();
	if (!tb)
		errx(EXIT_FAIL, "out of memory");
	scols_table_enable_json(tb, ctl->json);
	scols_table_enable_raw(tb, l.raw);
	scols_table_enable_noheadings(tb, l.noheadings);
	scols_table_set_name(tb, "memory");
	for (size_t i = 0; i < l.ncols; i++) {
		const struct column *col = &columns[l.cols[i]];
		struct libscols_column *cl = scols_table_new_column(tb, col->name, 0, col->flags);

		if (!cl)
			errx(EXIT_FAIL, "out of memory");
		if (l.cols[i] == COL_NODE || (l.cols[i] == COL_SIZE && l.bytes))
			scols_column_set_json_type(cl, SCOLS_JSON_NUMBER);
	}
	for (size_t i = 1; i <= mem->n_blocks; i++) {
		if (i < mem->n_blocks && mergeable(&l, &mem->blocks[i - 1], &mem->blocks[i]))
			continue;
		add_row(&l, tb, mem->block_size, &mem->blocks[first], &mem->blocks[i - 1]);
		first = i;
	}
	scols_print_table(tb);
	scols_unref_table(tb);
	mo_memory_free(mem);
	return EXIT_OK;
}
