// SPDX-License-Identifier: MIT
/*
 * blk_file with 4 queues: each queue has its own ring; four writers (one
 * per queue, interleaved at queue depth 32 each, so all four rings have
 * I/O in flight at once) write disjoint regions; every block lands where
 * it belongs (checked with pread) and reads back through another queue.
 */
#include "bf_test.h"

#define NQ    4
#define PERQ  256
#define BS    4096
#define BYTES ((uint64_t)NQ * PERQ * BS)

struct actx {
	unsigned done, errors;
};

static void acb(void *opaque, int res)
{
	struct actx *c = opaque;

	c->done++;
	c->errors += res != 0;
}

static uint64_t sector_of(unsigned q, unsigned i)
{
	/* Queues interleave block by block: neighbours belong to other queues. */
	return ((uint64_t)i * NQ + q) * (BS / 512);
}

static void run(struct bft *t, uint8_t *buf, bool write)
{
	struct actx c[NQ] = { 0 };
	unsigned sub[NQ] = { 0 }, q, busy = NQ;

	while (busy) {
		busy = 0;
		for (q = 0; q < NQ; q++) {
			while (sub[q] < PERQ && uvdpa_blk_inflight(t->b, q) < 32) {
				struct uvdpa_blk_req r = {
					.op = write ? UVDPA_BLK_OP_WRITE : UVDPA_BLK_OP_READ,
					.sector = sector_of(write ? q : (q + 1) % NQ, sub[q]),
					.buf = buf + ((size_t)(write ? q : (q + 1) % NQ) * PERQ + sub[q]) * BS,
					.len = BS };

				if (uvdpa_blk_submit(t->b, q, &r, acb, &c[q]))
					REQUIRE(0, "submit on queue %u", q);
				sub[q]++;
			}
			uvdpa_blk_poll(t->b, q);
			busy += c[q].done < PERQ;
		}
	}
	for (q = 0; q < NQ; q++)
		CHECK(c[q].errors == 0, "queue %u: %u %s, no error", q, PERQ, write ? "writes" : "reads");
}

int main(void)
{
	struct uvdpa_dev_set_config cfg = { 0 };
	struct uvdpa_blk_opts o = { .num_queues = NQ };
	uint8_t *w = malloc(BYTES), *r = calloc(1, BYTES);
	struct bft t = { 0 };
	bool host = true;
	unsigned q, i;

	REQUIRE(w && r, "buffers");
	bft_file(&t, NULL, BYTES);
	cfg.blk.num_queues = NQ;
	cfg.mask = UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_BLK_CFG_NUM_QUEUES);
	bft_open(&t, "mq0", &cfg, &o);
	REQUIRE(uvdpa_blk_num_queues(t.b) == NQ, "4 queues");
	for (q = 0; q < NQ; q++)
		for (i = 0; i < PERQ; i++)
			bft_pattern(w + ((size_t)q * PERQ + i) * BS, sector_of(q, i), BS, q);
	run(&t, w, true);
	for (q = 0; q < NQ && host; q++)
		for (i = 0; i < PERQ && host; i++)
			host = bft_host_eq(&t, sector_of(q, i) * 512, w + ((size_t)q * PERQ + i) * BS, BS);
	CHECK(host, "every block of every queue at its offset in the file");
	run(&t, r, false);
	CHECK(memcmp(w, r, BYTES) == 0, "read back through a different queue");
	bft_close(&t, true);
	free(w);
	free(r);
	return t_done();
}
