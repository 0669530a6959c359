// SPDX-License-Identifier: GPL-2.0-or-later
/* memonline: bring hot-added memory online into the zone a policy chooses. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *program = "memonline";

static void vwarnx(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", program);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
}

void errx(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	exit(code);
}

void usage_error(void (*usage)(FILE *), const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	if (usage)
		fprintf(stderr, "Try '%s --help' for more information.\n", program);
	exit(EXIT_USAGE);
}

/*
 * An empty sysroot is an unset variable in a script, not "the live system":
 * `--sysroot "$TREE" online --all` must not write to this machine's /sys.
 */
static void set_sysroot(struct control *ctl, const char *dir, const char *what)
{
	if (!*dir)
		errx(EXIT_USAGE, "%s is empty; leave it out to use the live system", what);
	ctl->sysroot = dir;
}

bool common_option(struct control *ctl, int c, const char *arg, void (*usage)(FILE *))
{
	switch (c) {
	case 'c':
		ctl->config = arg;
		ctl->config_flags |= MO_CONFIG_REQUIRED;
		return true;
	case 'h':
		usage(stdout);
		exit(EXIT_OK);
	case OPT_SYSROOT:
		set_sysroot(ctl, arg, "--sysroot");
		return true;
	case 'v':
		ctl->verbose++;
		return true;
	case '?':
		fprintf(stderr, "Try '%s --help' for more information.\n", program);
		exit(EXIT_USAGE);
	default:
		return false;
	}
}

void open_context(struct control *ctl)
{
	int r;

	if (ctl->ctx)
		return;
	r = mo_new(ctl->sysroot, &ctl->ctx);
	if (r == -ENODEV)
		errx(EXIT_FAIL, "sysfs is not mounted (no sysfs in /proc/self/mountinfo)");
	if (r == -ENOPKG)
		errx(EXIT_FAIL, "sysfs or procfs is not at /sys or /proc, and libmount.so.1, "
				"which would find them, cannot be loaded");
	if (r < 0)
		errx(EXIT_FAIL, "%s/sys: %s", ctl->sysroot ? ctl->sysroot : "", strerror(-r));
}

struct mo_policy *load_policy(const struct control *ctl)
{
	struct mo_config_error err;
	struct mo_policy *p;
	int r = mo_policy_load(ctl->config, ctl->config_flags, &p, &err);

	if (r == -EINVAL || (r < 0 && err.file[0])) {
		if (err.line)
			errx(EXIT_USAGE, "%s:%u: %s", err.file, err.line, err.msg);
		errx(EXIT_USAGE, "%s: %s", err.file, err.msg);
	}
	if (r < 0)
		errx(EXIT_FAIL, "%s: %s", ctl->config, strerror(-r));
	return p;
}

struct mo_memory *scan_memory(struct control *ctl, unsigned flags)
{
	struct mo_memory *mem;
	int r;

	open_context(ctl);
	r = mo_memory_scan(ctl->ctx, flags, &mem);
	if (r == -ENODEV)
		errx(EXIT_FAIL, "%s/devices/system/memory: no memory blocks: the kernel "
		     "was built without CONFIG_MEMORY_HOTPLUG", mo_sys_dir(ctl->ctx));
	if (r < 0)
		errx(EXIT_FAIL, "%s/devices/system/memory: %s", mo_sys_dir(ctl->ctx),
		     r == -EINVAL ? "unexpected block_size_bytes" : strerror(-r));
	report_bad_blocks(ctl, mem);
	return mem;
}

void report_bad_blocks(const struct control *ctl, const struct mo_memory *mem)
{
	for (size_t i = 0; i < mem->n_blocks; i++) {
		const struct mo_block *b = &mem->blocks[i];

		/* -EAGAIN: just added, not linked to its node yet; not an error. */
		if (!b->error || b->error == -EAGAIN)
			continue;
		warnx("%s/devices/system/memory/memory%lu/%s: %s, ignoring block",
		      mo_sys_dir(ctl->ctx), b->id, b->bad_attr,
		      b->error == -EINVAL ? "unexpected value" : strerror(-b->error));
	}
}

struct mo_doctor_facts *gather_facts(struct control *ctl, const struct mo_policy *p)
{
	struct mo_doctor_facts *f;

	open_context(ctl);
	if (mo_doctor_facts_gather(ctl->ctx, p, &mo_clock_monotonic, &f) < 0)
		errx(EXIT_FAIL, "out of memory");
	if (f->mem)
		report_bad_blocks(ctl, f->mem);
	for (size_t i = 0; i < f->refused.n && i < ARRAY_SIZE(f->refused.path); i++)
		warnx("%s: a link out of %s, not followed", f->refused.path[i],
		      mo_root_dir(ctl->ctx));
	if (f->refused.n > ARRAY_SIZE(f->refused.path))
		warnx("and %zu more links out of %s, not followed",
		      f->refused.n - ARRAY_SIZE(f->refused.path), mo_root_dir(ctl->ctx));
	return f;
}

static void __attribute__((noreturn)) usage(FILE *out)
{
	fprintf(out,
		"Usage:\n"
		" %s [options] <command> [command options]\n"
		"\n"
		"Bring hot-added memory online into the zone a policy chooses.\n"
		"\n"
		"Commands:\n"
		" status                 the kernel's settings, blocks, zones and ratio\n"
		" doctor                 check hotplug health: verdicts and fixes\n"
		" list                   memory blocks as ranges (like lsmem)\n"
		" map                    a picture of the blocks, by state and zone\n"
		" online  <which>        online blocks by policy or into a given zone\n"
		" offline <which>        offline blocks, highest first, for unplug\n"
		" watch                  online each block as it is hot-added (a daemon)\n"
		" target [[+|-]SIZE]     the Xen balloon: show, or set and --wait\n"
		"\n"
		"<which>: memoryN, N, N-M, 0xSTART-0xEND, a SIZE (e.g. 1G) or --all\n"
		"\n"
		"Options:\n"
		" -c, --config <file>    policy file (default %s/memonline.conf)\n"
		"     --sysroot <dir>    read sys/ and proc/ below <dir> (a captured tree)\n"
		" -v, --verbose          say why each decision was made\n"
		" -h, --help             show this help\n"
		" -V, --version          show the version\n"
		"\n"
		"See memonline(8) and memonline.conf(5).\n",
		program, MO_SYSCONFDIR);
	exit(out == stderr ? EXIT_USAGE : EXIT_OK);
}

static const struct {
	const char *name;
	int (*run)(struct control *ctl, int argc, char **argv);
} commands[] = {
	{ "doctor", cmd_doctor },
	{ "list", cmd_list },
	{ "map", cmd_map },
	{ "offline", cmd_offline },
	{ "online", cmd_online },
	{ "status", cmd_status },
	{ "target", cmd_target },
	{ "watch", cmd_watch },
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct control ctl = {
		.config = MO_SYSCONFDIR "/memonline.conf",
		.prog = program,
	};
	bool help = false;
	const char *env;
	int c, rc;

	env = getenv("MEMONLINE_SYSROOT");
	if (env)
		set_sysroot(&ctl, env, "MEMONLINE_SYSROOT");
	env = getenv("MEMONLINE_CONFIG");
	if (env && *env) {
		ctl.config = env;
		ctl.config_flags |= MO_CONFIG_REQUIRED;
	}

	/* getopt's own messages name argv[0]: one prefix, not the path we ran from. */
	argv[0] = (char *)program;
	while ((c = getopt_long(argc, argv, "+" COMMON_SHORTOPTS "V", longopts, NULL)) != -1) {
		/* "memonline -h status" is the help of status, as git does it. */
		if (c == 'h') {
			help = true;
			continue;
		}
		if (common_option(&ctl, c, optarg, usage))
			continue;
		if (c == 'V') {
			printf("memonline %s\n", MO_VERSION);
			return EXIT_OK;
		}
		usage(stderr);
	}
	if (optind >= argc && help)
		usage(stdout);
	if (optind >= argc)
		usage_error(usage, "no command given");

	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(argv[optind], commands[i].name) != 0)
			continue;
		argc -= optind;
		argv += optind;
		argv[0] = (char *)program;
		optind = 0; /* 0, not 1: GNU getopt forgets the '+' of the first parse */
		if (help)
			rc = commands[i].run(&ctl, 2, (char *[]){ argv[0], (char *)"--help", NULL });
		else
			rc = commands[i].run(&ctl, argc, argv);
		mo_unref(ctl.ctx);
		if (fflush(stdout) != 0 || ferror(stdout))
			errx(EXIT_FAIL, "write error on standard output");
		return rc;
	}
	usage_error(usage, "unknown command '%s'", argv[optind]);
}
