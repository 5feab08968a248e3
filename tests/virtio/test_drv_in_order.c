// SPDX-License-Identifier: MIT
/*
 * VIRTIO_F_IN_ORDER, driver side: a device may complete a batch of chains
 * with one used entry carrying the batch's last id (split: the used index
 * moves by the batch's size; packed: the ring moves on by all of the
 * batch's descriptors). The driver hands every chain of the batch back, in
 * order, with the entry's length on the last; an entry naming no chain in
 * flight moves nothing, and a split device that moves its used index by
 * less than the batch gets only as many chains as it counted. The "device"
 * here is the test writing the rings by hand.
 */
#include "vqtest.h"

#define NUM 8

struct ring {
	struct guarded g;
	struct uvdpa_vq_drv d;
	bool packed;
};

static void ring_init(struct ring *r, bool packed)
{
	size_t dsz = uvdpa_vq_desc_size(NUM, packed), asz = uvdpa_vq_driver_size(NUM, packed, false);

	r->packed = packed;
	guarded_alloc(&r->g, 3 * 4096);
	if (dsz > 4096 || asz > 4096 ||
	    uvdpa_vq_drv_init(&r->d, NUM, packed, false, r->g.mem, r->g.mem + 4096,
			      r->g.mem + 8192)) {
		printf("FAIL ring set-up\n");
		exit(1);
	}
	r->d.in_order = true;
}

static void ring_fini(struct ring *r)
{
	uvdpa_vq_drv_fini(&r->d);
	guarded_free(&r->g);
}

/* A chain of n descriptors (addresses are never followed here). */
static int add(struct ring *r, unsigned n, void *tok)
{
	struct uvdpa_vq_buf b[4];

	for (unsigned k = 0; k < n; k++)
		b[k] = (struct uvdpa_vq_buf){ .addr = 0x1000 * (k + 1), .len = 64, .write = false };
	return uvdpa_vq_drv_add(&r->d, b, n, tok);
}

/* The chain id the driver gave token tok: split, its head; packed, its id. */
static uint16_t id_of(struct ring *r, void *tok)
{
	for (uint16_t i = 0; i < NUM; i++)
		if (r->d.state[i].token == tok)
			return i;
	return 0xffff;
}

/* Split device: one used entry (id, len) at the used index, which moves by n. */
static void split_used(struct ring *r, uint16_t id, uint32_t len, uint16_t n)
{
	struct vring_used *u = r->d.used;
	uint16_t idx = u->idx;

	u->ring[idx % NUM] = (struct vring_used_elem){ .id = id, .len = len };
	__atomic_store_n(&u->idx, (uint16_t)(idx + n), __ATOMIC_RELEASE);
}

/* Packed device: one used descriptor (id, len) at slot, in lap wrap. */
static void packed_used(struct ring *r, uint16_t slot, uint16_t id, uint32_t len, bool wrap)
{
	struct vring_packed_desc *d = &r->d.pdesc[slot];
	uint16_t f = wrap ? (1u << VRING_PACKED_DESC_F_AVAIL | 1u << VRING_PACKED_DESC_F_USED) : 0;

	d->id = id;
	d->len = len;
	__atomic_store_n(&d->flags, f, __ATOMIC_RELEASE);
}

/* get_used n times: the tokens and lengths, in order */
static unsigned take(struct ring *r, void **tok, uint32_t *len, unsigned n)
{
	unsigned k;

	for (k = 0; k < n; k++) {
		tok[k] = uvdpa_vq_drv_get_used(&r->d, &len[k]);
		if (!tok[k])
			break;
	}
	return k;
}

static void split_batches(void)
{
	int t[8];
	void *got[8];
	uint32_t len[8];
	struct ring r;
	unsigned k;

	ring_init(&r, false);
	for (k = 0; k < 5; k++)
		add(&r, k == 1 ? 2 : 1, &t[k]);
	uvdpa_vq_drv_publish(&r.d);
	/* t[0..3] in one entry, the used index moved by 4 */
	split_used(&r, id_of(&r, &t[3]), 77, 4);
	k = take(&r, got, len, 8);
	CHECK(k == 4 && got[0] == &t[0] && got[1] == &t[1] && got[2] == &t[2] && got[3] == &t[3],
	      "split: one entry for four chains gives the four, in order (%u)", k);
	CHECK(len[0] == 0 && len[1] == 0 && len[2] == 0 && len[3] == 77,
	      "split: the entry's length goes to the batch's last chain, 0 to the others");
	CHECK(r.d.num_free == NUM - 1, "split: their 5 descriptors free again (%u free)",
	      r.d.num_free);
	/* then a single entry for t[4], at the used ring's next position */
	split_used(&r, id_of(&r, &t[4]), 5, 1);
	k = take(&r, got, len, 8);
	CHECK(k == 1 && got[0] == &t[4] && len[0] == 5, "split: a batch of one after it");

	/* a used index moved by less than the batch: only that many chains */
	for (k = 0; k < 3; k++)
		add(&r, 1, &t[k]);
	uvdpa_vq_drv_publish(&r.d);
	split_used(&r, id_of(&r, &t[2]), 9, 1);
	k = take(&r, got, len, 8);
	CHECK(k == 1 && got[0] == &t[0], "split: an index moved by 1 for a batch of 3 gives 1");
	__atomic_store_n(&r.d.used->idx, (uint16_t)(r.d.used->idx + 2), __ATOMIC_RELEASE);
	k = take(&r, got, len, 8);
	CHECK(k == 2 && got[0] == &t[1] && got[1] == &t[2] && len[1] == 9,
	      "split: the rest once the index moves on");

	/* an id not in flight moves nothing */
	add(&r, 1, &t[5]);
	uvdpa_vq_drv_publish(&r.d);
	k = r.d.num_free;
	split_used(&r, (uint16_t)((id_of(&r, &t[5]) + 3) % NUM), 1, 1);
	CHECK(!uvdpa_vq_drv_get_used(&r.d, len) && r.d.num_free == k,
	      "split: an entry naming no chain in flight: nothing taken");
	r.d.used->ring[(uint16_t)(r.d.used->idx - 1) % NUM].id = id_of(&r, &t[5]);
	CHECK(uvdpa_vq_drv_get_used(&r.d, len) == &t[5], "split: taken once the entry is right");

	/* nothing in flight, an entry with the driver's own "no chain" id */
	split_used(&r, 0xffff, 1, 1);
	CHECK(!uvdpa_vq_drv_get_used(&r.d, len) && r.d.num_free == NUM,
	      "split: id 0xffff with nothing in flight: nothing taken");
	ring_fini(&r);
}

static void packed_batches(void)
{
	int t[8];
	void *got[8];
	uint32_t len[8];
	struct ring r;
	unsigned k;

	ring_init(&r, true);
	/* 1 + 3 + 1 + 2 slots */
	add(&r, 1, &t[0]);
	add(&r, 3, &t[1]);
	add(&r, 1, &t[2]);
	add(&r, 2, &t[3]);
	uvdpa_vq_drv_publish(&r.d);
	packed_used(&r, 0, id_of(&r, &t[3]), 42, true);
	k = uvdpa_vq_drv_get_used_burst(&r.d, got, len, 8);
	CHECK(k == 4 && got[0] == &t[0] && got[1] == &t[1] && got[2] == &t[2] && got[3] == &t[3],
	      "packed: one used descriptor for four chains, one burst gives the four (%u)", k);
	CHECK(len[0] == 0 && len[1] == 0 && len[2] == 0 && len[3] == 42,
	      "packed: the length goes to the last chain");
	CHECK(r.d.last_used_idx == 7 && r.d.used_wrap && r.d.num_free == NUM,
	      "packed: the driver's used position moved by all 7 slots (at %u)",
	      r.d.last_used_idx);

	/* across the ring's end: slots 7 and 0, then slot 1 */
	add(&r, 2, &t[4]);
	add(&r, 1, &t[5]);
	uvdpa_vq_drv_publish(&r.d);
	CHECK(!uvdpa_vq_drv_get_used(&r.d, len), "packed: nothing used yet");
	packed_used(&r, 7, id_of(&r, &t[5]), 3, true);
	k = take(&r, got, len, 8);
	CHECK(k == 2 && got[0] == &t[4] && got[1] == &t[5] && len[1] == 3,
	      "packed: a batch across the ring's end");
	CHECK(r.d.last_used_idx == 2 && !r.d.used_wrap,
	      "packed: the used wrap counter flipped, at slot %u", r.d.last_used_idx);

	/* a batch stopped half-way is finished by the next calls */
	add(&r, 1, &t[6]);
	add(&r, 1, &t[7]);
	uvdpa_vq_drv_publish(&r.d);
	packed_used(&r, 2, id_of(&r, &t[7]), 8, false);
	k = uvdpa_vq_drv_get_used_burst(&r.d, got, len, 1);
	CHECK(k == 1 && got[0] == &t[6], "packed: a burst of 1 takes the batch's first");
	k = take(&r, got, len, 8);
	CHECK(k == 1 && got[0] == &t[7] && len[0] == 8,
	      "packed: the next call its last, though slot 3 holds no used descriptor");

	/* an id not in flight moves nothing */
	add(&r, 1, &t[0]);
	uvdpa_vq_drv_publish(&r.d);
	k = r.d.num_free;
	packed_used(&r, 4, (uint16_t)((id_of(&r, &t[0]) + 1) % NUM), 1, false);
	CHECK(!uvdpa_vq_drv_get_used(&r.d, len) && r.d.num_free == k && r.d.last_used_idx == 4,
	      "packed: a used descriptor naming no chain in flight: nothing taken");
	packed_used(&r, 4, id_of(&r, &t[0]), 1, false);
	CHECK(uvdpa_vq_drv_get_used(&r.d, len) == &t[0], "packed: taken once it names the chain");

	/* nothing in flight, a used descriptor with the driver's own "no chain" id */
	packed_used(&r, 5, 0xffff, 1, false);
	CHECK(!uvdpa_vq_drv_get_used(&r.d, len) && r.d.num_free == NUM,
	      "packed: id 0xffff with nothing in flight: nothing taken");
	ring_fini(&r);
}

int main(void)
{
	split_batches();
	packed_batches();
	return t_done();
}
