// SPDX-License-Identifier: MIT
/*
 * blk_file, every request type against a temporary file, checked from the
 * host side: writes land at the right offset (pread), host writes are read
 * back, flush, GET_ID (default serial = the device name, or the one given),
 * DISCARD and WRITE_ZEROES with and without unmap visible as holes and
 * zeroes, requests past the end refused with the file untouched; split and
 * packed rings, async at queue depth 64 completing in any order; the config
 * space shows the file's capacity and block size.
 */
#include "bf_test.h"

#define SECTORS 16384u          /* 8 MiB */
#define BYTES   ((uint64_t)SECTORS * 512)

static void rw(struct bft *t)
{
	enum { LEN = 256 * 1024 };
	uint8_t *w = malloc(LEN), *r = malloc(LEN);
	int fd;

	REQUIRE(w && r, "buffers");
	bft_pattern(w, 100, LEN, 1);
	CHECK(uvdpa_blk_write(t->b, 100, w, LEN) == 0, "write 256 KiB at sector 100");
	CHECK(bft_host_eq(t, 100 * 512, w, LEN), "host pread sees it at byte 51200");
	CHECK(bft_host_zero(t, 0, 100 * 512), "nothing written before it");
	/* host writes, device reads */
	bft_pattern(w, 4000, LEN, 2);
	fd = open(t->path, O_WRONLY);
	REQUIRE(fd >= 0 && pwrite(fd, w, LEN, 4000 * 512) == LEN, "host pwrite");
	close(fd);
	memset(r, 0, LEN);
	CHECK(uvdpa_blk_read(t->b, 4000, r, LEN) == 0 && memcmp(r, w, LEN) == 0,
	      "device reads what the host wrote");
	CHECK(uvdpa_blk_read(t->b, SECTORS - 8, r, 4096) == 0, "read the last 4 KiB");
	CHECK(uvdpa_blk_read(t->b, SECTORS - 4, r, 4096) == -EIO, "read crossing the end: -EIO");
	CHECK(uvdpa_blk_write(t->b, SECTORS, w, 512) == -EIO, "write at capacity: -EIO");
	CHECK(uvdpa_blk_write(t->b, UINT64_MAX / 512 + 1, w, 512) == -EIO,
	      "write at a sector that overflows: -EIO");
	CHECK(uvdpa_blk_flush(t->b) == 0, "flush");
	{
		struct stat st;

		CHECK(stat(t->path, &st) == 0 && (uint64_t)st.st_size == BYTES,
		      "file size unchanged by refused writes");
	}
	free(w);
	free(r);
}

static void falloc(struct bft *t)
{
	enum { OFF = 2048, N = 1024 };   /* 512 KiB at 1 MiB */
	uint8_t *w = malloc(N * 512), *r = malloc(N * 512);
	uint64_t before;

	REQUIRE(w && r, "buffers");
	bft_pattern(w, OFF, N * 512, 3);
	REQUIRE(uvdpa_blk_write(t->b, OFF, w, N * 512) == 0 && uvdpa_blk_flush(t->b) == 0,
		"write 512 KiB");
	before = bft_host_blocks(t);
	CHECK(uvdpa_blk_discard(t->b, OFF, 256) == 0, "discard 128 KiB");
	CHECK(bft_host_hole(t, OFF * 512, 256 * 512), "discarded range is a hole (SEEK_DATA)");
	CHECK(bft_host_blocks(t) < before, "st_blocks went down (%llu -> %llu)",
	      (unsigned long long)before, (unsigned long long)bft_host_blocks(t));
	CHECK(bft_host_eq(t, (OFF + 256) * 512, w + 256 * 512, 768 * 512),
	      "the rest is untouched");
	before = bft_host_blocks(t);
	CHECK(uvdpa_blk_write_zeroes(t->b, OFF + 256, 256, 0) == 0, "write zeroes 128 KiB");
	CHECK(bft_host_zero(t, (OFF + 256) * 512, 256 * 512), "host reads zeroes there");
	CHECK(bft_host_blocks(t) == before, "without unmap the blocks stay allocated (ZERO_RANGE)");
	CHECK(uvdpa_blk_write_zeroes(t->b, OFF + 512, 256, UVDPA_BLK_WZ_UNMAP) == 0,
	      "write zeroes with unmap 128 KiB");
	CHECK(bft_host_hole(t, (OFF + 512) * 512, 256 * 512), "unmapped range is a hole");
	CHECK(bft_host_blocks(t) < before, "with unmap the blocks are freed (PUNCH_HOLE)");
	CHECK(bft_host_eq(t, (OFF + 768) * 512, w + 768 * 512, 256 * 512),
	      "the last 128 KiB untouched");
	CHECK(uvdpa_blk_read(t->b, OFF, r, N * 512) == 0, "read back 512 KiB");
	memset(w, 0, 768 * 512);
	CHECK(memcmp(r, w, N * 512) == 0, "device reads zeroes, then the data");
	CHECK(uvdpa_blk_discard(t->b, SECTORS - 8, 16) == -EIO, "discard crossing the end: -EIO");
	CHECK(uvdpa_blk_write_zeroes(t->b, SECTORS, 1, 0) == -EIO,
	      "write zeroes at capacity: -EIO");
	free(w);
	free(r);
}

struct actx {
	unsigned done, errors;
};

static void acb(void *opaque, int res)
{
	struct actx *c = opaque;

	c->done++;
	c->errors += res != 0;
}

/* 512 random 4 KiB writes at QD 64, then reads, checked on the host too. */
static void async_qd(struct bft *t, const char *what)
{
	enum { N = 512, BS = 4096 };
	uint8_t *w = malloc((size_t)N * BS), *r = calloc(N, BS);
	struct actx c = { 0 };
	unsigned i, sub = 0;
	bool host = true;

	REQUIRE(w && r, "buffers");
	for (i = 0; i < N; i++)
		bft_pattern(w + (size_t)i * BS, (uint64_t)((i * 37) % N) * 8, BS, 9);
	while (c.done < N) {
		while (sub < N && uvdpa_blk_inflight(t->b, 0) < 64) {
			struct uvdpa_blk_req q = { .op = UVDPA_BLK_OP_WRITE,
				.sector = (uint64_t)((sub * 37) % N) * 8,
				.buf = w + (size_t)sub * BS, .len = BS };

			if (uvdpa_blk_submit(t->b, 0, &q, acb, &c))
				REQUIRE(0, "submit");
			sub++;
		}
		uvdpa_blk_wait(t->b, 0, 1, 5000);
	}
	CHECK(c.errors == 0, "%s: %u writes at QD 64, no error", what, N);
	for (i = 0; i < N && host; i++)
		host = bft_host_eq(t, (uint64_t)((i * 37) % N) * 8 * 512, w + (size_t)i * BS, BS);
	CHECK(host, "%s: every write at its offset in the file", what);
	c.done = c.errors = 0;
	for (sub = 0; c.done < N;) {
		while (sub < N && uvdpa_blk_inflight(t->b, 0) < 64) {
			struct uvdpa_blk_req q = { .op = UVDPA_BLK_OP_READ,
				.sector = (uint64_t)((sub * 37) % N) * 8,
				.buf = r + (size_t)sub * BS, .len = BS };

			if (uvdpa_blk_submit(t->b, 0, &q, acb, &c))
				REQUIRE(0, "submit");
			sub++;
		}
		uvdpa_blk_wait(t->b, 0, 1, 5000);
	}
	CHECK(c.errors == 0 && memcmp(w, r, (size_t)N * BS) == 0, "%s: read back at QD 64", what);
	free(w);
	free(r);
}

static void ids(struct bft *t, const char *want)
{
	char id[UVDPA_BLK_ID_BYTES + 1];

	CHECK(uvdpa_blk_get_id(t->b, id) == 0 && strcmp(id, want) == 0,
	      "GET_ID answers \"%s\" (got \"%s\")", want, id);
}

int main(void)
{
	struct uvdpa_blk_opts packed = { .flags = UVDPA_BLK_PACKED | UVDPA_BLK_INDIRECT };
	struct uvdpa_dev_set_config cfg = { 0 };
	struct bft t = { 0 };
	static uint8_t sector_buf[512];

	bft_file(&t, NULL, BYTES);
	bft_open(&t, "disk0", NULL, NULL);
	CHECK(uvdpa_blk_capacity(t.b) == SECTORS, "capacity from the file size");
	CHECK(uvdpa_blk_block_size(t.b) == 512, "blk_size 512 for a file");
	rw(&t);
	falloc(&t);
	async_qd(&t, "split");
	ids(&t, "disk0");
	bft_close_driver(&t);
	uvdpa_bus_free(t.bus);
	t.bus = NULL;

	cfg.blk.serial = "SERIAL-0123456789-AB";   /* exactly 20 bytes */
	cfg.uvdpa_mask = UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_BLK_SERIAL);
	cfg.blk.capacity = SECTORS / 2;
	cfg.mask = UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_BLK_CFG_CAPACITY);
	bft_open(&t, "a-device-name-longer-than-20", &cfg, &packed);
	CHECK(uvdpa_blk_capacity(t.b) == SECTORS / 2, "capacity as given");
	CHECK(uvdpa_blk_read(t.b, SECTORS / 2, sector_buf, 512) == -EIO,
	      "read past the given capacity (inside the file): -EIO");
	async_qd(&t, "packed");
	ids(&t, "SERIAL-0123456789-AB");
	bft_close(&t, true);
	return t_done();
}
