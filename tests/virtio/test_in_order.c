// SPDX-License-Identifier: MIT
/*
 * VIRTIO_F_IN_ORDER on a packed ring: a burst of chains the device wrote
 * nothing to is completed with one used descriptor, in the batch's first
 * slot, carrying the last buffer's id; the device then continues after the
 * whole batch (across the ring's end, with the wrap counter flipped). The
 * batch's other slots keep what the driver wrote. Chains the device wrote
 * to keep one used descriptor each (the driver needs each length), and so
 * does every chain without IN_ORDER.
 *
 * The driver side is written by hand here: libuvdpa's driver does not
 * negotiate IN_ORDER.
 */
#include <linux/virtio_ring.h>

#include "vqtest.h"

#define NUM 8

struct ring {
	struct pair p;
	struct vring_packed_desc *desc;
	uint64_t buf;                   /* IOVA of a 64-byte buffer */
	unsigned next;                  /* driver's next slot */
	bool wrap;                      /* driver's wrap counter */
};

static uint16_t avail_flags(bool wrap)
{
	return (uint16_t)((wrap ? 1u << VRING_PACKED_DESC_F_AVAIL : 0) |
			  (wrap ? 0 : 1u << VRING_PACKED_DESC_F_USED));
}

static uint16_t used_flags(bool wrap)
{
	return wrap ? (uint16_t)(1u << VRING_PACKED_DESC_F_AVAIL | 1u << VRING_PACKED_DESC_F_USED)
		    : 0;
}

/* Makes a chain of ndesc descriptors available under buffer id. */
static void offer(struct ring *r, uint16_t id, unsigned ndesc, bool write)
{
	for (unsigned k = 0; k < ndesc; k++) {
		struct vring_packed_desc *d = &r->desc[r->next];
		uint16_t f = avail_flags(r->wrap);

		if (write)
			f |= VRING_DESC_F_WRITE;
		if (k + 1 < ndesc)
			f |= VRING_DESC_F_NEXT;
		d->addr = htole64(r->buf);
		d->len = htole32(64);
		d->id = htole16(id);
		__atomic_store_n(&d->flags, htole16(f), __ATOMIC_RELEASE);
		if (++r->next == NUM) {
			r->next = 0;
			r->wrap = !r->wrap;
		}
	}
}

static void ring_init(struct ring *r, bool in_order)
{
	memset(r, 0, sizeof(*r));
	if (pair_init(&r->p, NUM, true, false, 16384)) {
		fprintf(stderr, "pair_init failed\n");
		exit(2);
	}
	r->p.l.in_order = in_order;
	if (uvdpa_vq_dev_setup(&r->p.dev, &r->p.l, r->p.map, NULL)) {
		fprintf(stderr, "vq setup failed\n");
		exit(2);
	}
	r->desc = (struct vring_packed_desc *)(r->p.a.g.mem + (r->p.l.desc - r->p.a.iova));
	arena_get(&r->p.a, 64, 64, &r->buf);
	r->wrap = true;
}

/* Device pops every available chain and completes them in one burst. */
static unsigned serve(struct ring *r, uint32_t written)
{
	static struct iovec iov[NUM][4];
	struct uvdpa_chain c[NUM];
	int res[NUM];
	unsigned n;

	for (unsigned i = 0; i < NUM; i++)
		c[i] = (struct uvdpa_chain){ .iov = iov[i], .iov_cap = 4 };
	n = uvdpa_vq_dev_pop_burst(&r->p.dev, c, res, NUM);
	uvdpa_vq_dev_push_burst(&r->p.dev, c, n, written);
	uvdpa_vq_dev_flush(&r->p.dev);
	return n;
}

static bool is_used(const struct ring *r, unsigned slot, bool wrap, uint16_t id, uint32_t len)
{
	const struct vring_packed_desc *d = &r->desc[slot];
	uint16_t f = le16toh(d->flags) & (1u << VRING_PACKED_DESC_F_AVAIL |
					  1u << VRING_PACKED_DESC_F_USED);

	return f == used_flags(wrap) && le16toh(d->id) == id && le32toh(d->len) == len;
}

static void batch_one_entry(void)
{
	struct vring_packed_desc before[NUM];
	struct ring r;
	unsigned n;

	ring_init(&r, true);
	/* ids 10..14 in slots 0..5; 11 takes two slots */
	offer(&r, 10, 1, false);
	offer(&r, 11, 2, false);
	offer(&r, 12, 1, false);
	offer(&r, 13, 1, false);
	offer(&r, 14, 1, false);
	memcpy(before, r.desc, sizeof(before));
	n = serve(&r, 0);
	CHECK(n == 5, "in order: 5 chains popped (%u)", n);
	CHECK(is_used(&r, 0, true, 14, 0), "slot 0 holds the batch's used entry, id of the last "
	      "buffer (id %u flags %#x)", le16toh(r.desc[0].id), le16toh(r.desc[0].flags));
	CHECK(!memcmp(&before[1], &r.desc[1], 5 * sizeof(before[0])),
	      "slots 1-5 keep what the driver wrote");

	/* across the ring's end: slots 6, 7 (wrap 1) and 0, 1 (wrap 0) */
	offer(&r, 20, 1, false);
	offer(&r, 21, 1, false);
	offer(&r, 22, 1, false);
	offer(&r, 23, 1, false);
	memcpy(before, r.desc, sizeof(before));
	n = serve(&r, 0);
	CHECK(n == 4, "across the end: 4 chains popped (%u)", n);
	CHECK(is_used(&r, 6, true, 23, 0), "slot 6 holds the batch's used entry (id %u)",
	      le16toh(r.desc[6].id));
	CHECK(!memcmp(&before[7], &r.desc[7], sizeof(before[0])) &&
	      !memcmp(&before[0], &r.desc[0], 2 * sizeof(before[0])),
	      "slots 7, 0, 1 keep what the driver wrote");

	/* written chains: one used entry each, after the batch, wrap 0 */
	offer(&r, 30, 1, true);
	offer(&r, 31, 1, true);
	n = serve(&r, 64);
	CHECK(n == 2 && is_used(&r, 2, false, 30, 64) && is_used(&r, 3, false, 31, 64),
	      "written chains: slots 2 and 3 used with wrap 0, ids 30 and 31, 64 bytes each");

	/* a single chain of nothing written: its own entry */
	offer(&r, 40, 1, false);
	n = serve(&r, 0);
	CHECK(n == 1 && is_used(&r, 4, false, 40, 0), "a one-chain burst: slot 4 used, id 40");
	pair_fini(&r.p);
}

static void without_in_order(void)
{
	struct ring r;
	unsigned n;

	ring_init(&r, false);
	offer(&r, 10, 1, false);
	offer(&r, 11, 2, false);
	offer(&r, 12, 1, false);
	n = serve(&r, 0);
	CHECK(n == 3 && is_used(&r, 0, true, 10, 0) && is_used(&r, 1, true, 11, 0) &&
	      is_used(&r, 3, true, 12, 0),
	      "without IN_ORDER: a used entry per chain (slots 0, 1, 3)");
	pair_fini(&r.p);
}

int main(void)
{
	batch_one_entry();
	without_in_order();
	return t_done();
}
