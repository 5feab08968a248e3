// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the driver side of a virtqueue against a hostile
 * device: what a vhost-user back end writes into the shared rings (the used
 * ring of a split queue, the descriptors of a packed one) is the parser's
 * input here. Byte 0 picks split/packed, event idx and in order (a used
 * entry may stand for a batch of chains), byte 1 the queue size; the rest
 * is a program: add chains, publish, let the "device" write bytes of its
 * choice into the area it owns, reclaim one by one or in bursts, toggle
 * interrupts. Every token the driver gives back must be one
 * it was given and has not given back yet; the ring memory is exact-size
 * heap blocks, so ASan flags any access outside it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_prog.h"
#include "virtio/vq.h"

#define MAXQ 256

/* Token i + 1 for request i; out[i] says whether the driver holds it. */
struct book {
	uint8_t out[MAXQ];
	unsigned seq;
};

static void give_back(struct book *b, void *tok)
{
	uintptr_t i = (uintptr_t)tok - 1;

	if (!tok || i >= MAXQ || !b->out[i])
		abort();   /* a token never added, or returned twice */
	b->out[i] = 0;
}

static void add_chains(struct uvdpa_vq_drv *vq, struct book *b, struct prog *g)
{
	unsigned k, n = 1 + next(g) % 8;

	for (k = 0; k < n; k++) {
		unsigned nb = 1 + next(g) % 3, i, slot = b->seq++ % MAXQ;
		struct uvdpa_vq_buf bufs[3];
		int r;

		if (b->out[slot])
			return;   /* that token is still with the device */
		for (i = 0; i < nb; i++)
			bufs[i] = (struct uvdpa_vq_buf){ 0x1000 * (slot + 1) + i * 64, 64, i + 1 == nb };
		r = nb == 1 ? uvdpa_vq_drv_add_one(vq, bufs[0].addr, 64, true, (void *)(uintptr_t)(slot + 1))
			    : uvdpa_vq_drv_add(vq, bufs, nb, (void *)(uintptr_t)(slot + 1));
		if (r)
			return;
		b->out[slot] = 1;
	}
}

/* The device writes len bytes at an offset of its area. */
static void device_writes(uint8_t *area, size_t size, struct prog *g)
{
	size_t at = (next(g) << 8 | next(g)) % size;
	unsigned len = 1 + next(g) % 16, i;

	for (i = 0; i < len && at + i < size; i++)
		area[at + i] = (uint8_t)next(g);
}

static void reclaim(struct uvdpa_vq_drv *vq, struct book *b, unsigned burst)
{
	void *tok[32];
	uint32_t len[32];
	unsigned k, got;

	if (!burst) {
		tok[0] = uvdpa_vq_drv_get_used(vq, &len[0]);
		if (tok[0])
			give_back(b, tok[0]);
		return;
	}
	got = uvdpa_vq_drv_get_used_burst(vq, tok, len, burst);
	if (got > burst)
		abort();
	for (k = 0; k < got; k++)
		give_back(b, tok[k]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct prog g = { data + 2, size > 2 ? size - 2 : 0 };
	bool packed, event_idx;
	struct uvdpa_vq_drv vq;
	uint8_t *desc, *drv, *dev, *own;
	size_t own_size;
	struct book b = { { 0 }, 0 };
	uint16_t num;
	unsigned steps = 0;

	if (size < 2)
		return 0;
	packed = data[0] & 1;
	event_idx = data[0] & 2;
	num = packed ? 1 + data[1] % 64 : 1u << (data[1] % 7);
	desc = calloc(1, uvdpa_vq_desc_size(num, packed));
	drv = calloc(1, uvdpa_vq_driver_size(num, packed, event_idx));
	dev = calloc(1, uvdpa_vq_device_size(num, packed, event_idx));
	if (!desc || !drv || !dev || uvdpa_vq_drv_init(&vq, num, packed, event_idx, desc, drv, dev))
		goto out;
	vq.in_order = data[0] & 4;
	/* the device owns the used ring, or writes packed descriptors in place */
	own = packed ? desc : dev;
	own_size = packed ? uvdpa_vq_desc_size(num, packed) : uvdpa_vq_device_size(num, packed, event_idx);
	while (g.left && steps++ < 4096) {
		unsigned op = next(&g);

		switch (op % 6) {
		case 0: add_chains(&vq, &b, &g); break;
		case 1: (void)uvdpa_vq_drv_publish(&vq); break;
		case 2: device_writes(own, own_size, &g); break;
		case 3: reclaim(&vq, &b, 0); break;
		case 4: reclaim(&vq, &b, 1 + (op >> 3) % 32); break;
		case 5:
			if (op & 8)
				(void)uvdpa_vq_drv_enable_cb(&vq);
			else
				uvdpa_vq_drv_disable_cb(&vq);
			break;
		}
		if (uvdpa_vq_drv_num_free(&vq) > num)
			abort();
	}
	uvdpa_vq_drv_fini(&vq);
out:
	free(dev);
	free(drv);
	free(desc);
	return 0;
}
