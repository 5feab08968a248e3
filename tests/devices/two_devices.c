// SPDX-License-Identifier: MIT
/*
 * Two net devices and a blk device at once, each driven by its own thread:
 * frames never cross devices, the disk holds what was written.
 */
#include <pthread.h>
#include <string.h>

#include "tblk.h"

struct job {
	struct tdev t;
	uint8_t tag;
	int n;
};

static void *net_job(void *arg)
{
	struct job *j = arg;
	uint8_t frame[300];
	uint32_t len;
	uint8_t *rx;
	int i;

	for (i = 0; i < j->n; i++) {
		tmem_rewind(&j->t);
		memset(frame, 0xff, 6);
		memset(frame + 6, j->tag, sizeof(frame) - 6);
		frame[20] = (uint8_t)i;
		rx = tnet_post_rx(&j->t, 0, 512, 1, false);
		tnet_send(&j->t, 0, frame, sizeof(frame), 2, false);
		REQUIRE(tvq_wait(&j->t, 0, &len, 5000) == rx && len == 312 &&
			memcmp(rx + 12, frame, sizeof(frame)) == 0, "device %u frame %d", j->tag, i);
		tnet_reap_tx(&j->t, 0, 1);
	}
	return NULL;
}

static void *blk_job(void *arg)
{
	struct job *j = arg;
	uint8_t b[4096], r[4096];
	int i;

	for (i = 0; i < j->n; i++) {
		tmem_rewind(&j->t);
		memset(b, i, sizeof(b));
		REQUIRE(tblk_rw(&j->t, 0, true, (uint64_t)i * 8, b, sizeof(b)) == VIRTIO_BLK_S_OK, "w");
		REQUIRE(tblk_rw(&j->t, 0, false, (uint64_t)i * 8, r, sizeof(r)) == VIRTIO_BLK_S_OK &&
			memcmp(b, r, sizeof(b)) == 0, "r %d", i);
	}
	return NULL;
}

int main(void)
{
	struct uvdpa_bus *bus = tbus_new();
	static struct job a, b, c;
	pthread_t ta, tb, tc;

	tdev_open(&a.t, bus, "vdpasim_net", "net-a", NULL);
	tdev_open(&b.t, bus, "vdpasim_net", "net-b", NULL);
	tdev_open(&c.t, bus, "vdpasim_blk", "blk-c", NULL);
	tdev_start(&a.t, F_ACCESS_PLATFORM | F_VERSION_1 | F_EVENT_IDX, 2, 64);
	tdev_start(&b.t, F_ACCESS_PLATFORM | F_VERSION_1 | F_PACKED, 2, 64);
	tdev_start(&c.t, F_ACCESS_PLATFORM | F_VERSION_1, 1, 64);
	a.tag = 0xa;
	b.tag = 0xb;
	a.n = b.n = c.n = 300;
	CHECK(uvdpa_bus_dev_count(bus) == 3, "three devices on one bus");
	pthread_create(&ta, NULL, net_job, &a);
	pthread_create(&tb, NULL, net_job, &b);
	pthread_create(&tc, NULL, blk_job, &c);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	pthread_join(tc, NULL);
	CHECK(tstat(&a.t, 0, "rx packets") == 300 && tstat(&b.t, 0, "rx packets") == 300,
	      "300 frames each on net-a (split) and net-b (packed), none crossed");
	CHECK(1, "300 write/read pairs on blk-c meanwhile");
	tdev_close(&a.t);
	tdev_close(&b.t);
	tdev_close(&c.t);
	uvdpa_bus_free(bus);
	return 0;
}
