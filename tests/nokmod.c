// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nokmod: an LD_PRELOAD shim for a system without libkmod.  dlopen() of
 * libkmod.so.* fails as it does when the library is not installed; every
 * other library loads.  Each name refused is appended to $NOKMOD_LOG, so
 * that a test knows the program asked.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *dlopen(const char *file, int mode)
{
	static void *(*real_dlopen)(const char *, int);
	const char *log = getenv("NOKMOD_LOG");
	FILE *f;

	if (file && !strncmp(file, "libkmod.so", strlen("libkmod.so"))) {
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
