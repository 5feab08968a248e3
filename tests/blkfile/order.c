// SPDX-License-Identifier: MIT
/*
 * blk_file answers in completion order, not ring order: a 4 MiB direct
 * write taken first and a GET_ID taken after it (in the same pass) come
 * back GET_ID first, then the write, each with its own id, status and used
 * length, on split and on packed rings; and the ring goes on in order
 * afterwards (the packed ring's used slots skip by each chain's length).
 */
#include "tfile.h"

#define LEN   (4u << 20)
#define BYTES (16u << 20)

struct req {
	struct virtio_blk_outhdr h;
	uint8_t status;
};

static void run(bool packed)
{
	const char *ring = packed ? "packed" : "split";
	struct uvdpa_dev_set_config cfg;
	struct req *w, *id;
	uint8_t *data, *serial;
	uint32_t len1 = 0, len2 = 0;
	void *first, *second;
	struct tfile f;
	struct tdev t;

	tfile_new(&f, BYTES);
	tfile_cfg(&cfg, &f, true);
	tdev_open(&t, NULL, "blk_file", packed ? "ord1" : "ord0", &cfg);
	tdev_start(&t, F_ACCESS_PLATFORM | F_VERSION_1 | (packed ? F_PACKED : 0), 1, 64);
	w = talloc(&t, sizeof(*w), 64);
	id = talloc(&t, sizeof(*id), 64);
	data = talloc(&t, LEN, 4096);
	serial = talloc(&t, 20, 64);
	tfill(data, LEN, 21);
	w->h = (struct virtio_blk_outhdr){ .type = htole32(VIRTIO_BLK_T_OUT), .sector = 0 };
	id->h = (struct virtio_blk_outhdr){ .type = htole32(VIRTIO_BLK_T_GET_ID) };
	w->status = id->status = 0xee;
	{
		/* 4 descriptors for the write, so packed used slots must skip 4 */
		struct uvdpa_vq_buf bw[4] = {
			{ tiova(&t, &w->h), sizeof(w->h), false },
			{ tiova(&t, data), LEN / 2, false },
			{ tiova(&t, data + LEN / 2), LEN / 2, false },
			{ tiova(&t, &w->status), 1, true } };
		struct uvdpa_vq_buf bi[3] = {
			{ tiova(&t, &id->h), sizeof(id->h), false },
			{ tiova(&t, serial), 20, true },
			{ tiova(&t, &id->status), 1, true } };

		/* Added while suspended: one pass takes both. */
		REQUIRE(t.ops->suspend(t.d) == 0, "suspend");
		REQUIRE(tvq_add(&t, 0, bw, 4, w, false) == 0, "add write");
		REQUIRE(tvq_add(&t, 0, bi, 3, id, false) == 0, "add get_id");
		REQUIRE(t.ops->resume(t.d) == 0, "resume");
	}
	first = tvq_wait(&t, 0, &len1, 10000);
	second = tvq_wait(&t, 0, &len2, 10000);
	CHECK(first == id && len1 == 21 && id->status == VIRTIO_BLK_S_OK &&
	      memcmp(serial, packed ? "ord1" : "ord0", 5) == 0,
	      "%s: GET_ID (taken second) answered first, used length 21", ring);
	CHECK(second == w && len2 == 1 && w->status == VIRTIO_BLK_S_OK && tfile_eq(&f, 0, data, LEN),
	      "%s: then the 4 MiB write (taken first), used length 1, in the file", ring);
	{
		static uint8_t buf[4096], chk[4096];

		tfill(chk, sizeof(chk), 5);
		memcpy(buf, chk, sizeof(buf));
		CHECK(tblk_rw(&t, 0, true, 100, buf, 4096) == VIRTIO_BLK_S_OK &&
		      tblk_rw(&t, 0, false, 100, buf, 4096) == VIRTIO_BLK_S_OK &&
		      memcmp(buf, chk, sizeof(buf)) == 0,
		      "%s: the ring goes on after the out-of-order answers", ring);
	}
	tdev_close(&t);
	tfile_rm(&f);
}

int main(void)
{
	run(false);
	run(true);
	printf("PASSED\n");
	return 0;
}
