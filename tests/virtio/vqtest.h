/* SPDX-License-Identifier: MIT */
/*
 * Test helpers for the virtqueue engine: guarded memory (PROT_NONE pages on
 * both sides, so any access outside the mapped arena faults), a driver-side
 * bump allocator giving host pointer + IOVA, and check macros.
 */
#ifndef UVDPA_TESTS_VQTEST_H
#define UVDPA_TESTS_VQTEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <uvdpa/device.h>
#include "virtio/vq.h"

static int t_failures;

#define CHECK(cond, ...) do {                                           \
	if (cond) {                                                     \
		printf("ok   ");                                        \
	} else {                                                        \
		printf("FAIL %s:%d (%s) ", __FILE__, __LINE__, #cond);  \
		t_failures++;                                           \
	}                                                               \
	printf(__VA_ARGS__);                                            \
	printf("\n");                                                   \
} while (0)

/* Quiet check for loops: prints only on failure. */
#define REQUIRE(cond, ...) do {                                         \
	if (!(cond)) {                                                  \
		printf("FAIL %s:%d (%s) ", __FILE__, __LINE__, #cond);  \
		printf(__VA_ARGS__);                                    \
		printf("\n");                                           \
		t_failures++;                                           \
		return;                                                 \
	}                                                               \
} while (0)

static inline int t_done(void)
{
	printf("%s\n", t_failures ? "FAILED" : "PASSED");
	return t_failures ? 1 : 0;
}

/* size bytes of RW memory with inaccessible pages right before and after. */
struct guarded {
	void *base;          /* whole mapping */
	size_t total;
	char *mem;           /* usable part */
	size_t size;
};

static inline void guarded_alloc(struct guarded *g, size_t size)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	g->size = (size + pg - 1) / pg * pg;
	g->total = g->size + 2 * pg;
	g->base = mmap(NULL, g->total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->base == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	g->mem = (char *)g->base + pg;
	if (mprotect(g->mem, g->size, PROT_READ | PROT_WRITE)) {
		perror("mprotect");
		exit(2);
	}
}

static inline void guarded_free(struct guarded *g)
{
	munmap(g->base, g->total);
}

/* An arena of guest memory mapped at iova, handed out by a bump allocator. */
struct arena {
	struct guarded g;
	uint64_t iova;
	size_t used;
};

static inline void arena_init(struct arena *a, size_t size, uint64_t iova)
{
	guarded_alloc(&a->g, size);
	a->iova = iova;
	a->used = 0;
}

static inline void *arena_get(struct arena *a, size_t len, size_t align, uint64_t *iova)
{
	size_t off = (a->used + align - 1) / align * align;
	void *p;

	if (off + len > a->g.size) {
		fprintf(stderr, "arena full\n");
		exit(2);
	}
	a->used = off + len;
	p = a->g.mem + off;
	if (iova)
		*iova = a->iova + off;
	return p;
}

static inline uint64_t arena_iova(const struct arena *a, const void *p)
{
	return a->iova + (uint64_t)((const char *)p - a->g.mem);
}

static inline struct uvdpa_memmap *arena_map(const struct arena *a, uint32_t perm)
{
	struct uvdpa_memmap *m = uvdpa_memmap_new();
	struct uvdpa_map_region r = {
		.iova = a->iova, .size = a->g.size, .host = a->g.mem, .perm = perm,
	};

	if (!m || uvdpa_memmap_add(m, &r)) {
		fprintf(stderr, "map setup failed\n");
		exit(2);
	}
	return m;
}

/* A driver and a device on the same rings inside an arena. */
struct pair {
	struct arena a;
	struct uvdpa_memmap *map;
	struct uvdpa_vq_drv drv;
	struct uvdpa_vq_dev dev;
	struct uvdpa_vq_layout l;
};

static inline int pair_init(struct pair *p, uint16_t num, bool packed, bool event_idx,
			    size_t arena_size)
{
	void *d, *dr, *dv;

	arena_init(&p->a, arena_size, 0x10000000);
	memset(&p->l, 0, sizeof(p->l));
	p->l.num = num;
	p->l.packed = packed;
	p->l.event_idx = event_idx;
	p->l.indirect = true;
	d = arena_get(&p->a, uvdpa_vq_desc_size(num, packed), 16, &p->l.desc);
	dr = arena_get(&p->a, uvdpa_vq_driver_size(num, packed, event_idx), 4, &p->l.driver);
	dv = arena_get(&p->a, uvdpa_vq_device_size(num, packed, event_idx), 4, &p->l.device);
	p->map = arena_map(&p->a, UVDPA_MAP_RW);
	if (uvdpa_vq_drv_init(&p->drv, num, packed, event_idx, d, dr, dv))
		return -1;
	p->drv.indirect = true;
	return uvdpa_vq_dev_setup(&p->dev, &p->l, p->map, NULL);
}

static inline void pair_fini(struct pair *p)
{
	uvdpa_vq_drv_fini(&p->drv);
	uvdpa_memmap_free(p->map);
	guarded_free(&p->a.g);
}

static inline bool arg_packed(int argc, char **argv)
{
	return argc > 1 && !strcmp(argv[1], "packed");
}

#endif
