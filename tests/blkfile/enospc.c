// SPDX-License-Identifier: MIT
/*
 * blk_file on a 1 MiB tmpfs holding a sparse 8 MiB file: writes succeed
 * until the file system is full, then answer IOERR (ENOSPC) and the driver
 * goes on; the file's size never changes, the blocks written before read
 * back intact and nothing lands outside what was acknowledged.
 * Needs root (mount); skipped (77) otherwise.
 */
#include <sys/mount.h>

#include "bf_test.h"

#define BYTES (8u << 20)
#define BS    (64u * 1024)

int main(void)
{
	char dir[] = "/tmp/uvdpa-enospc.XXXXXX";
	static uint8_t w[BS], r[BS];
	unsigned i, ok_writes = 0, errs = 0;
	struct bft t = { 0 };
	struct stat st;
	bool intact = true;

	REQUIRE(mkdtemp(dir), "mount point");
	if (mount("uvdpa-test", dir, "tmpfs", 0, "size=1m")) {
		printf("SKIP: cannot mount tmpfs (%s)\n", strerror(errno));
		rmdir(dir);
		return 77;
	}
	bft_file(&t, dir, BYTES);
	bft_open(&t, "full0", NULL, NULL);
	for (i = 0; i < BYTES / BS; i++) {
		int res;

		bft_pattern(w, (uint64_t)i * (BS / 512), BS, 7);
		res = uvdpa_blk_write(t.b, (uint64_t)i * (BS / 512), w, BS);
		if (res == 0 && !errs)
			ok_writes++;
		else if (res == -EIO)
			errs++;
		else if (res)
			CHECK(0, "write %u: unexpected %d", i, res);
	}
	CHECK(ok_writes > 0 && ok_writes < BYTES / BS, "%u writes fit, then the fs is full",
	      ok_writes);
	CHECK(errs > 0, "%u writes past that answered IOERR", errs);
	CHECK(stat(t.path, &st) == 0 && st.st_size == BYTES, "file size unchanged");
	for (i = 0; i < ok_writes && intact; i++) {
		bft_pattern(w, (uint64_t)i * (BS / 512), BS, 7);
		intact = uvdpa_blk_read(t.b, (uint64_t)i * (BS / 512), r, BS) == 0 &&
			 memcmp(r, w, BS) == 0;
	}
	CHECK(intact, "every acknowledged write reads back");
	CHECK(uvdpa_blk_read(t.b, (uint64_t)(BYTES / BS - 1) * (BS / 512), r, BS) == 0,
	      "the device still answers reads");
	bft_close(&t, false);
	umount(dir);
	rmdir(dir);
	return t_done();
}
