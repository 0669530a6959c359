// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * memonline.conf: one setting per line, '#' starts a comment.
 *
 *   zone auto|movable|kernel|default|skip
 *   ratio PERCENT
 *   numa-aware yes|no
 *   auto-online step-aside|correct
 *   rule [source=SOURCE] [node=N] zone=ZONE
 *
 * The main file is read first, then FILE.d/ *.conf in name order; a later
 * setting replaces an earlier one and a later rule wins over an earlier one.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "policy.h"

#define MAX_WORDS 8
#define LINE_MAX_LEN 1024 /* a longer line is not a config line */

struct parser {
	struct mo_policy *p;
	const char *file; /* owned by p->files */
	unsigned line;
	struct mo_config_error *err;
};

__attribute__((format(printf, 4, 5)))
static int set_error(struct mo_config_error *err, const char *file, unsigned line,
		     const char *fmt, ...)
{
	va_list ap;

	snprintf(err->file, sizeof(err->file), "%s", file);
	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

#define fail(ps, ...) set_error((ps)->err, (ps)->file, (ps)->line, __VA_ARGS__)

static int parse_choice(struct parser *ps, const char *what, const char *word)
{
	int c = mo_choice_from_name(word);

	if (c < 0)
		return fail(ps, "%s: '%s' is not one of auto, movable, kernel, default, skip",
			    what, word);
	return c;
}

static int parse_node(struct parser *ps, const char *word)
{
	uint64_t v;

	if (mo_parse_u64(word, 10, &v) < 0 || v >= MO_MAX_NODES)
		return fail(ps, "node: '%s' is not a node number from 0 to %d", word,
			    MO_MAX_NODES - 1);
	return v;
}

static int parse_rule(struct parser *ps, char **words, size_t n)
{
	struct mo_rule rule = { .source = -1, .node = -1, .choice = MO_CHOICE__MAX,
				.file = ps->file, .line = ps->line };

	for (size_t i = 1; i < n; i++) {
		char *eq = strchr(words[i], '=');
		const char *key = words[i], *val;
		int v;

		if (!eq || eq == key || !eq[1])
			return fail(ps, "rule: '%s' is not KEY=VALUE", words[i]);
		*eq = '\0';
		val = eq + 1;
		if (strcmp(key, "source") == 0) {
			if (rule.source >= 0)
				return fail(ps, "rule: source given twice");
			v = mo_source_from_name(val);
			if (v < 0 || v == MO_SOURCE_UNKNOWN || v == MO_SOURCE_BOOT)
				return fail(ps, "rule: source '%s' is not one of virtio-mem, "
					    "dimm, xen, hyperv, kmem, standby", val);
			rule.source = v;
		} else if (strcmp(key, "node") == 0) {
			if (rule.node >= 0)
				return fail(ps, "rule: node given twice");
			v = parse_node(ps, val);
			if (v < 0)
				return v;
			rule.node = v;
		} else if (strcmp(key, "zone") == 0) {
			if (rule.choice != MO_CHOICE__MAX)
				return fail(ps, "rule: zone given twice");
			v = parse_choice(ps, "rule: zone", val);
			if (v < 0)
				return v;
			rule.choice = v;
		} else {
			return fail(ps, "rule: unknown key '%s' (source, node, zone)", key);
		}
	}
	if (rule.choice == MO_CHOICE__MAX)
		return fail(ps, "rule: zone=ZONE is missing");
	if (rule.source < 0 && rule.node < 0)
		return fail(ps, "rule: needs source= or node= (use 'zone' for all blocks)");
	return mo_policy_add_rule(ps->p, &rule);
}

static int parse_yes_no(struct parser *ps, const char *what, const char *word)
{
	if (strcmp(word, "yes") == 0)
		return 1;
	if (strcmp(word, "no") == 0)
		return 0;
	return fail(ps, "%s: '%s' is not yes or no", what, word);
}

static int parse_line(struct parser *ps, char *line)
{
	char *words[MAX_WORDS], *save = NULL, *w;
	size_t n = 0;
	uint64_t v;
	int r = 0;

	line[strcspn(line, "#")] = '\0';
	for (w = strtok_r(line, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == MAX_WORDS)
			return fail(ps, "too many words");
		words[n++] = w;
	}
	if (n == 0)
		return 0;
	if (strcmp(words[0], "rule") == 0)
		return parse_rule(ps, words, n);
	if (n != 2)
		return fail(ps, "%s: expected exactly one value", words[0]);

	if (strcmp(words[0], "zone") == 0) {
		r = parse_choice(ps, "zone", words[1]);
		if (r >= 0)
			ps->p->zone = r;
	} else if (strcmp(words[0], "ratio") == 0) {
		r = mo_parse_u64(words[1], 10, &v);
		if (r < 0 || v > MO_MAX_RATIO)
			return fail(ps, "ratio: '%s' is not a percentage from 0 to %d", words[1],
				    MO_MAX_RATIO);
		ps->p->ratio = v;
	} else if (strcmp(words[0], "numa-aware") == 0) {
		r = parse_yes_no(ps, "numa-aware", words[1]);
		if (r >= 0)
			ps->p->numa_aware = r;
	} else if (strcmp(words[0], "auto-online") == 0) {
		if (strcmp(words[1], "step-aside") == 0)
			ps->p->auto_online = MO_AUTO_STEP_ASIDE;
		else if (strcmp(words[1], "correct") == 0)
			ps->p->auto_online = MO_AUTO_CORRECT;
		else
			return fail(ps, "auto-online: '%s' is not step-aside or correct",
				    words[1]);
	} else {
		return fail(ps, "unknown setting '%s'", words[0]);
	}
	return r < 0 ? r : 0;
}

static int remember_file(struct mo_policy *p, const char *file, const char **ret)
{
	char **n = realloc(p->files, (p->n_files + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	p->files = n;
	n[p->n_files] = strdup(file);
	if (!n[p->n_files])
		return -ENOMEM;
	*ret = n[p->n_files++];
	return 0;
}

int mo_policy_parse_stream(struct mo_policy *p, FILE *f, const char *name,
			   struct mo_config_error *err)
{
	struct parser ps = { .p = p, .err = err };
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;
	int r = remember_file(p, name, &ps.file);

	while (r == 0 && (len = getline(&buf, &cap, f)) >= 0) {
		ps.line++;
		if (len > LINE_MAX_LEN)
			r = fail(&ps, "line longer than %d characters", LINE_MAX_LEN);
		else if (strlen(buf) != (size_t)len)
			r = fail(&ps, "binary data");
		else
			r = parse_line(&ps, buf);
	}
	if (r == 0 && ferror(f)) {
		r = -EIO;
		fail(&ps, "read error");
	}
	free(buf);
	return r;
}

/* -ENOENT only when the file does not exist; every other failure is in *err. */
static int parse_file(struct mo_policy *p, const char *file, struct mo_config_error *err)
{
	FILE *f = fopen(file, "re");
	int r;

	if (!f) {
		r = -errno;
		if (r == -ENOENT)
			return r;
		set_error(err, file, 0, "cannot read: %s", strerror(-r));
		return r;
	}
	r = mo_policy_parse_stream(p, f, file, err);
	fclose(f);
	return r;
}

static int conf_filter(const struct dirent *de)
{
	size_t len = strlen(de->d_name);

	return de->d_name[0] != '.' && len > 5 && strcmp(de->d_name + len - 5, ".conf") == 0;
}

static int parse_dropins(struct mo_policy *p, const char *file, struct mo_config_error *err)
{
	struct dirent **list;
	char *dir, *path;
	int n, r = 0;

	if (asprintf(&dir, "%s.d", file) < 0)
		return -ENOMEM;
	n = scandir(dir, &list, conf_filter, alphasort);
	if (n < 0) {
		r = errno == ENOENT ? 0 : -errno;
		if (r < 0)
			set_error(err, dir, 0, "cannot read: %s", strerror(-r));
		free(dir);
		return r;
	}
	for (int i = 0; i < n; i++) {
		if (r == 0) {
			if (asprintf(&path, "%s/%s", dir, list[i]->d_name) < 0) {
				r = -ENOMEM;
			} else {
				r = parse_file(p, path, err);
				/* Gone since the listing: nothing to read. */
				if (r == -ENOENT)
					r = 0;
				free(path);
			}
		}
		free(list[i]);
	}
	free(list);
	free(dir);
	return r;
}

int mo_policy_load(const char *file, unsigned flags, struct mo_policy **ret,
		   struct mo_config_error *err)
{
	struct mo_policy *p;
	int r;

	memset(err, 0, sizeof(*err));
	r = mo_policy_new_default(&p);
	if (r < 0)
		return r;
	r = parse_file(p, file, err);
	/* A file the user named and that is not there is a typo, not "no policy". */
	if (r == -ENOENT && (flags & MO_CONFIG_REQUIRED))
		set_error(err, file, 0, "cannot read: %s", strerror(-r));
	else if (r == -ENOENT)
		r = 0;
	if (r == 0)
		r = parse_dropins(p, file, err);
	if (r < 0) {
		mo_policy_free(p);
		return r;
	}
	*ret = p;
	return 0;
}

size_t mo_policy_n_files(const struct mo_policy *p)
{
	return p->n_files;
}

const char *mo_policy_file(const struct mo_policy *p, size_t i)
{
	return i < p->n_files ? p->files[i] : NULL;
}
