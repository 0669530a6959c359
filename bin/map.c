// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memonline map: the machine's memory as a picture, one cell per block (or
 * per group of blocks on big machines), each row starting with its block
 * range.  A cell is a letter, colored on a terminal, so the picture reads
 * the same in color, without it (NO_COLOR, a pipe), and to the color-blind.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"

#define DEFAULT_WIDTH 80
#define MAX_ROWS 32 /* more, and cells take groups of blocks */
#define MIN_CELLS 8

enum cat {
	CAT_GAP,
	CAT_KERNEL,
	CAT_MOVABLE,
	CAT_OFFLINE,
	CAT_GOING,
	CAT_MIXED,
	CAT_BAD,
	CAT__MAX,
};

static const struct {
	char ch;
	const char *color; /* SGR: background, then foreground */
	const char *name;
} cats[CAT__MAX] = {
	[CAT_GAP] = { ' ', "", "no block" },
	[CAT_KERNEL] = { 'K', "44;97", "kernel (DMA, DMA32, Normal)" },
	[CAT_MOVABLE] = { 'M', "42;30", "movable" },
	[CAT_OFFLINE] = { '.', "100;97", "offline" },
	[CAT_GOING] = { 'G', "43;30", "going-offline" },
	[CAT_MIXED] = { '+', "45;97", "spans zones (none)" },
	[CAT_BAD] = { '?', "41;97", "unreadable" },
};

/* When a group's blocks tie, the rarer news wins. */
static const enum cat tie_order[] = {
	CAT_BAD, CAT_GOING, CAT_OFFLINE, CAT_MIXED, CAT_MOVABLE, CAT_KERNEL,
};

struct map {
	unsigned width;   /* terminal columns */
	uint64_t group;   /* blocks per cell */
	unsigned cells;   /* cells per row */
	bool color;
	enum cat row[1024]; /* the row being drawn */
};

static enum cat cat_of(const struct mo_block *b)
{
	switch (b->state) {
	case MO_STATE_OFFLINE:
		return CAT_OFFLINE;
	case MO_STATE_GOING_OFFLINE:
		return CAT_GOING;
	case MO_STATE_ONLINE:
		if (!b->have_zones)
			return CAT_KERNEL; /* no MEMORY_HOTREMOVE: no ZONE_MOVABLE */
		if (b->zone < 0)
			return CAT_MIXED;
		return b->zone == MO_ZONE_MOVABLE ? CAT_MOVABLE : CAT_KERNEL;
	default:
		return CAT_BAD;
	}
}

static enum cat majority(const unsigned count[CAT__MAX])
{
	enum cat best = CAT_GAP;
	unsigned most = 0;

	for (size_t i = 0; i < ARRAY_SIZE(tie_order); i++)
		if (count[tie_order[i]] > most) {
			most = count[tie_order[i]];
			best = tie_order[i];
		}
	return best;
}

/* One escape sequence per run of a color, not per cell: big maps stay small. */
static void put_cells(const struct map *m, const enum cat *row, unsigned n)
{
	enum cat shown = CAT_GAP;

	for (unsigned i = 0; i < n; i++) {
		if (m->color && row[i] != shown) {
			if (row[i] == CAT_GAP)
				fputs("\033[0m", stdout);
			else
				printf("\033[0;%sm", cats[row[i]].color);
			shown = row[i];
		}
		putchar(cats[row[i]].ch);
	}
	if (m->color && shown != CAT_GAP)
		fputs("\033[0m", stdout);
}

static unsigned digits(uint64_t v)
{
	unsigned n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

/* Rows that hold at least one block, for a given group size. */
static uint64_t rows_needed(const struct mo_memory *mem, uint64_t group, unsigned cells)
{
	uint64_t rows = 0, last = UINT64_MAX;

	for (size_t i = 0; i < mem->n_blocks; i++) {
		uint64_t row = mem->blocks[i].id / group / cells;

		if (row != last)
			rows++;
		last = row;
	}
	return rows;
}

static void layout(struct map *m, const struct mo_memory *mem, uint64_t forced_group)
{
	uint64_t max_id = mem->n_blocks ? mem->blocks[mem->n_blocks - 1].id : 0;

	m->group = forced_group ? forced_group : 1;
	for (;;) {
		/* "FIRST-LAST " in front of each row. */
		uint64_t span = m->group * MIN_CELLS;
		unsigned label = 2 * digits(max_id + span) + 2;
		unsigned avail = m->width > label + MIN_CELLS ? m->width - label
							 : MIN_CELLS;

		m->cells = MIN_CELLS;
		while (m->cells * 2 <= avail)
			m->cells *= 2; /* rows of a power of two: round addresses */
		if (forced_group || rows_needed(mem, m->group, m->cells) <= MAX_ROWS ||
		    m->group >= (UINT64_C(1) << 40))
			return;
		m->group *= 2;
	}
}

static void draw(struct map *m, const struct mo_memory *mem)
{
	uint64_t per_row = m->group * m->cells;
	uint64_t max_id = mem->blocks[mem->n_blocks - 1].id;
	unsigned w = digits(max_id / per_row * per_row + per_row - 1);
	uint64_t prev_row = UINT64_MAX;
	size_t i = 0;

	while (i < mem->n_blocks) {
		uint64_t row = mem->blocks[i].id / per_row, first = row * per_row;
		unsigned used = 0;

		if (prev_row != UINT64_MAX && row > prev_row + 1) {
			char gap[32];

			/* The hole between the blocks, not between the rows. */
			mo_size_human((mem->blocks[i].id - mem->blocks[i - 1].id - 1) *
				      mem->block_size, gap, sizeof(gap));
			printf("%*s  (%s without blocks)\n", 2 * w + 1, "...", gap);
		}
		printf("%*" PRIu64 "-%-*" PRIu64 " ", w, first, w, first + per_row - 1);
		for (unsigned c = 0; c < m->cells; c++) {
			uint64_t lo = first + c * m->group, hi = lo + m->group;
			unsigned count[CAT__MAX] = { 0 };

			while (i < mem->n_blocks && mem->blocks[i].id < hi) {
				if (mem->blocks[i].id >= lo)
					count[cat_of(&mem->blocks[i])]++;
				i++;
			}
			m->row[c] = majority(count);
			if (m->row[c] != CAT_GAP)
				used = c + 1;
		}
		put_cells(m, m->row, used); /* no trailing blanks */
		putchar('\n');
		prev_row = row;
	}
}

static void legend(struct map *m, const struct mo_memory *mem)
{
	bool used[CAT__MAX] = { false };
	char size[32];

	for (size_t i = 0; i < mem->n_blocks; i++)
		used[cat_of(&mem->blocks[i])] = true;
	putchar('\n');
	for (int c = CAT_KERNEL, first = 1; c < CAT__MAX; c++) {
		enum cat one = c;

		/* The four that always matter, and the rare ones only when present. */
		if (!used[c] && c != CAT_KERNEL && c != CAT_MOVABLE && c != CAT_OFFLINE &&
		    c != CAT_GOING)
			continue;
		printf("%s", first ? "" : "  ");
		put_cells(m, &one, 1);
		printf(" %s", cats[c].name);
		first = 0;
	}
	putchar('\n');
	mo_size_human(m->group * mem->block_size, size, sizeof(size));
	printf("one cell = %" PRIu64 " block%s (%s)%s; %zu blocks\n", m->group,
	       m->group == 1 ? "" : "s", size,
	       m->group > 1 ? ", showing what most of its blocks are" : "", mem->n_blocks);
}

static unsigned terminal_width(void)
{
	struct winsize ws;
	const char *cols = getenv("COLUMNS");
	uint64_t v;

	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
	    ws.ws_col)
		return ws.ws_col;
	if (cols && mo_parse_u64(cols, 10, &v) == 0 && v >= 20 && v <= 1000)
		return v;
	return DEFAULT_WIDTH;
}

static void __attribute__((noreturn)) usage(FILE *out)
{
	fputs("Usage:\n"
	      " memonline map [options]\n"
	      "\n"
	      "Draw the memory blocks as a map, colored by state and zone.\n"
	      "\n"
	      "Options:\n"
	      " -w, --width <cols>        width to fit (default: the terminal, else 80)\n"
	      " -g, --group <n>           blocks per cell (default: 1, or more to fit\n"
	      "                           the map in 32 rows)\n"
	      "     --color[=<when>]      auto (default), always or never; auto colors\n"
	      "                           only a terminal, and never when NO_COLOR is set\n",
	      out);
	exit(out == stderr ? EXIT_USAGE : EXIT_OK);
}

int cmd_map(struct control *ctl, int argc, char **argv)
{
	enum { OPT_COLOR = OPT_COMMON__END + 1 };
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "color", optional_argument, NULL, OPT_COLOR },
		{ "group", required_argument, NULL, 'g' },
		{ "width", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	const char *no_color = getenv("NO_COLOR");
	struct map m = { .width = terminal_width() };
	int color = -1; /* auto */
	uint64_t group = 0, v;
	struct mo_memory *mem;
	int c;

	while ((c = getopt_long(argc, argv, COMMON_SHORTOPTS "g:w:", longopts, NULL)) != -1) {
		if (common_option(ctl, c, optarg, usage))
			continue;
		switch (c) {
		case 'g':
			if (mo_parse_u64(optarg, 10, &group) < 0 || !group ||
			    group > (UINT64_C(1) << 40))
				usage_error(usage, "--group: '%s' is not a number of blocks", optarg);
			break;
		case 'w':
			if (mo_parse_u64(optarg, 10, &v) < 0 || v < 20 || v > 1000)
				usage_error(usage, "--width: '%s' is not a width from 20 to 1000",
					    optarg);
			m.width = v;
			break;
		case OPT_COLOR:
			if (!optarg || !strcmp(optarg, "always"))
				color = 1;
			else if (!strcmp(optarg, "never"))
				color = 0;
			else if (!strcmp(optarg, "auto"))
				color = -1;
			else
				usage_error(usage, "--color: '%s' is not auto, always or never",
					    optarg);
			break;
		default:
			usage(stderr);
		}
	}
	if (optind < argc)
		usage_error(usage, "map: unexpected argument '%s'", argv[optind]);
	/* no-color.org: present and not empty disables color; a flag overrides it. */
	m.color = color >= 0 ? color : isatty(STDOUT_FILENO) && !(no_color && *no_color);

	mem = scan_memory(ctl, 0);
	if (!mem->n_blocks) {
		printf("no memory blocks\n");
		mo_memory_free(mem);
		return EXIT_OK;
	}
	layout(&m, mem, group);
	draw(&m, mem);
	legend(&m, mem);
	mo_memory_free(mem);
	return EXIT_OK;
}
