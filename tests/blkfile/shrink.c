// SPDX-License-Identifier: MIT
/*
 * blk_file: the backing file shrinks under a live device. Reads past the
 * new end find nothing (a short read that makes no progress) and answer
 * IOERR; reads inside still work; nothing crashes, the device stays usable.
 */
#include "bf_test.h"

#define BYTES (4u << 20)

int main(void)
{
	static uint8_t w[65536], r[65536];
	struct bft t = { 0 };

	bft_file(&t, NULL, BYTES);
	bft_open(&t, "shrink0", NULL, NULL);
	bft_pattern(w, 0, sizeof(w), 4);
	REQUIRE(uvdpa_blk_write(t.b, 0, w, sizeof(w)) == 0, "write 64 KiB at 0");
	REQUIRE(uvdpa_blk_write(t.b, 6000, w, sizeof(w)) == 0, "write 64 KiB at sector 6000");
	REQUIRE(truncate(t.path, 1u << 20) == 0, "file truncated to 1 MiB under the device");
	CHECK(uvdpa_blk_capacity(t.b) == BYTES / 512, "capacity as created (the driver's view)");
	CHECK(uvdpa_blk_read(t.b, 6000, r, sizeof(r)) == -EIO, "read past the new end: -EIO");
	CHECK(uvdpa_blk_read(t.b, 2040, r, 8192) == -EIO,
	      "read crossing the new end (short, then nothing): -EIO");
	CHECK(uvdpa_blk_read(t.b, 0, r, sizeof(r)) == 0 && memcmp(r, w, sizeof(r)) == 0,
	      "read inside the file still works");
	CHECK(uvdpa_blk_flush(t.b) == 0, "flush still works");
	bft_close(&t, true);
	return t_done();
}
