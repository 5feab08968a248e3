// SPDX-License-Identifier: MIT
/*
 * Several blk queues over one vhost-user connection (MQ protocol feature,
 * GET_QUEUE_NUM): uvdpad's vdpasim_blk with 4 queues, the driver opens all
 * of them, and each queue carries its own writes and reads, byte-exact;
 * then one thread per queue (blk.h's threading rule over vhost-user), each
 * keeping 16 requests in flight on its own part of the disk, data checked.
 *
 * usage: test_fe_blk_mq UVDPAD UVDPA
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fe_test.h"

#define NQ 4

static uint8_t wbuf[NQ][8192], rbuf[NQ][8192];

static void on_done(void *opaque, int res)
{
	int *r = opaque;

	*r = res;
}

static int io_len(struct uvdpa_blk *b, unsigned q, enum uvdpa_blk_op op, uint64_t sector,
		  void *buf, uint32_t len)
{
	struct uvdpa_blk_req req = { .op = op, .sector = sector, .buf = buf, .len = len };
	int res = 1, r = uvdpa_blk_submit(b, q, &req, on_done, &res);

	if (r)
		return r;
	r = uvdpa_blk_wait(b, q, 1, 10000);
	return r == 1 ? res : (r < 0 ? r : -ETIMEDOUT);
}

static int io(struct uvdpa_blk *b, unsigned q, enum uvdpa_blk_op op, uint64_t sector, void *buf)
{
	return io_len(b, q, op, sector, buf, 8192);
}

static int io4k(struct uvdpa_blk *b, uint64_t sector, void *buf)
{
	return io_len(b, 0, UVDPA_BLK_OP_READ, sector, buf, 4096);
}

/* ---- one thread per queue ---- */

#define TQD 16                  /* requests in flight per thread */
#define TBLOCKS 256             /* 4 KiB blocks of a thread's region */
#define TROUNDS 40

struct qrun {
	struct uvdpa_blk *b;
	unsigned q;
	pthread_t th;
	uint32_t ver[TBLOCKS];      /* version last written to each block */
	uint8_t buf[TQD][4096];
	unsigned busy[TQD];         /* block + 1 of the request using buf[i] */
	bool reading[TQD];
	int done, errors, bad;
};

struct qreq {
	struct qrun *r;
	unsigned i;
};

static struct qreq qreqs[NQ][TQD];

static uint64_t block_sector(const struct qrun *r, unsigned blk)
{
	return 4096 + ((uint64_t)r->q * TBLOCKS + blk) * 8;
}

static void stamp(uint8_t *buf, unsigned q, unsigned blk, uint32_t ver)
{
	for (unsigned i = 0; i < 4096; i += 4) {
		uint32_t w = (q << 24) ^ (blk << 12) ^ ver ^ i;

		memcpy(buf + i, &w, 4);
	}
}

static void q_done(void *opaque, int res)
{
	struct qreq *x = opaque;
	struct qrun *r = x->r;
	unsigned blk = r->busy[x->i] - 1;

	if (res)
		r->errors++;
	if (r->reading[x->i]) {
		uint8_t want[4096];

		if (r->ver[blk])
			stamp(want, r->q, blk, r->ver[blk]);
		else
			memset(want, 0, sizeof(want));   /* never written: a fresh disk's zeroes */
		if (memcmp(want, r->buf[x->i], 4096))
			r->bad++;
	}
	r->busy[x->i] = 0;
	r->done++;
}

/* A block no request in flight uses. */
static unsigned pick_block(struct qrun *r, unsigned *seed)
{
	for (;;) {
		unsigned blk = (unsigned)rand_r(seed) % TBLOCKS, i;

		for (i = 0; i < TQD && r->busy[i] != blk + 1; i++)
			;
		if (i == TQD)
			return blk;
	}
}

static void *queue_main(void *arg)
{
	struct qrun *r = arg;
	unsigned seed = r->q + 1, issued = 0, i;

	while (issued < TROUNDS * TQD) {
		for (i = 0; i < TQD && issued < TROUNDS * TQD; i++) {
			struct uvdpa_blk_req req = { .len = 4096, .buf = r->buf[i] };
			unsigned blk;

			if (r->busy[i])
				continue;
			blk = pick_block(r, &seed);
			r->busy[i] = blk + 1;
			r->reading[i] = issued >= TQD && rand_r(&seed) % 2;
			req.op = r->reading[i] ? UVDPA_BLK_OP_READ : UVDPA_BLK_OP_WRITE;
			req.sector = block_sector(r, blk);
			if (!r->reading[i])
				stamp(r->buf[i], r->q, blk, ++r->ver[blk]);
			qreqs[r->q][i] = (struct qreq){ r, i };
			if (uvdpa_blk_submit(r->b, r->q, &req, q_done, &qreqs[r->q][i])) {
				r->errors++;
				return NULL;
			}
			issued++;
		}
		if (uvdpa_blk_wait(r->b, r->q, 1, 10000) <= 0) {
			r->errors++;
			return NULL;
		}
	}
	while (uvdpa_blk_inflight(r->b, r->q))
		if (uvdpa_blk_wait(r->b, r->q, 1, 10000) <= 0) {
			r->errors++;
			break;
		}
	return NULL;
}

static void threads(struct uvdpa_blk *b)
{
	static struct qrun run[NQ];
	unsigned q, blk;
	int ok = 0;

	for (q = 0; q < NQ; q++) {
		run[q] = (struct qrun){ .b = b, .q = q };
		uvdpa_blk_set_poll(b, q, q % 2);   /* two polled queues, two that sleep */
	}
	for (q = 0; q < NQ; q++)
		REQUIRE(pthread_create(&run[q].th, NULL, queue_main, &run[q]) == 0, "thread %u", q);
	for (q = 0; q < NQ; q++)
		pthread_join(run[q].th, NULL);
	for (q = 0; q < NQ; q++) {
		CHECK(!run[q].errors && !run[q].bad && run[q].done == TROUNDS * TQD,
		      "thread of queue %u: %d requests, %d errors, %d reads with wrong data",
		      q, run[q].done, run[q].errors, run[q].bad);
		/* every block read back from queue 0, after all threads ended */
		for (blk = 0; blk < TBLOCKS; blk++) {
			uint8_t want[4096];

			if (!run[q].ver[blk])
				continue;
			stamp(want, q, blk, run[q].ver[blk]);
			if (io4k(b, block_sector(&run[q], blk), rbuf[0]) || memcmp(want, rbuf[0], 4096))
				break;
		}
		ok += blk == TBLOCKS;
	}
	CHECK(ok == NQ, "every block each thread wrote reads back its last version (%d of %d regions)",
	      ok, NQ);
}

int main(int argc, char **argv)
{
	/* Four queues of depth 128 with 1 MiB requests need more than the default. */
	struct uvdpa_vhost_user_opts vo = { .mem_size = 1u << 30 };
	struct uvdpa_blk_opts bo = { .num_queues = NQ, .flags = UVDPA_BLK_INDIRECT };
	struct uvdpa_virtio *v;
	struct uvdpa_blk *b;
	struct fe_peer p;
	unsigned q;
	int r;

	REQUIRE(argc >= 3, "usage: test_fe_blk_mq UVDPAD UVDPA");
	fe_uvdpad_start(&p, argv[1], argv[2]);
	fe_uvdpad_add(&p, "b0", "vdpasim_blk", "num_queues", "4");
	r = fe_open(p.sock, &vo, &v);
	REQUIRE(r == 0, "open %s: %d", p.sock, r);
	CHECK(uvdpa_virtio_num_queues(v) == NQ, "GET_QUEUE_NUM: %u queues",
	      uvdpa_virtio_num_queues(v));
	r = uvdpa_blk_open(v, &bo, &b);
	REQUIRE(r == 0, "blk open with %d queues: %d", NQ, r);
	CHECK(uvdpa_blk_num_queues(b) == NQ, "%u queues set up", uvdpa_blk_num_queues(b));
	for (q = 0; q < NQ; q++) {
		fe_pattern(wbuf[q], sizeof(wbuf[q]), 100 + q * 64, q);
		r = io(b, q, UVDPA_BLK_OP_WRITE, 100 + q * 64, wbuf[q]);
		CHECK(r == 0, "queue %u: write: %d", q, r);
	}
	for (q = 0; q < NQ; q++) {
		/* Read on another queue than the one that wrote. */
		unsigned from = (q + 1) % NQ;

		r = io(b, q, UVDPA_BLK_OP_READ, 100 + from * 64, rbuf[q]);
		CHECK(r == 0 && !memcmp(rbuf[q], wbuf[from], sizeof(wbuf[from])),
		      "queue %u reads what queue %u wrote: %d", q, from, r);
	}
	threads(b);
	uvdpa_blk_close(b);
	uvdpa_virtio_close(v);
	fe_peer_stop(&p);
	return fe_done();
}
