// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Other onliners among the systemd units: whether one starts at boot, read
 * below the root as systemctl is-enabled would, without asking systemd
 * (a captured tree has none running).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define UNIT_DIR "etc/systemd/system"

int mo_unit_enabled(struct mo_ctx *ctx, const char *unit, struct mo_refused *refused)
{
	int rootfd = mo_open_root(ctx), dfd;
	struct dirent *de;
	bool found = false;
	DIR *d;

	if (rootfd < 0)
		return 0;
	/* In the root: an absolute link in a sysroot means the tree's own path. */
	dfd = mo_open_in_root(rootfd, UNIT_DIR, O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		mo_refused_note(refused, ctx, errno, UNIT_DIR, NULL);
	/* Masked (a /dev/null link) wins over any .wants link: it cannot start. */
	if (dfd < 0 || mo_is_mask(dfd, unit) || !(d = fdopendir(dfd))) {
		if (dfd >= 0)
			close(dfd);
		close(rootfd);
		return 0;
	}
	/* systemctl enable links the unit into some target's .wants/. */
	while (!found && (de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char path[320];
		int wants;

		if (len < 6 || strcmp(de->d_name + len - 6, ".wants") != 0)
			continue;
		snprintf(path, sizeof(path), UNIT_DIR "/%s", de->d_name);
		wants = mo_open_in_root(rootfd, path, O_RDONLY | O_DIRECTORY);
		if (wants < 0) {
			mo_refused_note(refused, ctx, errno, UNIT_DIR, de->d_name);
			continue;
		}
		/* The link itself, never its target: it names a unit file elsewhere. */
		found = faccessat(wants, unit, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
		close(wants);
	}
	closedir(d);
	close(rootfd);
	return found;
}
