// SPDX-License-Identifier: MIT
/*
 * Packed rings of 1, 2 and 3 entries (the spec allows any size), their
 * descriptor area ending on the last byte of mapped memory: the device's
 * pops, and what it looks at ahead of them (prefetch hints), stay inside
 * the ring through several laps, and every chain comes back used.
 */
#include <linux/virtio_ring.h>

#include "vqtest.h"

static uint16_t avail_flags(bool wrap)
{
	return (uint16_t)(wrap ? 1u << VRING_PACKED_DESC_F_AVAIL : 1u << VRING_PACKED_DESC_F_USED);
}

static void laps(uint16_t num)
{
	struct guarded ring, areas, bufs;
	struct uvdpa_map_region r;
	struct uvdpa_vq_layout l = { .num = num, .packed = true };
	struct uvdpa_memmap *map = uvdpa_memmap_new();
	struct vring_packed_desc *d;
	struct uvdpa_vq_dev dev;
	struct iovec iov[2];
	struct uvdpa_chain c = { .iov = iov, .iov_cap = 2 };
	unsigned used = 0, slot = 0, round;
	bool wrap = true;

	guarded_alloc(&ring, 4096);
	guarded_alloc(&areas, 4096);
	guarded_alloc(&bufs, 4096);
	/* the descriptor area ends where the mapping does */
	d = (struct vring_packed_desc *)(ring.mem + 4096 - num * sizeof(*d));
	r = (struct uvdpa_map_region){ 0x10000, 4096, ring.mem, UVDPA_MAP_RW };
	uvdpa_memmap_add(map, &r);
	r = (struct uvdpa_map_region){ 0x20000, 4096, areas.mem, UVDPA_MAP_RW };
	uvdpa_memmap_add(map, &r);
	r = (struct uvdpa_map_region){ 0x30000, 4096, bufs.mem, UVDPA_MAP_RW };
	uvdpa_memmap_add(map, &r);
	l.desc = 0x10000 + 4096 - num * sizeof(*d);
	l.driver = 0x20000;
	l.device = 0x20000 + 64;
	if (uvdpa_vq_dev_setup(&dev, &l, map, NULL)) {
		CHECK(0, "setup of a %u-entry packed ring", num);
		return;
	}
	for (round = 0; round < 4u * num + 3; round++) {
		/* the driver fills every free slot, one buffer each */
		for (unsigned k = 0; k < num; k++) {
			d[slot].addr = htole64(0x30000 + 64 * slot);
			d[slot].len = htole32(64);
			d[slot].id = htole16(slot);
			__atomic_store_n(&d[slot].flags, htole16(avail_flags(wrap) | VRING_DESC_F_WRITE),
					 __ATOMIC_RELEASE);
			if (++slot == num) {
				slot = 0;
				wrap = !wrap;
			}
		}
		for (unsigned k = 0; k < num; k++) {
			if (uvdpa_vq_dev_pop(&dev, &c) != 1)
				break;
			uvdpa_vq_dev_push(&dev, &c, 8);
			used++;
		}
		uvdpa_vq_dev_flush(&dev);
	}
	CHECK(used == (4u * num + 3) * num && !dev.broken,
	      "a %u-entry packed ring: %u laps, %u chains used, all inside the ring", num,
	      4u * num + 3, used);
	uvdpa_memmap_free(map);
	guarded_free(&ring);
	guarded_free(&areas);
	guarded_free(&bufs);
}

int main(void)
{
	laps(1);
	laps(2);
	laps(3);
	return t_done();
}
