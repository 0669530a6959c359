// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pageout: push a process's pages out, as a thrashing guest's reclaim would
 * (guest/starved.sh, onliner daemon-disk).
 *
 *   pageout PID
 *
 * process_madvise(MADV_PAGEOUT) (Linux 5.10) over every mapping in
 * /proc/PID/maps: the kernel reclaims each page of them it can, and skips
 * what is mlocked.  Its file pages, on a disk, come back by a major fault.
 * Pages the process has not faulted in are not mapped: dropping the page
 * cache (vm.drop_caches) evicts those.  The kernel refuses a locked
 * mapping, and [vvar], with EINVAL: those are counted, not paged out.
 * A mapping still busy (EAGAIN) after 3 tries is named on stderr and
 * left.  Prints the mappings and bytes advised and refused; exits 1 on
 * another error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

int main(int argc, char **argv)
{
	char path[64], line[512];
	unsigned long long bytes = 0, refused_bytes = 0;
	int pidfd, maps = 0, refused = 0;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: pageout PID\n");
		return 2;
	}
	pidfd = syscall(SYS_pidfd_open, atoi(argv[1]), 0);
	snprintf(path, sizeof(path), "/proc/%s/maps", argv[1]);
	f = fopen(path, "r");
	if (pidfd < 0 || !f) {
		fprintf(stderr, "pageout: %s: %s\n", pidfd < 0 ? "pidfd_open" : path,
			strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		uintptr_t start, end;
		struct iovec iov;

		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &start, &end) != 2)
			continue;
		/* Not a VMA of the process: ENOMEM. */
		if (strstr(line, "[vsyscall]"))
			continue;
		iov.iov_base = (void *)start;
		iov.iov_len = end - start;
		long rc;
		int tries = 0;

		/* EAGAIN: pages the kernel could not take now (the heap): retried. */
		while ((rc = syscall(SYS_process_madvise, pidfd, &iov, 1, MADV_PAGEOUT, 0)) < 0 &&
		       errno == EAGAIN && ++tries < 3)
			continue;
		if (rc >= 0) {
			maps++;
			bytes += end - start;
		} else if (errno == EAGAIN) {
			fprintf(stderr, "pageout: busy, left resident: %s", line);
		} else if (errno == EINVAL) {
			refused++;
			refused_bytes += end - start;
		} else {
			fprintf(stderr, "pageout: process_madvise %s: %s", strerror(errno), line);
			return 1;
		}
	}
	printf("pageout: MADV_PAGEOUT on %d mappings, %llu KiB; refused (locked) %d, %llu KiB\n",
	       maps, bytes / 1024, refused, refused_bytes / 1024);
	return 0;
}
