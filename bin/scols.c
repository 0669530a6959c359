// SPDX-License-Identifier: GPL-2.0-or-later
/* libsmartcols, loaded at the first table (scols.h says why). */
#define SCOLS_LOADER
#include "scols.h"

#include "cli.h"
#include "dlopen.h"

/*
 * "required": list's table and JSON, and status' zone and node tables, need
 * it; the packages depend on it as if it were linked.
 */
#define SCOLS_SONAME "libsmartcols.so.1"
MO_NOTE_DLOPEN(note_dlopen_smartcols,
	       MO_DLOPEN_JSON("smartcols", "Tables and JSON of list, tables of status",
			      "required", SCOLS_SONAME));

const struct libscols *libscols(void)
{
	/* One per process, as the library it stands for. */
	static struct libscols api;
	static bool loaded;
#define SCOLS_SYM(f) MO_DLSYM(&api, f),
	const struct mo_dlsym syms[] = { SCOLS_FUNCS(SCOLS_SYM) };
#undef SCOLS_SYM

	if (loaded)
		return &api;
	if (!mo_dlopen(SCOLS_SONAME, syms, ARRAY_SIZE(syms)))
		errx(EXIT_FAIL, "%s, which prints memonline's tables, cannot be loaded",
		     SCOLS_SONAME);
	loaded = true;
	return &api;
}
