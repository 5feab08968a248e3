// SPDX-License-Identifier: MIT
/*
 * Memory table regions: validation, MAP_SHARED mappings, the device map.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "vhost_fault.h"
#include "vhost_fdcheck.h"
#include "vhost_mem.h"

/*
 * mmap offsets must be aligned to the backing file's page size: 4 KiB for
 * memfd/tmpfs, the huge page size for hugetlbfs (which st_blksize reports).
 */
static uint64_t map_align(const struct stat *st)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t blk = (uint64_t)st->st_blksize;

	if (blk > page && !(blk & (blk - 1)) && blk <= (1ull << 30))
		return blk;
	return page;
}

static int region_check(const struct vhost_user_region *r, const char **why)
{
	uint64_t end;

	if (!r->memory_size) {
		*why = "region of size 0";
		return -EINVAL;
	}
	if (__builtin_add_overflow(r->guest_phys_addr, r->memory_size - 1, &end) ||
	    __builtin_add_overflow(r->userspace_addr, r->memory_size - 1, &end) ||
	    __builtin_add_overflow(r->mmap_offset, r->memory_size, &end) ||
	    r->memory_size > SIZE_MAX / 2) {
		*why = "region wraps around the address space";
		return -EINVAL;
	}
	return 0;
}

int vhost_mem_region_map(const struct vhost_user_region *r, int fd,
			 struct vhost_fault_owner *owner, struct vhost_mem_region *out,
			 const char **why)
{
	struct stat st;
	uint64_t align, off, lead;
	bool sealed;
	void *p;
	int err;

	err = region_check(r, why);
	if (err)
		return err;
	if (fd < 0) {
		*why = "region without a file descriptor; " VHOST_MEM_SHARE_HINT;
		return -EINVAL;
	}
	/* memfd, tmpfs and hugetlbfs files are regular; anything else (anonymous
	 * memory, a device node) is not the front end's guest RAM. A file already
	 * too small would fault on first touch. */
	err = vhost_fd_check_memory(fd, r->mmap_offset + r->memory_size, &sealed, why);
	if (err)
		return err;
	if (fstat(fd, &st) < 0) {
		*why = "cannot fstat the region's file descriptor";
		return -errno;
	}
	align = map_align(&st);
	off = r->mmap_offset & ~(align - 1);
	lead = r->mmap_offset - off;
	p = mmap(NULL, r->memory_size + lead, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_NORESERVE, fd, (off_t)off);
	if (p == MAP_FAILED) {
		err = -errno;
		*why = "cannot mmap the region MAP_SHARED read/write; " VHOST_MEM_SHARE_HINT;
		return err;
	}
	out->fault_slot = -1;
	/* A file that can still shrink may fault under the device later. */
	if (!sealed && owner) {
		out->fault_slot = vhost_fault_register(p, r->memory_size + lead, owner);
		if (out->fault_slot < 0) {
			munmap(p, r->memory_size + lead);
			*why = "too many unsealed regions mapped in this daemon; seal the "
			       "memfd (F_SEAL_SHRINK)";
			return -ENOSPC;
		}
	}
	out->r = *r;
	out->mmap_base = p;
	out->mmap_len = r->memory_size + lead;
	out->host = (uint8_t *)p + lead;
	out->st_dev = st.st_dev;
	out->st_ino = st.st_ino;
	out->dups = 0;
	return 0;
}

void vhost_mem_region_unmap(struct vhost_mem_region *m)
{
	if (m->mmap_base) {
		vhost_fault_unregister(m->fault_slot);
		munmap(m->mmap_base, m->mmap_len);
	}
	m->fault_slot = -1;
	m->mmap_base = NULL;
	m->host = NULL;
}

bool vhost_mem_region_same(const struct vhost_mem_region *a,
			   const struct vhost_user_region *r, int fd)
{
	struct stat st;

	if (memcmp(&a->r, r, sizeof(*r)) || fd < 0 || fstat(fd, &st) < 0)
		return false;
	return st.st_dev == a->st_dev && st.st_ino == a->st_ino;
}

static bool ranges_overlap(uint64_t a, uint64_t b, uint64_t len)
{
	/* [a, a+len) vs [b, b+len2) is checked by the caller with both orders */
	return b >= a && b - a < len;
}

static int check_uva_overlap(const struct vhost_mem_region *regions, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = i + 1; j < n; j++) {
			const struct vhost_user_region *x = &regions[i].r, *y = &regions[j].r;

			if (ranges_overlap(x->userspace_addr, y->userspace_addr, x->memory_size) ||
			    ranges_overlap(y->userspace_addr, x->userspace_addr, y->memory_size))
				return -EEXIST;
		}
	return 0;
}

struct uvdpa_memmap *vhost_mem_build_map(const struct vhost_mem_region *regions,
					 unsigned n, int *err)
{
	struct uvdpa_memmap *map;

	/* Ring addresses are looked up by user address: it must be unique too. */
	*err = check_uva_overlap(regions, n);
	if (*err)
		return NULL;
	map = uvdpa_memmap_new();
	if (!map) {
		*err = -ENOMEM;
		return NULL;
	}
	for (unsigned i = 0; i < n; i++) {
		struct uvdpa_map_region mr = {
			.iova = regions[i].r.guest_phys_addr,
			.size = regions[i].r.memory_size,
			.host = regions[i].host,
			.perm = UVDPA_MAP_RW,
		};

		*err = uvdpa_memmap_add(map, &mr);
		if (*err) {
			uvdpa_memmap_free(map);
			return NULL;
		}
	}
	return map;
}

bool vhost_mem_va_to_gpa(const struct vhost_mem *m, uint64_t va, uint64_t *gpa)
{
	for (unsigned i = 0; i < m->n; i++) {
		const struct vhost_user_region *r = &m->regions[i].r;

		if (va >= r->userspace_addr && va - r->userspace_addr < r->memory_size) {
			*gpa = r->guest_phys_addr + (va - r->userspace_addr);
			return true;
		}
	}
	return false;
}

void vhost_mem_clear(struct vhost_mem *m)
{
	for (unsigned i = 0; i < m->n; i++)
		vhost_mem_region_unmap(&m->regions[i]);
	free(m->regions);
	m->regions = NULL;
	m->n = 0;
}
