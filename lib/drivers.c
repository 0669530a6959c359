// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The drivers that hot-add memory, and whether this kernel has them.
 *
 * - virtio_mem, hv_balloon and kmem are tristate: built-in, a loaded
 *   module, or a module on disk.  sys/module/NAME exists for a built-in only
 *   when it has parameters, and then has no initstate (kernel/params.c);
 *   a loaded module has initstate "live".
 * - ACPI memory hotplug (CONFIG_ACPI_HOTPLUG_MEMORY) is a bool inside the
 *   ACPI core: no module at all.  Its scan handler registers a hotplug
 *   profile, firmware/acpi/hotplug/memory/ (drivers/acpi/sysfs.c).
 * - kmem registers the dax driver bus/dax/drivers/kmem.
 *
 * libkmod is loaded with dlopen() when a report on the running system asks,
 * not linked: it brings libcrypto, libzstd and liblzma, most of the dynamic
 * loader's work at every start (one per udev event) and 4.6 MiB mapped into
 * the daemon, which never asks.  Without it, sysfs alone answers.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libkmod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static const struct {
	const char *name;     /* the module's name, or our word for ACPI */
	const char *param;    /* the one that matters, in sys/module/NAME/parameters */
	const char *sys_path; /* a sysfs directory that exists when the driver is there */
} drivers[] = {
	[MO_DRIVER_VIRTIO_MEM] = { "virtio_mem", "unplug_online", "bus/virtio/drivers/virtio_mem" },
	[MO_DRIVER_HV_BALLOON] = { "hv_balloon", "hot_add", "bus/vmbus/drivers/hv_balloon" },
	[MO_DRIVER_ACPI_MEMORY] = { "acpi_memhotplug", NULL, "firmware/acpi/hotplug/memory" },
	[MO_DRIVER_DAX_KMEM] = { "kmem", NULL, "bus/dax/drivers/kmem" },
};

static const char *const state_names[] = {
	[MO_DRIVER_ABSENT] = "absent",
	[MO_DRIVER_BUILTIN] = "built-in",
	[MO_DRIVER_LOADED] = "loaded",
	[MO_DRIVER_AVAILABLE] = "available",
};

const char *mo_driver_name(enum mo_driver d)
{
	return d < ARRAY_SIZE(drivers) ? drivers[d].name : "?";
}

const char *mo_driver_state_name(enum mo_driver_state s)
{
	return s < ARRAY_SIZE(state_names) ? state_names[s] : "?";
}

const char *mo_driver_param_name(enum mo_driver d)
{
	if (d == MO_DRIVER_ACPI_MEMORY)
		return "enabled";
	return d < ARRAY_SIZE(drivers) ? drivers[d].param : NULL;
}

enum mo_driver_state mo_driver_state_from_kmod(int initstate, bool have_initstate,
					       bool module_file)
{
	switch (initstate) {
	case KMOD_MODULE_BUILTIN:
		return MO_DRIVER_BUILTIN;
	case KMOD_MODULE_LIVE:
	case KMOD_MODULE_GOING:
		return MO_DRIVER_LOADED;
	case KMOD_MODULE_COMING:
		/* libkmod's guess for sys/module/NAME without initstate: built-in. */
		return have_initstate ? MO_DRIVER_LOADED : MO_DRIVER_BUILTIN;
	default:
		return module_file ? MO_DRIVER_AVAILABLE : MO_DRIVER_ABSENT;
	}
}

static bool exists(int dirfd, const char *path)
{
	return mo_access_beneath(dirfd, path) == 0;
}

/* From the tree alone: what a captured sys/module says. */
static enum mo_driver_state state_from_tree(struct mo_ctx *ctx, enum mo_driver d)
{
	char path[128], buf[MO_VALUE_MAX];

	if (d == MO_DRIVER_ACPI_MEMORY)
		return exists(mo_sys_fd(ctx), drivers[d].sys_path) ? MO_DRIVER_BUILTIN
								   : MO_DRIVER_ABSENT;
	snprintf(path, sizeof(path), "module/%s/initstate", drivers[d].name);
	if (mo_read_attr(mo_sys_fd(ctx), path, buf, sizeof(buf)) >= 0)
		return MO_DRIVER_LOADED; /* live, coming or going: a module */
	snprintf(path, sizeof(path), "module/%s", drivers[d].name);
	if (exists(mo_sys_fd(ctx), path) || exists(mo_sys_fd(ctx), drivers[d].sys_path))
		return MO_DRIVER_BUILTIN;
	return MO_DRIVER_ABSENT;
}

static void quiet(void *data, int priority, const char *file, int line, const char *fn,
		  const char *format, va_list args)
{
	/* A library does not log: missing indexes are answered by the tree. */
}

/*
 * The soname libkmod has had since 2012; "recommended", since every report
 * works without it.
 */
#define KMOD_SONAME "libkmod.so.2"
MO_NOTE_DLOPEN(note_dlopen_kmod,
	       MO_DLOPEN_JSON("kmod",
			      "Kernel modules on disk and built in, for the hot-add "
			      "driver report",
			      "recommended", KMOD_SONAME));

/* libkmod's functions, typed by its header, and a context of it. */
struct libkmod {
	void *dl;
	struct kmod_ctx *ctx;
	typeof(kmod_new) *kmod_new;
	typeof(kmod_unref) *kmod_unref;
	typeof(kmod_set_log_fn) *kmod_set_log_fn;
	typeof(kmod_module_new_from_name) *kmod_module_new_from_name;
	typeof(kmod_module_get_initstate) *kmod_module_get_initstate;
	typeof(kmod_module_get_path) *kmod_module_get_path;
	typeof(kmod_module_unref) *kmod_module_unref;
};

static void libkmod_close(struct libkmod *k)
{
	if (k->ctx)
		k->kmod_unref(k->ctx);
	if (k->dl)
		dlclose(k->dl);
}

static int libkmod_open(struct libkmod *ret)
{
	struct libkmod k = {};
	const struct mo_dlsym syms[] = {
		MO_DLSYM(&k, kmod_new),
		MO_DLSYM(&k, kmod_unref),
		MO_DLSYM(&k, kmod_set_log_fn),
		MO_DLSYM(&k, kmod_module_new_from_name),
		MO_DLSYM(&k, kmod_module_get_initstate),
		MO_DLSYM(&k, kmod_module_get_path),
		MO_DLSYM(&k, kmod_module_unref),
	};

	k.dl = mo_dlopen(KMOD_SONAME, syms, ARRAY_SIZE(syms));
	if (!k.dl)
		return -EOPNOTSUPP;
	k.ctx = k.kmod_new(NULL, NULL);
	if (!k.ctx) {
		libkmod_close(&k);
		return -ENOMEM;
	}
	k.kmod_set_log_fn(k.ctx, quiet, NULL);
	*ret = k;
	return 0;
}

static enum mo_driver_state state_from_kmod(struct mo_ctx *ctx, struct libkmod *k,
					    enum mo_driver d)
{
	struct kmod_module *mod = NULL;
	char path[128];
	bool have_initstate, file;
	int initstate;
	enum mo_driver_state st;

	if (d == MO_DRIVER_ACPI_MEMORY ||
	    k->kmod_module_new_from_name(k->ctx, drivers[d].name, &mod) < 0)
		return state_from_tree(ctx, d);
	initstate = k->kmod_module_get_initstate(mod);
	snprintf(path, sizeof(path), "module/%s/initstate", drivers[d].name);
	have_initstate = exists(mo_sys_fd(ctx), path);
	file = k->kmod_module_get_path(mod) != NULL;
	k->kmod_module_unref(mod);
	st = mo_driver_state_from_kmod(initstate, have_initstate, file);
	/* A built-in without parameters and without modules.builtin: its driver dir. */
	if (st == MO_DRIVER_ABSENT && exists(mo_sys_fd(ctx), drivers[d].sys_path))
		st = MO_DRIVER_BUILTIN;
	return st;
}

static int read_param(struct mo_ctx *ctx, enum mo_driver d)
{
	char path[128], buf[MO_VALUE_MAX];

	if (d == MO_DRIVER_ACPI_MEMORY)
		snprintf(path, sizeof(path), "%s/enabled", drivers[d].sys_path);
	else if (drivers[d].param)
		snprintf(path, sizeof(path), "module/%s/parameters/%s", drivers[d].name,
			 drivers[d].param);
	else
		return -1;
	if (mo_read_attr(mo_sys_fd(ctx), path, buf, sizeof(buf)) < 0)
		return -1;
	/* bool parameters read Y/N (param_get_bool); ACPI's enabled reads 0/1. */
	if (!strcmp(buf, "Y") || !strcmp(buf, "1"))
		return 1;
	if (!strcmp(buf, "N") || !strcmp(buf, "0"))
		return 0;
	return -1;
}

/* A device bound to the driver: a symlink in its directory other than "module". */
static int bound_devices(struct mo_ctx *ctx, enum mo_driver d)
{
	DIR *dir = mo_opendir_beneath(mo_sys_fd(ctx), drivers[d].sys_path);
	struct dirent *de;
	int n = 0;

	if (!dir)
		return d == MO_DRIVER_ACPI_MEMORY ? -1 : 0;
	while ((de = readdir(dir)))
		n += de->d_type == DT_LNK && strcmp(de->d_name, "module") != 0;
	closedir(dir);
	/* ACPI memory devices are not bound there: bus/acpi/devices/PNP0C80:NN. */
	return d == MO_DRIVER_ACPI_MEMORY ? -1 : n;
}

/*
 * ACPI SRAT, "Memory Affinity" entries (type 1, 40 bytes) whose flags say
 * enabled and hot-pluggable (ACPI 6.5, 5.2.16.2): the ranges a DIMM may be
 * plugged into.  The table's header is 36 bytes, then 12 reserved.
 */
int mo_srat_hotpluggable(const unsigned char *srat, size_t len)
{
	size_t off = 48;

	if (len < off || memcmp(srat, "SRAT", 4) != 0)
		return -EINVAL;
	while (off + 2 <= len) {
		unsigned type = srat[off], elen = srat[off + 1];
		uint32_t flags;

		if (elen < 2 || off + elen > len)
			return -EINVAL;
		if (type == 1 && elen >= 40) {
			memcpy(&flags, srat + off + 28, 4);
			if ((flags & 3) == 3)
				return 1;
		}
		off += elen;
	}
	return 0;
}

int mo_acpi_memory_hotpluggable(struct mo_ctx *ctx)
{
	DIR *dir = mo_opendir_beneath(mo_sys_fd(ctx), "bus/acpi/devices");
	struct dirent *de;
	size_t len;
	char *srat;
	int r = 0;

	/* A memory device present (a DIMM, or a slot the firmware lists). */
	while (dir && r == 0 && (de = readdir(dir)))
		r = strncmp(de->d_name, "PNP0C80:", 8) == 0;
	if (dir)
		closedir(dir);
	if (r)
		return 1;
	r = mo_read_all(mo_sys_fd(ctx), "firmware/acpi/tables/SRAT", 1 << 20, &srat, &len);
	if (r < 0)
		return r;
	r = mo_srat_hotpluggable((const unsigned char *)srat, len);
	free(srat);
	return r;
}

void mo_drivers_read(struct mo_ctx *ctx, struct mo_driver_info out[MO_DRIVER__MAX])
{
	struct libkmod k = {};

	/*
	 * libkmod reads the real /sys and /lib/modules: no use below a sysroot.
	 * Not there, or not loadable: k.ctx stays NULL and the tree answers.
	 */
	if (mo_is_live(ctx))
		(void)libkmod_open(&k);
	for (int d = 0; d < MO_DRIVER__MAX; d++) {
		out[d].state =
			k.ctx ? state_from_kmod(ctx, &k, d) : state_from_tree(ctx, d);
		out[d].param = out[d].state == MO_DRIVER_ABSENT ? -1 : read_param(ctx, d);
		out[d].devices = out[d].state == MO_DRIVER_ABSENT ? 0 : bound_devices(ctx, d);
	}
	libkmod_close(&k);
}
