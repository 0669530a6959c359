// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Keeping a daemon resident.  Memory is short exactly when memory is being
 * added: pages of the daemon paged out then would have to come back from
 * disk first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <link.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

#if defined(__SANITIZE_ADDRESS__)
#define MO_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MO_ASAN 1
#endif
#endif

#ifdef MO_ASAN
int mo_lock_memory(uint64_t *memlock_limit)
{
	(void)memlock_limit;
	/* ASan reserves terabytes of shadow memory: not something to lock. */
	return -EOPNOTSUPP;
}
#else
static bool have_cap(int cap)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];

	return syscall(SYS_capget, &h, d) == 0 &&
	       (d[cap / 32].effective & (1u << (cap % 32)));
}

/*
 * mlock every loaded segment of every object dl_iterate_phdr names: the
 * program and its shared libraries, code and data.  Locking what coldplug
 * touched was not enough: run from a disk with its unlocked pages evicted
 * (tests/qemu/starved daemon-disk), the daemon took a major fault during a
 * storm in libc's read-only data and, with that locked, in libc's code.
 */
static int lock_objects(struct dl_phdr_info *info, size_t size, void *data)
{
	long page = sysconf(_SC_PAGESIZE);

	(void)size;
	(void)data;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start, end;

		if (ph->p_type != PT_LOAD)
			continue;
		start = (info->dlpi_addr + ph->p_vaddr) & ~(uintptr_t)(page - 1);
		end = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
		mlock((void *)start, end - start);
	}
	return 0;
}

/* Stack that the deepest path an event takes may use, with room to spare. */
#define STACK_PREFAULT (64 * 1024)

static void __attribute__((noinline)) prefault_stack(void)
{
	volatile char pad[STACK_PREFAULT];

	memset((char *)pad, 0, sizeof(pad));
}

/*
 * MCL_ONFAULT keeps what coldplug touched, but an event's path (receiving,
 * the decision, the write and its check) may not have run yet: a block
 * found online at start takes none of it.  Faulted in on the first event,
 * those pages would come from disk while the guest thrashes.  So the
 * program and its libraries, code and data (2.6 MiB, libc's 1.9 MiB of
 * it), and a stack deep enough, are made resident now: 3.0 MiB of RSS
 * after start, 3.7 MiB after a storm, under the 4 MiB target
 * (docs/benchmarks.md).  Later mappings are still locked only as used.
 */
static void prefault_hot_add_path(void)
{
	dl_iterate_phdr(lock_objects, NULL);
	prefault_stack();
}

int mo_lock_memory(uint64_t *memlock_limit)
{
	struct rlimit rl;

	/*
	 * Past RLIMIT_MEMLOCK, MCL_FUTURE makes later allocations fail: better
	 * unlocked than unable to grow.
	 */
	if (!have_cap(CAP_IPC_LOCK) && getrlimit(RLIMIT_MEMLOCK, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY) {
		*memlock_limit = rl.rlim_cur;
		return -EDQUOT;
	}
	/*
	 * MCL_ONFAULT (Linux 4.4): lock each page once it is used, not every
	 * page of every library mapped, most of which the daemon never runs:
	 * 4.7 MiB mapped, 2.7 MiB resident after start on a small tree.  What
	 * start-up and coldplug touched, the paths an event takes, stays
	 * locked.  Older kernels refuse the flag: lock everything then.
	 */
	if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) < 0 &&
	    (errno != EINVAL || mlockall(MCL_CURRENT | MCL_FUTURE) < 0))
		return -errno;
	prefault_hot_add_path();
	return 0;
}
#endif
