/* SPDX-License-Identifier: MIT */
/*
 * Shared by the blk_file tests: a temporary backing file, a blk_file device
 * on it, libuvdpa's blk driver in process, and host-side checks with pread.
 */
#ifndef UVDPA_TESTS_BF_TEST_H
#define UVDPA_TESTS_BF_TEST_H

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../driver/drv_test.h"

struct bft {
	char dir[64];
	char path[128];
	struct uvdpa_bus *bus;
	struct uvdpa_device *d;
	struct uvdpa_virtio *v;
	struct uvdpa_blk *b;
};

/* A sparse file of bytes bytes in a new temporary folder (or in dir). */
static inline void bft_file(struct bft *t, const char *dir, uint64_t bytes)
{
	int fd;

	if (dir) {
		snprintf(t->dir, sizeof(t->dir), "%s", dir);
	} else {
		snprintf(t->dir, sizeof(t->dir), "%s", "/tmp/uvdpa-bf.XXXXXX");
		REQUIRE(mkdtemp(t->dir), "temporary folder");
	}
	snprintf(t->path, sizeof(t->path), "%s/disk.img", t->dir);
	fd = open(t->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	REQUIRE(fd >= 0 && ftruncate(fd, (off_t)bytes) == 0, "backing file of %llu bytes",
		(unsigned long long)bytes);
	close(fd);
}

/* Adds a blk_file device on t->path; returns dev_add's result. */
static inline int bft_add(struct bft *t, const char *name, struct uvdpa_dev_set_config *cfg,
			  const char **msg)
{
	struct uvdpa_dev_set_config none = { 0 };
	struct uvdpa_mgmtdev *m;

	if (!t->bus)
		t->bus = t_bus();
	if (!cfg)
		cfg = &none;
	cfg->blk.path = t->path;
	cfg->uvdpa_mask |= UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_BLK_PATH);
	m = uvdpa_bus_find_mgmtdev(t->bus, NULL, "blk_file");
	REQUIRE(m, "mgmtdev blk_file exists");
	return uvdpa_bus_dev_add(t->bus, m, name, cfg, &t->d, msg);
}

static inline void bft_direct(struct uvdpa_dev_set_config *cfg, bool on)
{
	cfg->blk.direct = on;
	cfg->uvdpa_mask |= UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_BLK_DIRECT);
}

/* Device plus driver in one go. */
static inline void bft_open(struct bft *t, const char *name, struct uvdpa_dev_set_config *cfg,
			    const struct uvdpa_blk_opts *opts)
{
	const char *msg = NULL;
	int r = bft_add(t, name, cfg, &msg);

	REQUIRE(r == 0, "dev add %s on blk_file (%d %s)", name, r, msg ? msg : "");
	REQUIRE(uvdpa_virtio_open_local(t->d, &t->v) == 0, "open_local");
	r = uvdpa_blk_open(t->v, opts, &t->b);
	REQUIRE(r == 0, "blk open (%d)", r);
}

static inline void bft_close_driver(struct bft *t)
{
	uvdpa_blk_close(t->b);
	uvdpa_virtio_close(t->v);
	t->b = NULL;
	t->v = NULL;
}

static inline void bft_close(struct bft *t, bool rm_dir)
{
	if (t->b || t->v)
		bft_close_driver(t);
	if (t->bus)
		uvdpa_bus_free(t->bus);
	t->bus = NULL;
	unlink(t->path);
	if (rm_dir)
		rmdir(t->dir);
}

/* Sector-stamped pattern: any misplaced or stale sector shows. */
static inline void bft_pattern(uint8_t *buf, uint64_t sector, size_t len, unsigned gen)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)((sector + i / 512) * 31 + (i % 512) * 7 + gen + 1);
}

/* Host side: the file's bytes at off equal buf. */
static inline bool bft_host_eq(const struct bft *t, uint64_t off, const void *buf, size_t len)
{
	uint8_t *h = malloc(len);
	int fd = open(t->path, O_RDONLY);
	bool eq = fd >= 0 && h && pread(fd, h, len, (off_t)off) == (ssize_t)len &&
		  memcmp(h, buf, len) == 0;

	if (fd >= 0)
		close(fd);
	free(h);
	return eq;
}

static inline bool bft_host_zero(const struct bft *t, uint64_t off, size_t len)
{
	uint8_t *z = calloc(1, len);
	bool eq = z && bft_host_eq(t, off, z, len);

	free(z);
	return eq;
}

/* Host side: [off, off + len) is a hole of the file (SEEK_DATA skips it). */
static inline bool bft_host_hole(const struct bft *t, uint64_t off, uint64_t len)
{
	int fd = open(t->path, O_RDONLY);
	off_t d;

	if (fd < 0)
		return false;
	d = lseek(fd, (off_t)off, SEEK_DATA);
	close(fd);
	return d < 0 || (uint64_t)d >= off + len;
}

static inline uint64_t bft_host_blocks(const struct bft *t)
{
	struct stat st;

	return stat(t->path, &st) == 0 ? (uint64_t)st.st_blocks : UINT64_MAX;
}

#endif
