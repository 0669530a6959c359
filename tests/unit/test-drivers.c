// SPDX-License-Identifier: GPL-2.0-or-later
/* libkmod's initstate in memonline's words, including its "coming" guess. */
#include <errno.h>
#include <libkmod.h>

#include "internal.h"
#include "tap.h"

int main(void)
{
	static const struct {
		const char *what;
		int initstate;
		bool have_initstate, file;
		enum mo_driver_state want;
	} cases[] = {
		{ "modules.builtin lists it", KMOD_MODULE_BUILTIN, false, false,
		  MO_DRIVER_BUILTIN },
		{ "a live module", KMOD_MODULE_LIVE, true, true, MO_DRIVER_LOADED },
		{ "a module being removed is still there", KMOD_MODULE_GOING, true, true,
		  MO_DRIVER_LOADED },
		/* No /lib/modules: libkmod sees sys/module/NAME without initstate. */
		{ "'coming' without initstate is a built-in", KMOD_MODULE_COMING, false, false,
		  MO_DRIVER_BUILTIN },
		{ "'coming' with initstate is a module loading", KMOD_MODULE_COMING, true, true,
		  MO_DRIVER_LOADED },
		{ "not there, a module file on disk", -ENOENT, false, true, MO_DRIVER_AVAILABLE },
		{ "not there at all", -ENOENT, false, false, MO_DRIVER_ABSENT },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		is_str(mo_driver_state_name(mo_driver_state_from_kmod(cases[i].initstate,
								      cases[i].have_initstate,
								      cases[i].file)),
		       mo_driver_state_name(cases[i].want), "%s", cases[i].what);
	is_str(mo_driver_name(MO_DRIVER_DAX_KMEM), "kmem", "dax kmem's module is kmem");
	is_str(mo_driver_param_name(MO_DRIVER_VIRTIO_MEM), "unplug_online", "virtio_mem param");
	is_str(mo_driver_param_name(MO_DRIVER_HV_BALLOON), "hot_add", "hv_balloon param");
	ok(mo_driver_param_name(MO_DRIVER_DAX_KMEM) == NULL, "kmem has no parameter that matters");
	return tap_done();
}
