// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xen-gntmap: make a domU's kernel take pages for a foreign mapping, as a
 * backend does before it maps a frontend's grant.
 *
 *   xen-gntmap PAGES    ask /dev/xen/gntdev (module xen-gntdev) to set up
 *                       PAGES grant mappings of dom0's grant 0, then let go
 *
 * IOCTL_GNTDEV_MAP_GRANT_REF only reserves the pages: gntdev_alloc_map() takes
 * them with gnttab_alloc_pages(), which with CONFIG_XEN_UNPOPULATED_ALLOC
 * comes from xen_alloc_unpopulated_pages() (drivers/xen/unpopulated-alloc.c:
 * a "Xen scratch" region of ZONE_DEVICE memory, kept after the pages are
 * given back). The grant itself is never mapped: that would happen at mmap().
 * Built on the host against libxen-dev's headers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <xen/sys/gntdev.h>

int main(int argc, char **argv)
{
	struct ioctl_gntdev_map_grant_ref *map;
	struct ioctl_gntdev_unmap_grant_ref unmap = { 0 };
	long pages = argc == 2 ? strtol(argv[1], NULL, 10) : 0;
	int fd;

	if (pages < 1 || pages > 4096) {
		fprintf(stderr, "usage: xen-gntmap PAGES (1-4096)\n");
		return 2;
	}
	fd = open("/dev/xen/gntdev", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "xen-gntmap: /dev/xen/gntdev: %s\n", strerror(errno));
		return 1;
	}
	map = calloc(1, sizeof(*map) + pages * sizeof(map->refs[0]));
	if (!map)
		return 1;
	map->count = pages; /* refs[]: dom0's grant 0, never mapped */
	if (ioctl(fd, IOCTL_GNTDEV_MAP_GRANT_REF, map) < 0) {
		fprintf(stderr, "xen-gntmap: IOCTL_GNTDEV_MAP_GRANT_REF: %s\n", strerror(errno));
		return 1;
	}
	printf("reserved %ld pages at index %llu\n", pages, (unsigned long long)map->index);
	unmap.index = map->index;
	unmap.count = pages;
	if (ioctl(fd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &unmap) < 0) {
		fprintf(stderr, "xen-gntmap: IOCTL_GNTDEV_UNMAP_GRANT_REF: %s\n", strerror(errno));
		return 1;
	}
	close(fd);
	free(map);
	return 0;
}
