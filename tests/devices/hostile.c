// SPDX-License-Identifier: MIT
/*
 * Hostile rings: buffers outside the map, descriptor loops, avail index
 * jumps, head indexes past the ring, indirect tables inside indirect tables,
 * readable-after-writable, rings outside the map, the map taken away. The
 * device stops the queue and sets NEEDS_RESET; it never crashes, and a
 * reset brings it back.
 */
#include <string.h>

#include <linux/virtio_ring.h>

#include "tdev.h"

#define BAD_IOVA 0x1000ULL   /* not mapped */

static uint64_t want;

static void start(struct tdev *t)
{
	tdev_start(t, want, 2, 64);
	REQUIRE(!(tdev_status(t) & UVDPA_STATUS_NEEDS_RESET), "clean start");
}

/* Makes split descriptor head available on queue q, bypassing the driver helper. */
static void raw_post(struct tdev *t, uint16_t q, uint16_t head, uint16_t advance)
{
	struct vring_avail *a = t->vq[q].drv.avail;
	uint16_t idx = a->idx;

	a->ring[idx % t->vq[q].num] = head;
	__atomic_store_n(&a->idx, (uint16_t)(idx + advance), __ATOMIC_RELEASE);
	t->ops->kick_vq(t->d, q);
}

static void desc(struct tdev *t, uint16_t q, uint16_t i, uint64_t addr, uint32_t len,
		 uint16_t flags, uint16_t next)
{
	struct vring_desc *d = &t->vq[q].drv.sdesc[i];

	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = next;
}

/* After the queue was refused: a reset and a new probe work again. */
static void recovers(struct tdev *t, const char *what)
{
	uint8_t frame[64];
	uint32_t len;
	uint8_t *rx;

	start(t);
	tfill(frame, sizeof(frame), 1);
	memset(frame, 0xff, 6);
	rx = tnet_post_rx(t, 0, 256, 1, false);
	tnet_send(t, 0, frame, sizeof(frame), 1, false);
	tnet_reap_tx(t, 0, 1);
	REQUIRE(tvq_wait(t, 0, &len, 5000) == rx && memcmp(rx + 12, frame, 64) == 0,
		"%s: loops again after reset", what);
}

int main(void)
{
	struct tdev t;
	uint8_t *buf;
	uint16_t used_before;

	want = F_ACCESS_PLATFORM | F_VERSION_1 | F_INDIRECT;
	tdev_open(&t, NULL, "vdpasim_net", "net0", NULL);

	start(&t);
	buf = talloc(&t, 4096, 64);
	used_before = t.vq[1].drv.used->idx;
	desc(&t, 1, 0, BAD_IOVA, 100, 0, 0);
	raw_post(&t, 1, 0, 1);
	CHECK(tdev_needs_reset(&t, 2000), "TX buffer outside the map -> NEEDS_RESET");
	CHECK(t.vq[1].drv.used->idx == used_before, "nothing was completed for it");
	recovers(&t, "out of map");

	start(&t);
	desc(&t, 1, 0, t.iova + t.size - 8, 100, 0, 0);
	raw_post(&t, 1, 0, 1);
	CHECK(tdev_needs_reset(&t, 2000), "TX buffer running past the end of the map -> NEEDS_RESET");
	recovers(&t, "past the map");

	start(&t);
	buf = talloc(&t, 4096, 64);
	desc(&t, 1, 0, tiova(&t, buf), 12, VRING_DESC_F_NEXT, 1);
	desc(&t, 1, 1, tiova(&t, buf), 12, VRING_DESC_F_NEXT, 0);
	raw_post(&t, 1, 0, 1);
	CHECK(tdev_needs_reset(&t, 2000), "descriptor loop -> NEEDS_RESET");
	recovers(&t, "loop");

	start(&t);
	buf = talloc(&t, 4096, 64);
	desc(&t, 1, 0, tiova(&t, buf), 12, VRING_DESC_F_NEXT, 200);
	raw_post(&t, 1, 0, 1);
	CHECK(tdev_needs_reset(&t, 2000), "next index past the ring -> NEEDS_RESET");
	recovers(&t, "next past ring");

	start(&t);
	raw_post(&t, 1, 500, 1);
	CHECK(tdev_needs_reset(&t, 2000), "head index past the ring -> NEEDS_RESET");
	recovers(&t, "head past ring");

	start(&t);
	buf = talloc(&t, 4096, 64);
	desc(&t, 1, 0, tiova(&t, buf), 64, 0, 0);
	raw_post(&t, 1, 0, 1000);
	CHECK(tdev_needs_reset(&t, 2000), "avail index jumping 1000 ahead -> NEEDS_RESET");
	recovers(&t, "index jump");

	start(&t);
	{
		struct vring_desc *t1 = talloc(&t, 32, 16), *t2 = talloc(&t, 32, 16);

		buf = talloc(&t, 4096, 64);
		t2[0] = (struct vring_desc){ tiova(&t, buf), 64, 0, 0 };
		t1[0] = (struct vring_desc){ tiova(&t, t2), 16, VRING_DESC_F_INDIRECT, 0 };
		desc(&t, 1, 0, tiova(&t, t1), 16, VRING_DESC_F_INDIRECT, 0);
		raw_post(&t, 1, 0, 1);
	}
	CHECK(tdev_needs_reset(&t, 2000), "indirect table inside an indirect table -> NEEDS_RESET");
	recovers(&t, "nested indirect");

	start(&t);
	buf = talloc(&t, 4096, 64);
	desc(&t, 1, 0, tiova(&t, buf), 64, VRING_DESC_F_INDIRECT, 0);
	raw_post(&t, 1, 0, 1);
	CHECK(tdev_needs_reset(&t, 2000), "indirect table whose length is not a multiple of 16 -> NEEDS_RESET");
	recovers(&t, "bad indirect length");

	start(&t);
	buf = talloc(&t, 4096, 64);
	desc(&t, 1, 0, tiova(&t, buf), 64, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	desc(&t, 1, 1, tiova(&t, buf + 64), 64, 0, 0);
	raw_post(&t, 1, 0, 1);
	CHECK(tdev_needs_reset(&t, 2000), "readable descriptor after a writable one -> NEEDS_RESET");
	recovers(&t, "direction");

	start(&t);
	buf = talloc(&t, 4096, 64);
	desc(&t, 0, 0, BAD_IOVA, 2048, VRING_DESC_F_WRITE, 0);
	raw_post(&t, 0, 0, 1);
	memset(buf, 0xff, 6 + 12);
	desc(&t, 1, 0, tiova(&t, buf), 12 + 60, 0, 0);
	raw_post(&t, 1, 0, 1);
	CHECK(tdev_needs_reset(&t, 2000), "RX buffer outside the map -> NEEDS_RESET");
	recovers(&t, "rx out of map");

	start(&t);
	buf = talloc(&t, 4096, 64);
	desc(&t, 1, 0, tiova(&t, buf), 0, 0, 0);
	raw_post(&t, 1, 0, 1);
	tsleep_ms(50);
	CHECK(1, "zero-length chain: no crash (%s)",
	      (tdev_status(&t) & UVDPA_STATUS_NEEDS_RESET) ? "refused" : "dropped");
	recovers(&t, "zero length");

	/* rings outside the map */
	tdev_negotiate(&t, want);
	tdev_setup_vq(&t, 0, 64);
	tdev_setup_vq(&t, 1, 64);
	REQUIRE(t.ops->set_vq_address(t.d, 1, BAD_IOVA, BAD_IOVA + 4096, BAD_IOVA + 8192) == 0, "addr");
	t.ops->set_vq_ready(t.d, 1, false);
	t.ops->set_vq_ready(t.d, 1, true);
	tdev_driver_ok(&t);
	CHECK(tdev_needs_reset(&t, 2000), "ring areas outside the map at DRIVER_OK -> NEEDS_RESET");
	recovers(&t, "rings out of map");

	/* the map taken away under a running device */
	start(&t);
	CHECK(t.ops->set_map(t.d, NULL) == 0, "empty map while running");
	t.ops->kick_vq(t.d, 1);
	CHECK(tdev_needs_reset(&t, 2000), "rings no longer mapped -> NEEDS_RESET");
	CHECK(t.ops->set_map(t.d, t.map) == 0, "map restored");
	recovers(&t, "map removed");

	/* by default (before any set_map) nothing is accessible */
	tdev_close(&t);
	{
		struct uvdpa_bus *bus = tbus_new();
		struct uvdpa_device *d;
		struct uvdpa_mgmtdev *m = uvdpa_bus_find_mgmtdev(bus, NULL, "vdpasim_blk");
		uint8_t *mem = calloc(1, 3 * 4096 + 4096);
		uint8_t *ring = (uint8_t *)(((uintptr_t)mem + 4095) & ~(uintptr_t)4095);

		REQUIRE(uvdpa_bus_dev_add(bus, m, "blk0", NULL, &d, NULL) == 0, "add blk");
		uvdpa_device_set_features(d, F_ACCESS_PLATFORM | F_VERSION_1);
		d->ops->set_status(d, 0x0b);
		d->ops->set_vq_address(d, 0, (uintptr_t)ring, (uintptr_t)ring + 4096,
				       (uintptr_t)ring + 8192);
		d->ops->set_vq_num(d, 0, 16);
		d->ops->set_vq_ready(d, 0, true);
		d->ops->set_status(d, 0x0f);
		d->ops->kick_vq(d, 0);
		for (int i = 0; i < 400 && !(d->ops->get_status(d) & UVDPA_STATUS_NEEDS_RESET); i++)
			tsleep_ms(5);
		CHECK(d->ops->get_status(d) & UVDPA_STATUS_NEEDS_RESET,
		      "a device without set_map reaches no memory (host addresses refused)");
		uvdpa_bus_free(bus);
		free(mem);
	}
	return 0;
}
