// SPDX-License-Identifier: MIT
/*
 * blk_file with direct on and off. On: the backing fd really has O_DIRECT
 * (fdinfo); page-aligned guest buffers go straight to the file; guest
 * buffers the file system cannot take for O_DIRECT (odd addresses, odd
 * segment lengths) are bounced and still land byte for byte; a transfer
 * that is not whole logical blocks is refused with IOERR instead of
 * reaching the file half done. Off: no O_DIRECT, and the same odd buffers
 * and lengths go straight through.
 */
#include <dirent.h>

#include "tfile.h"

#define BYTES (4u << 20)

/* flags of the fd this process holds on path (fdinfo), or -1. */
static long fd_flags_of(const char *path)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	long flags = -1;

	while (d && (e = readdir(d))) {
		char l[512], target[512], info[512];
		ssize_t n;
		FILE *f;

		snprintf(l, sizeof(l), "/proc/self/fd/%s", e->d_name);
		n = readlink(l, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, path))
			continue;
		snprintf(info, sizeof(info), "/proc/self/fdinfo/%s", e->d_name);
		f = fopen(info, "r");
		while (f && fgets(l, sizeof(l), f))
			if (sscanf(l, "flags: %lo", &flags) == 1)
				break;
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return flags;
}

static void odd_buffers(struct tdev *t, const struct tfile *f, bool direct)
{
	uint8_t *w = malloc(8192), *r = malloc(8192);
	uint8_t *g = talloc(t, 8192 + 64, 4096);
	uint32_t used = 0;
	int st;

	tfill(w, 8192, direct ? 11 : 12);
	/* 3 segments at odd addresses and lengths (8192 = 1000 + 3000 + 4192) */
	{
		struct virtio_blk_outhdr *h = talloc(t, sizeof(*h) + 1, 16);
		uint8_t *s = (uint8_t *)(h + 1);
		uint8_t *a = g + 1;
		struct uvdpa_vq_buf b[5] = {
			{ tiova(t, h), sizeof(*h), false },
			{ tiova(t, a), 1000, false },
			{ tiova(t, a + 1000), 3000, false },
			{ tiova(t, a + 4000), 4192, false },
			{ tiova(t, s), 1, true },
		};

		memcpy(a, w, 8192);
		h->type = htole32(VIRTIO_BLK_T_OUT);
		h->ioprio = 0;
		h->sector = htole64(64);
		*s = 0xee;
		REQUIRE(tvq_add(t, 0, b, 5, h, false) == 0, "add odd write");
		REQUIRE(tvq_wait(t, 0, &used, 5000) == h, "odd write completes");
		st = *s;
	}
	CHECK(st == VIRTIO_BLK_S_OK, "direct %s: write from 3 odd segments: OK",
	      direct ? "on" : "off");
	CHECK(tfile_eq(f, 64 * 512, w, 8192), "direct %s: the file has the 8 KiB byte for byte",
	      direct ? "on" : "off");
	memset(r, 0, 8192);
	st = tblk_req(t, 0, VIRTIO_BLK_T_IN, 64, r, 8192, false, 3, &used);
	CHECK(st == VIRTIO_BLK_S_OK && used == 8193 && memcmp(r, w, 8192) == 0,
	      "direct %s: read into 3 segments (512-aligned, not page-aligned) back", direct ? "on" : "off");
	free(w);
	free(r);
}

static void run(bool direct)
{
	struct uvdpa_dev_set_config cfg;
	static uint8_t buf[4096], chk[4096];
	struct tfile f;
	struct tdev t;
	long flags;
	int st;

	tfile_new(&f, BYTES);
	tfile_cfg(&cfg, &f, direct);
	tdev_open(&t, NULL, "blk_file", direct ? "d1" : "d0", &cfg);
	tdev_start(&t, F_ACCESS_PLATFORM | F_VERSION_1 | F_EVENT_IDX, 1, 128);
	flags = fd_flags_of(f.path);
	CHECK(flags >= 0 && !!(flags & O_DIRECT) == direct, "direct %s: fd flags 0%lo",
	      direct ? "on" : "off", flags);
	tfill(buf, 4096, 3);
	CHECK(tblk_rw(&t, 0, true, 8, buf, 4096) == VIRTIO_BLK_S_OK && tfile_eq(&f, 4096, buf, 4096),
	      "direct %s: aligned 4 KiB write lands", direct ? "on" : "off");
	odd_buffers(&t, &f, direct);
	memcpy(chk, buf, 4096);
	memset(buf, 0x77, sizeof(buf));
	st = tblk_req(&t, 0, VIRTIO_BLK_T_OUT, 8, buf, 100, true, 1, NULL);
	if (direct)
		CHECK(st == VIRTIO_BLK_S_IOERR && tfile_eq(&f, 4096, chk, 4096),
		      "direct on: 100-byte write (not a whole block) -> IOERR, file untouched");
	else
		CHECK(st == VIRTIO_BLK_S_OK && tfile_eq(&f, 4096, buf, 100),
		      "direct off: 100-byte write goes through");
	tdev_close(&t);
	tfile_rm(&f);
}

int main(void)
{
	run(true);
	run(false);
	printf("PASSED\n");
	return 0;
}
