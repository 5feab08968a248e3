/* SPDX-License-Identifier: MIT */
/*
 * A device-side queue on hand-written rings, for feeding it what a hostile
 * driver would write. All guest memory sits between PROT_NONE guard pages:
 * an access one byte outside the map faults and fails the test.
 */
#ifndef UVDPA_TESTS_HOSTILE_H
#define UVDPA_TESTS_HOSTILE_H

#include "vqtest.h"

#define ARENA_IOVA 0x10000000ull
#define ARENA_SIZE (64 * 1024)
#define RO_IOVA    0x20000000ull
#define WO_IOVA    0x30000000ull

struct env {
	struct arena a;            /* rings, buffers, tables: RW */
	struct guarded ro, wo;     /* 4 KiB each, mapped read-only / write-only */
	struct uvdpa_memmap *map;
	struct uvdpa_vq_layout l;
	struct uvdpa_vq_dev dev;
	void *desc, *drv, *devarea;
	uint8_t *buf;              /* 4 KiB of buffers */
	uint64_t buf_iova;
	uint8_t *tab;              /* 4 KiB for indirect tables */
	uint64_t tab_iova;
	uint8_t *snap;
	struct iovec iov[64];
	struct uvdpa_chain c;
};

static inline void env_init(struct env *e, uint16_t num, bool packed, bool indirect)
{
	struct uvdpa_map_region r;
	int ret;

	memset(e, 0, sizeof(*e));
	arena_init(&e->a, ARENA_SIZE, ARENA_IOVA);
	guarded_alloc(&e->ro, 4096);
	guarded_alloc(&e->wo, 4096);
	e->l.num = num;
	e->l.packed = packed;
	e->l.indirect = indirect;
	e->desc = arena_get(&e->a, uvdpa_vq_desc_size(num, packed), 16, &e->l.desc);
	e->drv = arena_get(&e->a, uvdpa_vq_driver_size(num, packed, false), 4, &e->l.driver);
	e->devarea = arena_get(&e->a, uvdpa_vq_device_size(num, packed, false), 4, &e->l.device);
	e->buf = arena_get(&e->a, 4096, 16, &e->buf_iova);
	e->tab = arena_get(&e->a, 4096, 16, &e->tab_iova);
	e->map = arena_map(&e->a, UVDPA_MAP_RW);
	r = (struct uvdpa_map_region){ RO_IOVA, 4096, e->ro.mem, UVDPA_MAP_READ };
	uvdpa_memmap_add(e->map, &r);
	r = (struct uvdpa_map_region){ WO_IOVA, 4096, e->wo.mem, UVDPA_MAP_WRITE };
	uvdpa_memmap_add(e->map, &r);
	ret = uvdpa_vq_dev_setup(&e->dev, &e->l, e->map, NULL);
	if (ret) {
		fprintf(stderr, "setup failed: %d\n", ret);
		exit(2);
	}
	e->snap = malloc(ARENA_SIZE);
	e->c.iov = e->iov;
	e->c.iov_cap = 64;
	if (packed) {
		/* device wrap counter starts at 1 */
		memset(e->desc, 0, uvdpa_vq_desc_size(num, true));
	}
}

static inline void env_fini(struct env *e)
{
	free(e->snap);
	uvdpa_memmap_free(e->map);
	guarded_free(&e->ro);
	guarded_free(&e->wo);
	guarded_free(&e->a.g);
}

/* argv[1] "burst": the refusals are asked of uvdpa_vq_dev_pop_burst. */
static bool hostile_burst;

static inline void hostile_args(int argc, char **argv)
{
	hostile_burst = argc > 1 && !strcmp(argv[1], "burst");
	printf("# %s\n", hostile_burst ? "uvdpa_vq_dev_pop_burst" : "uvdpa_vq_dev_pop");
}

/* A burst of up to 4 chains into fresh chain storage. */
static inline int pop_burst4(struct env *e, int res[4])
{
	static struct iovec iov[4][16];
	struct uvdpa_chain c[4];
	unsigned i;

	for (i = 0; i < 4; i++)
		c[i] = (struct uvdpa_chain){ .iov = iov[i], .iov_cap = 16 };
	return uvdpa_vq_dev_pop_burst(&e->dev, c, res, 4);
}

/* The pop must refuse with -EIO, break the queue and write nothing. */
static inline void expect_refused(struct env *e, const char *what)
{
	int ret, again, res[4];
	bool flushed;

	memcpy(e->snap, e->a.g.mem, e->a.g.size);
	if (hostile_burst) {
		ret = pop_burst4(e, res);
		again = pop_burst4(e, res);
	} else {
		ret = uvdpa_vq_dev_pop(&e->dev, &e->c);
		again = uvdpa_vq_dev_pop(&e->dev, &e->c);
	}
	flushed = uvdpa_vq_dev_flush(&e->dev);
	CHECK(ret == -EIO && e->dev.broken && again == -EIO && !flushed &&
	      !uvdpa_vq_dev_has_avail(&e->dev) &&
	      !memcmp(e->snap, e->a.g.mem, e->a.g.size),
	      "%s: refused (%d), queue broken, driver memory untouched", what, ret);
}

#endif
