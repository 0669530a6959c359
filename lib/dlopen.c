// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Libraries loaded where they are used instead of linked: each linked
 * library costs every process its relocations at start (one process per
 * udev event), and the daemon its mapped pages.
 */
#define _GNU_SOURCE
#include <dlfcn.h>

#include "dlopen.h"

/*
 * RTLD_NODELETE, as systemd loads its optional libraries: dlclose() leaves
 * the library and what it pulled in mapped, since libraries such as
 * libcrypto are not made to be unloaded, and a second use finds them loaded.
 */
void *mo_dlopen(const char *soname, const struct mo_dlsym *syms, size_t n)
{
	void *dl = dlopen(soname, RTLD_NOW | RTLD_NODELETE);

	if (!dl)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		*syms[i].fn = dlsym(dl, syms[i].name);
		if (!*syms[i].fn) {
			dlclose(dl);
			return NULL;
		}
	}
	return dl;
}
