// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the device-side chain walker. The input is guest
 * memory: byte 0 picks split/packed, event idx, indirect, the iov size and
 * (high nibble) the burst size; byte 1 the queue size; byte 2 the perms of a
 * small region adjacent to the main one, bursts (0x40), no kicks (0x80); the rest is copied into the main region, which holds the rings
 * at fixed offsets followed by buffers and tables the descriptors may
 * reference. The region is an exact-size heap block, so ASan flags any
 * access one byte outside the map. The device pops (one by one, or in the
 * bursts vdpasim_net uses), touches, pushes and flushes until the ring is
 * empty or broken; chain_read_nt must read what chain_read reads.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "virtio/vq.h"

#define IOVA 0x1000ull
#define TAIL 256
#define BURST 16
#define NT_LEN 480      /* < scratch's 512 minus the offsets below */

/* The burst calls vdpasim_net uses: bursts of 1..16 chains, each completed
 * with one push_burst, every chain's data touched. */
static void pop_bursts(struct uvdpa_vq_dev *vq, unsigned size, unsigned limit)
{
	struct iovec iov[BURST][4];
	struct uvdpa_chain c[BURST];
	uint8_t scratch[64];
	int res[BURST];
	unsigned i, k, n = 1 + size % BURST;

	for (k = 0; k < BURST; k++)
		c[k] = (struct uvdpa_chain){ .iov = iov[k], .iov_cap = 4 };
	for (i = 0; i < limit; i += n) {
		int got = uvdpa_vq_dev_pop_burst(vq, c, res, n);

		if (got <= 0)
			break;
		for (k = 0; k < (unsigned)got; k++) {
			size_t r = uvdpa_chain_read(&c[k], 0, scratch, sizeof(scratch));

			uvdpa_chain_write(&c[k], 0, scratch, r);
		}
		uvdpa_vq_dev_push_burst(vq, c, (unsigned)got, 0);
		uvdpa_vq_dev_flush(vq);
		if ((unsigned)got < n)
			break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uvdpa_vq_layout l = { 0 };
	struct uvdpa_map_region r;
	struct uvdpa_memmap *map;
	struct uvdpa_vq_dev vq;
	struct iovec iov[16];
	struct uvdpa_chain c = { .iov = iov };
	uint8_t scratch[512], nt[NT_LEN + 32], *mem, *tail;
	uint64_t need, len;
	size_t off, want;
	unsigned i, limit;

	if (size < 3)
		return 0;
	l.packed = data[0] & 1;
	l.event_idx = data[0] & 2;
	l.indirect = data[0] & 4;
	c.iov_cap = data[0] & 8 ? 16 : 3;
	l.num = l.packed ? 1 + data[1] % 64 : 1u << (data[1] % 7);
	l.desc = IOVA;
	l.driver = align_up(l.desc + uvdpa_vq_desc_size(l.num, l.packed), 4);
	l.device = align_up(l.driver + uvdpa_vq_driver_size(l.num, l.packed, l.event_idx), 4);
	need = l.device + uvdpa_vq_device_size(l.num, l.packed, l.event_idx) - IOVA;
	len = size - 3 > need ? size - 3 : need;

	mem = calloc(1, len);
	tail = calloc(1, TAIL);
	map = uvdpa_memmap_new();
	if (!mem || !tail || !map)
		goto out;
	memcpy(mem, data + 3, size - 3);
	r = (struct uvdpa_map_region){ IOVA, len, mem, UVDPA_MAP_RW };
	uvdpa_memmap_add(map, &r);
	/* adjacent region with fuzzed access: chains may cross into it */
	r = (struct uvdpa_map_region){ IOVA + len, TAIL, tail, data[2] & UVDPA_MAP_RW };
	uvdpa_memmap_add(map, &r);

	if (uvdpa_vq_dev_setup(&vq, &l, map, NULL))
		goto out;
	if (data[2] & 0x80)
		uvdpa_vq_dev_disable_kicks(&vq);
	limit = 4 * l.num + 16;
	if (data[2] & 0x40) {
		pop_bursts(&vq, data[0] >> 4, limit);
		goto state;
	}
	for (i = 0; i < limit; i++) {
		int ret = uvdpa_vq_dev_pop(&vq, &c);
		size_t n;

		if (ret != 1 && ret != -E2BIG)
			break;
		n = uvdpa_chain_read(&c, 0, scratch, sizeof(scratch));
		/* the streaming copy (vdpasim_blk's writes) reads the same bytes,
		 * from an offset into a misaligned destination */
		off = i % 7;
		want = n > off ? n - off : 0;
		if (want > NT_LEN)
			want = NT_LEN;
		if (uvdpa_chain_read_nt(&c, off, nt + i % 32, NT_LEN) != want ||
		    memcmp(nt + i % 32, scratch + off, want))
			abort();
		uvdpa_chain_write(&c, n / 2, scratch, n);
		if (c.n_out && c.n_in)
			uvdpa_chain_copy(&c, 1, &c, 3, 4096);
		uvdpa_vq_dev_push(&vq, &c, ret == 1 ? c.in_len : 0);
		if (i % 3 == 2)
			uvdpa_vq_dev_flush(&vq);
		(void)uvdpa_vq_dev_has_avail(&vq);
	}
	uvdpa_vq_dev_flush(&vq);
state:
	uvdpa_vq_dev_enable_kicks(&vq);
	{
		struct uvdpa_vq_state s;

		uvdpa_vq_dev_get_state(&vq, &s);
		if (!uvdpa_vq_dev_remap(&vq, map))
			(void)uvdpa_vq_dev_pop(&vq, &c);
	}
out:
	uvdpa_memmap_free(map);
	free(tail);
	free(mem);
	return 0;
}
