// SPDX-License-Identifier: MIT
/*
 * A driver (a hostile vhost-user front end) hands over, as a queue's call
 * fd, a *blocking* eventfd whose counter sits at 0xfffffffffffffffe: any
 * write() to it sleeps until someone reads. The device must not care: the
 * other queue keeps its traffic, control ops (get_status, set_map, reset)
 * return at once, the interrupt lands once the driver drains its counter,
 * and the device can be deleted while that write is still stuck.
 */
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "tblk.h"

#define PROMPT_MS 1000.0

static void start(struct tdev *t, int bad)
{
	struct uvdpa_callback cb = { .trigger_fd = bad };

	tmem_reset(t);
	tdev_start(t, F_ACCESS_PLATFORM | F_VERSION_1 | F(12), 2, 32);
	t->ops->set_vq_cb(t->d, 0, &cb);
}

/* A request on queue 0 completes; its interrupt is the write that cannot go. */
static void stick(struct tdev *t, uint64_t sector)
{
	uint8_t b[512];

	memset(b, 0x5a, sizeof(b));
	REQUIRE(tblk_rw(t, 0, true, sector, b, sizeof(b)) == VIRTIO_BLK_S_OK, "queue 0 write");
}

int main(void)
{
	struct uvdpa_dev_set_config cfg = {
		.mask = (1ULL << 21) | (1ULL << 25), .blk.capacity = 2048, .blk.num_queues = 2 };
	int bad = tsaturated_eventfd();
	struct pollfd p = { .fd = bad, .events = POLLIN };
	uint8_t b[512];
	uint64_t v, got;
	struct tdev t;
	double t0, dt;
	int i;

	twatchdog(30, "a stuck call fd hangs the device");
	tdev_open(&t, NULL, "vdpasim_blk", "blk0", &cfg);
	start(&t, bad);
	stick(&t, 1);
	stick(&t, 2);   /* a second interrupt while the first write is pending */

	t0 = tnow_ms();
	for (i = 0; i < 20; i++) {
		memset(b, i, sizeof(b));
		REQUIRE(tblk_rw(&t, 1, true, 100 + (unsigned)i, b, sizeof(b)) == VIRTIO_BLK_S_OK,
			"queue 1 request %d", i);
	}
	dt = tnow_ms() - t0;
	CHECK(dt < PROMPT_MS, "queue 1 carries 20 requests meanwhile (%.1f ms)", dt);

	t0 = tnow_ms();
	CHECK(tdev_status(&t) & UVDPA_STATUS_DRIVER_OK, "get_status answers");
	CHECK(t.ops->set_map(t.d, t.map) == 0, "set_map answers");
	dt = tnow_ms() - t0;
	CHECK(dt < PROMPT_MS, "control ops are prompt (%.1f ms)", dt);
	stick(&t, 3);
	CHECK(tblk_rw(&t, 1, false, 119, b, sizeof(b)) == VIRTIO_BLK_S_OK && b[0] == 19,
	      "queue 1 still reads back after set_map");

	/* The driver drains its counter: the pending interrupt lands, then the
	 * one owed for the requests completed meanwhile (stick 2 and 3: one
	 * write). Both must be in before the counter is saturated again, or
	 * that write of ours would block on the owed one. */
	REQUIRE(read(bad, &v, 8) == 8 && v == TSATURATED, "drain the counter");
	CHECK(poll(&p, 1, 2000) == 1 && read(bad, &v, 8) == 8 && v >= 1,
	      "the held-back interrupt arrives once the counter has room (%llu)",
	      (unsigned long long)v);
	got = v;
	while (got < 2 && poll(&p, 1, 2000) == 1 && read(bad, &v, 8) == 8)
		got += v;
	while (poll(&p, 1, 100) == 1 && read(bad, &v, 8) == 8)
		got += v;
	CHECK(got == 2, "the interrupt owed meanwhile follows it, once (%llu in all)",
	      (unsigned long long)got);

	/* Stuck again, then reset: the worker stops at once. */
	v = TSATURATED;
	REQUIRE(write(bad, &v, 8) == 8, "saturate again");
	stick(&t, 4);
	t0 = tnow_ms();
	uvdpa_device_reset(t.d);
	dt = tnow_ms() - t0;
	CHECK(dt < PROMPT_MS && tdev_status(&t) == 0, "reset is prompt (%.1f ms)", dt);

	/* Live again with the same stuck fd, then deleted without a reset. */
	start(&t, bad);
	stick(&t, 5);
	t0 = tnow_ms();
	REQUIRE(uvdpa_bus_dev_del(t.bus, "blk0") == 0, "dev_del");
	t.d = NULL;
	dt = tnow_ms() - t0;
	CHECK(dt < PROMPT_MS, "the device is deleted and freed promptly (%.1f ms)", dt);
	tdev_close(&t);
	close(bad);
	return 0;
}
