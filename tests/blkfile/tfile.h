/* SPDX-License-Identifier: MIT */
/* Backing files for the blk_file tests that drive raw rings (tests/devices' tdev). */
#ifndef UVDPA_TESTS_TFILE_H
#define UVDPA_TESTS_TFILE_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uvdpa/vdpa_abi.h>

#include "../devices/tblk.h"

struct tfile {
	char dir[64], path[128];
};

static inline void tfile_new(struct tfile *f, uint64_t bytes)
{
	int fd;

	snprintf(f->dir, sizeof(f->dir), "%s", "/tmp/uvdpa-bf.XXXXXX");
	REQUIRE(mkdtemp(f->dir), "temporary folder");
	snprintf(f->path, sizeof(f->path), "%s/disk.img", f->dir);
	fd = open(f->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	REQUIRE(fd >= 0 && ftruncate(fd, (off_t)bytes) == 0, "backing file");
	close(fd);
}

static inline void tfile_rm(struct tfile *f)
{
	unlink(f->path);
	rmdir(f->dir);
}

static inline void tfile_cfg(struct uvdpa_dev_set_config *cfg, const struct tfile *f, bool direct)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->blk.path = f->path;
	cfg->blk.direct = direct;
	cfg->uvdpa_mask = UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_BLK_PATH) |
			  UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_BLK_DIRECT);
}

static inline bool tfile_eq(const struct tfile *f, uint64_t off, const void *buf, size_t len)
{
	uint8_t *h = malloc(len);
	int fd = open(f->path, O_RDONLY);
	bool eq = fd >= 0 && h && pread(fd, h, len, (off_t)off) == (ssize_t)len &&
		  memcmp(h, buf, len) == 0;

	if (fd >= 0)
		close(fd);
	free(h);
	return eq;
}

#endif
