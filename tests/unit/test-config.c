// SPDX-License-Identifier: GPL-2.0-or-later
/* memonline.conf: settings, rules, drop-ins, and errors that say FILE:LINE. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "policy.h"
#include "tap.h"

static char dir[] = "/tmp/memonline-config-XXXXXX";

/* Returns the file's path, valid until the next call. */
static const char *write_file(const char *name, const char *text)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
	return path;
}

static char *conf_path(const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		abort();
	return p;
}

static void test_defaults(void)
{
	char *path = conf_path("missing.conf");
	struct mo_config_error err;
	struct mo_policy *p = NULL;

	is_int(mo_policy_load(path, 0, &p, &err), 0, "a missing file is the built-in policy");
	if (p) {
		is_int(mo_policy_zone(p), MO_CHOICE_AUTO, "default zone auto");
		is_int(mo_policy_ratio(p), 301, "default ratio 301 (the kernel's)");
		ok(mo_policy_numa_aware(p), "NUMA-aware by default");
		is_int(mo_policy_auto_online(p), MO_AUTO_STEP_ASIDE, "steps aside by default");
		is_int(mo_policy_n_rules(p), 4, "four built-in rules");
	}
	mo_policy_free(p);
	free(path);
}

static void test_settings(void)
{
	struct mo_config_error err;
	struct mo_policy *p = NULL;
	const struct mo_rule *r;
	const char *path = write_file("full.conf",
				      "# memonline\n"
				      "\n"
				      "zone movable   # trailing comment\n"
				      "ratio 150\n"
				      "numa-aware no\n"
				      "auto-online correct\n"
				      "\trule source=virtio-mem zone=kernel\n"
				      "rule node=1 zone=skip\n"
				      "rule zone=default source=dimm node=0\n"
				      "rule node=1023 zone=kernel\n");

	is_int(mo_policy_load(path, 0, &p, &err), 0, "a full file loads");
	if (!p)
		return;
	is_int(mo_policy_zone(p), MO_CHOICE_MOVABLE, "zone movable");
	is_int(mo_policy_ratio(p), 150, "ratio 150");
	ok(!mo_policy_numa_aware(p), "numa-aware no");
	is_int(mo_policy_auto_online(p), MO_AUTO_CORRECT, "auto-online correct");
	is_int(mo_policy_n_rules(p), 8, "four rules after the built-in ones");
	is_int(mo_policy_rule(p, 7)->node, 1023, "node=1023: kernels have up to 1,024 nodes");
	r = mo_policy_rule(p, 4);
	is_int(r->source, MO_SOURCE_VIRTIO_MEM, "rule 1 source");
	is_int(r->choice, MO_CHOICE_KERNEL, "rule 1 zone");
	is_int(r->line, 7, "rule 1 remembers its line");
	is_str(r->file, path, "rule 1 remembers its file");
	r = mo_policy_rule(p, 5);
	is_int(r->node, 1, "rule 2 node");
	is_int(r->source, -1, "rule 2 any source");
	r = mo_policy_rule(p, 6);
	ok(r->source == MO_SOURCE_DIMM && r->node == 0 && r->choice == MO_CHOICE_DEFAULT,
	   "keys in any order");
	mo_policy_free(p);
}

static void test_dropins(void)
{
	struct mo_config_error err;
	struct mo_policy *p = NULL;
	char *d = conf_path("main.conf.d");
	const char *path;

	mkdir(d, 0755);
	write_file("main.conf.d/20-late.conf", "ratio 50\n");
	write_file("main.conf.d/10-early.conf", "ratio 75\nrule source=dimm zone=movable\n");
	write_file("main.conf.d/30-ignored.txt", "this is not a config line\n");
	write_file("main.conf.d/.hidden.conf", "nor this\n");
	path = write_file("main.conf", "ratio 100\nzone kernel\n");

	is_int(mo_policy_load(path, 0, &p, &err), 0, "main file and drop-ins load (%s)", err.msg);
	if (p) {
		is_int(mo_policy_ratio(p), 50, "drop-ins are read in name order, last wins");
		is_int(mo_policy_n_files(p), 3, "the main file and two drop-ins were read");
		ok(strstr(mo_policy_file(p, 0), "main.conf") != NULL, "the main file first");
		ok(strstr(mo_policy_file(p, 2), "20-late.conf") != NULL, "drop-ins in order");
		is_int(mo_policy_zone(p), MO_CHOICE_KERNEL, "main file settings stay");
		is_int(mo_policy_n_rules(p), 5, "the drop-in rule is added");
	}
	mo_policy_free(p);

	/* Drop-ins apply even when there is no main file. */
	unlink(path);
	is_int(mo_policy_load(path, 0, &p, &err), 0, "drop-ins without a main file");
	if (p)
		is_int(mo_policy_ratio(p), 50, "drop-in ratio without a main file");
	mo_policy_free(p);
	p = NULL;
	is_int(mo_policy_load(path, MO_CONFIG_REQUIRED, &p, &err), -ENOENT,
	       "a named file that is missing is an error");
	ok(p == NULL && strcmp(err.file, path) == 0, "the error names the missing file");
	free(d);
}

static void test_errors(void)
{
	static const struct {
		const char *text;
		unsigned line;
		const char *msg;
	} cases[] = {
		{ "zone sideways\n", 1, "zone: 'sideways' is not one of auto, movable, kernel, "
					"default, skip" },
		{ "\n\nratio 10001\n", 3, "ratio: '10001' is not a percentage from 0 to 10000" },
		{ "ratio -5\n", 1, "ratio: '-5' is not a percentage from 0 to 10000" },
		{ "ratio 50%\n", 1, "ratio: '50%' is not a percentage from 0 to 10000" },
		{ "ratio\n", 1, "ratio: expected exactly one value" },
		{ "ratio 1 2\n", 1, "ratio: expected exactly one value" },
		{ "numa-aware maybe\n", 1, "numa-aware: 'maybe' is not yes or no" },
		{ "auto-online fight\n", 1, "auto-online: 'fight' is not step-aside or correct" },
		{ "colour blue\n", 1, "unknown setting 'colour'" },
		{ "rule source=dimm\n", 1, "rule: zone=ZONE is missing" },
		{ "rule zone=kernel\n", 1, "rule: needs source= or node= (use 'zone' for all "
					   "blocks)" },
		{ "rule source=floppy zone=kernel\n", 1, "rule: source 'floppy' is not one of "
							 "virtio-mem, dimm, xen, hyperv, kmem, standby" },
		{ "rule source=boot zone=kernel\n", 1, "rule: source 'boot' is not one of "
						       "virtio-mem, dimm, xen, hyperv, kmem, standby" },
		{ "rule node=1024 zone=kernel\n", 1, "node: '1024' is not a node number from 0 to 1023" },
		{ "rule node=x zone=kernel\n", 1, "node: 'x' is not a node number from 0 to 1023" },
		{ "rule source=dimm source=xen zone=kernel\n", 1, "rule: source given twice" },
		{ "rule source=dimm zone=kernel zone=movable\n", 1, "rule: zone given twice" },
		{ "rule source dimm zone=kernel\n", 1, "rule: 'source' is not KEY=VALUE" },
		{ "rule source= zone=kernel\n", 1, "rule: 'source=' is not KEY=VALUE" },
		{ "rule colour=red zone=kernel\n", 1, "rule: unknown key 'colour' (source, node, "
						      "zone)" },
		{ "rule a=1 b=2 c=3 d=4 e=5 f=6 g=7 h=8\n", 1, "too many words" },
		{ "zone movable\nzone kernal\n", 2, "zone: 'kernal' is not one of auto, movable, "
						    "kernel, default, skip" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct mo_config_error err;
		struct mo_policy *p = (struct mo_policy *)0x1;
		const char *path = write_file("bad.conf", cases[i].text);

		is_int(mo_policy_load(path, 0, &p, &err), -EINVAL, "bad config %zu refused", i);
		ok(p == (struct mo_policy *)0x1, "bad config %zu returns no policy", i);
		is_str(err.file, path, "bad config %zu names the file", i);
		is_int(err.line, cases[i].line, "bad config %zu names the line", i);
		is_str(err.msg, cases[i].msg, "bad config %zu says what is wrong", i);
	}
}

static void test_bad_dropin(void)
{
	struct mo_config_error err;
	struct mo_policy *p = NULL;
	char *d = conf_path("other.conf.d");
	const char *path;
	char *bad;

	mkdir(d, 0755);
	write_file("other.conf.d/50-bad.conf", "ratio 10\nratio lots\n");
	path = write_file("other.conf", "ratio 20\n");
	bad = conf_path("other.conf.d/50-bad.conf");
	is_int(mo_policy_load(path, 0, &p, &err), -EINVAL, "a bad drop-in fails the whole load");
	is_str(err.file, bad, "error names the drop-in");
	is_int(err.line, 2, "error names the drop-in's line");
	free(bad);
	free(d);
}

static void test_long_and_binary_lines(void)
{
	struct mo_config_error err;
	struct mo_policy *p = NULL;
	char *text = malloc(3000);
	const char *path;

	memset(text, 'x', 2999);
	text[2999] = '\0';
	path = write_file("long.conf", text);
	is_int(mo_policy_load(path, 0, &p, &err), -EINVAL, "a 3000-character line is refused");
	is_str(err.msg, "line longer than 1024 characters", "and says why");
	free(text);

	path = write_file("binary.conf", "ratio 1");
	{
		FILE *f = fopen(path, "a");

		fputc('\0', f);
		fputs("0\n", f);
		fclose(f);
	}
	is_int(mo_policy_load(path, 0, &p, &err), -EINVAL, "a NUL byte is refused");
	is_str(err.msg, "binary data", "and says why");
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	test_defaults();
	test_settings();
	test_dropins();
	test_errors();
	test_bad_dropin();
	test_long_and_binary_lines();
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			ok(0, "remove %s", dir);
	}
	return tap_done();
}
