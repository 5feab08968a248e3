// SPDX-License-Identifier: MIT
/* Memory map: add, overlap, wrap, remove, translate at region edges, 1024 regions. */
#include "vqtest.h"

static char buf[3][4096];

static struct uvdpa_map_region reg(uint64_t iova, uint64_t size, void *host, uint32_t perm)
{
	struct uvdpa_map_region r = { .iova = iova, .size = size, .host = host, .perm = perm };

	return r;
}

static void test_add_overlap(void)
{
	struct uvdpa_memmap *m = uvdpa_memmap_new();
	struct uvdpa_map_region r;

	r = reg(0x1000, 0x1000, buf[0], UVDPA_MAP_RW);
	CHECK(uvdpa_memmap_add(m, &r) == 0, "add [0x1000,0x2000)");
	r = reg(0x3000, 0x1000, buf[1], UVDPA_MAP_READ);
	CHECK(uvdpa_memmap_add(m, &r) == 0, "add [0x3000,0x4000)");
	r = reg(0x2000, 0x1000, buf[2], UVDPA_MAP_WRITE);
	CHECK(uvdpa_memmap_add(m, &r) == 0, "add adjacent [0x2000,0x3000) between");
	r = reg(0x1fff, 2, buf[0], UVDPA_MAP_RW);
	CHECK(uvdpa_memmap_add(m, &r) == -EEXIST, "overlap across two regions refused");
	r = reg(0x3fff, 1, buf[0], UVDPA_MAP_RW);
	CHECK(uvdpa_memmap_add(m, &r) == -EEXIST, "overlap of last byte refused");
	r = reg(0x0, 0x1001, buf[0], UVDPA_MAP_RW);
	CHECK(uvdpa_memmap_add(m, &r) == -EEXIST, "overlap of first byte refused");
	r = reg(0x0, 0x100000, buf[0], UVDPA_MAP_RW);
	CHECK(uvdpa_memmap_add(m, &r) == -EEXIST, "covering region refused");
	r = reg(0x5000, 0, buf[0], UVDPA_MAP_RW);
	CHECK(uvdpa_memmap_add(m, &r) == -EINVAL, "size 0 refused");
	r = reg(UINT64_MAX - 0xfff, 0x1001, buf[0], UVDPA_MAP_RW);
	CHECK(uvdpa_memmap_add(m, &r) == -EINVAL, "wrap-around refused");
	r = reg(UINT64_MAX - 0xfff, 0x1000, buf[0], UVDPA_MAP_RW);
	CHECK(uvdpa_memmap_add(m, &r) == 0, "region ending at 2^64-1 accepted");
	CHECK(uvdpa_memmap_count(m) == 4, "count 4");
	CHECK(uvdpa_memmap_region(m, 0)->iova == 0x1000 && uvdpa_memmap_region(m, 1)->iova == 0x2000 &&
	      uvdpa_memmap_region(m, 2)->iova == 0x3000 &&
	      uvdpa_memmap_region(m, 3)->iova == UINT64_MAX - 0xfff, "regions sorted");
	CHECK(uvdpa_memmap_region(m, 4) == NULL, "region past count is NULL");

	/* translate */
	CHECK(uvdpa_memmap_translate(m, 0x1000, 0x1000, UVDPA_MAP_RW) == buf[0], "whole region");
	CHECK(uvdpa_memmap_translate(m, 0x1fff, 1, UVDPA_MAP_READ) == buf[0] + 0xfff, "last byte");
	CHECK(uvdpa_memmap_translate(m, 0x1fff, 2, UVDPA_MAP_READ) == NULL,
	      "range spanning two regions refused");
	CHECK(uvdpa_memmap_translate(m, 0xfff, 2, UVDPA_MAP_READ) == NULL, "range starting before refused");
	CHECK(uvdpa_memmap_translate(m, 0xfff, 1, UVDPA_MAP_READ) == NULL, "unmapped byte refused");
	CHECK(uvdpa_memmap_translate(m, 0x1000, 0, UVDPA_MAP_READ) == NULL, "len 0 refused");
	CHECK(uvdpa_memmap_translate(m, 0x3000, 16, UVDPA_MAP_WRITE) == NULL, "write on read-only refused");
	CHECK(uvdpa_memmap_translate(m, 0x3000, 16, UVDPA_MAP_READ) == buf[1], "read on read-only");
	CHECK(uvdpa_memmap_translate(m, 0x2000, 16, UVDPA_MAP_READ) == NULL, "read on write-only refused");
	CHECK(uvdpa_memmap_translate(m, 0x4000, 1, UVDPA_MAP_READ) == NULL, "byte after last region refused");
	CHECK(uvdpa_memmap_translate(m, UINT64_MAX, 1, UVDPA_MAP_READ) == buf[0] + 0xfff, "byte 2^64-1");
	CHECK(uvdpa_memmap_translate(m, UINT64_MAX, 2, UVDPA_MAP_READ) == NULL, "range wrapping 2^64 refused");

	/* remove */
	CHECK(uvdpa_memmap_remove(m, 0x2000, 0x800) == -ENOENT, "remove with wrong size refused");
	CHECK(uvdpa_memmap_remove(m, 0x2001, 0x1000) == -ENOENT, "remove with wrong start refused");
	CHECK(uvdpa_memmap_remove(m, 0x2000, 0x1000) == 0, "remove middle region");
	CHECK(uvdpa_memmap_translate(m, 0x2000, 1, UVDPA_MAP_WRITE) == NULL, "removed range unmapped");
	CHECK(uvdpa_memmap_count(m) == 3, "count 3");
	CHECK(uvdpa_memmap_remove(m, 0x2000, 0x1000) == -ENOENT, "second remove -ENOENT");

	{
		struct uvdpa_memmap *d = uvdpa_memmap_dup(m);

		CHECK(d && uvdpa_memmap_count(d) == 3 &&
		      uvdpa_memmap_translate(d, 0x3000, 1, UVDPA_MAP_READ) == buf[1], "dup keeps regions");
		uvdpa_memmap_free(d);
	}
	uvdpa_memmap_free(m);
}

static void test_many(void)
{
	struct uvdpa_memmap *m = uvdpa_memmap_new();
	struct uvdpa_map_region r;
	static char host[UVDPA_MAP_MAX_REGIONS];
	unsigned i, bad = 0;

	/* insert in a scrambled order so insertion sorts for real */
	for (i = 0; i < UVDPA_MAP_MAX_REGIONS; i++) {
		unsigned k = (i * 389) % UVDPA_MAP_MAX_REGIONS;   /* 389 is prime: a permutation */

		r = reg(0x100000 + (uint64_t)k * 0x2000, 0x1000, &host[k], UVDPA_MAP_RW);
		if (uvdpa_memmap_add(m, &r))
			bad++;
	}
	CHECK(!bad && uvdpa_memmap_count(m) == UVDPA_MAP_MAX_REGIONS, "1024 regions added");
	r = reg(0x10, 0x10, host, UVDPA_MAP_RW);
	CHECK(uvdpa_memmap_add(m, &r) == -ENOSPC, "1025th region -ENOSPC");
	for (bad = 0, i = 0; i < UVDPA_MAP_MAX_REGIONS; i++) {
		uint64_t base = 0x100000 + (uint64_t)i * 0x2000;

		if (uvdpa_memmap_translate(m, base + 0xfff, 1, UVDPA_MAP_READ) != &host[i] + 0xfff)
			bad++;
		if (uvdpa_memmap_translate(m, base + 0x1000, 1, UVDPA_MAP_READ))
			bad++;
		if (i && uvdpa_memmap_region(m, i)->iova <= uvdpa_memmap_region(m, i - 1)->iova)
			bad++;
	}
	CHECK(!bad, "every region found at its edges, gaps unmapped, order kept");
	for (bad = 0, i = 0; i < UVDPA_MAP_MAX_REGIONS; i += 2)
		if (uvdpa_memmap_remove(m, 0x100000 + (uint64_t)i * 0x2000, 0x1000))
			bad++;
	CHECK(!bad && uvdpa_memmap_count(m) == UVDPA_MAP_MAX_REGIONS / 2, "remove every other region");
	CHECK(uvdpa_memmap_translate(m, 0x100000, 1, UVDPA_MAP_READ) == NULL &&
	      uvdpa_memmap_translate(m, 0x102000, 1, UVDPA_MAP_READ) == &host[1], "lookups after removal");
	uvdpa_memmap_free(m);
}

int main(void)
{
	struct uvdpa_memmap *m = uvdpa_memmap_new();

	CHECK(uvdpa_memmap_translate(m, 0, 1, UVDPA_MAP_READ) == NULL, "empty map translates nothing");
	uvdpa_memmap_free(m);
	test_add_overlap();
	test_many();
	return t_done();
}
