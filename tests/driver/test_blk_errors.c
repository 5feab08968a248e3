// SPDX-License-Identifier: MIT
/*
 * virtio-blk errors and the non-data requests: out-of-range and overflowing
 * requests fail with -EIO and leave the disk untouched; discard and
 * write-zeroes (in range, out of range, with flags); the driver's own
 * argument checks.
 */
#include <stdint.h>

#include "drv_test.h"

#define SECTORS 2048u   /* 1 MiB */
#define DISK (SECTORS * 512u)

static uint8_t disk[DISK], back[DISK];

static void fill(uint8_t *p, size_t len, unsigned seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 13 + seed + i / 512);
}

/* The whole disk still equals our copy. */
static bool untouched(struct uvdpa_blk *b)
{
	return uvdpa_blk_read(b, 0, back, DISK) == 0 && memcmp(disk, back, DISK) == 0;
}

static void range_errors(struct uvdpa_blk *b)
{
	uint8_t buf[8192];

	fill(buf, sizeof(buf), 99);
	CHECK(uvdpa_blk_read(b, SECTORS, buf, 512) == -EIO, "read at capacity: -EIO");
	CHECK(uvdpa_blk_read(b, SECTORS - 1, buf, 1024) == -EIO, "read across the end: -EIO");
	CHECK(uvdpa_blk_write(b, SECTORS, buf, 512) == -EIO, "write at capacity: -EIO");
	CHECK(uvdpa_blk_write(b, SECTORS - 8, buf, 8192) == -EIO, "write across the end: -EIO");
	CHECK(uvdpa_blk_write(b, UINT64_MAX - 3, buf, 4096) == -EIO,
	      "write whose end wraps past 2^64 sectors: -EIO");
	CHECK(uvdpa_blk_write(b, UINT64_MAX / 512 + 1, buf, 512) == -EIO,
	      "write whose byte offset overflows: -EIO");
	CHECK(uvdpa_blk_write(b, 1ULL << 40, buf, 512) == -EIO, "write far past the end: -EIO");
	CHECK(uvdpa_blk_discard(b, SECTORS - 1, 2) == -EIO, "discard across the end: -EIO");
	CHECK(uvdpa_blk_write_zeroes(b, SECTORS, 1, 0) == -EIO, "write-zeroes at capacity: -EIO");
	CHECK(uvdpa_blk_write_zeroes(b, UINT64_MAX, 2, 0) == -EIO,
	      "write-zeroes whose range wraps: -EIO");
	CHECK(untouched(b), "disk untouched by every refused request");
	CHECK(uvdpa_blk_read(b, SECTORS - 8, buf, 4096) == 0 &&
	      memcmp(buf, disk + DISK - 4096, 4096) == 0, "last 4 KiB still readable");
}

static void discard_wz(struct uvdpa_blk *b)
{
	uint8_t zero[64 * 512] = { 0 };

	CHECK(uvdpa_blk_discard(b, 100, 50) == 0, "discard 50 sectors");
	/* Discarded data may read back as anything; the sim keeps it. Make our
	 * copy follow the device so later checks stay exact. */
	CHECK(uvdpa_blk_read(b, 100, disk + 100 * 512, 50 * 512) == 0, "read discarded range");
	CHECK(uvdpa_blk_write_zeroes(b, 200, 64, 0) == 0, "write-zeroes 64 sectors");
	memset(disk + 200 * 512, 0, 64 * 512);
	CHECK(uvdpa_blk_read(b, 200, back, sizeof(zero)) == 0 &&
	      memcmp(back, zero, sizeof(zero)) == 0, "range reads as zeroes");
	CHECK(uvdpa_blk_write_zeroes(b, 300, 8, UVDPA_BLK_WZ_UNMAP) == 0, "write-zeroes with UNMAP");
	memset(disk + 300 * 512, 0, 8 * 512);
	CHECK(untouched(b), "neighbours of zeroed ranges intact");
	CHECK(uvdpa_blk_write_zeroes(b, SECTORS - 1, 1, 0) == 0, "write-zeroes of the last sector");
	memset(disk + DISK - 512, 0, 512);
	CHECK(untouched(b), "only the last sector zeroed");
}

static void arg_errors(struct uvdpa_blk *b)
{
	uint8_t buf[512];
	struct uvdpa_blk_req r = { .op = UVDPA_BLK_OP_READ, .buf = buf, .len = 100 };
	struct uvdpa_blk_req big = { .op = UVDPA_BLK_OP_WRITE, .buf = disk,
				     .len = uvdpa_blk_max_transfer(b) + 512 };
	struct uvdpa_blk_req bad = { .op = (enum uvdpa_blk_op)42 };

	CHECK(uvdpa_blk_submit(b, 0, &r, NULL, NULL) == -EINVAL, "100-byte read: -EINVAL");
	r.len = 0;
	CHECK(uvdpa_blk_submit(b, 0, &r, NULL, NULL) == -EINVAL, "0-byte read: -EINVAL");
	CHECK(uvdpa_blk_submit(b, 0, &big, NULL, NULL) == -EINVAL, "above max transfer: -EINVAL");
	CHECK(uvdpa_blk_submit(b, 0, &bad, NULL, NULL) == -EINVAL, "unknown op: -EINVAL");
	r.len = 512;
	CHECK(uvdpa_blk_submit(b, 1, &r, NULL, NULL) == -EINVAL, "no queue 1: -EINVAL");
	CHECK(uvdpa_blk_read(b, 0, buf, 511) == -EINVAL, "sync read of 511 bytes: -EINVAL");
	CHECK(uvdpa_blk_inflight(b, 0) == 0, "nothing left in flight");
}

int main(void)
{
	struct uvdpa_bus *bus = t_bus();
	struct uvdpa_dev_set_config cfg = { .blk.capacity = SECTORS,
		.mask = UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_BLK_CFG_CAPACITY) };
	struct uvdpa_device *d = t_dev(bus, "vdpasim_blk", "blk1m", &cfg);
	struct uvdpa_virtio *v = NULL;
	struct uvdpa_blk *b = NULL;

	REQUIRE(uvdpa_virtio_open_local(d, &v) == 0, "open_local");
	REQUIRE(uvdpa_blk_open(v, NULL, &b) == 0, "blk open");
	fill(disk, DISK, 1);
	REQUIRE(uvdpa_blk_write(b, 0, disk, DISK) == 0, "fill the 1 MiB disk");
	CHECK(untouched(b), "disk reads back");
	range_errors(b);
	discard_wz(b);
	arg_errors(b);
	uvdpa_blk_close(b);
	uvdpa_virtio_close(v);
	uvdpa_bus_free(bus);
	return t_done();
}
