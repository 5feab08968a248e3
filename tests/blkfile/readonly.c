// SPDX-License-Identifier: MIT
/*
 * blk_file readonly: VIRTIO_BLK_F_RO offered, no DISCARD / WRITE_ZEROES;
 * writes, discards and write-zeroes answered IOERR with the file unchanged
 * (the fd is O_RDONLY, so even a bug could not write); reads and flush work;
 * a file without write permission opens read-only but is refused writable.
 */
#include "bf_test.h"

#define BYTES (1u << 20)

int main(void)
{
	struct uvdpa_dev_set_config cfg = { 0 };
	static uint8_t w[4096], r[4096];
	struct bft t = { 0 };
	const char *msg = NULL;
	int fd, res;

	bft_file(&t, NULL, BYTES);
	bft_pattern(w, 8, sizeof(w), 1);
	fd = open(t.path, O_WRONLY);
	REQUIRE(fd >= 0 && pwrite(fd, w, sizeof(w), 8 * 512) == (ssize_t)sizeof(w), "host data");
	close(fd);
	REQUIRE(chmod(t.path, 0400) == 0, "file made read-only (0400)");

	/* Root passes permission checks, so refuse through the flag only where
	 * the test runs unprivileged. */
	if (geteuid() != 0) {
		res = bft_add(&t, "rw", NULL, &msg);
		CHECK(res == -EACCES && msg && strstr(msg, "read-only"),
		      "0400 file asked writable: -EACCES \"%s\"", msg ? msg : "");
		uvdpa_bus_free(t.bus);
		t.bus = NULL;
	}

	cfg.blk.read_only = 1;
	cfg.mask = UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_BLK_READ_ONLY);
	bft_open(&t, "ro0", &cfg, NULL);
	CHECK((uvdpa_virtio_device_features(t.v) >> 5) & 1, "VIRTIO_BLK_F_RO offered");
	CHECK(!((uvdpa_virtio_device_features(t.v) >> 13) & 1) &&
	      !((uvdpa_virtio_device_features(t.v) >> 14) & 1),
	      "DISCARD and WRITE_ZEROES not offered");
	CHECK(uvdpa_blk_read(t.b, 8, r, sizeof(r)) == 0 && memcmp(r, w, sizeof(r)) == 0,
	      "read works");
	memset(r, 0x5a, sizeof(r));
	CHECK(uvdpa_blk_write(t.b, 8, r, sizeof(r)) == -EIO, "write: -EIO");
	CHECK(uvdpa_blk_write(t.b, 100, r, 512) == -EIO, "write elsewhere: -EIO");
	CHECK(uvdpa_blk_flush(t.b) == 0, "flush: OK");
	CHECK(bft_host_eq(&t, 8 * 512, w, sizeof(w)) && bft_host_zero(&t, 100 * 512, 512),
	      "file unchanged");
	chmod(t.path, 0600);
	bft_close(&t, true);
	return t_done();
}
