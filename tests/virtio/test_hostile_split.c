// SPDX-License-Identifier: MIT
/* Hostile split rings against the device side: each refused, nothing read
 * or written outside the map (guard pages), nothing written for the chain. */
#include "hostile.h"

#define NUM 8

static struct vring_desc *D(struct env *e)
{
	return e->desc;
}

static void desc(struct env *e, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		 uint16_t next)
{
	D(e)[i] = (struct vring_desc){ addr, len, flags, next };
}

static void avail(struct env *e, uint16_t head)
{
	struct vring_avail *a = e->drv;

	a->ring[a->idx % e->l.num] = head;
	a->idx++;
}

static void tdesc(struct env *e, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		  uint16_t next)
{
	((struct vring_desc *)e->tab)[i] = (struct vring_desc){ addr, len, flags, next };
}

#define W VRING_DESC_F_WRITE
#define N VRING_DESC_F_NEXT
#define I VRING_DESC_F_INDIRECT
#define END (ARENA_IOVA + ARENA_SIZE)

int main(int argc, char **argv)
{
	struct env e;
	unsigned i;

	hostile_args(argc, argv);
	env_init(&e, NUM, false, true);
	desc(&e, 0, e.buf_iova, 16, N, 1);
	desc(&e, 1, e.buf_iova, 16, N, 0);
	avail(&e, 0);
	expect_refused(&e, "loop 0->1->0");
	env_fini(&e);

	env_init(&e, NUM, false, true);
	desc(&e, 3, e.buf_iova, 16, N, 3);
	avail(&e, 3);
	expect_refused(&e, "self loop");
	env_fini(&e);

	env_init(&e, NUM, false, true);
	avail(&e, NUM);
	expect_refused(&e, "head index == num");
	env_fini(&e);

	env_init(&e, NUM, false, true);
	desc(&e, 0, e.buf_iova, 16, N, 200);
	avail(&e, 0);
	expect_refused(&e, "next index >= num");
	env_fini(&e);

	env_init(&e, NUM, false, true);
	((struct vring_avail *)e.drv)->idx = NUM + 1;
	expect_refused(&e, "avail idx jumps num+1 ahead");
	env_fini(&e);

	env_init(&e, NUM, false, true);
	for (i = 0; i < NUM; i++) {
		desc(&e, i, e.buf_iova + i * 16, 16, 0, 0);
		avail(&e, i);
	}
	for (i = 0; i < NUM && uvdpa_vq_dev_pop(&e.dev, &e.c) == 1; i++)
		;
	CHECK(i == NUM && !e.dev.broken, "avail idx exactly num ahead is legal");
	env_fini(&e);

	/*
	 * The same refusals after a legal chain in the same region: the queue
	 * then starts from that region (no search) and builds one-descriptor
	 * chains without the general walk; its checks must hold all the same.
	 */
	{
		static const struct {
			uint64_t warm_addr; uint16_t warm_flags;
			uint64_t addr; uint32_t len; uint16_t flags;
			const char *what;
		} cases[] = {
			{ RO_IOVA, 0, RO_IOVA + 16, 16, W,
			  "after a read in a read-only region, a writable buffer there" },
			{ WO_IOVA, W, WO_IOVA + 16, 16, 0,
			  "after a write in a write-only region, a readable buffer there" },
			{ RO_IOVA, 0, RO_IOVA + 4096 - 8, 9, 0,
			  "after a read-only region's buffer, one crossing its end" },
			{ ARENA_IOVA + 4096, 0, END - 8, 9, 0,
			  "after an arena buffer, one crossing the map's end" },
			{ ARENA_IOVA + 4096, W, ARENA_IOVA - 1, 2, W,
			  "after an arena buffer, one starting a byte before the map" },
		};

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			env_init(&e, NUM, false, true);
			desc(&e, 0, cases[i].warm_addr, 16, cases[i].warm_flags, 0);
			avail(&e, 0);
			CHECK(uvdpa_vq_dev_pop(&e.dev, &e.c) == 1, "%s: the first chain is taken",
			      cases[i].what);
			desc(&e, 1, cases[i].addr, cases[i].len, cases[i].flags, 0);
			avail(&e, 1);
			expect_refused(&e, cases[i].what);
			env_fini(&e);
		}
	}

	env_init(&e, NUM, false, true);
	desc(&e, 0, END, 16, 0, 0);
	avail(&e, 0);
	expect_refused(&e, "buffer just past the map");
	env_fini(&e);

	env_init(&e, NUM, false, true);
	desc(&e, 0, END - 8, 9, 0, 0);
	avail(&e, 0);
	expect_refused(&e, "buffer crossing the map's end by one byte");
	env_fini(&e);

	env_init(&e, NUM, false, true);
	desc(&e, 0, ARENA_IOVA - 1, 2, W, 0);
	avail(&e, 0);
	expect_refused(&e, "writable buffer starting one byte before the map");
	env_fini(&e);

	env_init(&e, NUM, false, true);
	desc(&e, 0, UINT64_MAX - 3, 16, 0, 0);
	avail(&e, 0);
	expect_refused(&e, "buffer wrapping around 2^64");
	env_fini(&e);

	env_init(&e, NUM, false, true);
	desc(&e, 0, e.buf_iova, 16, W | N, 1);
	desc(&e, 1, e.buf_iova + 16, 16, 0, 0);
	avail(&e, 0);
	expect_refused(&e, "readable after writable");
	env_fini(&e);

	env_init(&e, NUM, false, true);
	desc(&e, 0, RO_IOVA, 16, W, 0);
	avail(&e, 0);
	expect_refused(&e, "writable buffer in a read-only region");
	env_fini(&e);

	env_init(&e, NUM, false, true);
	desc(&e, 0, WO_IOVA, 16, 0, 0);
	avail(&e, 0);
	expect_refused(&e, "readable buffer in a write-only region");
	env_fini(&e);

	env_init(&e, NUM, false, true);
	desc(&e, 0, END, 32, I, 0);
	avail(&e, 0);
	expect_refused(&e, "indirect table outside the map");
	env_fini(&e);

	env_init(&e, NUM, false, true);
	desc(&e, 0, END - 16, 32, I, 0);
	tdesc(&e, 0, e.buf_iova, 1, 0, 0);
	avail(&e, 0);
	expect_refused(&e, "indirect table crossing the map's end");
	env_fini(&e);

	env_init(&e, NUM, false, true);
	desc(&e, 0, WO_IOVA, 32, I, 0);
	avail(&e, 0);
	expect_refused(&e, "indirect table in a write-only region");
	env_fini(&e);

	env_init(&e, NUM, false, true);
	desc(&e, 0, e.tab_iova, 32, I, 0);
	tdesc(&e, 0, e.buf_iova, 16, N, 1);
	tdesc(&e, 1, END, 16, 0, 0);
	avail(&e, 0);
	expect_refused(&e, "indirect entry pointing outside the map");
	env_fini(&e);

	env_init(&e, NUM, false, true);
	desc(&e, 0, e.tab_iova, 32, I, 0);
	tdesc(&e, 0, e.buf_iova, 16, N, 1);
	tdesc(&e, 1, e.tab_iova + 64, 16, I, 0);
	avail(&e, 0);
	expect_refused(&e, "indirect inside indirect");
	env_fini(&e);

	env_init(&e, NUM, false, true);
	desc(&e, 0, e.tab_iova, 24, I, 0);
	avail(&e, 0);
	expect_refused(&e, "indirect length not a multiple of 16");
	env_fini(&e);

	env_init(&e, NUM, false, true);
	desc(&e, 0, e.tab_iova, 0, I, 0);
	avail(&e, 0);
	expect_refused(&e, "indirect length 0");
	env_fini(&e);

	env_init(&e, NUM, false, true);
	desc(&e, 0, e.tab_iova, 32, I | N, 1);
	desc(&e, 1, e.buf_iova, 16, 0, 0);
	tdesc(&e, 0, e.buf_iova, 16, 0, 0);
	avail(&e, 0);
	expect_refused(&e, "indirect descriptor with NEXT");
	env_fini(&e);

	env_init(&e, NUM, false, false);
	desc(&e, 0, e.tab_iova, 16, I, 0);
	tdesc(&e, 0, e.buf_iova, 16, 0, 0);
	avail(&e, 0);
	expect_refused(&e, "indirect without VIRTIO_F_INDIRECT_DESC");
	env_fini(&e);

	env_init(&e, NUM, false, true);
	desc(&e, 0, e.tab_iova, 64, I, 0);
	tdesc(&e, 0, e.buf_iova, 16, N, 1);
	tdesc(&e, 1, e.buf_iova, 16, N, 0);
	avail(&e, 0);
	expect_refused(&e, "loop inside an indirect table");
	env_fini(&e);

	env_init(&e, NUM, false, true);
	desc(&e, 0, e.tab_iova, 32, I, 0);
	tdesc(&e, 0, e.buf_iova, 16, N, 2);
	avail(&e, 0);
	expect_refused(&e, "indirect next index past the table");
	env_fini(&e);

	env_init(&e, NUM, false, true);
	desc(&e, 0, e.tab_iova, (NUM + 1) * 16, I, 0);
	for (i = 0; i <= NUM; i++)
		tdesc(&e, i, e.buf_iova + i, 1, i < NUM ? N : 0, i + 1);
	avail(&e, 0);
	expect_refused(&e, "indirect chain longer than the queue size");
	env_fini(&e);

	env_init(&e, NUM, false, true);
	desc(&e, 0, e.buf_iova, 8, N, 1);
	desc(&e, 1, e.tab_iova, NUM * 16, I, 0);
	for (i = 0; i < NUM; i++)
		tdesc(&e, i, e.buf_iova + i, 1, i + 1 < NUM ? N : 0, i + 1);
	avail(&e, 0);
	expect_refused(&e, "direct + indirect entries longer than the queue size");
	env_fini(&e);

	/* zero-length descriptors touch nothing; a chain of only those is refused */
	env_init(&e, NUM, false, true);
	desc(&e, 0, END + 4096, 0, N, 1);
	desc(&e, 1, 0, 0, W, 0);
	avail(&e, 0);
	expect_refused(&e, "zero-length chain (address outside the map ignored)");
	env_fini(&e);

	/* more segments than the caller's iov: -E2BIG, queue usable */
	env_init(&e, NUM, false, true);
	for (i = 0; i < 4; i++)
		desc(&e, i, e.buf_iova + i * 16, 16, i < 3 ? N : 0, i + 1);
	avail(&e, 0);
	desc(&e, 5, e.buf_iova, 16, 0, 0);
	avail(&e, 5);
	e.c.iov_cap = 3;
	CHECK(uvdpa_vq_dev_pop(&e.dev, &e.c) == -E2BIG && !e.dev.broken && e.c.id == 0 &&
	      e.c.n_out == 3 && e.c.out_len == 64, "4 segments into 3 iovecs: -E2BIG, not broken");
	uvdpa_vq_dev_push(&e.dev, &e.c, 0);
	CHECK(uvdpa_vq_dev_pop(&e.dev, &e.c) == 1 && e.c.id == 5, "next chain still taken");
	env_fini(&e);

	/* broken stays broken until set up again */
	env_init(&e, NUM, false, true);
	avail(&e, NUM + 1);
	uvdpa_vq_dev_pop(&e.dev, &e.c);
	desc(&e, 0, e.buf_iova, 16, 0, 0);
	((struct vring_avail *)e.drv)->ring[0] = 0;
	CHECK(uvdpa_vq_dev_pop(&e.dev, &e.c) == -EIO, "broken queue keeps refusing");
	CHECK(uvdpa_vq_dev_setup(&e.dev, &e.l, e.map, NULL) == 0 &&
	      uvdpa_vq_dev_pop(&e.dev, &e.c) == 1, "setup again recovers");
	env_fini(&e);

	/* ring areas themselves */
	env_init(&e, NUM, false, true);
	{
		struct uvdpa_vq_layout l = e.l;
		struct uvdpa_vq_dev v;

		l.desc = END - 16;
		CHECK(uvdpa_vq_dev_setup(&v, &l, e.map, NULL) == -EFAULT, "desc area past the map: -EFAULT");
		l = e.l;
		l.device = RO_IOVA;
		CHECK(uvdpa_vq_dev_setup(&v, &l, e.map, NULL) == -EFAULT, "used ring read-only: -EFAULT");
		l = e.l;
		l.driver = WO_IOVA;
		CHECK(uvdpa_vq_dev_setup(&v, &l, e.map, NULL) == -EFAULT, "avail ring write-only: -EFAULT");
		l = e.l;
		l.desc += 8;
		CHECK(uvdpa_vq_dev_setup(&v, &l, e.map, NULL) == -EINVAL, "misaligned desc: -EINVAL");
		l = e.l;
		l.num = 6;
		CHECK(uvdpa_vq_dev_setup(&v, &l, e.map, NULL) == -EINVAL, "split num 6: -EINVAL");
		l.num = 0;
		CHECK(uvdpa_vq_dev_setup(&v, &l, e.map, NULL) == -EINVAL, "num 0: -EINVAL");
		CHECK(uvdpa_vq_dev_pop(&v, &e.c) == -EIO, "a queue that failed setup refuses pops");
	}
	env_fini(&e);

	/* A burst: good chains, then a refused one. The good ones are taken
	 * and may be completed; the queue breaks at the bad one. */
	env_init(&e, NUM, false, true);
	for (i = 0; i < 3; i++) {
		desc(&e, i, e.buf_iova + i * 16, 16, W, 0);
		avail(&e, i);
	}
	avail(&e, NUM);
	{
		int res[4], k, again;

		memcpy(e.snap, e.a.g.mem, e.a.g.size);
		k = pop_burst4(&e, res);
		again = pop_burst4(&e, res);
		CHECK(k == 3 && res[0] == 1 && res[2] == 1 && e.dev.broken && again == -EIO &&
		      !memcmp(e.snap, e.a.g.mem, e.a.g.size),
		      "burst: 3 good chains taken (%d), then the bad head breaks the queue", k);
	}
	env_fini(&e);

	env_init(&e, NUM, false, true);
	for (i = 0; i < NUM; i++) {
		desc(&e, i, e.buf_iova + i * 16, 16, 0, 0);
		avail(&e, i);
	}
	{
		int res[4], k1 = pop_burst4(&e, res), k2 = pop_burst4(&e, res);
		int k3 = pop_burst4(&e, res);

		CHECK(k1 == 4 && k2 == 4 && k3 == 0 && !e.dev.broken,
		      "burst: avail idx exactly num ahead is legal (%d %d %d)", k1, k2, k3);
		((struct vring_avail *)e.drv)->idx += NUM + 1;
		CHECK(pop_burst4(&e, res) == -EIO && e.dev.broken,
		      "burst: after an empty burst, an avail idx num+1 ahead is refused");
	}
	env_fini(&e);
	return t_done();
}
