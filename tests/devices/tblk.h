/* SPDX-License-Identifier: MIT */
/* virtio-blk requests for the device tests. */
#ifndef UVDPA_TESTS_TBLK_H
#define UVDPA_TESTS_TBLK_H

#include <endian.h>
#include <string.h>

#include <linux/virtio_blk.h>

#include "tdev.h"

/*
 * Runs one request on queue q: header, then data (device-readable for
 * writes, device-writable otherwise) in nseg descriptors, then the status
 * byte. Returns the status (or -1 on timeout); *used gets the used length.
 */
static inline int tblk_req(struct tdev *t, uint16_t q, uint32_t type, uint64_t sector,
			   void *data, uint32_t len, bool data_out, unsigned nseg,
			   uint32_t *used)
{
	struct virtio_blk_outhdr *h = talloc(t, sizeof(*h) + 1, 16);
	uint8_t *st = (uint8_t *)(h + 1);
	struct uvdpa_vq_buf b[72];
	uint8_t *buf = NULL;
	unsigned n = 0, i;
	uint32_t u = 0;
	void *tok;

	h->type = htole32(type);
	h->ioprio = 0;
	h->sector = htole64(sector);
	*st = 0xee;
	b[n++] = (struct uvdpa_vq_buf){ tiova(t, h), sizeof(*h), false };
	if (len) {
		uint32_t per, off = 0;

		buf = talloc(t, len, 512);
		if (data_out)
			memcpy(buf, data, len);
		else
			memset(buf, 0xcc, len);
		if (nseg < 1)
			nseg = 1;
		REQUIRE(nseg <= 64, "at most 64 data segments");
		per = (len + nseg - 1) / nseg;
		for (i = 0; off < len && n < 71; i++) {
			uint32_t l = len - off < per ? len - off : per;

			b[n++] = (struct uvdpa_vq_buf){ tiova(t, buf + off), l, !data_out };
			off += l;
		}
	}
	b[n++] = (struct uvdpa_vq_buf){ tiova(t, st), 1, true };
	REQUIRE(tvq_add(t, q, b, n, h, false) == 0, "blk add");
	tok = tvq_wait(t, q, &u, 5000);
	if (!tok)
		return -1;
	REQUIRE(tok == h, "blk token");
	if (used)
		*used = u;
	if (len && !data_out)
		memcpy(data, buf, len);
	return *st;
}

static inline int tblk_rw(struct tdev *t, uint16_t q, bool write, uint64_t sector, void *data,
			  uint32_t len)
{
	uint32_t used;
	int st = tblk_req(t, q, write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, sector, data, len,
			  write, len >= 65536 ? 64 : 1 + len / 4096, &used);

	if (st == VIRTIO_BLK_S_OK)
		REQUIRE(used == (write ? 1 : len + 1), "used length %u", used);
	return st;
}

/* DISCARD / WRITE_ZEROES with one range. */
static inline int tblk_range(struct tdev *t, uint16_t q, uint32_t type, uint64_t sector,
			     uint32_t nsect, uint32_t flags)
{
	struct virtio_blk_discard_write_zeroes r = {
		.sector = htole64(sector), .num_sectors = htole32(nsect), .flags = htole32(flags) };

	return tblk_req(t, q, type, 0, &r, sizeof(r), true, 1, NULL);
}

#endif
