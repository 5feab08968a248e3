// SPDX-License-Identifier: MIT
/*
 * blk_file on a block device: a loop device with 4 KiB logical blocks over a
 * sparse file. Capacity comes from BLKGETSIZE64 and blk_size from BLKSSZGET
 * (4096, shown in the config); writes land in the file underneath, read
 * back with direct on and off, and a discard reaches the file as a hole.
 * Needs root and loop devices; skipped (77) otherwise.
 */
#include "bf_test.h"

#define BYTES (16u << 20)

static bool loop_attach(const char *file, char *dev, size_t size)
{
	char cmd[256];
	FILE *p;
	bool ok;

	snprintf(cmd, sizeof(cmd), "losetup --find --show --sector-size 4096 %s 2>/dev/null", file);
	p = popen(cmd, "r");
	if (!p)
		return false;
	ok = fgets(dev, (int)size, p) != NULL;
	if (pclose(p) != 0)
		ok = false;
	if (ok)
		dev[strcspn(dev, "\n")] = '\0';
	return ok && dev[0] == '/';
}

static void loop_detach(const char *dev)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "losetup -d %s", dev);
	if (system(cmd) != 0)
		printf("note: %s not detached\n", dev);
}

static void run(struct bft *t, const char *dev, bool direct)
{
	struct uvdpa_dev_set_config cfg = { 0 };
	static uint8_t w[65536], r[65536];
	char file[128];

	snprintf(file, sizeof(file), "%s", t->path);
	snprintf(t->path, sizeof(t->path), "%s", dev);
	bft_direct(&cfg, direct);
	bft_open(t, direct ? "bdev1" : "bdev0", &cfg, NULL);
	snprintf(t->path, sizeof(t->path), "%s", file);
	CHECK(uvdpa_blk_capacity(t->b) == BYTES / 512, "direct %s: capacity from BLKGETSIZE64",
	      direct ? "on" : "off");
	CHECK(uvdpa_blk_block_size(t->b) == 4096, "direct %s: blk_size 4096 from BLKSSZGET (%u)",
	      direct ? "on" : "off", uvdpa_blk_block_size(t->b));
	bft_pattern(w, 800, sizeof(w), direct);
	CHECK(uvdpa_blk_write(t->b, 800, w, sizeof(w)) == 0 && uvdpa_blk_flush(t->b) == 0,
	      "direct %s: write 64 KiB and flush", direct ? "on" : "off");
	CHECK(uvdpa_blk_read(t->b, 800, r, sizeof(r)) == 0 && memcmp(r, w, sizeof(r)) == 0,
	      "direct %s: read back", direct ? "on" : "off");
	CHECK(bft_host_eq(t, 800 * 512, w, sizeof(w)), "direct %s: in the file under the loop device",
	      direct ? "on" : "off");
	CHECK(uvdpa_blk_discard(t->b, 800, 64) == 0 && uvdpa_blk_flush(t->b) == 0,
	      "direct %s: discard 32 KiB", direct ? "on" : "off");
	CHECK(uvdpa_blk_read(t->b, 800, r, 32768) == 0 && memcmp(r, (uint8_t[32768]){ 0 }, 32768) == 0,
	      "direct %s: discarded range reads as zeroes", direct ? "on" : "off");
	bft_close_driver(t);
	uvdpa_bus_free(t->bus);
	t->bus = NULL;
}

int main(void)
{
	struct bft t = { 0 };
	char dev[64] = "";

	bft_file(&t, NULL, BYTES);
	if (geteuid() != 0 || !loop_attach(t.path, dev, sizeof(dev))) {
		printf("SKIP: no loop device (need root and losetup)\n");
		bft_close(&t, true);
		return 77;
	}
	run(&t, dev, false);
	run(&t, dev, true);
	CHECK(bft_host_hole(&t, 800 * 512, 32768), "the discard punched a hole in the file underneath");
	loop_detach(dev);
	bft_close(&t, true);
	return t_done();
}
