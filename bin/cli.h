/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MEMONLINE_CLI_H
#define MEMONLINE_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "memonline.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Exit codes, documented in memonline(8). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,    /* nothing done, or the system could not be read */
	EXIT_USAGE = 2,   /* bad arguments or a bad configuration */
	EXIT_PARTIAL = 64, /* some blocks done, some failed (as chmem) */
	EXIT_WARNINGS = 65,    /* doctor: warnings, no problems */
	EXIT_PROBLEMS = 66,    /* doctor: at least one problem */
	EXIT_TIMEOUT = 67,     /* target --wait: the timeout came first */
	EXIT_REFUSED = 68,     /* target --wait: the hypervisor refuses */
	EXIT_UNSUPPORTED = 69, /* target: the kernel cannot hot-add for the balloon */
};

/* What every subcommand shares: the global options and the context. */
struct control {
	const char *sysroot;
	const char *config;
	unsigned config_flags; /* MO_CONFIG_REQUIRED when named by -c or the environment */
	int verbose;
	bool json;
	struct mo_ctx *ctx;
	const char *prog;
};

/* Options every subcommand accepts, before or after its name. */
enum {
	OPT_SYSROOT = 0x100,
	OPT_CONFIG_LONG,
	OPT_COMMON__END = 0x1ff,
};
#define COMMON_SHORTOPTS "c:hv"
#define COMMON_LONGOPTS                                               \
	{ "config", required_argument, NULL, 'c' },                   \
	{ "help", no_argument, NULL, 'h' },                           \
	{ "sysroot", required_argument, NULL, OPT_SYSROOT },          \
	{ "verbose", no_argument, NULL, 'v' }

/*
 * Handle an option every subcommand shares.  Returns true when it was one;
 * help prints the subcommand's usage and exits.
 */
bool common_option(struct control *ctl, int c, const char *arg, void (*usage)(FILE *));
/* Open the context (after options are parsed); exits with a message on failure. */
void open_context(struct control *ctl);
/* Load the policy; a bad line is FILE:LINE: message and EXIT_USAGE. */
struct mo_policy *load_policy(const struct control *ctl);
/* Scan the memory blocks; exits with a message naming what is missing. */
struct mo_memory *scan_memory(struct control *ctl, unsigned flags);
/* Tell the user about blocks the scan could not read. */
void report_bad_blocks(const struct control *ctl, const struct mo_memory *mem);
/*
 * What doctor judges (and status --format prometheus), gathered, with a
 * warning for what could not be read; exits when out of memory.
 */
struct mo_doctor_facts *gather_facts(struct control *ctl, const struct mo_policy *p);

__attribute__((format(printf, 1, 2))) void warnx(const char *fmt, ...);
__attribute__((format(printf, 2, 3), noreturn)) void errx(int code, const char *fmt, ...);
__attribute__((noreturn)) void usage_error(void (*usage)(FILE *), const char *fmt, ...);

/* A tiny JSON writer for documents that are not one table. */
struct json {
	FILE *f;
	int depth;
	bool need_comma;
};
void json_begin(struct json *j, FILE *f);
void json_end(struct json *j);
void json_object(struct json *j, const char *key);
void json_array(struct json *j, const char *key);
void json_close(struct json *j, char bracket);
void json_str(struct json *j, const char *key, const char *val);
void json_u64(struct json *j, const char *key, uint64_t val);
void json_int(struct json *j, const char *key, long long val);
void json_bool(struct json *j, const char *key, bool val);
void json_null(struct json *j, const char *key);

/* The Xen balloon in words (bin/balloon.c); lib/xen.c observes it. */
const char *balloon_verdict_text(enum mo_xen_verdict v);
const char *balloon_fix(const struct mo_xen_diagnosis *d);
void balloon_size(bool bytes_only, uint64_t bytes, char *buf, size_t size);
void balloon_print_text(const struct mo_xen_view *v, bool bytes);
void balloon_print_json(struct json *j, const struct mo_xen_view *v);

/* online and offline (bin/blockreport.c): the blocks named, a report per block. */
/* REFUSED: a block of a SIZE that failed, and that another block may stand in for. */
enum outcome { DONE, ALREADY, SKIPPED, REFUSED, FAILED, OUTCOME__MAX };

/* A SIZE on the command line: filled after the blocks named one by one. */
struct size_target {
	const char *arg;
	uint64_t blocks;
};

struct run {
	struct control *ctl;
	struct mo_memory *mem;
	bool *selected;       /* named, or already taken for a SIZE */
	struct size_target *sizes;
	size_t n_sizes;
	bool dry_run;
	bool offline;
	bool force;           /* online: --zone overrides a skip rule */
	int zone;             /* offline --zone: MO_CHOICE_MOVABLE or _KERNEL; else -1 */
	bool in_size;         /* filling a SIZE: a failure is REFUSED */
	struct mo_engine *engine; /* online: what onlines the blocks */
	enum outcome last;    /* of the block the engine handled last */
	unsigned short_sizes; /* SIZEs that could not be met */
	unsigned counts[OUTCOME__MAX];
	struct json json;
};

/* Select the blocks named on the command line; SIZEs are kept for later. */
void run_select(struct run *r, int argc, char **argv, void (*usage)(FILE *));
/* One line (or JSON object) per block: what was done and why. */
void run_report(struct run *r, const struct mo_block *b, enum outcome o, const char *action,
		int err, const char *detail);
/* A SIZE met by got blocks: say so when it fell short. */
void run_size_done(struct run *r, const struct size_target *st, uint64_t got);
unsigned run_reported(const struct run *r);
int run_exit_code(const struct run *r);
void run_refuse_read_only(const struct run *r);
void run_begin(struct run *r);
void run_end(struct run *r);
/* --zone: movable, kernel, default, or a zone name as chmem spells it; -EINVAL. */
int parse_zone(const char *arg);

/* memonline watch's log (bin/watchlog.c): levels as <N> prefixes in the journal. */
struct watch_log {
	const char *prog;
	int verbose;
	bool journal;         /* stderr goes to the journal */
	const char *sys_dir;  /* for messages naming a block's files */
	unsigned long onlined, moved;
};
void watch_log_init(struct watch_log *l, const struct control *ctl);
__attribute__((format(printf, 3, 4)))
void watch_say(const struct watch_log *l, int level, const char *fmt, ...);
/* The engine's outcome function: data is the struct watch_log. */
void watch_outcome(void *data, const struct mo_outcome *o);

/* memonline doctor's checks (bin/doctor.c), also exported as metrics. */
enum check_id {
	CHECK_HOTPLUG,
	CHECK_SYSFS,
	CHECK_ONLINERS,
	CHECK_RULES,
	CHECK_OFFLINE,
	CHECK_RATIO,
	CHECK_REMOVABLE,
	CHECK_XEN,
	CHECK_VIRTIO_MEM,
	CHECK__MAX,
};
enum check_level { CHECK_OK, CHECK_SKIPPED, CHECK_WARNING, CHECK_PROBLEM };
struct check {
	const char *id; /* "onliners": stable, used in JSON and metrics */
	enum check_level level;
	char summary[512];
	char fix[640]; /* a PVH guest's refused balloon: two causes, two fixes */
};
struct doctor {
	struct check checks[CHECK__MAX];
	unsigned warnings, problems;
};
const char *check_level_name(enum check_level l);
void doctor_run(const struct mo_doctor_facts *f, struct doctor *d);
int doctor_exit_code(const struct doctor *d);
/* status --format prometheus (bin/metrics.c); mem may be NULL. */
void print_prometheus(const struct mo_doctor_facts *f, const struct doctor *d);

int cmd_status(struct control *ctl, int argc, char **argv);
int cmd_list(struct control *ctl, int argc, char **argv);
int cmd_online(struct control *ctl, int argc, char **argv);
int cmd_offline(struct control *ctl, int argc, char **argv);
int cmd_watch(struct control *ctl, int argc, char **argv);
int cmd_target(struct control *ctl, int argc, char **argv);
int cmd_doctor(struct control *ctl, int argc, char **argv);
int cmd_map(struct control *ctl, int argc, char **argv);

#endif
