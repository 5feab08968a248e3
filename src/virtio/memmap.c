// SPDX-License-Identifier: MIT
/*
 * The memory map: I/O virtual address ranges -> host memory, the userspace
 * counterpart of vhost_iotlb. Regions stay sorted so a lookup is a binary
 * search; the map never owns the memory it describes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memmap.h"

struct uvdpa_memmap *uvdpa_memmap_new(void)
{
	return calloc(1, sizeof(struct uvdpa_memmap));
}

void uvdpa_memmap_free(struct uvdpa_memmap *map)
{
	free(map);
}

struct uvdpa_memmap *uvdpa_memmap_dup(const struct uvdpa_memmap *map)
{
	struct uvdpa_memmap *m = uvdpa_memmap_new();

	if (m && map) {
		m->n = map->n;
		memcpy(m->r, map->r, map->n * sizeof(m->r[0]));
	}
	return m;
}

/* Index of the first region whose iova is >= iova. */
static unsigned lower_bound(const struct uvdpa_memmap *map, uint64_t iova)
{
	unsigned lo = 0, hi = map->n;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (map->r[mid].iova < iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Last byte of a region; regions never wrap, so this cannot overflow. */
static uint64_t region_last(const struct uvdpa_map_region *r)
{
	return r->iova + (r->size - 1);
}

int uvdpa_memmap_add(struct uvdpa_memmap *map, const struct uvdpa_map_region *r)
{
	unsigned i;

	if (!r->size || r->size - 1 > UINT64_MAX - r->iova || !r->host ||
	    (r->perm & ~UVDPA_MAP_RW))
		return -EINVAL;
	i = lower_bound(map, r->iova);
	if (i < map->n && map->r[i].iova <= region_last(r))
		return -EEXIST;
	if (i > 0 && region_last(&map->r[i - 1]) >= r->iova)
		return -EEXIST;
	if (map->n == UVDPA_MAP_MAX_REGIONS)
		return -ENOSPC;
	memmove(&map->r[i + 1], &map->r[i], (map->n - i) * sizeof(map->r[0]));
	map->r[i] = *r;
	map->n++;
	return 0;
}

int uvdpa_memmap_remove(struct uvdpa_memmap *map, uint64_t iova, uint64_t size)
{
	unsigned i = lower_bound(map, iova);

	if (i == map->n || map->r[i].iova != iova || map->r[i].size != size)
		return -ENOENT;
	memmove(&map->r[i], &map->r[i + 1], (map->n - i - 1) * sizeof(map->r[0]));
	map->n--;
	return 0;
}

unsigned uvdpa_memmap_count(const struct uvdpa_memmap *map)
{
	return map ? map->n : 0;
}

const struct uvdpa_map_region *uvdpa_memmap_region(const struct uvdpa_memmap *map, unsigned i)
{
	return map && i < map->n ? &map->r[i] : NULL;
}

void *uvdpa_memmap_translate(const struct uvdpa_memmap *map, uint64_t iova,
			     uint64_t len, uint32_t perm)
{
	const struct uvdpa_map_region *r;
	uint64_t off;

	if (!map || !len)
		return NULL;
	r = memmap_find(map, iova);
	if (!r || (r->perm & perm) != perm)
		return NULL;
	off = iova - r->iova;
	if (len > r->size - off)
		return NULL;
	return (char *)r->host + off;
}
