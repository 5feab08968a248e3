/* SPDX-License-Identifier: MIT */
/*
 * The front end's memory table: regions it shares by file descriptor, each
 * mmap'd MAP_SHARED here. Descriptors carry guest physical addresses, so the
 * device's map (struct uvdpa_memmap) is keyed by GPA; ring addresses arrive
 * as front-end virtual addresses and are converted to GPAs with the same
 * table.
 */
#ifndef UVDPA_VHOST_MEM_H
#define UVDPA_VHOST_MEM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <uvdpa/device.h>
#include "vhost_fault.h"
#include "vhost_user.h"

/* What GET_MAX_MEM_SLOTS answers: the KVM/vhost limit QEMU expects. */
#define VHOST_MEM_MAX_SLOTS 509

/* The one sentence a user needs when guest memory cannot be shared. */
#define VHOST_MEM_SHARE_HINT \
	"guest memory must be shared with the back end: use " \
	"-object memory-backend-memfd,id=mem,size=...,share=on -numa node,memdev=mem"

struct vhost_mem_region {
	struct vhost_user_region r;
	void *mmap_base;        /* what munmap gets */
	size_t mmap_len;
	void *host;             /* host address of r.guest_phys_addr */
	dev_t st_dev;           /* identity of the backing file, to reuse */
	ino_t st_ino;           /* identical mappings across table resends */
	int fault_slot;         /* SIGBUS guard registration, or -1 (sealed) */
	unsigned dups;          /* identical ADD_MEM_REGs after the first */
};

struct vhost_mem {
	struct vhost_mem_region *regions;
	unsigned n;
};

/*
 * Validates r and maps fd (which stays owned by the caller: the mapping holds
 * its own reference). A file that can still shrink is registered with the
 * SIGBUS guard for owner (NULL: not guarded). On failure returns -errno and points *why at a reason
 * for the log.
 */
int vhost_mem_region_map(const struct vhost_user_region *r, int fd,
			 struct vhost_fault_owner *owner, struct vhost_mem_region *out,
			 const char **why);
void vhost_mem_region_unmap(struct vhost_mem_region *m);

/* True if a and b describe the same mapping of the same file. */
bool vhost_mem_region_same(const struct vhost_mem_region *a,
			   const struct vhost_user_region *r, int fd);

/*
 * Builds the device map (GPA -> host) of a region array; NULL with *err set
 * (-EEXIST for overlapping guest or user addresses, -ENOMEM).
 */
struct uvdpa_memmap *vhost_mem_build_map(const struct vhost_mem_region *regions,
					 unsigned n, int *err);

/* Front-end virtual address -> GPA; false if no region holds va. */
bool vhost_mem_va_to_gpa(const struct vhost_mem *m, uint64_t va, uint64_t *gpa);

/* Unmaps every region and empties the table. */
void vhost_mem_clear(struct vhost_mem *m);

#endif
