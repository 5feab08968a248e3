// SPDX-License-Identifier: MIT
/* Hostile packed rings against the device side: each refused, nothing read
 * or written outside the map (guard pages), nothing written for the chain. */
#include "hostile.h"

#define NUM 8
#define W VRING_DESC_F_WRITE
#define N VRING_DESC_F_NEXT
#define I VRING_DESC_F_INDIRECT
#define AV (1u << VRING_PACKED_DESC_F_AVAIL)   /* available in the first lap */
#define END (ARENA_IOVA + ARENA_SIZE)

static void desc(struct env *e, unsigned i, uint64_t addr, uint32_t len, uint16_t flags)
{
	((struct vring_packed_desc *)e->desc)[i] =
		(struct vring_packed_desc){ addr, len, (uint16_t)i, (uint16_t)(flags | AV) };
}

static void tdesc(struct env *e, unsigned i, uint64_t addr, uint32_t len, uint16_t flags)
{
	((struct vring_packed_desc *)e->tab)[i] = (struct vring_packed_desc){ addr, len, 0, flags };
}

int main(int argc, char **argv)
{
	struct env e;
	unsigned i;

	hostile_args(argc, argv);
	env_init(&e, NUM, true, true);
	for (i = 0; i < NUM; i++)
		desc(&e, i, e.buf_iova + i * 16, 16, N);
	expect_refused(&e, "chain of every slot with NEXT (longer than the queue)");
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
			env_init(&e, NUM, true, true);
			desc(&e, 0, cases[i].warm_addr, 16, cases[i].warm_flags);
			CHECK(uvdpa_vq_dev_pop(&e.dev, &e.c) == 1, "%s: the first chain is taken",
			      cases[i].what);
			desc(&e, 1, cases[i].addr, cases[i].len, cases[i].flags);
			expect_refused(&e, cases[i].what);
			env_fini(&e);
		}
	}

	env_init(&e, NUM, true, true);
	desc(&e, 0, END, 16, 0);
	expect_refused(&e, "buffer just past the map");
	env_fini(&e);

	env_init(&e, NUM, true, true);
	desc(&e, 0, e.buf_iova, 16, N);
	desc(&e, 1, END - 1, 2, W);
	expect_refused(&e, "second buffer crossing the map's end");
	env_fini(&e);

	env_init(&e, NUM, true, true);
	desc(&e, 0, UINT64_MAX - 3, 16, W);
	expect_refused(&e, "buffer wrapping around 2^64");
	env_fini(&e);

	env_init(&e, NUM, true, true);
	desc(&e, 0, e.buf_iova, 16, W | N);
	desc(&e, 1, e.buf_iova + 16, 16, 0);
	expect_refused(&e, "readable after writable");
	env_fini(&e);

	env_init(&e, NUM, true, true);
	desc(&e, 0, RO_IOVA, 16, W);
	expect_refused(&e, "writable buffer in a read-only region");
	env_fini(&e);

	env_init(&e, NUM, true, true);
	desc(&e, 0, WO_IOVA, 16, 0);
	expect_refused(&e, "readable buffer in a write-only region");
	env_fini(&e);

	env_init(&e, NUM, true, true);
	desc(&e, 0, END, 32, I);
	expect_refused(&e, "indirect table outside the map");
	env_fini(&e);

	env_init(&e, NUM, true, true);
	desc(&e, 0, END - 16, 32, I);
	expect_refused(&e, "indirect table crossing the map's end");
	env_fini(&e);

	env_init(&e, NUM, true, true);
	desc(&e, 0, e.tab_iova, 32, I);
	tdesc(&e, 0, e.buf_iova, 16, 0);
	tdesc(&e, 1, END, 16, W);
	expect_refused(&e, "indirect entry outside the map");
	env_fini(&e);

	env_init(&e, NUM, true, true);
	desc(&e, 0, e.tab_iova, 32, I);
	tdesc(&e, 0, e.buf_iova, 16, 0);
	tdesc(&e, 1, e.tab_iova + 64, 16, I);
	expect_refused(&e, "indirect inside indirect");
	env_fini(&e);

	env_init(&e, NUM, true, true);
	desc(&e, 0, e.tab_iova, 40, I);
	expect_refused(&e, "indirect length not a multiple of 16");
	env_fini(&e);

	env_init(&e, NUM, true, true);
	desc(&e, 0, e.tab_iova, 0, I);
	expect_refused(&e, "indirect length 0");
	env_fini(&e);

	env_init(&e, NUM, true, true);
	desc(&e, 0, e.tab_iova, 16, I | N);
	desc(&e, 1, e.buf_iova, 16, 0);
	tdesc(&e, 0, e.buf_iova, 16, 0);
	expect_refused(&e, "indirect descriptor with NEXT");
	env_fini(&e);

	env_init(&e, NUM, true, false);
	desc(&e, 0, e.tab_iova, 16, I);
	tdesc(&e, 0, e.buf_iova, 16, 0);
	expect_refused(&e, "indirect without VIRTIO_F_INDIRECT_DESC");
	env_fini(&e);

	env_init(&e, NUM, true, true);
	desc(&e, 0, e.tab_iova, (NUM + 1) * 16, I);
	for (i = 0; i <= NUM; i++)
		tdesc(&e, i, e.buf_iova + i, 1, 0);
	expect_refused(&e, "indirect table longer than the queue size");
	env_fini(&e);

	/* a descriptor the driver has not made available is not taken */
	env_init(&e, NUM, true, true);
	((struct vring_packed_desc *)e.desc)[0] =
		(struct vring_packed_desc){ END, 16, 0, AV | (1u << VRING_PACKED_DESC_F_USED) };
	CHECK(uvdpa_vq_dev_pop(&e.dev, &e.c) == 0 && !e.dev.broken, "AVAIL==USED slot is not available");
	env_fini(&e);

	env_init(&e, NUM, true, true);
	desc(&e, 0, END + 4096, 0, N);
	desc(&e, 1, 0, 0, W);
	expect_refused(&e, "zero-length chain (address outside the map ignored)");
	env_fini(&e);

	env_init(&e, NUM, true, true);
	for (i = 0; i < 4; i++)
		desc(&e, i, e.buf_iova + i * 16, 16, i < 3 ? N : 0);
	desc(&e, 4, e.buf_iova, 16, 0);
	e.c.iov_cap = 3;
	CHECK(uvdpa_vq_dev_pop(&e.dev, &e.c) == -E2BIG && !e.dev.broken && e.c.ndesc == 4 &&
	      e.c.id == 3, "4 segments into 3 iovecs: -E2BIG, chain consumed");
	CHECK(uvdpa_vq_dev_pop(&e.dev, &e.c) == 1 && e.c.id == 4, "next chain still taken");
	env_fini(&e);

	env_init(&e, NUM, true, true);
	{
		struct uvdpa_vq_layout l = e.l;
		struct uvdpa_vq_dev v;

		l.desc = RO_IOVA;
		CHECK(uvdpa_vq_dev_setup(&v, &l, e.map, NULL) == -EFAULT,
		      "packed desc ring read-only: -EFAULT (device writes it)");
		l = e.l;
		l.num = 6;
		l.desc = e.buf_iova;
		CHECK(uvdpa_vq_dev_setup(&v, &l, e.map, NULL) == 0, "packed num 6 is fine");
		l.num = 0;
		CHECK(uvdpa_vq_dev_setup(&v, &l, e.map, NULL) == -EINVAL, "packed num 0: -EINVAL");
	}
	env_fini(&e);

	/* A burst: good chains, then a refused one. */
	env_init(&e, NUM, true, true);
	for (i = 0; i < 2; i++)
		desc(&e, i, e.buf_iova + i * 16, 16, W);
	desc(&e, 2, e.buf_iova, 16, 0);
	desc(&e, 3, RO_IOVA, 16, W);   /* writable buffer in a read-only region */
	{
		int res[4], k, again;

		memcpy(e.snap, e.a.g.mem, e.a.g.size);
		k = pop_burst4(&e, res);
		again = pop_burst4(&e, res);
		CHECK(k == 3 && res[0] == 1 && res[2] == 1 && e.dev.broken && again == -EIO &&
		      !memcmp(e.snap, e.a.g.mem, e.a.g.size),
		      "burst: 3 good chains taken (%d), then the bad one breaks the queue", k);
	}
	env_fini(&e);
	return t_done();
}
