// SPDX-License-Identifier: MIT
/*
 * virtio-blk over vdpasim_blk: the whole of an 8 MiB disk written and read
 * back, the default 128 MiB disk at its start, middle and end, async I/O at
 * queue depth 128 on split and packed rings (indirect descriptors, since
 * the 256-entry ring is smaller than 3 * 128), flush, get-id, config.
 */
#include "drv_test.h"

#define SMALL_SECTORS (8u * 1024 * 1024 / 512)
#define DEFAULT_SECTORS 0x40000u

/* Sector-stamped pattern: any misplaced or stale sector shows. */
static void pattern(uint8_t *buf, uint64_t sector, size_t len, unsigned gen)
{
	size_t i;

	for (i = 0; i < len; i++) {
		uint64_t s = sector + i / 512;

		buf[i] = (uint8_t)(s * 31 + (i % 512) * 7 + gen);
	}
}

static struct uvdpa_device *blk_dev(struct uvdpa_bus *bus, const char *name, uint64_t sectors)
{
	struct uvdpa_dev_set_config cfg = { 0 };

	if (sectors) {
		cfg.blk.capacity = sectors;
		cfg.mask = UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_BLK_CFG_CAPACITY);
	}
	return t_dev(bus, "vdpasim_blk", name, sectors ? &cfg : NULL);
}

static void whole_disk(struct uvdpa_blk *b)
{
	size_t len = (size_t)SMALL_SECTORS * 512;
	uint8_t *w = malloc(len), *r = malloc(len);
	int wr, rd;

	REQUIRE(w && r, "buffers");
	pattern(w, 0, len, 1);
	memset(r, 0, len);
	wr = uvdpa_blk_write(b, 0, w, len);
	rd = uvdpa_blk_read(b, 0, r, len);
	CHECK(wr == 0 && rd == 0 && memcmp(w, r, len) == 0,
	      "8 MiB written and read back whole (%d %d)", wr, rd);
	/* Again per 4 KiB with a new pattern: no request bleeds into another. */
	pattern(w, 0, len, 2);
	wr = rd = 0;
	for (size_t off = 0; off < len && !wr; off += 4096)
		wr = uvdpa_blk_write(b, off / 512, w + off, 4096);
	for (size_t off = 0; off < len && !rd; off += 65536)
		rd = uvdpa_blk_read(b, off / 512, r + off, 65536);
	CHECK(wr == 0 && rd == 0 && memcmp(w, r, len) == 0,
	      "8 MiB as 4 KiB writes, read as 64 KiB reads");
	free(w);
	free(r);
}

struct async_ctx {
	unsigned done, errors;
};

static void async_cb(void *opaque, int res)
{
	struct async_ctx *c = opaque;

	c->done++;
	if (res)
		c->errors++;
}

/* QD 128 random 4 KiB writes to distinct blocks, then reads, verified. */
static void async_qd(struct uvdpa_blk *b, const char *what)
{
	enum { N = 1024, BS = 4096 };
	uint8_t *w = malloc((size_t)N * BS), *r = calloc(N, BS);
	unsigned *order = malloc(N * sizeof(*order)), i, sub = 0, maxq = 0;
	struct async_ctx c = { 0, 0 };
	uint32_t x = 12345;

	REQUIRE(w && r && order, "buffers");
	for (i = 0; i < N; i++)
		order[i] = i;
	for (i = N - 1; i > 0; i--) {       /* shuffle block order */
		unsigned j, t;

		x = x * 1103515245u + 12345u;
		j = (x >> 8) % (i + 1);
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < N; i++)
		pattern(w + (size_t)i * BS, (uint64_t)order[i] * 8, BS, 3);
	for (int pass = 0; pass < 2; pass++) {
		c.done = c.errors = sub = 0;
		while (c.done < N) {
			while (sub < N) {
				struct uvdpa_blk_req rq = {
					.op = pass ? UVDPA_BLK_OP_READ : UVDPA_BLK_OP_WRITE,
					.sector = (uint64_t)order[sub] * 8,
					.buf = (pass ? r : w) + (size_t)sub * BS,
					.len = BS,
				};

				if (uvdpa_blk_submit(b, 0, &rq, async_cb, &c))
					break;
				sub++;
			}
			if (uvdpa_blk_inflight(b, 0) > maxq)
				maxq = uvdpa_blk_inflight(b, 0);
			if (uvdpa_blk_wait(b, 0, 1, 10000) <= 0)
				break;
		}
		CHECK(c.done == N && c.errors == 0, "%s: %s %u x 4 KiB async (%u errors)", what,
		      pass ? "read" : "wrote", c.done, c.errors);
	}
	CHECK(maxq == 128, "%s: queue depth reached 128 (%u)", what, maxq);
	CHECK(memcmp(w, r, (size_t)N * BS) == 0, "%s: random-order data verified", what);
	free(w);
	free(r);
	free(order);
}

static void edges(struct uvdpa_blk *b)
{
	static const uint64_t at[] = { 0, DEFAULT_SECTORS / 2 - 64, DEFAULT_SECTORS - 256 };
	size_t len = 256 * 512;
	uint8_t *w = malloc(len), *r = malloc(len);
	unsigned i, ok = 0;

	REQUIRE(w && r, "buffers");
	for (i = 0; i < 3; i++) {
		pattern(w, at[i], len, 4);
		memset(r, 0, len);
		if (uvdpa_blk_write(b, at[i], w, len) == 0 && uvdpa_blk_read(b, at[i], r, len) == 0 &&
		    memcmp(w, r, len) == 0)
			ok++;
	}
	CHECK(ok == 3, "128 MiB disk: 128 KiB at start, middle and end verified");
	/* Untouched space reads as zeroes. */
	memset(w, 0, len);
	CHECK(uvdpa_blk_read(b, 1024, r, len) == 0 && memcmp(w, r, len) == 0,
	      "never-written sectors read as zeroes");
	free(w);
	free(r);
}

/* Four queues: each carries its own requests to the same disk. */
static void multiqueue(struct uvdpa_bus *bus)
{
	struct uvdpa_dev_set_config cfg = { .blk.capacity = 2048, .blk.num_queues = 4,
		.mask = UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_BLK_CFG_CAPACITY) |
			UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_BLK_CFG_NUM_QUEUES) };
	struct uvdpa_device *d = t_dev(bus, "vdpasim_blk", "blkmq", &cfg);
	struct uvdpa_blk_opts o = { .num_queues = 4 }, five = { .num_queues = 5 };
	struct uvdpa_virtio *v = NULL;
	struct uvdpa_blk *b = NULL;
	struct async_ctx c = { 0, 0 };
	uint8_t w[4][4096], r[4096];
	unsigned q, ok = 0;

	REQUIRE(uvdpa_virtio_open_local(d, &v) == 0, "open_local 4-queue device");
	CHECK(uvdpa_blk_open(v, &five, &b) == -EINVAL, "5 queues on a 4-queue device: -EINVAL");
	REQUIRE(uvdpa_blk_open(v, &o, &b) == 0, "blk open with 4 queues");
	CHECK(uvdpa_blk_num_queues(b) == 4, "4 queues set up");
	for (q = 0; q < 4; q++) {
		struct uvdpa_blk_req rq = { .op = UVDPA_BLK_OP_WRITE, .sector = q * 8,
					    .buf = w[q], .len = 4096 };

		pattern(w[q], q * 8, 4096, 5);
		if (uvdpa_blk_submit(b, q, &rq, async_cb, &c) == 0 &&
		    uvdpa_blk_wait(b, q, 1, 10000) == 1)
			ok++;
	}
	CHECK(ok == 4 && c.errors == 0, "one write completed on each queue");
	ok = 0;
	for (q = 0; q < 4; q++)
		if (uvdpa_blk_read(b, q * 8, r, 4096) == 0 && memcmp(r, w[q], 4096) == 0)
			ok++;
	CHECK(ok == 4, "all four writes read back through queue 0");
	uvdpa_blk_close(b);
	uvdpa_virtio_close(v);
}

int main(void)
{
	struct uvdpa_bus *bus = t_bus();
	struct uvdpa_device *small = blk_dev(bus, "blk8m", SMALL_SECTORS);
	struct uvdpa_device *big = blk_dev(bus, "blk0", 0);
	struct uvdpa_blk_opts packed = { .flags = UVDPA_BLK_PACKED | UVDPA_BLK_INDIRECT |
						  UVDPA_BLK_EVENT_IDX };
	struct uvdpa_virtio *v = NULL, *vb = NULL;
	struct uvdpa_blk *b = NULL;
	char id[UVDPA_BLK_ID_BYTES + 1];

	REQUIRE(uvdpa_virtio_open_local(small, &v) == 0, "open_local 8 MiB device");
	CHECK(uvdpa_virtio_device_id(v) == 2, "device id 2 (block)");
	REQUIRE(uvdpa_blk_open(v, NULL, &b) == 0, "blk open with defaults");
	CHECK(uvdpa_blk_capacity(b) == SMALL_SECTORS, "capacity %u sectors", SMALL_SECTORS);
	CHECK(uvdpa_blk_block_size(b) == 512, "block size 512");
	CHECK(uvdpa_blk_max_transfer(b) == 32 * 4096, "max transfer seg_max 32 x size_max 4096");
	CHECK(uvdpa_blk_get_id(b, id) == 0 && strcmp(id, "vdpa_blk_sim") == 0,
	      "get-id \"%s\"", id);
	CHECK(uvdpa_blk_flush(b) == 0, "flush");
	whole_disk(b);
	async_qd(b, "split");
	uvdpa_blk_close(b);

	REQUIRE(uvdpa_blk_open(v, &packed, &b) == 0, "blk open packed + indirect + event idx");
	CHECK((uvdpa_virtio_features(v) >> 34) & 1, "RING_PACKED negotiated");
	async_qd(b, "packed");
	uvdpa_blk_close(b);
	uvdpa_virtio_close(v);

	REQUIRE(uvdpa_virtio_open_local(big, &vb) == 0, "open_local default device");
	REQUIRE(uvdpa_blk_open(vb, NULL, &b) == 0, "blk open");
	CHECK(uvdpa_blk_capacity(b) == DEFAULT_SECTORS, "default capacity 0x40000 sectors (128 MiB)");
	edges(b);
	uvdpa_blk_close(b);
	uvdpa_virtio_close(vb);
	multiqueue(bus);
	uvdpa_bus_free(bus);
	return t_done();
}
