/* SPDX-License-Identifier: MIT */
/*
 * Private view of the memory map, so the chain walkers can inline the
 * lookup: one binary search per descriptor is the whole cost of safety.
 */
#ifndef UVDPA_VIRTIO_MEMMAP_H
#define UVDPA_VIRTIO_MEMMAP_H

#include <uvdpa/device.h>

struct uvdpa_memmap {
	unsigned n;
	/* sorted by iova, non-overlapping, none wraps past 2^64 */
	struct uvdpa_map_region r[UVDPA_MAP_MAX_REGIONS];
};

/* Region holding iova, or NULL. */
static inline const struct uvdpa_map_region *
memmap_find(const struct uvdpa_memmap *map, uint64_t iova)
{
	unsigned lo = 0, hi = map->n;
	const struct uvdpa_map_region *r;

	/* last region with r->iova <= iova */
	while (hi - lo > 1) {
		unsigned mid = lo + (hi - lo) / 2;

		if (map->r[mid].iova <= iova)
			lo = mid;
		else
			hi = mid;
	}
	if (!map->n)
		return NULL;
	r = &map->r[lo];
	if (iova < r->iova || iova - r->iova >= r->size)
		return NULL;
	return r;
}

static inline bool region_has(const struct uvdpa_map_region *r, uint64_t iova)
{
	return iova >= r->iova && iova - r->iova < r->size;
}

#endif
