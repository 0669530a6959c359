/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MEMONLINE_DLOPEN_H
#define MEMONLINE_DLOPEN_H

/*
 * Libraries loaded with dlopen() where they are used instead of linked:
 * each linked library costs every process its relocations at start (one
 * process per udev event).  Shared by lib/ and by bin/, whose tables come
 * from libsmartcols.
 */
#include <stddef.h>
#include <stdint.h>

/*
 * mo_dlopen() loads SONAME and fills each function pointer from its symbol,
 * all or nothing (NULL: use what works without it).  MO_DLSYM(api, f) names
 * the member f of a struct typed with typeof(f).
 */
struct mo_dlsym {
	const char *name;
	void **fn;
};
#define MO_DLSYM(api, f) ((struct mo_dlsym){#f, (void **)&(api)->f})
void *mo_dlopen(const char *soname, const struct mo_dlsym *syms, size_t n);

/*
 * What DT_NEEDED no longer tells packaging tools, as an ELF note
 * (https://systemd.io/ELF_DLOPEN_METADATA/): one per library, its JSON from
 * MO_DLOPEN_JSON().
 */
#define MO_NOTE_DLOPEN(id, json)                                                         \
	__attribute__((used, section(".note.dlopen"), aligned(4))) static const struct { \
		uint32_t n_namesz, n_descsz, n_type;                                     \
		char name[sizeof("FDO")];                                                \
		char desc[(sizeof(json) + 3) & ~3]; /* 0-padded to 4 bytes */            \
	} id = {sizeof("FDO"), sizeof(json), 0x407c0c0a, "FDO", json}
#define MO_DLOPEN_JSON(feature, description, priority, soname)                           \
	"[{\"feature\":\"" feature "\",\"description\":\"" description                   \
	"\",\"priority\":\"" priority "\",\"soname\":[\"" soname "\"]}]"

#endif
