// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Other onliners among the udev rules: the seed's RUN+="/bin/sh -c 'echo
 * online > ...'", RHEL's 40-redhat.rules (a SUBSYSTEM!="memory" GOTO guard,
 * then ATTR{state}="$env{.state}"), Ubuntu's 40-vm-hotadd.rules
 * (ATTR{state}="online"), SUSE's 80-hotplug-cpu-mem.rules, and memonline's.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define RULES_MAX (1u << 20) /* a rules file larger than this is no rules file */

/* udev's RULES_DIRS, highest precedence first, relative to the root. */
static const char *const rules_dirs[] = {
	"etc/udev/rules.d",
	"run/udev/rules.d",
	"usr/local/lib/udev/rules.d",
	"usr/lib/udev/rules.d",
	"lib/udev/rules.d",
};

/* KEY OP "VALUE" somewhere in line, spaces allowed around OP (udev allows them). */
static const char *find_key(const char *line, const char *key, const char *op)
{
	size_t klen = strlen(key), olen = strlen(op);

	for (const char *p = strstr(line, key); p; p = strstr(p + 1, key)) {
		const char *q = p + klen;

		if (p > line && (p[-1] == '_' || (p[-1] >= 'A' && p[-1] <= 'Z')))
			continue; /* SUBSYSTEMS, ENV{..SUBSYSTEM} */
		while (*q == ' ' || *q == '\t')
			q++;
		if (strncmp(q, op, olen) != 0 || (olen == 1 && q[1] == '='))
			continue;
		q += olen;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q == '"')
			return q + 1;
	}
	return NULL;
}

static bool value_is(const char *v, const char *word)
{
	size_t len = strlen(word);

	return v && strncmp(v, word, len) == 0 && v[len] == '"';
}

static bool value_has(const char *v, const char *word)
{
	const char *end = v ? strchr(v, '"') : NULL;
	const char *hit = v ? strstr(v, word) : NULL;

	return hit && end && hit < end;
}

bool mo_udev_rules_online_memory(const char *text)
{
	bool memory = false, onlines = false;
	char *copy = strdup(text), *save = NULL;

	if (!copy)
		return false;
	/* Continuation lines (a trailing backslash) are one rule. */
	for (char *p = copy; (p = strstr(p, "\\\n"));)
		p[0] = p[1] = ' ';
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		bool here;
		const char *run;

		line += strspn(line, " \t");
		if (*line == '#')
			continue;
		here = value_is(find_key(line, "SUBSYSTEM", "=="), "memory");
		if (here || value_is(find_key(line, "SUBSYSTEM", "!="), "memory"))
			memory = true;
		/* ATTR{state}="online..." or "$env{...}" (RHEL picks the word in ENV). */
		if (find_key(line, "ATTR{state}", "=") || find_key(line, "ATTR{state}", ":="))
			onlines = true;
		if (here && (value_is(find_key(line, "ATTR{online}", "="), "1")))
			onlines = true;
		run = find_key(line, "RUN", "+=");
		if (!run)
			run = find_key(line, "RUN", "=");
		if (here && (value_has(run, "online") || value_has(run, "memonline")))
			onlines = true;
	}
	free(copy);
	return memory && onlines;
}

static bool seen(char **names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct mo_udev_rules_file *)a)->name,
		      ((const struct mo_udev_rules_file *)b)->name);
}

int mo_udev_memory_rules(struct mo_ctx *ctx, struct mo_udev_rules_file **ret,
			 size_t *ret_n, struct mo_refused *refused)
{
	struct mo_udev_rules_file *files = NULL;
	char **names = NULL; /* every name seen: a later same-named file is masked */
	size_t n = 0, n_names = 0;
	struct stat dirs_seen[ARRAY_SIZE(rules_dirs)];
	size_t n_dirs = 0;
	int rootfd, r = 0;

	rootfd = mo_open_root(ctx);
	if (rootfd < 0)
		return -errno;
	for (size_t i = 0; i < ARRAY_SIZE(rules_dirs) && r == 0; i++) {
		/* In the root: a sysroot's lib -> /usr/lib is its own usr/lib. */
		int dfd = mo_open_in_root(rootfd, rules_dirs[i], O_RDONLY | O_DIRECTORY);
		struct dirent *de;
		struct stat st;
		bool dup = false;
		DIR *d;

		if (dfd < 0) {
			mo_refused_note(refused, ctx, errno, rules_dirs[i], NULL);
			continue;
		}
		/* /lib is often a symlink to /usr/lib: read each directory once. */
		if (fstat(dfd, &st) == 0) {
			for (size_t k = 0; k < n_dirs; k++)
				dup |= dirs_seen[k].st_dev == st.st_dev &&
				       dirs_seen[k].st_ino == st.st_ino;
			dirs_seen[n_dirs++] = st;
		}
		if (dup || !(d = fdopendir(dfd))) {
			close(dfd);
			continue;
		}
		while ((de = readdir(d)) && r == 0) {
			size_t len = strlen(de->d_name);
			char *text = NULL, path[320];
			char **nn;
			int fd, e;

			if (len < 7 || strcmp(de->d_name + len - 6, ".rules") != 0 ||
			    de->d_name[0] == '.' || seen(names, n_names, de->d_name))
				continue;
			nn = realloc(names, (n_names + 1) * sizeof(*names));
			if (!nn || !(nn[n_names] = strdup(de->d_name))) {
				names = nn ? nn : names;
				r = -ENOMEM;
				break;
			}
			names = nn;
			n_names++;
			/*
			 * A /dev/null link masks, whatever a tree's dev/null is.
			 * Any other link resolves from the root, not the
			 * directory: /etc's absolute link into /usr/lib is read
			 * there, a sysroot's in the tree.
			 */
			if ((de->d_type == DT_LNK || de->d_type == DT_UNKNOWN) &&
			    mo_is_mask(dirfd(d), de->d_name))
				continue;
			snprintf(path, sizeof(path), "%s/%s", rules_dirs[i], de->d_name);
			/* O_NONBLOCK: a link to a FIFO must not hang doctor. */
			fd = mo_open_in_root(rootfd, path, O_RDONLY | O_NONBLOCK);
			if (fd < 0) {
				mo_refused_note(refused, ctx, errno, rules_dirs[i], de->d_name);
				continue;
			}
			e = mo_read_fd(fd, RULES_MAX, &text, NULL);
			close(fd);
			if (e < 0)
				continue;
			if (mo_udev_rules_online_memory(text)) {
				struct mo_udev_rules_file *nf;

				nf = realloc(files, (n + 1) * sizeof(*nf));

				if (!nf) {
					free(text);
					r = -ENOMEM;
					break;
				}
				files = nf;
				memset(&files[n], 0, sizeof(files[n]));
				snprintf(files[n].name, sizeof(files[n].name), "%s", de->d_name);
				mo_root_path(ctx, rules_dirs[i], de->d_name, files[n].path,
					     sizeof(files[n].path));
				files[n].memonline = strstr(text, "memonline") != NULL;
				n++;
			}
			free(text);
		}
		closedir(d);
	}
	close(rootfd);
	for (size_t i = 0; i < n_names; i++)
		free(names[i]);
	free(names);
	if (r < 0) {
		free(files);
		return r;
	}
	if (n > 1) /* qsort(NULL, 0) is undefined: no rules at all is common */
		qsort(files, n, sizeof(*files), cmp_file);
	*ret = files;
	*ret_n = n;
	return 0;
}
