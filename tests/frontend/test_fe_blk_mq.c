// SPDX-License-Identifier: MIT
/*
 * Several blk queues over one vhost-user connection (MQ protocol feature,
 * GET_QUEUE_NUM): uvdpad's vdpasim_blk with 4 queues, the driver opens all
 * of them, and each queue carries its own writes and reads, byte-exact.
 *
 * usage: test_fe_blk_mq UVDPAD UVDPA
 */
#include <errno.h>
#include <string.h>

#include "fe_test.h"

#define NQ 4

static uint8_t wbuf[NQ][8192], rbuf[NQ][8192];

static void on_done(void *opaque, int res)
{
	int *r = opaque;

	*r = res;
}

static int io(struct uvdpa_blk *b, unsigned q, enum uvdpa_blk_op op, uint64_t sector, void *buf)
{
	struct uvdpa_blk_req req = { .op = op, .sector = sector, .buf = buf, .len = 8192 };
	int res = 1, r = uvdpa_blk_submit(b, q, &req, on_done, &res);

	if (r)
		return r;
	r = uvdpa_blk_wait(b, q, 1, 10000);
	return r == 1 ? res : (r < 0 ? r : -ETIMEDOUT);
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
	uvdpa_blk_close(b);
	uvdpa_virtio_close(v);
	fe_peer_stop(&p);
	return fe_done();
}
