// SPDX-License-Identifier: MIT
/*
 * 10,000 create/delete cycles of both simulators (with their worker
 * threads, eventfds and RAM disks) leak nothing (run under ASan) and take
 * little time; every 500th device also carries traffic before it goes.
 */
#include <string.h>
#include <time.h>

#include "tblk.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void use_it(struct uvdpa_bus *bus, const char *mgmt, unsigned i)
{
	struct tdev t;
	char name[32];

	snprintf(name, sizeof(name), "busy%u", i);
	tdev_open(&t, bus, mgmt, name, NULL);
	if (mgmt[8] == 'n') {
		uint8_t frame[64] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
		uint32_t len;

		tdev_start(&t, F_ACCESS_PLATFORM | F_VERSION_1, 2, 16);
		tnet_post_rx(&t, 0, 256, 1, false);
		tnet_send(&t, 0, frame, sizeof(frame), 1, false);
		REQUIRE(tvq_wait(&t, 0, &len, 5000), "loop");
		/* leave the TX completion unreaped: deletion must not care */
	} else {
		uint8_t b[512];

		tdev_start(&t, F_ACCESS_PLATFORM | F_VERSION_1, 1, 16);
		memset(b, (int)i, sizeof(b));
		REQUIRE(tblk_rw(&t, 0, true, i, b, sizeof(b)) == VIRTIO_BLK_S_OK, "write");
	}
	tdev_close(&t);
}

int main(void)
{
	struct uvdpa_bus *bus = tbus_new();
	struct uvdpa_mgmtdev *net = uvdpa_bus_find_mgmtdev(bus, NULL, "vdpasim_net");
	struct uvdpa_mgmtdev *blk = uvdpa_bus_find_mgmtdev(bus, NULL, "vdpasim_blk");
	struct uvdpa_dev_set_config mq = { .mask = 1ULL << 12, .net.max_vq_pairs = 4 };
	double t0 = now(), dt;
	unsigned i;

	for (i = 0; i < 10000; i++) {
		char name[32];
		int r;

		snprintf(name, sizeof(name), "dev%u", i % 7);
		if (i % 500 == 499)
			use_it(bus, i % 1000 == 999 ? "vdpasim_net" : "vdpasim_blk", i);
		r = uvdpa_bus_dev_add(bus, i % 2 ? net : blk, name, i % 3 ? NULL : &mq, NULL, NULL);
		/* mq is a net attribute; the blk parent ignores the net part */
		REQUIRE(r == 0, "cycle %u: add %d", i, r);
		if (i % 7 == 6 || i == 9999) {
			unsigned k;

			/* delete in a different order than created */
			for (k = 0; k < 7 && uvdpa_bus_dev_count(bus); k++) {
				char n[32];

				snprintf(n, sizeof(n), "dev%u", (k * 3) % 7);
				uvdpa_bus_dev_del(bus, n);
			}
			REQUIRE(uvdpa_bus_dev_count(bus) == 0, "cycle %u: all deleted", i);
		}
	}
	dt = now() - t0;
	CHECK(uvdpa_bus_dev_count(bus) == 0, "10000 devices created and deleted (%.2f s, %.0f us each)",
	      dt, dt * 1e6 / 10000);
	uvdpa_bus_free(bus);
	CHECK(1, "bus freed; ASan checks for leaks at exit");
	return 0;
}
