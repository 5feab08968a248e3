// SPDX-License-Identifier: MIT
/*
 * Driver <-> device round trips on one ring (argv[1]: split | packed):
 * direct, indirect and multi-descriptor chains, batches completed out of
 * order, the indices wrapping many times; every byte checked both ways.
 */
#include "vqtest.h"

#define MAXB 5          /* buffers per chain */
#define BUFSZ 600

struct req {
	unsigned seq, nout, nin;
	uint32_t len[MAXB];
	uint8_t *host[MAXB];
	uint64_t iova[MAXB];
	void *table;
	uint64_t table_iova;
	bool busy;
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static uint8_t pat(unsigned seq, unsigned i, bool reply)
{
	return (uint8_t)(seq * 31 + i * 7 + (reply ? 0x55 : 0));
}

struct ctx {
	struct pair p;
	struct req *reqs;
	unsigned nreq;
	unsigned seq;
	uint64_t done;
};

static void ctx_init(struct ctx *c, uint16_t num, bool packed, bool event_idx)
{
	unsigned i, b;

	memset(c, 0, sizeof(*c));
	if (pair_init(&c->p, num, packed, event_idx, 64 * 1024 + (size_t)num * (MAXB * BUFSZ + 256))) {
		fprintf(stderr, "pair_init failed\n");
		exit(2);
	}
	c->nreq = num;
	c->reqs = calloc(num, sizeof(*c->reqs));
	for (i = 0; i < num; i++) {
		for (b = 0; b < MAXB; b++)
			c->reqs[i].host[b] = arena_get(&c->p.a, BUFSZ, 1, &c->reqs[i].iova[b]);
		c->reqs[i].table = arena_get(&c->p.a, MAXB * 16, 16, &c->reqs[i].table_iova);
	}
}

static void ctx_fini(struct ctx *c)
{
	free(c->reqs);
	pair_fini(&c->p);
}

/* Driver: fills and adds one request; false if the ring has no room. */
static bool drv_add_one(struct ctx *c, bool indirect, unsigned nout, unsigned nin, bool *err)
{
	struct uvdpa_vq_buf bufs[MAXB];
	struct req *r = NULL;
	unsigned i, b;
	int ret;

	for (i = 0; i < c->nreq; i++)
		if (!c->reqs[i].busy) {
			r = &c->reqs[i];
			break;
		}
	if (!r || uvdpa_vq_drv_num_free(&c->p.drv) < (indirect ? 1 : nout + nin))
		return false;
	r->seq = c->seq++;
	r->nout = nout;
	r->nin = nin;
	for (b = 0; b < nout + nin; b++) {
		r->len[b] = 1 + rnd(BUFSZ);
		for (i = 0; i < r->len[b]; i++)
			r->host[b][i] = b < nout ? pat(r->seq, b * BUFSZ + i, false) : 0;
		bufs[b].addr = r->iova[b];
		bufs[b].len = r->len[b];
		bufs[b].write = b >= nout;
	}
	if (indirect)
		ret = uvdpa_vq_drv_add_indirect(&c->p.drv, bufs, nout + nin, r->table, r->table_iova, r);
	else
		ret = uvdpa_vq_drv_add(&c->p.drv, bufs, nout + nin, r);
	if (ret) {
		printf("FAIL add returned %d\n", ret);
		*err = true;
		return false;
	}
	r->busy = true;
	return true;
}

/* Device: checks a popped chain against the request it must be. */
static bool dev_serve(struct ctx *c, struct uvdpa_chain *ch, uint32_t *written)
{
	struct req *r = NULL;
	uint8_t in[MAXB * BUFSZ], out[MAXB * BUFSZ];
	uint32_t out_len = 0, in_len = 0, k = 0;
	unsigned i, b;

	/* find the request by its first readable or writable buffer address */
	for (i = 0; i < c->nreq; i++) {
		struct req *q = &c->reqs[i];

		if (q->busy && ch->n_out + ch->n_in &&
		    ch->iov[0].iov_base == (void *)q->host[0])
			r = q;
	}
	if (!r)
		return false;
	for (b = 0; b < r->nout; b++)
		out_len += r->len[b];
	for (; b < r->nout + r->nin; b++)
		in_len += r->len[b];
	if (ch->out_len != out_len || ch->in_len != in_len ||
	    ch->n_out != r->nout || ch->n_in != r->nin)
		return false;
	if (uvdpa_chain_read(ch, 0, out, out_len) != out_len)
		return false;
	for (b = 0; b < r->nout; b++)
		for (i = 0; i < r->len[b]; i++)
			if (out[k++] != pat(r->seq, b * BUFSZ + i, false))
				return false;
	/* reply into the writable part, as a contiguous stream */
	for (i = 0; i < in_len; i++)
		in[i] = pat(r->seq, i, true);
	if (uvdpa_chain_write(ch, 0, in, in_len) != in_len)
		return false;
	*written = in_len;
	return true;
}

static bool drv_check(struct ctx *c, struct req *r, uint32_t len)
{
	uint32_t in_len = 0, k = 0;
	unsigned b, i;

	for (b = r->nout; b < r->nout + r->nin; b++)
		in_len += r->len[b];
	if (len != in_len)
		return false;
	for (b = r->nout; b < r->nout + r->nin; b++)
		for (i = 0; i < r->len[b]; i++, k++)
			if (r->host[b][i] != pat(r->seq, k, true))
				return false;
	return true;
}

/* One batch: add up to `want` chains, publish, serve them out of order, reclaim. */
static void batch(struct ctx *c, unsigned want, int indirect_mode, unsigned max_out, unsigned max_in)
{
	static struct iovec iov[256][2 * MAXB];
	struct uvdpa_chain chains[256];
	uint32_t written[256];
	unsigned added = 0, n = 0, i;
	bool err = false;
	int ret;

	while (added < want) {
		unsigned nout = rnd(max_out + 1), nin = rnd(max_in + 1);
		bool ind = indirect_mode < 0 ? rnd(2) : indirect_mode > 0;

		if (!nout && !nin)
			nout = 1;
		/* a chain, indirect entries included, fits the queue size */
		while (nout + nin > c->nreq)
			nin ? nin-- : nout--;
		if (!drv_add_one(c, ind, nout, nin, &err))
			break;
		added++;
	}
	REQUIRE(!err, "add");
	uvdpa_vq_drv_publish(&c->p.drv);
	REQUIRE(uvdpa_vq_dev_has_avail(&c->p.dev) == (added > 0), "has_avail after publish (%u)", added);
	for (;;) {
		struct uvdpa_chain *ch = &chains[n];

		if (n == 256) {
			ret = 0;
			break;
		}
		ch->iov = iov[n];
		ch->iov_cap = 2 * MAXB;
		ret = uvdpa_vq_dev_pop(&c->p.dev, ch);
		if (ret != 1)
			break;
		REQUIRE(dev_serve(c, ch, &written[n]), "device sees chain %u of the batch intact", n);
		n++;
	}
	REQUIRE(ret == 0, "pop ends with empty ring (got %d)", ret);
	REQUIRE(n == added, "device took %u of %u chains", n, added);
	/* complete in a shuffled order: ids must come back right anyway */
	for (i = n; i > 1; i--) {
		unsigned j = rnd(i);
		struct uvdpa_chain t = chains[i - 1];
		uint32_t w = written[i - 1];

		chains[i - 1] = chains[j];
		written[i - 1] = written[j];
		chains[j] = t;
		written[j] = w;
	}
	for (i = 0; i < n; i++)
		uvdpa_vq_dev_push(&c->p.dev, &chains[i], written[i]);
	uvdpa_vq_dev_flush(&c->p.dev);
	/* reclaimed one by one or in bursts of random size */
	for (i = 0; i < n;) {
		uint32_t lens[16];
		void *toks[16];
		unsigned got, k, bn = rnd(2) ? 1 + rnd(16) : 0;

		if (bn) {
			got = uvdpa_vq_drv_get_used_burst(&c->p.drv, toks, lens, bn);
			REQUIRE(got == (bn < n - i ? bn : n - i), "burst of %u gave %u of %u",
				bn, got, n - i);
		} else {
			toks[0] = uvdpa_vq_drv_get_used(&c->p.drv, &lens[0]);
			got = 1;
		}
		for (k = 0; k < got; k++, i++) {
			struct req *r = toks[k];

			REQUIRE(r && r->busy, "get_used %u returns a busy request", i);
			REQUIRE(drv_check(c, r, lens[k]), "reply of seq %u intact, len %u", r->seq, lens[k]);
			r->busy = false;
			c->done++;
		}
	}
	REQUIRE(uvdpa_vq_drv_get_used(&c->p.drv, NULL) == NULL, "nothing more used");
	{
		void *tok;
		uint32_t len;

		REQUIRE(uvdpa_vq_drv_get_used_burst(&c->p.drv, &tok, &len, 1) == 0,
			"nothing more used (burst)");
	}
}

static void run(uint16_t num, bool packed, bool event_idx, int indirect_mode, unsigned iters,
		const char *what)
{
	struct ctx c;
	unsigned i;
	int before = t_failures;

	ctx_init(&c, num, packed, event_idx);
	for (i = 0; i < iters && t_failures == before; i++)
		batch(&c, 1 + rnd(num < 256 ? num : 256), indirect_mode, MAXB - 2, 2);
	CHECK(t_failures == before && uvdpa_vq_drv_num_free(&c.p.drv) == num,
	      "%s num=%u event_idx=%d: %llu chains round-tripped, all descriptors free",
	      what, num, event_idx, (unsigned long long)c.done);
	ctx_fini(&c);
}

static void single(bool packed)
{
	struct ctx c;
	struct iovec iov[4];
	struct uvdpa_chain ch = { .iov = iov, .iov_cap = 4 };
	struct uvdpa_vq_buf b[2];
	uint32_t len = 0;
	bool err = false;

	ctx_init(&c, 4, packed, false);
	CHECK(uvdpa_vq_dev_pop(&c.p.dev, &ch) == 0, "empty ring pops nothing");
	CHECK(!uvdpa_vq_dev_has_avail(&c.p.dev), "empty ring has nothing available");
	b[0] = (struct uvdpa_vq_buf){ .addr = c.reqs[0].iova[0], .len = 10, .write = true };
	b[1] = (struct uvdpa_vq_buf){ .addr = c.reqs[0].iova[1], .len = 10, .write = false };
	CHECK(uvdpa_vq_drv_add(&c.p.drv, b, 2, &c) == -EINVAL, "driver refuses writable before readable");
	CHECK(uvdpa_vq_drv_add(&c.p.drv, b, 0, &c) == -EINVAL, "driver refuses an empty chain");
	CHECK(uvdpa_vq_drv_add(&c.p.drv, b, 1, NULL) == -EINVAL, "driver refuses a NULL token");
	CHECK(drv_add_one(&c, false, 2, 1, &err), "add 2 out + 1 in");
	CHECK(!uvdpa_vq_dev_has_avail(&c.p.dev), "not visible before publish");
	CHECK(uvdpa_vq_dev_pop(&c.p.dev, &ch) == 0, "not poppable before publish");
	uvdpa_vq_drv_publish(&c.p.drv);
	CHECK(uvdpa_vq_dev_has_avail(&c.p.dev), "visible after publish");
	CHECK(uvdpa_vq_dev_pop(&c.p.dev, &ch) == 1 && ch.n_out == 2 && ch.n_in == 1 &&
	      ch.ndesc == (packed ? 3 : 1), "pop: 2 readable + 1 writable segment");
	CHECK(drv_add_one(&c, false, 1, 0, &err) && !drv_add_one(&c, false, 1, 0, &err) && !err,
	      "ring of 4 holds 4 descriptors, then no room");
	{
		struct uvdpa_vq_buf one = { .addr = c.reqs[3].iova[0], .len = 1 };

		CHECK(uvdpa_vq_drv_add(&c.p.drv, &one, 1, &c) == -ENOSPC, "add on a full ring -ENOSPC");
	}
	uvdpa_vq_dev_push(&c.p.dev, &ch, 7);
	CHECK(uvdpa_vq_drv_get_used(&c.p.drv, &len) == NULL, "used entry invisible before flush");
	uvdpa_vq_dev_flush(&c.p.dev);
	CHECK(uvdpa_vq_drv_get_used(&c.p.drv, &len) == &c.reqs[0] && len == 7, "used after flush, len 7");
	CHECK(uvdpa_vq_drv_num_free(&c.p.drv) == 3, "3 descriptors free again");
	ctx_fini(&c);
}

/* A device that returns an id it never got, or more than it got: the
 * burst reclaims what comes before and never touches the free list with it. */
static void hostile_used(bool packed)
{
	struct iovec iov[4][4];
	struct uvdpa_chain ch[4];
	uint32_t lens[8];
	void *toks[8];
	struct ctx c;
	bool err = false;
	unsigned i;

	ctx_init(&c, 8, packed, true);
	for (i = 0; i < 4; i++)
		REQUIRE(drv_add_one(&c, false, 1, 0, &err), "add %u", i);
	uvdpa_vq_drv_publish(&c.p.drv);
	for (i = 0; i < 4; i++) {
		ch[i].iov = iov[i];
		ch[i].iov_cap = 4;
		REQUIRE(uvdpa_vq_dev_pop(&c.p.dev, &ch[i]) == 1, "pop %u", i);
		uvdpa_vq_dev_push(&c.p.dev, &ch[i], 0);
	}
	uvdpa_vq_dev_flush(&c.p.dev);
	if (packed)
		c.p.drv.pdesc[2].id = htole16(200);
	else
		c.p.drv.used->ring[2].id = htole32(200);
	CHECK(uvdpa_vq_drv_get_used_burst(&c.p.drv, toks, lens, 8) == 2 &&
	      toks[0] == &c.reqs[0] && toks[1] == &c.reqs[1],
	      "%s: burst stops before an unknown id", packed ? "packed" : "split");
	CHECK(uvdpa_vq_drv_get_used_burst(&c.p.drv, toks, lens, 8) == 0 &&
	      !uvdpa_vq_drv_get_used(&c.p.drv, &lens[0]) && uvdpa_vq_drv_num_free(&c.p.drv) == 6,
	      "%s: the unknown id is never reclaimed, 6 descriptors free", packed ? "packed" : "split");
	if (!packed) {
		/* 32 bits on the wire: an id that is 2 only in its low 16 bits */
		c.p.drv.used->ring[2].id = htole32(0x10002);
		CHECK(uvdpa_vq_drv_get_used_burst(&c.p.drv, toks, lens, 8) == 0 &&
		      !uvdpa_vq_drv_get_used(&c.p.drv, &lens[0]),
		      "split: used id 0x10002 is not id 2");
		c.p.drv.used->ring[2].id = htole32(2);
		c.p.drv.used->idx = htole16(2 + 9);
		CHECK(uvdpa_vq_drv_get_used_burst(&c.p.drv, toks, lens, 8) == 0,
		      "split: a used index 9 ahead on a ring of 8 is ignored");
		c.p.drv.used->idx = htole16(4);
		CHECK(uvdpa_vq_drv_get_used_burst(&c.p.drv, toks, lens, 8) == 2 &&
		      toks[0] == &c.reqs[2] && toks[1] == &c.reqs[3] &&
		      uvdpa_vq_drv_num_free(&c.p.drv) == 8, "split: repaired, the rest comes back");
	}
	ctx_fini(&c);
}

int main(int argc, char **argv)
{
	bool packed = arg_packed(argc, argv);
	const char *f = packed ? "packed" : "split";

	printf("%s ring\n", f);
	single(packed);
	hostile_used(packed);
	run(8, packed, false, 0, 4000, "direct");
	run(8, packed, true, 1, 4000, "indirect");
	run(256, packed, true, -1, 1500, "mixed");
	run(1, packed, false, -1, 300, "size 1");
	if (packed)
		run(7, packed, true, -1, 3000, "odd size");
	else
		run(32768, packed, true, 0, 8, "size 32768");
	return t_done();
}
