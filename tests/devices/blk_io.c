// SPDX-License-Identifier: MIT
/*
 * vdpasim_blk reads and writes: verified at the start, middle and end of
 * the capacity, split and packed, over several queues; GET_ID, FLUSH; the
 * disk starts zeroed; capacity chosen at creation. Whole written pages are
 * read with plain or streaming stores as argv[1] (0 or 1) says.
 */
#include <errno.h>

#include "tblk.h"

static uint8_t wbuf[256 * 1024], rbuf[256 * 1024];

static void verify_at(struct tdev *t, uint16_t q, uint64_t sector, uint32_t len, uint32_t seed)
{
	tfill(wbuf, len, seed);
	REQUIRE(tblk_rw(t, q, true, sector, wbuf, len) == VIRTIO_BLK_S_OK, "write %u @%llu", len,
		(unsigned long long)sector);
	memset(rbuf, 0, len);
	REQUIRE(tblk_rw(t, q, false, sector, rbuf, len) == VIRTIO_BLK_S_OK, "read %u @%llu", len,
		(unsigned long long)sector);
	REQUIRE(memcmp(wbuf, rbuf, len) == 0, "data at sector %llu", (unsigned long long)sector);
}

/*
 * Layouts other than one descriptor each for header, data and status: the
 * header and the data of a write in one descriptor; a read's header split
 * in two and its data sharing a descriptor with the status byte.
 */
static void layouts(struct tdev *t, const char *what)
{
	uint8_t *w = talloc(t, 16 + 512, 16), *ws = talloc(t, 1, 1);
	uint8_t *h1 = talloc(t, 8, 8), *h2 = talloc(t, 8, 8), *r = talloc(t, 513, 16);
	struct virtio_blk_outhdr *wh = (struct virtio_blk_outhdr *)w;
	struct virtio_blk_outhdr rh = { .type = htole32(VIRTIO_BLK_T_IN),
					.sector = htole64(700) };
	struct uvdpa_vq_buf wb[2] = { { tiova(t, w), 16 + 512, false }, { tiova(t, ws), 1, true } };
	struct uvdpa_vq_buf rb[3] = { { tiova(t, h1), 8, false }, { tiova(t, h2), 8, false },
				      { tiova(t, r), 513, true } };
	uint32_t used = 0;

	wh->type = htole32(VIRTIO_BLK_T_OUT);
	wh->ioprio = 0;
	wh->sector = htole64(700);
	tfill(w + 16, 512, 77);
	*ws = 0xee;
	REQUIRE(tvq_add(t, 0, wb, 2, w, false) == 0, "add");
	CHECK(tvq_wait(t, 0, &used, 5000) == w && used == 1 && *ws == VIRTIO_BLK_S_OK,
	      "%s: write with header and data in one descriptor", what);
	memcpy(h1, &rh, 8);
	memcpy(h2, (uint8_t *)&rh + 8, 8);
	memset(r, 0xee, 513);
	REQUIRE(tvq_add(t, 0, rb, 3, h1, false) == 0, "add");
	CHECK(tvq_wait(t, 0, &used, 5000) == h1 && used == 513 && r[512] == VIRTIO_BLK_S_OK &&
	      memcmp(r, w + 16, 512) == 0,
	      "%s: read with the header in two descriptors, data and status in one", what);
}

static void run(bool packed)
{
	const char *what = packed ? "packed" : "split";
	uint64_t cap = 0x40000, s;
	uint8_t id[20];
	uint32_t used;
	struct tdev t;
	int i;

	tdev_open(&t, NULL, "vdpasim_blk", "blk0", NULL);
	tdev_start(&t, F_ACCESS_PLATFORM | F_VERSION_1 | F_EVENT_IDX | F_INDIRECT |
		   (packed ? F_PACKED : 0), 1, 256);

	memset(rbuf, 0xaa, 65536);
	CHECK(tblk_rw(&t, 0, false, 0, rbuf, 65536) == VIRTIO_BLK_S_OK &&
	      rbuf[0] == 0 && rbuf[65535] == 0 && !memcmp(rbuf, rbuf + 1, 65535),
	      "%s: a new disk reads as zeroes", what);

	for (i = 0; i < 3; i++) {
		uint64_t at[3] = { 0, cap / 2 - 3, cap - 64 };

		verify_at(&t, 0, at[i], 64 * 512, (uint32_t)i + 1);
	}
	verify_at(&t, 0, cap - 1, 512, 9);
	CHECK(1, "%s: write + read back at start, middle, end (last sector included)", what);

	/* A big request over many segments, and across the middle. */
	verify_at(&t, 0, cap / 2 - 100, sizeof(wbuf), 11);
	CHECK(1, "%s: 256 KiB request in 64 segments", what);

	/* Earlier data is still there. */
	tfill(wbuf, 512, 9);
	REQUIRE(tblk_rw(&t, 0, false, cap - 1, rbuf, 512) == VIRTIO_BLK_S_OK, "read");
	CHECK(memcmp(rbuf, wbuf, 512) == 0, "%s: last sector kept its data", what);

	layouts(&t, what);

	CHECK(tblk_req(&t, 0, VIRTIO_BLK_T_GET_ID, 0, id, sizeof(id), false, 1, &used) ==
	      VIRTIO_BLK_S_OK && used == 21 && memcmp(id, "vdpa_blk_sim\0\0\0\0\0\0\0\0", 20) == 0,
	      "%s: GET_ID -> \"vdpa_blk_sim\" padded to 20 bytes", what);
	CHECK(tblk_req(&t, 0, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, false, 0, &used) == VIRTIO_BLK_S_OK &&
	      used == 1, "%s: FLUSH -> OK", what);

	/* Many requests in flight at once (more than a burst). */
	for (s = 0; s < 80; s++) {
		struct virtio_blk_outhdr *h = talloc(&t, 17, 16);
		uint8_t *d = talloc(&t, 512, 512);
		struct uvdpa_vq_buf b[3] = {
			{ tiova(&t, h), 16, false }, { tiova(&t, d), 512, false },
			{ tiova(&t, (uint8_t *)h + 16), 1, true } };

		h->type = htole32(VIRTIO_BLK_T_OUT);
		h->sector = htole64(1000 + s);
		memset(d, (int)s, 512);
		REQUIRE(uvdpa_vq_drv_add(&t.vq[0].drv, b, 3, h) == 0, "add %llu",
			(unsigned long long)s);
	}
	if (uvdpa_vq_drv_publish(&t.vq[0].drv))
		t.ops->kick_vq(t.d, 0);
	for (s = 0; s < 80; s++)
		REQUIRE(tvq_wait(&t, 0, &used, 5000) && used == 1, "completion %llu",
			(unsigned long long)s);
	REQUIRE(tblk_rw(&t, 0, false, 1000, rbuf, 80 * 512) == VIRTIO_BLK_S_OK, "read back");
	for (s = 0; s < 80; s++)
		REQUIRE(rbuf[s * 512] == s && rbuf[s * 512 + 511] == s, "sector %llu",
			(unsigned long long)s);
	CHECK(1, "%s: 80 writes in flight (more than a burst), all completed and on disk", what);
	tdev_close(&t);
}

/* argv[1], 0 or 1: reads of whole written pages with plain or streaming
 * stores (UVDPA_BLK_READ_NT), instead of this CPU's default. */
int main(int argc, char **argv)
{
	struct uvdpa_dev_set_config cfg = {
		.mask = (1ULL << 21) | (1ULL << 25), .blk.capacity = 2048, .blk.num_queues = 3 };
	struct tdev t;
	uint16_t q;

	if (argc > 1)
		setenv("UVDPA_BLK_READ_NT", argv[1], 1);
	run(false);
	run(true);

	tdev_open(&t, NULL, "vdpasim_blk", "blk1", &cfg);
	tdev_start(&t, F_ACCESS_PLATFORM | F_VERSION_1 | F(12), 3, 32);
	for (q = 0; q < 3; q++)
		verify_at(&t, q, 2048 - 8 * (q + 1), 4096, 100 + q);
	for (q = 0; q < 3; q++) {
		tfill(wbuf, 4096, 100 + q);
		REQUIRE(tblk_rw(&t, (uint16_t)((q + 1) % 3), false, 2048 - 8 * (q + 1), rbuf, 4096) ==
			VIRTIO_BLK_S_OK && memcmp(rbuf, wbuf, 4096) == 0, "cross-queue read");
	}
	CHECK(1, "capacity 2048, 3 queues: every queue serves the same disk");
	CHECK(tblk_rw(&t, 0, false, 2048, rbuf, 512) == VIRTIO_BLK_S_IOERR,
	      "the chosen capacity bounds the disk");
	tdev_close(&t);
	return 0;
}
