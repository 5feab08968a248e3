// SPDX-License-Identifier: MIT
/*
 * vdpasim_blk bounds and odd requests: start past the end, a range crossing
 * the end, partial trailing sectors, 64-bit overflow -> IOERR and the disk
 * untouched; DISCARD and WRITE_ZEROES; unknown types -> UNSUPP; chains
 * without header or status byte are completed empty and the queue goes on.
 */
#include "tblk.h"

#define CAP 0x40000ULL

static uint8_t buf[8192], chk[8192];

/* The last 8 sectors hold a known pattern; returns true if unchanged. */
static bool tail_intact(struct tdev *t)
{
	tfill(chk, 4096, 42);
	REQUIRE(tblk_rw(t, 0, false, CAP - 8, buf, 4096) == VIRTIO_BLK_S_OK, "read tail");
	return memcmp(buf, chk, 4096) == 0;
}

int main(void)
{
	struct tdev t;
	uint32_t used;
	int st;

	tdev_open(&t, NULL, "vdpasim_blk", "blk0", NULL);
	tdev_start(&t, F_ACCESS_PLATFORM | F_VERSION_1 | F_EVENT_IDX, 1, 64);
	tfill(buf, 4096, 42);
	REQUIRE(tblk_rw(&t, 0, true, CAP - 8, buf, 4096) == VIRTIO_BLK_S_OK, "write tail");

	CHECK(tblk_rw(&t, 0, true, CAP, buf, 512) == VIRTIO_BLK_S_IOERR, "write at capacity -> IOERR");
	CHECK(tblk_rw(&t, 0, true, CAP + 1000, buf, 512) == VIRTIO_BLK_S_IOERR,
	      "write past the end -> IOERR (the kernel writes out of bounds)");
	CHECK(tblk_rw(&t, 0, false, CAP + 1000, buf, 512) == VIRTIO_BLK_S_IOERR,
	      "read past the end -> IOERR");
	CHECK(tblk_rw(&t, 0, true, CAP - 4, buf, 4096) == VIRTIO_BLK_S_IOERR,
	      "write crossing the end -> IOERR");
	CHECK(tblk_rw(&t, 0, true, CAP - 1, buf, 513) == VIRTIO_BLK_S_IOERR,
	      "513 bytes on the last sector (partial sector rounds up) -> IOERR");
	CHECK(tblk_rw(&t, 0, true, CAP, buf, 100) == VIRTIO_BLK_S_IOERR,
	      "100 bytes at capacity -> IOERR (the kernel accepts it)");
	CHECK(tblk_rw(&t, 0, true, UINT64_MAX, buf, 512) == VIRTIO_BLK_S_IOERR &&
	      tblk_rw(&t, 0, true, UINT64_MAX / 512 + 1, buf, 512) == VIRTIO_BLK_S_IOERR &&
	      tblk_rw(&t, 0, false, (1ULL << 55) + 1, buf, 4096) == VIRTIO_BLK_S_IOERR,
	      "sectors that overflow 64 bits -> IOERR");
	CHECK(tail_intact(&t), "the disk is untouched by every refused write");
	st = tblk_req(&t, 0, VIRTIO_BLK_T_IN, CAP + 5, buf, 512, false, 1, &used);
	CHECK(st == VIRTIO_BLK_S_IOERR && used == 1, "refused read: used length 1 (status only)");
	CHECK(tblk_rw(&t, 0, true, CAP - 1, buf, 100) == VIRTIO_BLK_S_OK,
	      "partial sector inside the disk -> OK");
	tfill(buf, 4096, 42);
	REQUIRE(tblk_rw(&t, 0, true, CAP - 8, buf, 4096) == VIRTIO_BLK_S_OK, "rewrite tail");

	/* WRITE_ZEROES and DISCARD */
	tfill(buf, 8192, 5);
	REQUIRE(tblk_rw(&t, 0, true, 100, buf, 8192) == VIRTIO_BLK_S_OK, "write 16 sectors");
	CHECK(tblk_range(&t, 0, VIRTIO_BLK_T_WRITE_ZEROES, 101, 3, 0) == VIRTIO_BLK_S_OK,
	      "WRITE_ZEROES sectors 101..103 -> OK");
	REQUIRE(tblk_rw(&t, 0, false, 100, chk, 8192) == VIRTIO_BLK_S_OK, "read");
	{
		static const uint8_t zero[1536];

		CHECK(memcmp(chk, buf, 512) == 0 && memcmp(chk + 512, zero, 1536) == 0 &&
		      memcmp(chk + 2048, buf + 2048, 8192 - 2048) == 0,
		      "exactly sectors 101..103 are zero, neighbours intact");
	}
	REQUIRE(tblk_rw(&t, 0, true, 100, buf, 8192) == VIRTIO_BLK_S_OK, "rewrite");
	CHECK(tblk_range(&t, 0, VIRTIO_BLK_T_WRITE_ZEROES, 0, 0x20000, 1) == VIRTIO_BLK_S_OK,
	      "WRITE_ZEROES of 64 MiB with UNMAP -> OK");
	REQUIRE(tblk_rw(&t, 0, false, 100, chk, 8192) == VIRTIO_BLK_S_OK, "read");
	CHECK(chk[0] == 0 && !memcmp(chk, chk + 1, 8191), "zeroed");
	CHECK(tblk_range(&t, 0, VIRTIO_BLK_T_WRITE_ZEROES, CAP - 2, 3, 0) == VIRTIO_BLK_S_IOERR &&
	      tblk_range(&t, 0, VIRTIO_BLK_T_WRITE_ZEROES, UINT64_MAX - 1, 4, 0) == VIRTIO_BLK_S_IOERR &&
	      tail_intact(&t), "WRITE_ZEROES crossing the end or overflowing -> IOERR, disk untouched");
	CHECK(tblk_range(&t, 0, VIRTIO_BLK_T_WRITE_ZEROES, 0, 1, 2) == VIRTIO_BLK_S_UNSUPP,
	      "WRITE_ZEROES with an unknown flag -> UNSUPP");

	tfill(buf, 8192, 6);
	REQUIRE(tblk_rw(&t, 0, true, 8, buf, 8192) == VIRTIO_BLK_S_OK, "write sectors 8..23");
	CHECK(tblk_range(&t, 0, VIRTIO_BLK_T_DISCARD, 8, 16, 0) == VIRTIO_BLK_S_OK, "DISCARD -> OK");
	REQUIRE(tblk_rw(&t, 0, false, 8, chk, 8192) == VIRTIO_BLK_S_OK, "read");
	CHECK(chk[0] == 0 && !memcmp(chk, chk + 1, 8191),
	      "discarded whole pages read back as zeroes");
	CHECK(tblk_range(&t, 0, VIRTIO_BLK_T_DISCARD, 8, 16, 1) == VIRTIO_BLK_S_UNSUPP,
	      "DISCARD with flags -> UNSUPP");
	CHECK(tblk_range(&t, 0, VIRTIO_BLK_T_DISCARD, CAP, 1, 0) == VIRTIO_BLK_S_IOERR,
	      "DISCARD past the end -> IOERR");
	{
		struct virtio_blk_discard_write_zeroes two[2] = { 0 };

		CHECK(tblk_req(&t, 0, VIRTIO_BLK_T_DISCARD, 0, two, sizeof(two), true, 1, NULL) ==
		      VIRTIO_BLK_S_IOERR, "two ranges (max_discard_seg 1) -> IOERR");
	}
	CHECK(tail_intact(&t), "tail still intact");

	CHECK(tblk_req(&t, 0, 2, 0, NULL, 0, false, 0, &used) == VIRTIO_BLK_S_UNSUPP && used == 1,
	      "SCSI_CMD (2) -> UNSUPP (the kernel answers IOERR)");
	CHECK(tblk_req(&t, 0, 14, 0, NULL, 0, false, 0, NULL) == VIRTIO_BLK_S_UNSUPP &&
	      tblk_req(&t, 0, 0x12345, 0, NULL, 0, false, 0, NULL) == VIRTIO_BLK_S_UNSUPP,
	      "SECURE_ERASE and unknown types -> UNSUPP");
	CHECK(tblk_req(&t, 0, VIRTIO_BLK_T_FLUSH, 5, NULL, 0, false, 0, NULL) == VIRTIO_BLK_S_IOERR,
	      "FLUSH with a sector -> IOERR (as the kernel)");

	/* malformed chains */
	{
		uint8_t *p = talloc(&t, 64, 16);
		struct uvdpa_vq_buf only_hdr = { tiova(&t, p), 16, false };
		struct uvdpa_vq_buf short_hdr[2] = { { tiova(&t, p + 32), 8, false },
						     { tiova(&t, p + 48), 1, true } };
		struct uvdpa_vq_buf only_status = { tiova(&t, p + 60), 1, true };
		uint32_t len = 99;

		memset(p, 0, 64);
		p[48] = p[60] = 0xee;
		REQUIRE(tvq_add(&t, 0, &only_hdr, 1, p, false) == 0, "add");
		CHECK(tvq_wait(&t, 0, &len, 5000) == p && len == 0, "header without status: used 0");
		REQUIRE(tvq_add(&t, 0, short_hdr, 2, p + 32, false) == 0, "add");
		CHECK(tvq_wait(&t, 0, &len, 5000) == p + 32 && len == 0 && p[48] == 0xee,
		      "8-byte header: used 0, nothing written");
		REQUIRE(tvq_add(&t, 0, &only_status, 1, p + 60, false) == 0, "add");
		CHECK(tvq_wait(&t, 0, &len, 5000) == p + 60 && len == 0, "status only: used 0");
	}
	CHECK(!(tdev_status(&t) & UVDPA_STATUS_NEEDS_RESET) && tail_intact(&t),
	      "the queue keeps working after malformed requests");
	tdev_close(&t);
	return 0;
}
