// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xen-maxmem: the part of `xl mem-max` a dom0 test needs, without a toolstack.
 *
 *   xen-maxmem get        print tot_pages and max_pages of dom0 (in KiB)
 *   xen-maxmem set KIB    raise (or lower) dom0's limit to KIB
 *
 * Talks to the hypervisor through /dev/xen/privcmd (module xen-privcmd) with
 * XEN_DOMCTL_max_mem and XEN_DOMCTL_getdomaininfo, as libxc does. Built on the
 * host against libxen-dev's headers, which give the interface version.
 */
#define __XEN_TOOLS__ 1
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xen/xen.h>
#include <xen/domctl.h>

/* include/uapi/xen/privcmd.h in the kernel */
struct privcmd_hypercall {
	uint64_t op;
	uint64_t arg[5];
};
#define IOCTL_PRIVCMD_HYPERCALL _IOC(_IOC_NONE, 'P', 0, sizeof(struct privcmd_hypercall))

static int domctl(struct xen_domctl *dc)
{
	struct privcmd_hypercall hc = { .op = __HYPERVISOR_domctl };
	long page = sysconf(_SC_PAGESIZE);
	void *buf;
	int fd, r;

	/* The hypervisor copies the argument from guest memory: a locked page. */
	buf = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return -errno;
	if (mlock(buf, page) < 0) {
		r = -errno;
		goto out;
	}
	fd = open("/dev/xen/privcmd", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	dc->interface_version = XEN_DOMCTL_INTERFACE_VERSION;
	memcpy(buf, dc, sizeof(*dc));
	hc.arg[0] = (uintptr_t)buf;
	r = ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, &hc);
	r = r < 0 ? -errno : 0;
	memcpy(dc, buf, sizeof(*dc));
	close(fd);
out:
	munmap(buf, page);
	return r;
}

int main(int argc, char **argv)
{
	struct xen_domctl dc = { .domain = 0 };
	long pagekb = sysconf(_SC_PAGESIZE) / 1024;
	int r;

	if (argc == 2 && strcmp(argv[1], "get") == 0) {
		dc.cmd = XEN_DOMCTL_getdomaininfo;
		r = domctl(&dc);
		if (r == 0 && dc.u.getdomaininfo.domain != 0)
			r = -ESRCH;
		if (r < 0) {
			fprintf(stderr, "xen-maxmem: getdomaininfo: %s\n", strerror(-r));
			return 1;
		}
		printf("tot_kb=%" PRIu64 " max_kb=%" PRIu64 "\n",
		       (uint64_t)dc.u.getdomaininfo.tot_pages * pagekb,
		       (uint64_t)dc.u.getdomaininfo.max_pages * pagekb);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "set") == 0) {
		dc.cmd = XEN_DOMCTL_max_mem;
		dc.u.max_mem.max_memkb = strtoull(argv[2], NULL, 10);
		r = domctl(&dc);
		if (r < 0) {
			fprintf(stderr, "xen-maxmem: max_mem: %s\n", strerror(-r));
			return 1;
		}
		return 0;
	}
	fprintf(stderr, "usage: xen-maxmem get | set KIB\n");
	return 2;
}
