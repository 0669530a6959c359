// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nolib: an LD_PRELOAD shim for a system without some optional libraries.
 * dlopen() of a name that starts with one of the prefixes in $NOLIB
 * (colon-separated, e.g. "libkmod.so:libmount.so") fails as it does when
 * the library is not installed; every other library loads.  Each name
 * refused is appended to $NOLIB_LOG, so that a test knows the program asked.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool refused(const char *file)
{
	const char *p = getenv("NOLIB");

	while (file && p && *p) {
		size_t n = strcspn(p, ":");

		if (n && !strncmp(file, p, n))
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}

void *dlopen(const char *file, int mode)
{
	static void *(*real_dlopen)(const char *, int);
	const char *log = getenv("NOLIB_LOG");
	FILE *f;

	if (refused(file)) {
		if (log && (f = fopen(log, "ae"))) {
			fprintf(f, "%s\n", file);
			fclose(f);
		}
		return NULL;
	}
	if (!real_dlopen)
		real_dlopen = (typeof(real_dlopen))dlsym(RTLD_NEXT, "dlopen");
	return real_dlopen(file, mode);
}
