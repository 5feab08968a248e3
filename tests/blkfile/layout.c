// SPDX-License-Identifier: MIT
/*
 * blk_file takes chains laid out otherwise than one descriptor each for
 * header, data and status (libuvdpa's driver never makes them, a guest
 * may): a write whose header and data share a descriptor lands in the file;
 * a read whose header is split in two descriptors and whose data shares
 * the last descriptor with the status byte reads the file back, with the
 * status in that last byte and used length 513; buffered and O_DIRECT.
 */
#include "tfile.h"

#define BYTES (1u << 20)

static void run(bool direct)
{
	const char *mode = direct ? "O_DIRECT" : "buffered";
	struct uvdpa_dev_set_config cfg;
	struct virtio_blk_outhdr rh = { .type = htole32(VIRTIO_BLK_T_IN),
					.sector = htole64(700) };
	struct virtio_blk_outhdr *wh;
	uint8_t *w, *ws, *h1, *h2, *r;
	uint32_t used = 0;
	struct tfile f;
	struct tdev t;

	tfile_new(&f, BYTES);
	tfile_cfg(&cfg, &f, direct);
	tdev_open(&t, NULL, "blk_file", direct ? "lay1" : "lay0", &cfg);
	tdev_start(&t, F_ACCESS_PLATFORM | F_VERSION_1, 1, 64);
	/* The data of the write starts 16 bytes into its descriptor: O_DIRECT
	 * goes through the bounce buffer; the read's data is aligned. */
	w = talloc(&t, 16 + 512, 4096);
	ws = talloc(&t, 1, 64);
	h1 = talloc(&t, 8, 64);
	h2 = talloc(&t, 8, 64);
	r = talloc(&t, 513, 4096);
	wh = (struct virtio_blk_outhdr *)w;
	*wh = (struct virtio_blk_outhdr){ .type = htole32(VIRTIO_BLK_T_OUT),
					  .sector = htole64(700) };
	tfill(w + 16, 512, direct ? 3 : 4);
	*ws = 0xee;
	{
		struct uvdpa_vq_buf b[2] = { { tiova(&t, w), 16 + 512, false },
					     { tiova(&t, ws), 1, true } };

		REQUIRE(tvq_add(&t, 0, b, 2, w, false) == 0, "add write");
	}
	CHECK(tvq_wait(&t, 0, &used, 10000) == w && used == 1 && *ws == VIRTIO_BLK_S_OK &&
	      tfile_eq(&f, 700 * 512, w + 16, 512),
	      "%s: write with header and data in one descriptor, in the file", mode);
	memcpy(h1, &rh, 8);
	memcpy(h2, (uint8_t *)&rh + 8, 8);
	memset(r, 0xee, 513);
	{
		struct uvdpa_vq_buf b[3] = { { tiova(&t, h1), 8, false },
					     { tiova(&t, h2), 8, false },
					     { tiova(&t, r), 513, true } };

		REQUIRE(tvq_add(&t, 0, b, 3, h1, false) == 0, "add read");
	}
	CHECK(tvq_wait(&t, 0, &used, 10000) == h1 && used == 513 && r[512] == VIRTIO_BLK_S_OK &&
	      memcmp(r, w + 16, 512) == 0,
	      "%s: read with the header in two descriptors, data and status in one", mode);
	tdev_close(&t);
	tfile_rm(&f);
}

int main(void)
{
	run(false);
	run(true);
	return 0;
}
