// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memonline doctor: each way hot-added memory goes wrong, checked, with a
 * verdict and the fix.  The checks only judge, the facts lib gathered
 * (mo_doctor_facts_gather); status --format prometheus exports the same
 * verdicts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/*
 * memmap costs 64 bytes per 4 KiB page, 1/64 of the memory it describes,
 * and it lives in kernel zones: at 16:1 movable:kernel the memmap of
 * movable memory alone takes a quarter of kernel memory, and kernel
 * allocations (page tables, slab, network buffers) fail long before
 * movable memory runs out (Documentation/admin-guide/mm/memory-hotplug.rst).
 */
#define RATIO_PROBLEM 1600

/* virtio_mem.c: offline_threshold = max(DEFAULT_OFFLINE_THRESHOLD, 2 blocks). */
#define VIRTIO_MEM_OFFLINE_THRESHOLD (1ULL << 30)

static const char *const level_names[] = {
	[CHECK_OK] = "ok",
	[CHECK_SKIPPED] = "skipped",
	[CHECK_WARNING] = "warning",
	[CHECK_PROBLEM] = "problem",
};

const char *check_level_name(enum check_level l)
{
	return l < ARRAY_SIZE(level_names) ? level_names[l] : "?";
}

__attribute__((format(printf, 3, 4)))
static void set(struct check *c, enum check_level level, const char *fmt, ...)
{
	va_list ap;

	c->level = level;
	va_start(ap, fmt);
	vsnprintf(c->summary, sizeof(c->summary), fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 2, 3)))
static void fix(struct check *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->fix, sizeof(c->fix), fmt, ap);
	va_end(ap);
}

static bool kernel_onlines(const struct mo_doctor_facts *f)
{
	return f->mem && mo_owner_kernel(f->owner.owner);
}

static bool memonline_onlines(const struct mo_doctor_facts *f)
{
	return f->our_rule || f->owner.daemon_running || f->daemon_enabled;
}

static const char *memonline_onliner(const struct mo_doctor_facts *f, char *buf, size_t size)
{
	if (f->owner.daemon_running)
		return "memonline watch runs";
	if (f->daemon_enabled)
		return "memonline.service is enabled";
	snprintf(buf, size, "memonline's udev rule %s is installed", f->our_rule->path);
	return buf;
}

static void check_hotplug(const struct mo_doctor_facts *f, struct check *c)
{
	char bs[32];
	bool zones = false;

	if (!f->mem) {
		if (f->scan_err == -ENODEV) {
			set(c, CHECK_PROBLEM, "no memory blocks in %s/devices/system/memory: the "
			    "kernel has no CONFIG_MEMORY_HOTPLUG", mo_sys_dir(f->ctx));
			fix(c, "boot a kernel built with CONFIG_MEMORY_HOTPLUG=y and "
			    "CONFIG_MEMORY_HOTREMOVE=y; added memory is never seen without it");
		} else {
			set(c, CHECK_PROBLEM, "%s/devices/system/memory: %s",
			    mo_sys_dir(f->ctx), f->scan_err == -EINVAL ?
			    "unexpected block_size_bytes" : strerror(-f->scan_err));
		}
		return;
	}
	for (size_t i = 0; i < f->mem->n_blocks; i++)
		zones |= f->mem->blocks[i].have_zones;
	mo_size_human(f->mem->block_size, bs, sizeof(bs));
	if (!zones && f->mem->n_blocks) {
		set(c, CHECK_WARNING, "memory hotplug present (%zu blocks of %s), but no "
		    "valid_zones: the kernel has no CONFIG_MEMORY_HOTREMOVE", f->mem->n_blocks, bs);
		fix(c, "added memory can never be removed again; use a kernel with "
		    "CONFIG_MEMORY_HOTREMOVE=y if it must be");
		return;
	}
	set(c, CHECK_OK, "memory hotplug present: %zu blocks of %s", f->mem->n_blocks, bs);
}

static void check_sysfs(const struct mo_doctor_facts *f, struct check *c)
{
	if (f->sys_read_only) {
		set(c, CHECK_PROBLEM, "%s is mounted read-only: no block can be onlined here",
		    mo_sys_dir(f->ctx));
		fix(c, "run memonline where sysfs is writable (the host, or a privileged "
		    "container); a read-only /sys is the usual container default");
		return;
	}
	if (f->unprivileged) {
		set(c, CHECK_PROBLEM, "not root: writing a block's state needs CAP_SYS_ADMIN");
		fix(c, "run memonline as root (the udev rule and memonline.service do)");
		return;
	}
	if (f->auto_online_access < 0 && f->auto_online_access != -ENOENT) {
		set(c, CHECK_PROBLEM, "%s/devices/system/memory/auto_online_blocks: %s",
		    mo_sys_dir(f->ctx), strerror(-f->auto_online_access));
		fix(c, "run memonline as root, where sysfs is writable");
		return;
	}
	set(c, CHECK_OK, "sysfs is writable");
}

static void check_onliners(const struct mo_doctor_facts *f, struct check *c)
{
	const char *mode = mo_auto_online_name(f->owner.auto_online);
	char buf[768];

	if (!f->mem) {
		set(c, CHECK_SKIPPED, "no memory blocks");
		return;
	}
	if (kernel_onlines(f) && memonline_onlines(f)) {
		if (f->owner.owner == MO_OWNER_KERNEL_CORRECTED) {
			set(c, CHECK_OK, "the kernel onlines new memory (auto_online_blocks=%s) "
			    "and memonline corrects its zones (auto-online correct)", mode);
			return;
		}
		set(c, CHECK_WARNING, "two onliners: the kernel onlines new memory "
		    "(auto_online_blocks=%s) and %s; memonline steps aside, so its zone "
		    "policy is never applied", mode, memonline_onliner(f, buf, sizeof(buf)));
		fix(c, "leave onlining to memonline: boot with memhp_default_state=offline "
		    "(and echo offline > %s/devices/system/memory/auto_online_blocks now), or "
		    "set 'auto-online correct' in memonline.conf", mo_sys_dir(f->ctx));
		return;
	}
	if (kernel_onlines(f)) {
		set(c, CHECK_OK, "the kernel onlines new memory (auto_online_blocks=%s)", mode);
		return;
	}
	if (memonline_onlines(f)) {
		set(c, CHECK_OK, "%s", memonline_onliner(f, buf, sizeof(buf)));
		return;
	}
	if (f->n_rules) {
		set(c, CHECK_OK, "the udev rule %s onlines new memory", f->rules[0].path);
		return;
	}
	if (f->owner.auto_online == MO_AUTO_UNKNOWN) {
		set(c, CHECK_WARNING, "cannot tell whether the kernel onlines new memory: "
		    "%s/devices/system/memory/auto_online_blocks is missing or unreadable, and "
		    "no memory udev rule or memonline watch is there", mo_sys_dir(f->ctx));
		fix(c, "install memonline's udev rule or enable memonline.service; it steps "
		    "aside if the kernel onlines after all");
		return;
	}
	if (f->hotadd == 0) {
		set(c, CHECK_OK, "nothing can hot-add memory here (no virtio-mem device, no "
		    "hot-pluggable ACPI memory, not a Xen or Hyper-V guest, no dax kmem "
		    "device): no onliner is needed");
		return;
	}
	set(c, CHECK_WARNING, "nobody onlines new memory: auto_online_blocks=%s, no memory "
	    "udev rule, no memonline watch", mode);
	fix(c, "install memonline's udev rule or enable memonline.service; added memory "
	    "otherwise stays offline, unused");
}

/*
 * Each offending rule, by where it lives: one in /etc is the admin's own
 * file, to edit or remove; one elsewhere is masked by a same-named link in
 * /etc (udev's precedence).
 */
static void rules_fix(const struct mo_doctor_facts *f, struct check *c)
{
	const char *root = mo_root_dir(f->ctx);
	size_t len = 0, root_len;

	root_len = strcmp(root, "/") == 0 ? 0 : strlen(root);
	for (size_t i = 0; i < f->n_rules && len < sizeof(c->fix); i++) {
		const struct mo_udev_rules_file *r = &f->rules[i];

		if (r->memonline)
			continue;
		if (strncmp(r->path + root_len, "/etc/", 5) == 0)
			len += snprintf(c->fix + len, sizeof(c->fix) - len, "%sedit or remove %s",
					len ? "; " : "", r->path + root_len);
		else
			len += snprintf(c->fix + len, sizeof(c->fix) - len,
					"%smask it: ln -s /dev/null /etc/udev/rules.d/%s",
					len ? "; " : "", r->name);
	}
}

static void check_rules(const struct mo_doctor_facts *f, struct check *c)
{
	char names[320] = "";
	size_t others = 0, len = 0;

	if (f->rules_err < 0) {
		set(c, CHECK_SKIPPED, "%s: %s", mo_root_dir(f->ctx), strerror(-f->rules_err));
		return;
	}
	for (size_t i = 0; i < f->n_rules; i++) {
		if (f->rules[i].memonline)
			continue;
		if (len < sizeof(names))
			len += snprintf(names + len, sizeof(names) - len, "%s%s", others ? ", " : "",
					f->rules[i].path);
		others++;
	}
	if (!others) {
		set(c, CHECK_OK, "no other udev rule onlines memory");
		return;
	}
	if (memonline_onlines(f) || kernel_onlines(f)) {
		/* Theirs run first: a lower number, or ATTR{} set as rules are read. */
		set(c, CHECK_WARNING, "%zu other udev rule%s online%s memory: %s; %s", others,
		    others == 1 ? "" : "s", others == 1 ? "s" : "", names,
		    kernel_onlines(f) ? "the kernel onlines too: two onliners, EINVAL noise"
				      : "they online first, in their hard-coded zone, so "
					"memonline's policy is not applied");
		rules_fix(f, c);
		return;
	}
	set(c, CHECK_OK, "%s onlines memory (the only onliner)", names);
}

static void check_offline(const struct mo_doctor_facts *f, struct check *c)
{
	uint64_t n = 0, kmem = 0, standby = 0;
	char size[32], others[96];

	if (!f->mem) {
		set(c, CHECK_SKIPPED, "no memory blocks");
		return;
	}
	for (size_t i = 0; i < f->mem->n_blocks; i++) {
		const struct mo_block *b = &f->mem->blocks[i];

		if (b->state != MO_STATE_OFFLINE)
			continue;
		/* daxctl onlines dax kmem memory itself, when it is told to. */
		if (b->source == MO_SOURCE_KMEM)
			kmem++;
		else if (b->source == MO_SOURCE_STANDBY)
			standby++;
		else
			n++;
	}
	/* Standby memory is the firmware's reserve: offline is its normal state. */
	mo_size_human(standby * f->mem->block_size, size, sizeof(size));
	snprintf(others, sizeof(others), "%s%s%s%s", kmem || standby ? " (" : "",
		 kmem ? "dax kmem blocks are daxctl's" : "", kmem && standby ? "; " : "",
		 standby ? "s390 standby memory is left alone: chmem -e configures it" : "");
	if (kmem || standby)
		strcat(others, ")");
	if (!n) {
		if (standby)
			set(c, CHECK_OK, "%" PRIu64 " standby block%s (%s) offline, as they should "
			    "be%s", standby, standby == 1 ? "" : "s", size, others);
		else
			set(c, CHECK_OK, "no block left offline%s", others);
		return;
	}
	mo_size_human(n * f->mem->block_size, size, sizeof(size));
	set(c, CHECK_WARNING, "%" PRIu64 " block%s (%s) left offline: memory the guest "
	    "pays for and cannot use%s", n, n == 1 ? "" : "s", size, others);
	fix(c, "memonline online --all%s", kernel_onlines(f) || memonline_onlines(f) ||
	    f->n_rules ? "" : "; and install memonline's udev rule so new memory comes online");
}

static void check_ratio(const struct mo_doctor_facts *f, struct check *c)
{
	unsigned budget = mo_policy_ratio(f->policy);
	struct mo_usage u;
	long long worst;
	int worst_node = -1;

	if (!f->mem) {
		set(c, CHECK_SKIPPED, "no memory blocks");
		return;
	}
	mo_usage_from_memory(f->mem, &u);
	if (!u.kernel && u.movable) {
		set(c, CHECK_PROBLEM, "only movable memory is online: the kernel has no zone to "
		    "allocate from");
		fix(c, "online memory into a kernel zone: memonline online --zone kernel SIZE");
		return;
	}
	worst = mo_ratio_percent(u.movable, u.kernel);
	/* Kernel allocations of a node fall back to others, but slowly and not all. */
	for (int n = 0; mo_policy_numa_aware(f->policy) && n < MO_MAX_NODES; n++) {
		long long r = mo_ratio_percent(u.node_movable[n], u.node_kernel[n]);

		if (r > worst) {
			worst = r;
			worst_node = n;
		}
	}
	if (worst < 0) {
		set(c, CHECK_OK, "no movable memory");
		return;
	}
	if (worst > RATIO_PROBLEM || worst > budget) {
		char where[32] = "";

		if (worst_node >= 0)
			snprintf(where, sizeof(where), " on node %d", worst_node);
		set(c, worst > RATIO_PROBLEM ? CHECK_PROBLEM : CHECK_WARNING,
		    "movable:kernel is %lld%%%s, above %s %u%%: kernel allocations may fail "
		    "(OOM) with plenty of memory free", worst, where,
		    worst > RATIO_PROBLEM ? "the safe bound" : "memonline's budget",
		    worst > RATIO_PROBLEM ? RATIO_PROBLEM : budget);
		fix(c, "online the next memory into kernel zones (memonline's auto policy does "
		    "within 'ratio %u'), or offline some movable memory", budget);
		return;
	}
	set(c, CHECK_OK, "movable:kernel is %lld%%, within %u%%", worst, budget);
}

static void check_removable(const struct mo_doctor_facts *f, struct check *c)
{
	uint64_t dimm = 0, vmem = 0;

	if (!f->mem) {
		set(c, CHECK_SKIPPED, "no memory blocks");
		return;
	}
	for (size_t i = 0; i < f->mem->n_blocks; i++) {
		const struct mo_block *b = &f->mem->blocks[i];

		if (b->state != MO_STATE_ONLINE || !b->have_zones ||
		    b->zone == MO_ZONE_MOVABLE)
			continue;
		dimm += b->source == MO_SOURCE_DIMM;
		vmem += b->source == MO_SOURCE_VIRTIO_MEM;
	}
	if (dimm) {
		set(c, CHECK_WARNING, "%" PRIu64 " DIMM block%s in kernel zones: unplugging "
		    "that DIMM will fail (offline gives EBUSY on unmovable pages)%s", dimm,
		    dimm == 1 ? "" : "s", vmem ? ", and virtio-mem blocks too" : "");
		fix(c, "add 'rule source=dimm zone=movable' to memonline.conf for the next "
		    "DIMMs; for these, offline and online them again while idle: memonline "
		    "offline RANGE && memonline online --zone movable RANGE");
		return;
	}
	if (vmem) {
		set(c, CHECK_WARNING, "%" PRIu64 " virtio-mem block%s in kernel zones: unplug "
		    "of that memory is best-effort only", vmem, vmem == 1 ? "" : "s");
		fix(c, "if this memory must shrink again, use 'rule source=virtio-mem "
		    "zone=movable' (within the ratio budget)");
		return;
	}
	set(c, CHECK_OK, "no removable memory (DIMM, virtio-mem) in kernel zones");
}

static void check_xen(const struct mo_doctor_facts *f, struct check *c)
{
	const struct mo_xen_view *v = &f->balloon;
	const char *text = balloon_verdict_text(v->d.verdict);
	const char *how = balloon_fix(&v->d);

	switch (v->d.verdict) {
	case MO_XEN_NOT_XEN:
		if (v->err && v->err != -ENODEV) {
			set(c, CHECK_PROBLEM, "%s/%s: %s", mo_sys_dir(f->ctx),
			    v->bad_attr ? v->bad_attr : mo_xen_balloon_dir(),
			    v->err == -EINVAL ? "unexpected value" : strerror(-v->err));
			return;
		}
		set(c, CHECK_SKIPPED, "not a Xen guest");
		return;
	case MO_XEN_NO_BALLOON:
		set(c, CHECK_SKIPPED, "a Xen guest without the balloon driver");
		return;
	case MO_XEN_REACHED:
	case MO_XEN_RELEASING:
	case MO_XEN_POPULATING:
		set(c, CHECK_OK, "Xen balloon: %s", text);
		return;
	case MO_XEN_WAITING_ONLINE:
		set(c, CHECK_WARNING, "Xen balloon %s", text);
		break;
	default:
		set(c, CHECK_PROBLEM, "Xen balloon stuck: %s", text);
		break;
	}
	if (how)
		fix(c, "%s", how);
}

static void check_virtio_mem(const struct mo_doctor_facts *f, struct check *c)
{
	uint64_t offline = 0, threshold;
	char size[32];
	bool any = false;

	if (f->drivers[MO_DRIVER_VIRTIO_MEM].state != MO_DRIVER_BUILTIN &&
	    f->drivers[MO_DRIVER_VIRTIO_MEM].state != MO_DRIVER_LOADED) {
		set(c, CHECK_SKIPPED, "no virtio_mem driver");
		return;
	}
	if (!f->mem) {
		set(c, CHECK_SKIPPED, "no memory blocks");
		return;
	}
	for (size_t i = 0; i < f->mem->n_blocks; i++) {
		if (f->mem->blocks[i].source != MO_SOURCE_VIRTIO_MEM)
			continue;
		any = true;
		if (f->mem->blocks[i].state == MO_STATE_OFFLINE)
			offline += f->mem->block_size;
	}
	/* A driver with neither a device nor memory of its own adds nothing. */
	if (!any && f->drivers[MO_DRIVER_VIRTIO_MEM].devices <= 0) {
		set(c, CHECK_SKIPPED, "virtio_mem driver %s, but no virtio-mem device",
		    mo_driver_state_name(f->drivers[MO_DRIVER_VIRTIO_MEM].state));
		return;
	}
	threshold = VIRTIO_MEM_OFFLINE_THRESHOLD;
	if (threshold < 2 * f->mem->block_size)
		threshold = 2 * f->mem->block_size;
	mo_size_human(offline, size, sizeof(size));
	/* virtio_mem_could_add_memory(): offline_size + one more block <= threshold. */
	if (offline && offline + f->mem->block_size > threshold) {
		set(c, CHECK_PROBLEM, "virtio-mem stalled: %s of its memory sits offline; it "
		    "adds no more until about half of that is online", size);
		fix(c, "memonline online --all, and make sure an onliner runs (memonline's "
		    "rule or memonline watch)");
		return;
	}
	if (offline) {
		set(c, CHECK_WARNING, "%s of virtio-mem memory offline; at about 1G offline the "
		    "device stops adding", size);
		fix(c, "memonline online --all");
		return;
	}
	set(c, CHECK_OK, "virtio-mem: nothing offline%s",
	    f->drivers[MO_DRIVER_VIRTIO_MEM].param == 1 ?
	    " (unplug_online=Y: it offlines and removes memory itself)" : "");
}

/* Each check's stable id (JSON, metrics) and its judge. */
static const struct {
	const char *id;
	void (*judge)(const struct mo_doctor_facts *f, struct check *c);
} checks[CHECK__MAX] = {
	[CHECK_HOTPLUG] = { "hotplug", check_hotplug },
	[CHECK_SYSFS] = { "sysfs-writable", check_sysfs },
	[CHECK_ONLINERS] = { "onliners", check_onliners },
	[CHECK_RULES] = { "udev-rules", check_rules },
	[CHECK_OFFLINE] = { "offline-blocks", check_offline },
	[CHECK_RATIO] = { "movable-ratio", check_ratio },
	[CHECK_REMOVABLE] = { "removable-in-kernel-zones", check_removable },
	[CHECK_XEN] = { "xen-balloon", check_xen },
	[CHECK_VIRTIO_MEM] = { "virtio-mem", check_virtio_mem },
};

void doctor_run(const struct mo_doctor_facts *f, struct doctor *d)
{
	memset(d, 0, sizeof(*d));
	for (int i = 0; i < CHECK__MAX; i++) {
		d->checks[i].id = checks[i].id;
		checks[i].judge(f, &d->checks[i]);
		d->warnings += d->checks[i].level == CHECK_WARNING;
		d->problems += d->checks[i].level == CHECK_PROBLEM;
	}
}

int doctor_exit_code(const struct doctor *d)
{
	return d->problems ? EXIT_PROBLEMS : d->warnings ? EXIT_WARNINGS : EXIT_OK;
}

static void __attribute__((noreturn)) usage(FILE *out)
{
	fputs("Usage:\n"
	      " memonline doctor [--json]\n"
	      "\n"
	      "Check what makes hot-added memory go wrong, each with a verdict and a fix.\n"
	      "\n"
	      "Options:\n"
	      " -J, --json     JSON output\n"
	      "\n"
	      "Exit status: 0 healthy, 65 warnings only, 66 at least one problem,\n"
	      "1 nothing could be checked, 2 usage.\n",
	      out);
	exit(out == stderr ? EXIT_USAGE : EXIT_OK);
}

int cmd_doctor(struct control *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "json", no_argument, NULL, 'J' },
		{ NULL, 0, NULL, 0 },
	};
	struct mo_doctor_facts *f;
	struct mo_policy *p;
	const char *verdict;
	struct doctor d;
	int c;

	while ((c = getopt_long(argc, argv, COMMON_SHORTOPTS "J", longopts, NULL)) != -1) {
		if (common_option(ctl, c, optarg, usage))
			continue;
		if (c == 'J')
			ctl->json = true;
		else
			usage(stderr);
	}
	if (optind < argc)
		usage_error(usage, "doctor: unexpected argument '%s'", argv[optind]);

	p = load_policy(ctl);
	f = gather_facts(ctl, p);
	doctor_run(f, &d);
	verdict = d.problems ? "problems" : d.warnings ? "warnings" : "healthy";
	if (ctl->json) {
		struct json j;

		json_begin(&j, stdout);
		json_array(&j, "checks");
		for (int i = 0; i < CHECK__MAX; i++) {
			const struct check *k = &d.checks[i];

			json_object(&j, NULL);
			json_str(&j, "check", k->id);
			json_str(&j, "verdict", check_level_name(k->level));
			json_str(&j, "summary", k->summary);
			if (k->fix[0])
				json_str(&j, "fix", k->fix);
			else
				json_null(&j, "fix");
			json_close(&j, '}');
		}
		json_close(&j, ']');
		json_u64(&j, "warnings", d.warnings);
		json_u64(&j, "problems", d.problems);
		json_str(&j, "verdict", verdict);
		json_end(&j);
	} else {
		for (int i = 0; i < CHECK__MAX; i++) {
			const struct check *k = &d.checks[i];

			printf("%-8s %-26s %s\n", check_level_name(k->level), k->id, k->summary);
			if (k->fix[0] && k->level >= CHECK_WARNING)
				printf("%-8s %-26s fix: %s\n", "", "", k->fix);
		}
		printf("\n%s: %u warning%s, %u problem%s\n", verdict, d.warnings,
		       d.warnings == 1 ? "" : "s", d.problems, d.problems == 1 ? "" : "s");
	}
	mo_doctor_facts_free(f);
	mo_policy_free(p);
	return doctor_exit_code(&d);
}
