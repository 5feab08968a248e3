// SPDX-License-Identifier: MIT
/*
 * SET_MEM_TABLE, ADD_MEM_REG, REM_MEM_REG.
 *
 * Every change builds the device's next map first, hands it over with
 * set_map, and only then unmaps what the old map pointed at: the device's
 * worker may be inside a descriptor until set_map returns. A table resent
 * unchanged (QEMU sends it once per queue pair) keeps its mappings.
 * Ring addresses are front-end virtual addresses: after every change they
 * are translated again (as DPDK does), since the same address may now be
 * another guest physical address, or none.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vhost_session_priv.h"

/* Gives the device map (ownership passes to the session) or fails. */
static int publish_map(struct vhost_session *s, struct uvdpa_memmap *map)
{
	int err = s->ops->set_map(s->dev, map);

	if (err) {
		vhost_logf(s, "device refused the memory map: %s", strerror(-err));
		uvdpa_memmap_free(map);
		return err;
	}
	uvdpa_memmap_free(s->map);
	s->map = map;
	return 0;
}

static int map_fail(struct vhost_session *s, const char *req, unsigned i, int err,
		    const char *why)
{
	vhost_logf(s, "%s: region %u: %s", req, i, why);
	return err;
}

int vhost_h_set_mem_table(struct vhost_session *s, const struct vhost_user_msg *m,
			  int *fds, unsigned nfds)
{
	const struct vhost_user_memory *mem = &m->p.memory;
	struct vhost_mem_region *next = NULL;
	bool reused_old[VHOST_USER_MEM_TABLE_MAX] = { false };
	bool reused_new[VHOST_USER_MEM_TABLE_MAX] = { false };
	struct uvdpa_memmap *map;
	unsigned n, i;
	int err = 0;

	if (m->hdr.size < 8) {
		vhost_logf(s, "SET_MEM_TABLE: payload of %u bytes, less than its 8-byte header",
			   m->hdr.size);
		return -EINVAL;
	}
	n = mem->nregions;
	if (n > VHOST_USER_MEM_TABLE_MAX ||
	    m->hdr.size < 8 + n * sizeof(struct vhost_user_region)) {
		vhost_logf(s, "SET_MEM_TABLE: %u regions in a %u-byte payload", n, m->hdr.size);
		return -EINVAL;
	}
	if (nfds != n) {
		vhost_logf(s, "SET_MEM_TABLE: %u regions but %u fds%s", n, nfds,
			   nfds < n ? "; " VHOST_MEM_SHARE_HINT : "");
		return -EINVAL;
	}
	next = calloc(n ? n : 1, sizeof(*next));
	if (!next)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const char *why = NULL;
		unsigned j;

		for (j = 0; j < s->mem.n && s->mem.n <= VHOST_USER_MEM_TABLE_MAX; j++)
			if (!reused_old[j] &&
			    vhost_mem_region_same(&s->mem.regions[j], &mem->regions[i], fds[i]))
				break;
		if (j < s->mem.n && s->mem.n <= VHOST_USER_MEM_TABLE_MAX) {
			next[i] = s->mem.regions[j];
			reused_old[j] = reused_new[i] = true;
			continue;
		}
		err = vhost_mem_region_map(&mem->regions[i], fds[i], &s->fault, &next[i],
					   &why);
		if (err) {
			map_fail(s, "SET_MEM_TABLE", i, err, why);
			goto unwind;
		}
	}
	map = vhost_mem_build_map(next, n, &err);
	if (!map) {
		vhost_logf(s, "SET_MEM_TABLE: %s", err == -EEXIST ?
			   "the guest or user addresses of two regions overlap" :
			   "cannot build the device map");
		goto unwind;
	}
	vhost_rings_halt_moving(s, &(struct vhost_mem){ .regions = next, .n = n });
	err = publish_map(s, map);
	if (err)
		goto unwind;
	for (unsigned j = 0; j < s->mem.n; j++)
		if (j >= VHOST_USER_MEM_TABLE_MAX || !reused_old[j])
			vhost_mem_region_unmap(&s->mem.regions[j]);
	free(s->mem.regions);
	s->mem.regions = next;
	s->mem.n = n;
	return vhost_rings_retranslate(s, "SET_MEM_TABLE");

unwind:
	while (i-- > 0)
		if (!reused_new[i])
			vhost_mem_region_unmap(&next[i]);
	free(next);
	return err;
}

int vhost_h_add_mem_reg(struct vhost_session *s, const struct vhost_user_msg *m,
			int *fds, unsigned nfds)
{
	const struct vhost_user_region *r = &m->p.mem_reg.region;
	struct vhost_mem_region reg, *grown;
	struct uvdpa_map_region mr;
	struct uvdpa_memmap *map;
	const char *why = NULL;
	int err;

	if (nfds != 1) {
		vhost_logf(s, "ADD_MEM_REG: %u fds, it needs 1; " VHOST_MEM_SHARE_HINT, nfds);
		return -EINVAL;
	}
	if (s->mem.n >= VHOST_MEM_MAX_SLOTS) {
		vhost_logf(s, "ADD_MEM_REG: all %u memory slots are in use", VHOST_MEM_MAX_SLOTS);
		return -ENOSPC;
	}
	/* QEMU before 8.1 sends the table once per queue pair (a vhost_dev
	 * each, one connection): the same region again is counted, not
	 * refused, and each REM_MEM_REG takes one count back. */
	for (unsigned i = 0; i < s->mem.n; i++)
		if (vhost_mem_region_same(&s->mem.regions[i], r, fds[0])) {
			s->mem.regions[i].dups++;
			return 0;
		}
	for (unsigned i = 0; i < s->mem.n; i++) {
		const struct vhost_user_region *o = &s->mem.regions[i].r;

		if (r->userspace_addr < o->userspace_addr + o->memory_size &&
		    o->userspace_addr < r->userspace_addr + r->memory_size) {
			vhost_logf(s, "ADD_MEM_REG: user addresses overlap region %u", i);
			return -EEXIST;
		}
	}
	err = vhost_mem_region_map(r, fds[0], &s->fault, &reg, &why);
	if (err)
		return map_fail(s, "ADD_MEM_REG", s->mem.n, err, why);
	map = s->map ? uvdpa_memmap_dup(s->map) : uvdpa_memmap_new();
	grown = realloc(s->mem.regions, (s->mem.n + 1) * sizeof(*grown));
	if (!map || !grown) {
		if (grown)
			s->mem.regions = grown;
		uvdpa_memmap_free(map);
		vhost_mem_region_unmap(&reg);
		return -ENOMEM;
	}
	s->mem.regions = grown;
	mr = (struct uvdpa_map_region){
		.iova = r->guest_phys_addr, .size = r->memory_size,
		.host = reg.host, .perm = UVDPA_MAP_RW,
	};
	err = uvdpa_memmap_add(map, &mr);
	if (!err)
		err = publish_map(s, map);
	else
		uvdpa_memmap_free(map);
	if (err) {
		if (err == -EEXIST)
			vhost_logf(s, "ADD_MEM_REG: guest addresses overlap an existing region");
		vhost_mem_region_unmap(&reg);
		return err;
	}
	s->mem.regions[s->mem.n++] = reg;
	return vhost_rings_retranslate(s, "ADD_MEM_REG");
}

/* The rings that live in region i stop before it leaves the device's map. */
static void halt_rings_in(struct vhost_session *s, unsigned i)
{
	struct vhost_mem_region moved = s->mem.regions[i];

	/* the table without region i: its last entry takes i's place */
	s->mem.regions[i] = s->mem.regions[s->mem.n - 1];
	s->mem.n--;
	vhost_rings_halt_moving(s, &s->mem);
	s->mem.n++;
	s->mem.regions[i] = moved;
}

int vhost_h_rem_mem_reg(struct vhost_session *s, const struct vhost_user_msg *m,
			int *fds, unsigned nfds)
{
	const struct vhost_user_region *r = &m->p.mem_reg.region;
	struct uvdpa_memmap *map;
	unsigned i;
	int err;

	(void)fds;
	(void)nfds;     /* a stray fd is closed by the caller, as the spec asks */
	for (i = 0; i < s->mem.n; i++) {
		const struct vhost_user_region *o = &s->mem.regions[i].r;

		/* matched by GPA, UVA and size; the mmap offset does not count */
		if (o->guest_phys_addr == r->guest_phys_addr &&
		    o->userspace_addr == r->userspace_addr && o->memory_size == r->memory_size)
			break;
	}
	if (i == s->mem.n) {
		vhost_logf(s, "REM_MEM_REG: no region at GPA 0x%llx size 0x%llx",
			   (unsigned long long)r->guest_phys_addr,
			   (unsigned long long)r->memory_size);
		return -ENOENT;
	}
	if (s->mem.regions[i].dups) {
		s->mem.regions[i].dups--;
		return 0;
	}
	map = uvdpa_memmap_dup(s->map);
	if (!map)
		return -ENOMEM;
	err = uvdpa_memmap_remove(map, r->guest_phys_addr, r->memory_size);
	if (err) {
		uvdpa_memmap_free(map);
		return err;
	}
	halt_rings_in(s, i);
	err = publish_map(s, map);
	if (err)
		return err;
	vhost_mem_region_unmap(&s->mem.regions[i]);
	memmove(&s->mem.regions[i], &s->mem.regions[i + 1],
		(s->mem.n - i - 1) * sizeof(s->mem.regions[0]));
	s->mem.n--;
	return vhost_rings_retranslate(s, "REM_MEM_REG");
}

void vhost_memtable_clear(struct vhost_session *s)
{
	if (s->map || s->mem.n)
		s->ops->set_map(s->dev, NULL);
	uvdpa_memmap_free(s->map);
	s->map = NULL;
	vhost_mem_clear(&s->mem);
}
