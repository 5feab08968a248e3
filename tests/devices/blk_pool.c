// SPDX-License-Identifier: MIT
/*
 * vdpasim_blk's page table and page pool: a fresh disk written over its
 * whole capacity in random page order (plus writes across page boundaries)
 * reads back exactly; DISCARD and WRITE_ZEROES make whole pages holes that
 * read as zeroes, and pages written again after that (recycled through the
 * pool, or given back to the kernel when the pool is full) start zeroed.
 * Run with the default pool, a one-page pool (full at once: discarded pages
 * go back to the kernel) and no pool (every first write maps on the request
 * path). With the default pool the worker thread must not take the page
 * faults: the pool's thread does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tblk.h"

#define CAP_SECTORS 16384u                  /* 8 MiB */
#define CAP_BYTES   (CAP_SECTORS * 512u)
#define PAGE        4096u
#define NPAGES      (CAP_BYTES / PAGE)
#define MEASURED    700u                    /* fewer than a full pool holds */

static uint8_t img[CAP_BYTES];              /* what the disk must hold */
static uint8_t rbuf[256 * 1024];
static uint32_t order[NPAGES];

/* Minor faults of this process' thread named comm so far (0 if none). */
static unsigned long thread_minflt(const char *comm)
{
	int tid = tthread_tid(comm);
	char path[64], buf[512];
	unsigned long v = 0;
	FILE *f;

	if (!tid)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "r");
	REQUIRE(f && fgets(buf, sizeof(buf), f), "%s", path);
	fclose(f);
	/* After "(comm)": state ppid pgrp session tty tpgid flags minflt. */
	REQUIRE(sscanf(strrchr(buf, ')') + 2, "%*c %*d %*d %*d %*d %*d %*u %lu", &v) == 1,
		"minflt");
	return v;
}

static void write_img(struct tdev *t, uint64_t sector, uint32_t len)
{
	tmem_rewind(t);
	REQUIRE(tblk_rw(t, 0, true, sector, img + sector * 512, len) == VIRTIO_BLK_S_OK,
		"write %u @%llu", len, (unsigned long long)sector);
}

static bool disk_is_img(struct tdev *t)
{
	for (uint32_t off = 0; off < CAP_BYTES; off += sizeof(rbuf)) {
		tmem_rewind(t);
		memset(rbuf, 0xaa, sizeof(rbuf));
		REQUIRE(tblk_rw(t, 0, false, off / 512, rbuf, sizeof(rbuf)) == VIRTIO_BLK_S_OK,
			"read @%u", off);
		if (memcmp(rbuf, img + off, sizeof(rbuf))) {
			for (uint32_t i = 0; i < sizeof(rbuf); i++)
				if (rbuf[i] != img[off + i]) {
					fprintf(stderr, "# first difference at byte %u: %#x, want %#x\n",
						off + i, rbuf[i], img[off + i]);
					break;
				}
			return false;
		}
	}
	return true;
}

static void run(const char *pool)
{
	struct uvdpa_dev_set_config cfg = { .mask = 1ULL << 21, .blk.capacity = CAP_SECTORS };
	unsigned long f0, f1;
	struct tdev t;
	uint32_t i, j;

	if (pool)
		setenv("UVDPA_BLK_POOL_PAGES", pool, 1);
	else
		unsetenv("UVDPA_BLK_POOL_PAGES");
	pool = pool ? pool : "default";
	tdev_open(&t, NULL, "vdpasim_blk", "pooldisk", &cfg);
	tdev_start(&t, F_ACCESS_PLATFORM | F_VERSION_1 | F_EVENT_IDX | F_INDIRECT, 1, 256);

	memset(img, 0, sizeof(img));
	CHECK(disk_is_img(&t), "pool %s: a fresh disk reads as zeroes", pool);

	/* Every page once, in random order; the worker's faults are counted. */
	srand(14);
	for (i = 0; i < NPAGES; i++)
		order[i] = i;
	for (i = NPAGES - 1; i > 0; i--) {
		uint32_t k = (uint32_t)rand() % (i + 1), x = order[i];

		order[i] = order[k];
		order[k] = x;
	}
	tfill(img, sizeof(img), 1);
	/* The first write starts the pool's thread; once it waits, the pool
	 * holds at least its bound less one refill chunk (1024 - 256 pages by
	 * default), so the next MEASURED writes need no page of the worker's
	 * own, however slowly the refill thread runs meanwhile. */
	write_img(&t, order[0] * (PAGE / 512), PAGE);
	if (!strcmp(pool, "default"))
		CHECK(tthread_waits("pool:pooldisk", 5000), "pool default: the refill thread "
		      "fills the pool and waits");
	f0 = thread_minflt("vdev:pooldisk");
	for (i = 1; i <= MEASURED; i++)
		write_img(&t, order[i] * (PAGE / 512), PAGE);
	f1 = thread_minflt("vdev:pooldisk");
	for (; i < NPAGES; i++)
		write_img(&t, order[i] * (PAGE / 512), PAGE);
	fprintf(stderr, "# pool %s: worker minor faults for %u first writes: %lu\n", pool,
		MEASURED, f1 - f0);
	if (!strcmp(pool, "default"))
		CHECK(f1 - f0 < MEASURED / 4, "pool default: %lu worker faults for %u fresh pages "
		      "(the pool's thread takes them)", f1 - f0, MEASURED);
	/* Writes across page boundaries, one of several pages. */
	tfill(img + (8 * 1000 - 2) * 512, 1024, 2);
	write_img(&t, 8 * 1000 - 2, 1024);
	tfill(img + 8 * 1500 * 512 + 512, 5 * PAGE, 3);
	write_img(&t, 8 * 1500 + 1, 5 * PAGE);
	CHECK(disk_is_img(&t), "pool %s: the whole capacity written in random page order "
	      "reads back", pool);

	/* DISCARD: the whole pages inside the range read zeroes, partial ones keep data. */
	REQUIRE(tblk_range(&t, 0, VIRTIO_BLK_T_DISCARD, 8 * 100 + 3, 8 * 100 + 2, 0) ==
		VIRTIO_BLK_S_OK, "discard");
	memset(img + 101 * PAGE, 0, 99 * PAGE);
	/* WRITE_ZEROES: every byte of the range, partial pages included. */
	REQUIRE(tblk_range(&t, 0, VIRTIO_BLK_T_WRITE_ZEROES, 8 * 300 + 3, 8 * 100 + 2, 0) ==
		VIRTIO_BLK_S_OK, "write zeroes");
	memset(img + (8 * 300 + 3) * 512, 0, (8 * 100 + 2) * 512);
	REQUIRE(tblk_range(&t, 0, VIRTIO_BLK_T_WRITE_ZEROES, 8 * 600 + 1, 2, 0) ==
		VIRTIO_BLK_S_OK, "write zeroes");
	memset(img + (8 * 600 + 1) * 512, 0, 2 * 512);
	CHECK(disk_is_img(&t), "pool %s: DISCARD and WRITE_ZEROES read back as zeroes, "
	      "the rest kept", pool);

	/* Pages given back are written again: one sector each, the rest must be 0. */
	for (j = 101; j < 200; j += 7) {
		tfill(img + j * PAGE + 512, 512, j);
		write_img(&t, j * 8 + 1, 512);
	}
	for (j = 301; j < 400; j += 5) {
		tfill(img + j * PAGE, 512, j);
		write_img(&t, j * 8, 512);
	}
	CHECK(disk_is_img(&t), "pool %s: pages written again after a discard start zeroed", pool);

	/* The whole disk discarded: memory goes back, everything reads zeroes. */
	REQUIRE(tblk_range(&t, 0, VIRTIO_BLK_T_DISCARD, 0, CAP_SECTORS, 0) == VIRTIO_BLK_S_OK,
		"discard all");
	memset(img, 0, sizeof(img));
	CHECK(disk_is_img(&t), "pool %s: the whole disk discarded reads as zeroes", pool);
	tfill(img + 77 * PAGE, PAGE, 77);
	write_img(&t, 77 * 8, PAGE);
	CHECK(disk_is_img(&t), "pool %s: and takes writes again", pool);
	tdev_close(&t);
}

int main(void)
{
	run(NULL);
	run("1");
	run("0");
	return 0;
}
