// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The Xen balloon's words, as status, target and doctor show it; the
 * observation itself (read, settle, diagnose) is lib/xen.c's.
 */
#define _GNU_SOURCE
#include <inttypes.h>

#include "cli.h"

const char *balloon_verdict_text(enum mo_xen_verdict v)
{
	switch (v) {
	case MO_XEN_NOT_XEN:
		return "not a Xen guest";
	case MO_XEN_NO_BALLOON:
		return "no balloon driver";
	case MO_XEN_REACHED:
		return "reached";
	case MO_XEN_RELEASING:
		return "releasing: the balloon gives memory back to the hypervisor";
	case MO_XEN_WAITING_ONLINE:
		return "waiting for onlining: the driver added blocks and polls until they are "
		       "online";
	case MO_XEN_POPULATING:
		return "in progress: the driver is populating memory";
	case MO_XEN_REFUSED:
		return "hypervisor refuses: pages sit in the balloon, not populated";
	case MO_XEN_HOTPLUG_UNSUPPORTED:
		return "hotplug unsupported: the kernel lacks CONFIG_XEN_BALLOON_MEMORY_HOTPLUG, "
		       "so the target cannot exceed the boot reservation";
	case MO_XEN_STALLED:
		return "stalled: the driver gave up adding memory";
	case MO_XEN_OVERRIDDEN:
		return "overridden: the toolstack set another target";
	default:
		return "?";
	}
}

/*
 * The limit, and what resets it: libxl's xl mem-set sets the domain's
 * maximum to its new target + 1 MiB (LIBXL_MAXMEM_CONSTANT), so after it
 * only xl mem-max lets the guest grow itself.
 */
#define LIMIT_FIX "raise the domain's limit in dom0 (xl mem-max DOMAIN SIZE; xl mem-set " \
		  "lowers it to its target + 1 MiB, so a grow from inside the guest needs " \
		  "xl mem-max again)"
/* A translated guest's refusal may be the paging pool instead (mo_xen_diagnosis). */
#define POOL_FIX "one of two limits, which only dom0 can tell: 'Over-allocation' for the " \
		 "domain in xl dmesg is its memory limit: " LIMIT_FIX "; none is Xen's " \
		 "paging pool for it (shadow_memory), sized from maxmem at creation, " \
		 "which xl mem-max does not grow: recreate the domain with a larger " \
		 "maxmem or shadow_memory"
#define GAVE_UP "the driver gave up after max_retry_count tries: "
#define REKICK ", then memonline target --wait, which writes the target anew"

const char *balloon_fix(const struct mo_xen_diagnosis *d)
{
	switch (d->verdict) {
	case MO_XEN_NOT_XEN:
	case MO_XEN_REACHED:
	case MO_XEN_RELEASING:
	case MO_XEN_POPULATING:
		return NULL;
	case MO_XEN_NO_BALLOON:
		return "use a kernel with CONFIG_XEN_BALLOON";
	case MO_XEN_WAITING_ONLINE:
		return "memonline online --all (or memonline target --wait)";
	case MO_XEN_REFUSED:
		if (d->pool)
			return d->kick ? GAVE_UP POOL_FIX REKICK : POOL_FIX;
		return d->kick ? GAVE_UP LIMIT_FIX REKICK : LIMIT_FIX;
	case MO_XEN_HOTPLUG_UNSUPPORTED:
		return "boot a kernel with CONFIG_XEN_BALLOON_MEMORY_HOTPLUG=y, or give the "
		       "domain more memory at creation";
	case MO_XEN_STALLED:
		return "see the kernel log ('adding memory failed'); memonline target --wait "
		       "writes the target anew to wake the driver";
	case MO_XEN_OVERRIDDEN:
		return "set the target from dom0 instead (xl mem-set DOMAIN SIZE)";
	default:
		return NULL;
	}
}

void balloon_size(bool bytes_only, uint64_t bytes, char *buf, size_t size)
{
	if (bytes_only)
		snprintf(buf, size, "%" PRIu64, bytes);
	else
		mo_size_human(bytes, buf, size);
}

static void delta_text(bool bytes, const struct mo_xen_balloon *b, char *buf,
		       size_t size)
{
	uint64_t t = b->target_kb * 1024, c = b->current_kb * 1024;
	char s[32];

	if (t == c) {
		snprintf(buf, size, "0");
		return;
	}
	balloon_size(bytes, t > c ? t - c : c - t, s, sizeof(s));
	snprintf(buf, size, "%s%s (%s)", t > c ? "+" : "-", s,
		 t > c ? "to be added" : "to be given back");
}

void balloon_print_text(const struct mo_xen_view *v, bool bytes)
{
	const struct mo_xen_balloon *b = &v->b;
	char s[64], l[32], h[32];
	const char *fix;

	printf("Hypervisor:   %s", v->hv.type[0] ? v->hv.type : "none detected");
	if (v->hv.guest_type[0])
		printf(" (%s guest)", v->hv.guest_type);
	printf("\n");
	if (v->err) {
		printf("Verdict:      %s\n", balloon_verdict_text(v->d.verdict));
		return;
	}
	balloon_size(bytes, b->target_kb * 1024, s, sizeof(s));
	printf("Target:       %s\n", s);
	if (mo_hypervisor_is_translated(&v->hv))
		printf("              (xl's figure for the domain is higher by a boot "
		       "offset in a %s guest)\n", v->hv.guest_type);
	balloon_size(bytes, b->current_kb * 1024, s, sizeof(s));
	printf("Current:      %s\n", s);
	balloon_size(bytes, (b->low_kb + b->high_kb) * 1024, s, sizeof(s));
	balloon_size(bytes, b->low_kb * 1024, l, sizeof(l));
	balloon_size(bytes, b->high_kb * 1024, h, sizeof(h));
	printf("Ballooned:    %s (low %s, high %s)\n", s, l, h);
	delta_text(bytes, b, s, sizeof(s));
	printf("Delta:        %s\n", s);
	printf("Hotplug:      %s\n", b->hotplug_unpopulated >= 0 ?
	       "supported (XEN_BALLOON_MEMORY_HOTPLUG)" :
	       "unsupported (no /proc/sys/xen/balloon/hotplug_unpopulated)");
	if (b->retry_count != MO_XEN_UNSET && b->max_retry_count != MO_XEN_UNSET &&
	    b->schedule_delay != MO_XEN_UNSET && b->max_schedule_delay != MO_XEN_UNSET) {
		printf("Driver:       retry %" PRIu64 " of %s, delay %" PRIu64 " s (at most %"
		       PRIu64 " s)\n", b->retry_count,
		       b->max_retry_count ? (snprintf(s, sizeof(s), "%" PRIu64,
						      b->max_retry_count), s) : "unlimited",
		       b->schedule_delay, b->max_schedule_delay);
	}
	printf("Verdict:      %s\n", balloon_verdict_text(v->d.verdict));
	if (v->d.verdict == MO_XEN_WAITING_ONLINE && v->block_size) {
		balloon_size(bytes, v->offline_blocks * v->block_size, s, sizeof(s));
		printf("              %" PRIu64 " offline block%s (%s)\n", v->offline_blocks,
		       v->offline_blocks == 1 ? "" : "s", s);
	}
	fix = balloon_fix(&v->d);
	if (fix)
		printf("Fix:          %s\n", fix);
}

void balloon_print_json(struct json *j, const struct mo_xen_view *v)
{
	const struct mo_xen_balloon *b = &v->b;
	const char *fix = balloon_fix(&v->d);

	json_object(j, "hypervisor");
	if (v->hv.type[0])
		json_str(j, "type", v->hv.type);
	else
		json_null(j, "type");
	if (v->hv.guest_type[0])
		json_str(j, "guest_type", v->hv.guest_type);
	else
		json_null(j, "guest_type");
	json_close(j, '}');
	if (v->err) {
		json_null(j, "xen_balloon");
		return;
	}
	json_object(j, "xen_balloon");
	json_u64(j, "target", b->target_kb * 1024);
	json_u64(j, "current", b->current_kb * 1024);
	json_u64(j, "low", b->low_kb * 1024);
	json_u64(j, "high", b->high_kb * 1024);
	json_int(j, "delta", (long long)(b->target_kb - b->current_kb) * 1024);
	json_bool(j, "hotplug", b->hotplug_unpopulated >= 0);
#define COUNTER(name) \
	do { \
		if (b->name != MO_XEN_UNSET) \
			json_u64(j, #name, b->name); \
		else \
			json_null(j, #name); \
	} while (0)
	COUNTER(schedule_delay);
	COUNTER(max_schedule_delay);
	COUNTER(retry_count);
	COUNTER(max_retry_count);
#undef COUNTER
	json_u64(j, "offline_blocks", v->offline_blocks);
	json_str(j, "verdict", mo_xen_verdict_name(v->d.verdict));
	json_str(j, "reason", balloon_verdict_text(v->d.verdict));
	if (fix)
		json_str(j, "fix", fix);
	else
		json_null(j, "fix");
	json_close(j, '}');
}
